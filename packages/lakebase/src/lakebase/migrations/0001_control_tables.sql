-- The control plane of the dataloader: one row per table to load, one history row per load.

CREATE TABLE table_control (
    config_id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    control_key             text NOT NULL UNIQUE,
    source_catalog          text NOT NULL DEFAULT '',
    source_schema_name      text NOT NULL,
    source_table_name       text NOT NULL,
    destination_catalog     text NOT NULL,
    destination_schema_name text NOT NULL,
    destination_table_name  text NOT NULL,
    db_type                 text NOT NULL,
    db_config_value         jsonb NOT NULL DEFAULT '{}'::jsonb,
    db_kv_scope             text NOT NULL DEFAULT '',
    load_strategy           text NOT NULL DEFAULT 'full'
                            CHECK (load_strategy IN ('full', 'incremental')),
    incremental_column      text,
    incremental_value       text,
    cron_schedule           text NOT NULL DEFAULT '0 2 * * *',
    is_active               boolean NOT NULL DEFAULT true,
    next_load_date_time     timestamptz NOT NULL DEFAULT now(),
    last_status             text
                            CHECK (last_status IN ('Queued', 'In Progress', 'Succeeded', 'Failed')),
    last_status_date_time   timestamptz,
    last_status_message     text,
    last_load_date_time     timestamptz,
    last_success_date_time  timestamptz,
    last_rows_loaded        bigint,
    last_dagster_run        text,
    last_databricks_run     text,
    retry_count             integer NOT NULL DEFAULT 0,
    requires_review         boolean NOT NULL DEFAULT false,
    staging_model_processed boolean NOT NULL DEFAULT false,
    registered_by           text NOT NULL DEFAULT 'sql',
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (load_strategy = 'full' OR incremental_column IS NOT NULL)
);

-- master_sensor: active tables due now that are not already queued or running.
CREATE INDEX table_control_ready_idx ON table_control (next_load_date_time)
    WHERE is_active AND (last_status IS NULL OR last_status NOT IN ('Queued', 'In Progress'));
-- The monitors: rows by status.
CREATE INDEX table_control_status_idx ON table_control (last_status);

CREATE TABLE historical_metadata (
    metadata_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    config_id           integer NOT NULL REFERENCES table_control (config_id) ON DELETE CASCADE,
    control_key         text NOT NULL,
    status              text NOT NULL,
    queued_at           timestamptz NOT NULL,
    started_at          timestamptz,
    finished_at         timestamptz,
    load_strategy       text NOT NULL,
    watermark_before    text,
    watermark_after     text,
    rows_loaded         bigint,
    duration_seconds    double precision,
    dagster_run_id      text,
    dagster_run_url     text,
    databricks_run_url  text,
    error_message       text,
    retry_decision      text,
    retry_confidence    double precision
);
CREATE INDEX historical_metadata_config_idx ON historical_metadata (config_id, metadata_id DESC);
