"""Asset checks on what spatial_etl publishes to the lake."""
