"""Jobs of the dataloader that are not asset materializations."""
