"""Asset checks on what the reports location stores."""
