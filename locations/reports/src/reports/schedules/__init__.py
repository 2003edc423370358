"""Schedules of the reports location."""
