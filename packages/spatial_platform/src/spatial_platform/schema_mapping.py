"""``RunIdSchemaMapping``: a Dagster run id <-> the name of its ephemeral PostGIS schema."""

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

SCHEMA_PREFIX = "proc_"
_RUN_ID = re.compile(r"^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$")
_SCHEMA = re.compile(r"^proc_[0-9a-z]{8}_[0-9a-z]{4}_[0-9a-z]{4}_[0-9a-z]{4}_[0-9a-z]{12}$")


class RunIdSchemaMapping(BaseModel):
    """``abc12345-def6-...`` <-> ``proc_abc12345_def6_...``, both ways and lossless.

    Run ids are UUID-shaped (8-4-4-4-12 lower-case letters and digits); the schema name is
    the run id with ``-`` replaced by ``_`` behind ``proc_``, a plain SQL identifier, so a
    leftover schema always names the run that made it.
    """

    model_config = ConfigDict(frozen=True)

    run_id: str
    schema_name: str

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not _RUN_ID.fullmatch(self.run_id):
            raise ValueError(
                f"run_id {self.run_id!r} is not UUID-shaped (8-4-4-4-12 lower-case letters "
                "and digits)"
            )
        if self.schema_name != _schema_for(self.run_id):
            raise ValueError(f"schema {self.schema_name!r} does not belong to run {self.run_id!r}")
        return self

    @classmethod
    def from_run_id(cls, run_id: str) -> "RunIdSchemaMapping":
        return cls(run_id=run_id, schema_name=_schema_for(run_id))

    @classmethod
    def from_schema_name(cls, schema_name: str) -> "RunIdSchemaMapping":
        if not _SCHEMA.fullmatch(schema_name):
            raise ValueError(
                f"{schema_name!r} is not an ephemeral schema name (proc_ followed by a run id "
                "with _ for -)"
            )
        run_id = schema_name.removeprefix(SCHEMA_PREFIX).replace("_", "-")
        return cls(run_id=run_id, schema_name=schema_name)

    @staticmethod
    def is_ephemeral_schema(name: str) -> bool:
        return _SCHEMA.fullmatch(name) is not None


def _schema_for(run_id: str) -> str:
    return SCHEMA_PREFIX + run_id.replace("-", "_")
