"""estore's jobs."""
