"""Asset checks on what the dataloader loads."""
