"""From a manifest in the landing bucket to a lane run: cursor, routing, one tick's decisions."""
