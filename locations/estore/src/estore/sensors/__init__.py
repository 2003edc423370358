"""estore's sensors, one module each."""
