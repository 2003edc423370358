"""``MongoDBResource``: the ledger of manifests, runs and assets (the source of truth).

pymongo against a ``mongodb://`` URI, everywhere: production's MongoDB, the compose stack's,
and locally and in tests a MongoDB wire-protocol server (``secantusdb``) that
``local_services`` starts; only the URI differs.
"""

from collections.abc import Iterable
from functools import cache
from typing import Any

import dagster as dg
from pydantic import Field

from platform_config.env_secret import ResourceWithSecrets, Secret, read_secret
from spatial_platform.ledger import (
    ASSETS,
    MANIFESTS,
    RUNS,
    AssetRecord,
    AssetRegistration,
    LedgerStatus,
    ManifestRecord,
    RunRecord,
    utcnow,
)
from spatial_platform.settings import LEDGER_DATABASE

_VERSION_ATTEMPTS = 5


class DuplicateBatchError(ValueError):
    """A manifest with this ``batch_id`` is already in the ledger (``batch_id`` is immutable)."""


class MongoDBResource(ResourceWithSecrets):
    """The ledger's collections ``manifests``, ``runs`` and ``assets`` behind typed helpers."""

    # A URI that holds the password: a secret, named by its variable.
    connection_string: Secret | None = Field(default=None, description="MONGO_CONNECTION_STRING")
    database: str = LEDGER_DATABASE

    # -- connection -------------------------------------------------------------------

    def uri(self) -> str:
        """The server's URI (from ``MONGO_CONNECTION_STRING``); never logged."""
        uri = read_secret(self.connection_string)
        if not uri:
            raise dg.DagsterInvariantViolationError(
                "MongoDBResource needs a connection string: set MONGO_CONNECTION_STRING"
            )
        return uri

    def _database(self) -> Any:
        uri = self.uri()
        db = _pymongo_client(uri)[self.database]
        _ensure_indexes(db, uri, self.database)
        return db

    # -- manifests ----------------------------------------------------------------------

    def insert_manifest(self, record: ManifestRecord) -> str:
        """Store a manifest; its ``batch_id`` must be new (raises ``DuplicateBatchError``)."""
        from pymongo.errors import DuplicateKeyError

        db = self._database()
        try:
            result = db[MANIFESTS].insert_one(record.model_dump(mode="python"))
        except DuplicateKeyError:
            raise DuplicateBatchError(
                f"batch_id {record.batch_id!r} is already in the ledger: batch_id is "
                "immutable, give the new manifest a new batch_id"
            ) from None
        return str(result.inserted_id)

    def claim_manifest(self, record: ManifestRecord) -> bool:
        """Insert the manifest unless its ``batch_id`` exists; ``True`` when this call did."""
        try:
            self.insert_manifest(record)
        except DuplicateBatchError:
            return False
        return True

    def update_manifest_status(
        self,
        batch_id: str,
        status: LedgerStatus | str,
        *,
        error_message: str | None = None,
        dagster_run_id: str | None = None,
        owner_run_id: str | None = None,
    ) -> bool:
        """Move a manifest to ``status``; ``True`` if a document changed.

        With ``owner_run_id`` the update applies only while the manifest still names that
        run, so a late or re-executed run cannot overwrite its successor's outcome.
        """
        status = LedgerStatus(status)
        fields: dict[str, Any] = {"status": status.value, "updated_at": utcnow()}
        if error_message is not None:
            fields["error_message"] = error_message
        if dagster_run_id is not None:
            fields["dagster_run_id"] = dagster_run_id
        query: dict[str, Any] = {"batch_id": batch_id}
        if owner_run_id is not None:
            query["dagster_run_id"] = owner_run_id
        db = self._database()
        return db[MANIFESTS].update_one(query, {"$set": fields}).matched_count == 1

    def get_manifest(self, batch_id: str) -> ManifestRecord | None:
        db = self._database()
        doc = db[MANIFESTS].find_one({"batch_id": batch_id})
        return None if doc is None else ManifestRecord.model_validate(doc)

    def recorded_manifest_keys(self, keys: Iterable[str]) -> dict[str, str | None]:
        """Which of ``keys`` (landing-zone manifest keys) the ledger records, with the lane
        that recorded each.

        One query per call, so a sensor can tell processed manifests left in the landing
        zone (archiving failed) from new ones without reading them.
        """
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        db = self._database()
        cursor = db[MANIFESTS].find(
            {"manifest_key": {"$in": wanted}}, {"manifest_key": 1, "lane": 1}
        )
        return {str(doc["manifest_key"]): doc.get("lane") for doc in cursor}

    def note_archive_failure(self, manifest_key: str, error: str) -> bool:
        """Record that archiving ``manifest_key`` failed; ``True`` the first time only (so
        the failure is alerted once, and retried quietly afterwards)."""
        db = self._database()
        result = db[MANIFESTS].update_many(
            {"manifest_key": manifest_key, "archive_error": None},
            {"$set": {"archive_error": error[:500], "updated_at": utcnow()}},
        )
        return result.modified_count > 0

    def claims_without_run(self, lane: str) -> list[str]:
        """``batch_id`` of ``lane``'s claims still ``running`` that no run has started."""
        db = self._database()
        query = {"status": LedgerStatus.RUNNING.value, "lane": lane, "dagster_run_id": None}
        return [str(doc["batch_id"]) for doc in db[MANIFESTS].find(query, {"batch_id": 1})]

    def find_manifests(self, status: LedgerStatus | str | None = None) -> list[ManifestRecord]:
        query = {} if status is None else {"status": LedgerStatus(status).value}
        db = self._database()
        return [ManifestRecord.model_validate(d) for d in db[MANIFESTS].find(query)]

    # -- runs -------------------------------------------------------------------------

    def insert_run(
        self,
        dagster_run_id: str,
        batch_id: str,
        job_name: str,
        partition_key: str | None = None,
    ) -> str:
        """Create the run document (``status=running``) once; return its ObjectId string.

        Idempotent per ``dagster_run_id``: a retried step gets the same document back.
        """
        from pymongo import ReturnDocument

        record = RunRecord(
            dagster_run_id=dagster_run_id,
            batch_id=batch_id,
            job_name=job_name,
            partition_key=partition_key,
        )
        db = self._database()
        doc = db[RUNS].find_one_and_update(
            {"dagster_run_id": dagster_run_id},
            {"$setOnInsert": record.model_dump(mode="python")},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return str(doc["_id"])

    def update_run_status(
        self, dagster_run_id: str, status: LedgerStatus | str, error_message: str | None = None
    ) -> bool:
        """Finish a running run; a run already finished keeps its first outcome."""
        status = LedgerStatus(status)
        fields: dict[str, Any] = {"status": status.value}
        if status.is_final:
            fields["completed_at"] = utcnow()
        if error_message is not None:
            fields["error_message"] = error_message
        db = self._database()
        result = db[RUNS].update_one(
            {"dagster_run_id": dagster_run_id, "status": LedgerStatus.RUNNING.value},
            {"$set": fields},
        )
        return result.modified_count == 1

    def fail_dead_run(self, dagster_run_id: str, reason: str) -> bool:
        """Mark a run whose worker died, and the manifest it owns, ``failure`` with
        ``reason``; outcomes already recorded stay. ``True`` if the manifest changed."""
        self.update_run_status(dagster_run_id, LedgerStatus.FAILURE, reason)
        db = self._database()
        result = db[MANIFESTS].update_one(
            {"dagster_run_id": dagster_run_id, "status": LedgerStatus.RUNNING.value},
            {
                "$set": {
                    "status": LedgerStatus.FAILURE.value,
                    "error_message": reason,
                    "updated_at": utcnow(),
                }
            },
        )
        return result.modified_count == 1

    def get_run(self, dagster_run_id: str) -> RunRecord | None:
        db = self._database()
        doc = db[RUNS].find_one({"dagster_run_id": dagster_run_id})
        return None if doc is None else RunRecord.model_validate(doc)

    def get_run_object_id(self, dagster_run_id: str) -> str | None:
        db = self._database()
        doc = db[RUNS].find_one({"dagster_run_id": dagster_run_id}, {"_id": 1})
        return None if doc is None else str(doc["_id"])

    def add_asset_to_run(self, dagster_run_id: str, asset_id: str) -> None:
        db = self._database()
        db[RUNS].update_one(
            {"dagster_run_id": dagster_run_id}, {"$addToSet": {"asset_ids": asset_id}}
        )

    # -- assets -----------------------------------------------------------------------

    def insert_asset(self, asset: AssetRecord) -> str:
        """Insert an asset document as given (its ``version`` set); return its ObjectId."""
        if asset.version < 1:
            raise ValueError(
                f"asset {asset.dataset_id!r} needs a version >= 1, got {asset.version}"
            )
        db = self._database()
        return str(db[ASSETS].insert_one(asset.model_dump(mode="python")).inserted_id)

    def register_asset(self, asset: AssetRecord) -> AssetRegistration:
        """Record ``asset`` as the dataset's next version, unless that content is known.

        The same ``content_hash`` for the same ``dataset_id`` returns the existing version
        (``deduplicated``); otherwise the version is the dataset's highest plus one,
        retried if a concurrent run took it first.
        """
        from pymongo.errors import DuplicateKeyError

        for _ in range(_VERSION_ATTEMPTS):
            existing = self._find_asset(
                {"dataset_id": asset.dataset_id, "content_hash": asset.content_hash}
            )
            if existing is not None:
                return AssetRegistration(
                    asset_id=str(existing["_id"]),
                    version=int(existing["version"]),
                    s3_key=str(existing["s3_key"]),
                    deduplicated=True,
                )
            version = self.get_next_version(asset.dataset_id)
            try:
                asset_id = self.insert_asset(asset.model_copy(update={"version": version}))
            except DuplicateKeyError:
                continue  # another run took this version or this content: look again
            return AssetRegistration(
                asset_id=asset_id, version=version, s3_key=asset.s3_key, deduplicated=False
            )
        raise RuntimeError(
            f"could not register a version of {asset.dataset_id!r} after "
            f"{_VERSION_ATTEMPTS} attempts: too many concurrent writers"
        )

    def get_asset(self, dataset_id: str, version: int) -> AssetRecord | None:
        doc = self._find_asset({"dataset_id": dataset_id, "version": version})
        return None if doc is None else AssetRecord.model_validate(doc)

    def get_asset_by_id(self, asset_id: str) -> AssetRecord | None:
        from bson import ObjectId
        from bson.errors import InvalidId

        try:
            object_id = ObjectId(asset_id)
        except InvalidId:
            return None
        doc = self._find_asset({"_id": object_id})
        return None if doc is None else AssetRecord.model_validate(doc)

    def get_latest_asset(self, dataset_id: str) -> AssetRecord | None:
        db = self._database()
        doc = db[ASSETS].find_one({"dataset_id": dataset_id}, sort=[("version", -1)])
        return None if doc is None else AssetRecord.model_validate(doc)

    def get_next_version(self, dataset_id: str) -> int:
        latest = self.get_latest_asset(dataset_id)
        return 1 if latest is None else latest.version + 1

    def asset_exists(self, content_hash: str) -> bool:
        """Whether any dataset already holds content with this hash."""
        return self._find_asset({"content_hash": content_hash}) is not None

    def _find_asset(self, query: dict[str, Any]) -> dict[str, Any] | None:
        db = self._database()
        return db[ASSETS].find_one(query)


class LocalMongoDBResource(MongoDBResource):
    """The ledger for ``dg dev`` (``local`` environment): the local session's MongoDB server.

    The server (``secantusdb``, in memory) starts with the local S3 server and stops with it
    (``spatial_platform.local_s3``): the ledger never names objects of a lake that is gone.
    ``MONGO_CONNECTION_STRING``, when set, points it at another server instead.
    """

    session_dir: str = ""  # the local session folder (default: the local state folder)

    def uri(self) -> str:
        if read_secret(self.connection_string):
            return super().uri()
        from spatial_platform.local_s3 import local_session

        return local_session(self.session_dir).mongodb_uri


@cache
def _pymongo_client(uri: str) -> Any:
    from pymongo import MongoClient

    return MongoClient(uri, serverSelectionTimeoutMS=10_000, tz_aware=True)


_indexed: set[tuple[str, str]] = set()


def _ensure_indexes(db: Any, where: str, database: str) -> None:
    """The uniqueness and lookups the ledger relies on; once per database and process."""
    if (where, database) in _indexed:
        return
    db[MANIFESTS].create_index("batch_id", unique=True)
    db[MANIFESTS].create_index("status")
    db[MANIFESTS].create_index("manifest_key")
    db[RUNS].create_index("dagster_run_id", unique=True)
    db[RUNS].create_index("batch_id")
    db[ASSETS].create_index([("dataset_id", 1), ("version", 1)], unique=True)
    db[ASSETS].create_index([("dataset_id", 1), ("content_hash", 1)], unique=True)
    db[ASSETS].create_index("content_hash")
    _indexed.add((where, database))
