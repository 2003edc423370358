"""Due-time logic and the three scheduling approaches built on it."""
