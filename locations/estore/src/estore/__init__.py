"""CSV files from GCS loaded into BigQuery and transformed by dbt."""
