"""A secret typed into the Launchpad's run config is refused before a run exists.

The production load's BigQuery resource takes its service-account key only as the name of
the variable that holds it.
"""

import dagster as dg
import pytest

from estore.jobs.gcs_to_bq_load import (
    JOB_NAME,
    LoadFileConfig,
    gcs_to_bq_load_job,
    load_run_config,
)
from estore.resources.bigquery import BigQuery
from estore.resources.factory import ingest_resources
from platform_config import Environment
from platform_testing.launchpad import assert_literal_secret_refused

defs = dg.Definitions(
    jobs=[gcs_to_bq_load_job(Environment.PROD)],
    resources=ingest_resources(Environment.PROD),
)


def test_a_literal_key_in_run_config_is_refused_before_a_run_exists() -> None:
    assert_literal_secret_refused(
        JOB_NAME,
        "bigquery",
        "gcp_credentials",
        value="eyJ0eXBlIjoic2VydmljZV9hY2NvdW50In0=",
        python_file=__file__,
        attribute="defs",
    )


def test_run_config_may_name_the_variable_that_holds_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ESTORE_GCP_PROJECT", "estore-prod")
    file = LoadFileConfig(bucket="estore-landing", key="events/a.csv", generation="7")
    run_config = {
        **load_run_config(Environment.PROD, file),
        "resources": {"bigquery": {"config": {"gcp_credentials": {"env": "ESTORE_BQ_KEY"}}}},
    }
    resolved = dg.validate_run_config(defs.resolve_job_def(JOB_NAME), run_config)
    bigquery = resolved["resources"]["bigquery"]["config"]
    assert bigquery["gcp_credentials"] == {"env": "ESTORE_BQ_KEY"}
    assert isinstance((defs.resources or {})["bigquery"], BigQuery)
