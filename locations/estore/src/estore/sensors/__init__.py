"""The estore location's sensors, one module each, named as in the spec."""
