# Webserver, daemon and the run purge job: Dagster itself with Postgres storage, and no
# location code (each location is reached over gRPC).
FROM python:3.11-slim
RUN pip install --no-cache-dir "dagster==1.13.27" "dagster-webserver==1.13.27" \
    "dagster-postgres==0.29.27" "dagster-graphql==1.13.27" "sqlalchemy<2.1"
ENV DAGSTER_HOME=/opt/dagster
COPY deploy/dagster.yaml deploy/workspace.yaml deploy/purge_runs.py /opt/dagster/
