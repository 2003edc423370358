-- Fencing: which claim (history record) owns a row's current load, and which Dagster run
-- (its root run id, shared by retries) took it up. Load runs write only under their claim.
ALTER TABLE table_control ADD COLUMN claim_metadata_id bigint;
ALTER TABLE table_control ADD COLUMN claim_run_id text;

-- What the database can check itself. NOT VALID: rows written before this migration are
-- checked by the master sensor's claim instead (a bad one fails alone), new writes here.
ALTER TABLE table_control
    ADD CONSTRAINT table_control_db_config_is_object
        CHECK (jsonb_typeof(db_config_value) = 'object') NOT VALID,
    ADD CONSTRAINT table_control_names_not_blank
        CHECK (btrim(control_key) <> '' AND btrim(source_schema_name) <> ''
               AND btrim(source_table_name) <> '' AND btrim(destination_catalog) <> ''
               AND btrim(destination_schema_name) <> '' AND btrim(destination_table_name) <> ''
               AND btrim(db_type) <> '') NOT VALID,
    ADD CONSTRAINT table_control_cron_not_blank CHECK (btrim(cron_schedule) <> '') NOT VALID,
    ADD CONSTRAINT table_control_retry_count_not_negative CHECK (retry_count >= 0) NOT VALID;

ALTER TABLE historical_metadata
    ADD CONSTRAINT historical_metadata_status_known
        CHECK (status IN ('Queued', 'In Progress', 'Succeeded', 'Failed', 'Released')) NOT VALID;

-- The orphan check and the monitors look rows up by their claim.
CREATE INDEX table_control_claim_idx ON table_control (claim_metadata_id);
