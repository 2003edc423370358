"""estore's resources: the landing bucket and the warehouse it loads into."""
