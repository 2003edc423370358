-- Which set of declared table registrations (e.g. the YAML components) was last applied.
CREATE TABLE registration_sync (
    source     text PRIMARY KEY,
    digest     text NOT NULL,
    synced_at  timestamptz NOT NULL
);
