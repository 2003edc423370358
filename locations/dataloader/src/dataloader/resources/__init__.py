"""Resources of the dataloader: the same keys in every environment, other implementations."""
