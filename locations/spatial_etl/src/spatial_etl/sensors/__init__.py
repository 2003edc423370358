"""The lane sensors (one per lane of the YAML component) and the run status sensors."""
