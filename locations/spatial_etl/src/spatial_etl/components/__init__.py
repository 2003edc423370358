"""Component types this location registers with dg (`registry_modules`)."""
