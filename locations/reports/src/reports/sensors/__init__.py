"""Sensors of the reports location, one module each, named as in the spec."""
