"""Data loads driven by the Lakebase control table, run on Databricks through Pipes."""
