"""JSON manifests in MinIO routed into GDAL/PostGIS ingest lanes."""
