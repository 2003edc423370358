"""The five sensors that poll Lakebase for work."""
