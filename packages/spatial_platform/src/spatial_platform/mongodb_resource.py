"""``MongoDBResource``: the ledger of manifests, runs and assets (the source of truth).

Production talks to MongoDB with pymongo. No MongoDB server can run on a laptop without
one installed, so the ``mongomock`` back-end stands in: in memory for tests, or persisted
to a JSON file (``store_path``) so that the sensor process and each run's process share one
ledger under ``dg dev``.
"""

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Literal

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
    """The ledger's collections ``manifests``, ``runs`` and ``assets`` behind typed helpers.

    ``backend="mongomock"`` needs no server: in memory, or in ``store_path`` when set.
    """

    # A URI that holds the password: a secret, named by its variable.
    connection_string: Secret | None = Field(default=None, description="MONGO_CONNECTION_STRING")
    database: str = LEDGER_DATABASE
    backend: Literal["mongodb", "mongomock"] = "mongodb"
    store_path: str = ""

    # -- connection -------------------------------------------------------------------

    @contextlib.contextmanager
    def _db(self) -> Iterator[Any]:
        """The database for one operation (locked and persisted for a file-backed mock)."""
        if self.backend == "mongodb":
            uri = read_secret(self.connection_string)
            if not uri:
                raise dg.DagsterInvariantViolationError(
                    "MongoDBResource needs a connection string: set MONGO_CONNECTION_STRING"
                )
            db = _pymongo_client(uri)[self.database]
            _ensure_indexes(db, uri, self.database)
            yield db
            return
        store = self.store()
        if store is None:
            with _memory_lock:
                db = _memory_client(self.database)[self.database]
                _ensure_indexes(db, "memory", self.database)
                yield db
            return
        with _persisted_database(store, self.database) as db:
            yield db

    def store(self) -> Path | None:
        """The JSON file of a file-backed mock ledger; ``None`` in memory or on MongoDB."""
        return Path(self.store_path) if self.store_path else None

    # -- manifests ----------------------------------------------------------------------

    def insert_manifest(self, record: ManifestRecord) -> str:
        """Store a manifest; its ``batch_id`` must be new (raises ``DuplicateBatchError``)."""
        from pymongo.errors import DuplicateKeyError

        with self._db() as db:
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
        with self._db() as db:
            return db[MANIFESTS].update_one(query, {"$set": fields}).matched_count == 1

    def get_manifest(self, batch_id: str) -> ManifestRecord | None:
        with self._db() as db:
            doc = db[MANIFESTS].find_one({"batch_id": batch_id})
        return None if doc is None else ManifestRecord.model_validate(doc)

    def find_manifests(self, status: LedgerStatus | str | None = None) -> list[ManifestRecord]:
        query = {} if status is None else {"status": LedgerStatus(status).value}
        with self._db() as db:
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
        with self._db() as db:
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
        with self._db() as db:
            result = db[RUNS].update_one(
                {"dagster_run_id": dagster_run_id, "status": LedgerStatus.RUNNING.value},
                {"$set": fields},
            )
        return result.modified_count == 1

    def get_run(self, dagster_run_id: str) -> RunRecord | None:
        with self._db() as db:
            doc = db[RUNS].find_one({"dagster_run_id": dagster_run_id})
        return None if doc is None else RunRecord.model_validate(doc)

    def get_run_object_id(self, dagster_run_id: str) -> str | None:
        with self._db() as db:
            doc = db[RUNS].find_one({"dagster_run_id": dagster_run_id}, {"_id": 1})
        return None if doc is None else str(doc["_id"])

    def add_asset_to_run(self, dagster_run_id: str, asset_id: str) -> None:
        with self._db() as db:
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
        with self._db() as db:
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
        with self._db() as db:
            doc = db[ASSETS].find_one({"dataset_id": dataset_id}, sort=[("version", -1)])
        return None if doc is None else AssetRecord.model_validate(doc)

    def get_next_version(self, dataset_id: str) -> int:
        latest = self.get_latest_asset(dataset_id)
        return 1 if latest is None else latest.version + 1

    def asset_exists(self, content_hash: str) -> bool:
        """Whether any dataset already holds content with this hash."""
        return self._find_asset({"content_hash": content_hash}) is not None

    def _find_asset(self, query: dict[str, Any]) -> dict[str, Any] | None:
        with self._db() as db:
            return db[ASSETS].find_one(query)


class LocalMongoDBResource(MongoDBResource):
    """The ledger for ``dg dev`` (``local`` environment): mongomock in a JSON file.

    No MongoDB server can be installed everywhere ``dg dev`` runs, so the ledger is mongomock
    persisted to a JSON file, shared by the sensor process and every run's process. By
    default the file belongs to the local S3 server's session (``local_s3``): the local lake
    is in memory, and a ledger outliving it would name objects that no longer exist.
    """

    backend: Literal["mongodb", "mongomock"] = "mongomock"
    session_dir: str = ""  # the local S3 session folder (default: the local state folder)

    def store(self) -> Path:
        if self.store_path:
            return Path(self.store_path)
        from spatial_platform.local_s3 import local_session

        return local_session(self.session_dir).ledger_path()


# -- back-ends ----------------------------------------------------------------------------

_memory_lock = threading.RLock()


@cache
def _pymongo_client(uri: str) -> Any:
    from pymongo import MongoClient

    return MongoClient(uri, serverSelectionTimeoutMS=10_000, tz_aware=True)


@cache
def _memory_client(database: str) -> Any:
    import mongomock

    return mongomock.MongoClient(tz_aware=True)


_indexed: set[tuple[str, str]] = set()


def _ensure_indexes(db: Any, where: str, database: str) -> None:
    """The uniqueness the ledger relies on; once per database and process."""
    if (where, database) in _indexed:
        return
    db[MANIFESTS].create_index("batch_id", unique=True)
    db[MANIFESTS].create_index("status")
    db[RUNS].create_index("dagster_run_id", unique=True)
    db[RUNS].create_index("batch_id")
    db[ASSETS].create_index([("dataset_id", 1), ("version", 1)], unique=True)
    db[ASSETS].create_index([("dataset_id", 1), ("content_hash", 1)], unique=True)
    db[ASSETS].create_index("content_hash")
    _indexed.add((where, database))


@contextlib.contextmanager
def _persisted_database(path: Path, database: str) -> Iterator[Any]:
    """A mongomock database loaded from ``path`` and written back, under an exclusive lock.

    Every process (sensor, run workers) goes through the lock, so the JSON file is one
    consistent ledger; fine for the few documents of local work, not for production.
    """
    import mongomock
    from bson import json_util

    path.parent.mkdir(parents=True, exist_ok=True)
    with (path.parent / f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            db = mongomock.MongoClient(tz_aware=True)[database]
            snapshot = json_util.loads(path.read_text()) if path.exists() else {}
            for name, docs in snapshot.items():
                if docs:
                    db[name].insert_many(docs)
            _indexed.discard((str(path), database))
            _ensure_indexes(db, str(path), database)
            yield db
            dump = {name: list(db[name].find()) for name in db.list_collection_names()}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json_util.dumps(dump, json_options=json_util.RELAXED_JSON_OPTIONS))
            tmp.replace(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
