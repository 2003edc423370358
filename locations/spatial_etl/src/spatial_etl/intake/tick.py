"""One tick of a lane sensor: new manifests in, run requests, ledger records and archives out.

Exactly once per manifest, by two keys that agree:

- the ledger claim: a ``manifests`` document per ``batch_id`` (unique index), written before
  the run is requested; a manifest seen again (archive failed, cursor dropped its key, daemon
  restarted) finds its claim and is not launched again;
- the run key ``{lane}:{batch_id}``: a run request repeated after a crash is deduplicated by
  Dagster.

A claim whose run was never created (the tick failed after claiming) is launched again from
the ledger by the next tick (``orphaned_claims``), so nothing is lost either. Listing and
the cursor are ``object_feed``'s: a drained, one-shot feed of ``manifests/``.
"""

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from object_feed import FeedPolicy, ObjectFeed, ObjectInfo, S3Lister
from spatial_etl.intake.cursor import MAX_CURSOR_KEYS, ProcessedKeysCodec
from spatial_etl.intake.lanes import Lane, Routing, lane_disabled_reason
from spatial_manifest import Manifest, ManifestError, load_document, validate_manifest
from spatial_platform.ledger import LedgerStatus, ManifestRecord
from spatial_platform.minio_resource import MANIFEST_PREFIX, MinIOResource, archive_key_for
from spatial_platform.mongodb_resource import MongoDBResource

DATASET_PARTITIONS = "dataset_id"
"""Name of the dynamic partitions definition the lane assets are partitioned by."""

RUN_KEY_TAG = "dagster/run_key"


def run_key(lane: Lane, batch_id: str) -> str:
    return f"{lane.name}:{batch_id}"


def run_tags(lane: Lane, manifest: Manifest, manifest_key: str) -> dict[str, str]:
    """Standard tags, the lane tag and the archive tag of a lane run."""
    return {
        "batch_id": manifest.batch_id,
        "uploader": manifest.uploader,
        "intent": manifest.intent,
        "manifest_key": manifest_key,
        "lane": lane.name,
        "manifest_archive_key": archive_key_for(manifest_key),
        "dataset_id": manifest.dataset_id,
    }


def build_run_request(lane: Lane, manifest: Manifest, manifest_key: str) -> dg.RunRequest:
    """The lane's run for a claimed manifest; the run reads the manifest from the ledger."""
    return dg.RunRequest(
        run_key=run_key(lane, manifest.batch_id),
        job_name=lane.job,
        partition_key=manifest.dataset_id if lane.partitioned else None,
        tags=run_tags(lane, manifest, manifest_key),
    )


@dataclass
class TickOutcome:
    """What a tick decided about the manifests it read."""

    partition_keys: list[str] = field(default_factory=list)
    quarantined: int = 0
    canceled: int = 0
    elsewhere: int = 0

    def launch(self, lane: Lane, manifest: Manifest, manifest_key: str) -> dg.RunRequest:
        request = build_run_request(lane, manifest, manifest_key)
        if lane.partitioned and manifest.dataset_id not in self.partition_keys:
            self.partition_keys.append(manifest.dataset_id)
        return request

    def summary(self, seen: int) -> str:
        """What a tick that requested no run did instead."""
        parts = [
            f"{count} {what}"
            for count, what in (
                (self.quarantined, "recorded as failure and archived"),
                (self.canceled, "canceled (lane disabled) and archived"),
                (self.elsewhere, "left to other lanes"),
            )
            if count
        ]
        done = "; ".join(parts) or "already in the ledger"
        return f"No runs requested: of {seen} new manifest(s), {done}"


@dataclass
class LaneTick:
    """The decisions of one lane's sensor for one tick (resources and log injected).

    ``object_feed`` lists ``manifests/`` and keeps the cursor; every manifest it has not
    settled yet comes to ``handle``, which returns the run request or ``None`` once the
    manifest is recorded, archived or left to its lane.
    """

    lane: Lane
    routing: Routing
    minio: MinIOResource
    mongodb: MongoDBResource
    log: Any
    existing_run_keys: Callable[[list[str]], set[str]]
    environ: Mapping[str, str] | None = None
    batch_size: int = 50

    def feed(self) -> ObjectFeed:
        """The landing bucket's ``manifests/``: drained (manifests move to archive/), one-shot."""
        return ObjectFeed(
            S3Lister(self.minio.get_client(), self.minio.landing_bucket),
            prefix=MANIFEST_PREFIX,
            policy=FeedPolicy(
                max_attempts=1,
                settle_on_request=True,
                advance_watermark=False,
                max_new_per_tick=self.batch_size,
                max_settled_keys=MAX_CURSOR_KEYS,
            ),
            codec=ProcessedKeysCodec(),
        )

    def evaluate(self, context: dg.SensorEvaluationContext) -> dg.SensorResult:
        disabled = lane_disabled_reason(
            self.lane, [lane.name for lane in self.routing.lanes], self.environ
        )
        outcome = TickOutcome()
        orphans = []
        if disabled is None:
            for record in self.orphaned_claims():
                self.log.warning(
                    f"Manifest {record.manifest_key!r} (batch_id: {record.batch_id}) was "
                    "claimed but its run was never created: requesting it again"
                )
                manifest = validate_manifest(
                    record.manifest, record.manifest_key, self.minio.landing_bucket
                )
                orphans.append(outcome.launch(self.lane, manifest, record.manifest_key))
        failures: list[Exception] = []

        def build_request(obj: ObjectInfo) -> dg.RunRequest | None:
            if failures:
                raise RuntimeError("an earlier manifest of this tick failed")
            try:
                return self.handle(obj.key, disabled, outcome)
            except Exception as exc:
                failures.append(exc)
                raise

        plan = self.feed().plan(context, build_request)
        if failures:
            # An outage (ledger, store) is a tick error: the cursor is not written, and the
            # next tick starts again from the same manifests.
            raise failures[0]
        # Manifests the feed recognised from their runs (the cursor had forgotten them): still
        # in the landing zone because archiving failed before, so archive them now.
        for key in [item.key for item in plan.settled if item.run_id] + plan.in_flight:
            self.archive(key)
        run_requests = [*orphans, *plan.run_requests]
        if not run_requests and not plan.settled:
            return dg.SensorResult(skip_reason="No new manifests found", cursor=plan.cursor)
        return dg.SensorResult(
            run_requests=run_requests,
            skip_reason=None if run_requests else outcome.summary(len(plan.settled)),
            cursor=plan.cursor,
            dynamic_partitions_requests=[
                dg.AddDynamicPartitionsRequest(DATASET_PARTITIONS, outcome.partition_keys)
            ]
            if outcome.partition_keys
            else None,
        )

    def orphaned_claims(self) -> list[ManifestRecord]:
        """This lane's claims still ``running`` with no run started and no run created.

        One ledger query and one run-storage query, whatever the number of claims in flight.
        """
        claims = [
            record
            for record in self.mongodb.find_manifests(LedgerStatus.RUNNING)
            if record.lane == self.lane.name and record.dagster_run_id is None
        ]
        if not claims:
            return []
        launched = self.existing_run_keys([run_key(self.lane, c.batch_id) for c in claims])
        return [c for c in claims if run_key(self.lane, c.batch_id) not in launched]

    # -- one manifest ---------------------------------------------------------------------

    def handle(self, key: str, disabled: str | None, outcome: TickOutcome) -> dg.RunRequest | None:
        if not key.endswith(".json"):
            return None
        raw = self.read(key)
        if raw is None:
            self.log.info(f"Manifest {key!r} is gone (archived by its lane): nothing to do")
            return None
        document: Any = None
        try:
            document = load_document(raw, key)
            manifest = validate_manifest(document, key, self.minio.landing_bucket)
        except ManifestError as exc:
            if self.lane.quarantine:
                self.quarantine(key, raw, document, exc.reason, exc.batch_id, outcome)
            else:
                outcome.elsewhere += 1
            return None
        owner = self.routing.lane_for(manifest.intent)
        if owner is None:
            if self.lane.quarantine:
                reason = self.routing.unknown_intent_reason(manifest.intent)
                self.quarantine(key, raw, document, reason, manifest.batch_id, outcome)
            else:
                outcome.elsewhere += 1
            return None
        if owner.name != self.lane.name:
            self.log.debug(
                f"Manifest {key!r} (intent={manifest.intent}) belongs to lane {owner.name!r}"
            )
            outcome.elsewhere += 1
            return None
        if self.already_recorded(key, manifest.batch_id):
            self.archive(key)
            return None
        if disabled is not None:
            self.cancel(key, manifest, disabled, outcome)
            return None
        problem = self.preflight(manifest)
        if problem is not None:
            self.quarantine(key, raw, document, problem, manifest.batch_id, outcome)
            return None
        return self.claim_and_launch(key, manifest, outcome)

    def read(self, key: str) -> bytes | None:
        from minio.error import S3Error

        try:
            return self.minio.get_object(self.minio.landing_bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return None
            raise

    def preflight(self, manifest: Manifest) -> str | None:
        """What would fail the run for sure, found before launching it."""
        if self.lane.check_files_exist:
            missing = [
                entry.path
                for entry in manifest.files
                if not self.minio.object_exists(entry.bucket, entry.key)
            ]
            if missing:
                return f"files: not found in the landing bucket: {missing}"
        join = manifest.metadata.join_config
        if self.lane.check_join_assets and join is not None:
            unknown = [
                f"{name}={dataset_id!r}" + (f" version {version}" if version else "")
                for name, dataset_id, version in (
                    ("spatial_asset_id", join.spatial_asset_id, join.spatial_version),
                    ("tabular_asset_id", join.tabular_asset_id, join.tabular_version),
                )
                if (
                    self.mongodb.get_asset(dataset_id, version)
                    if version
                    else self.mongodb.get_latest_asset(dataset_id)
                )
                is None
            ]
            if unknown:
                return f"metadata.join_config: no such asset in the ledger: {', '.join(unknown)}"
        return None

    def claim_and_launch(
        self, key: str, manifest: Manifest, outcome: TickOutcome
    ) -> dg.RunRequest | None:
        record = ManifestRecord(
            batch_id=manifest.batch_id,
            manifest_key=key,
            lane=self.lane.name,
            intent=manifest.intent,
            uploader=manifest.uploader,
            manifest=manifest.model_dump(mode="json"),
        )
        request = None
        if self.mongodb.claim_manifest(record):
            request = outcome.launch(self.lane, manifest, key)
            self.log.info(
                f"Triggered {self.lane.job} for manifest {key!r} (batch_id: "
                f"{manifest.batch_id}, run_key: {run_key(self.lane, manifest.batch_id)})"
            )
        else:
            self.already_recorded(key, manifest.batch_id)
        self.archive(key)
        return request

    def already_recorded(self, key: str, batch_id: str) -> bool:
        """Whether the ledger holds ``batch_id`` already (logged: seen again, or reused)."""
        existing = self.mongodb.get_manifest(batch_id)
        if existing is None:
            return False
        if existing.manifest_key == key:
            self.log.info(
                f"Manifest {key!r} (batch_id: {batch_id}) is already in the ledger "
                f"({existing.status.value}): not processed again"
            )
        else:
            self.log.error(
                f"Manifest {key!r} reuses batch_id {batch_id!r} of {existing.manifest_key!r}: "
                "batch_id is immutable, upload it again with a new batch_id. "
                "The ledger keeps the first manifest's record."
            )
        return True

    def quarantine(
        self,
        key: str,
        raw: bytes,
        document: Any,
        reason: str,
        batch_id: str | None,
        outcome: TickOutcome,
    ) -> None:
        """Record the manifest as ``failure`` with ``reason`` and archive it."""
        self.log.error(
            f"Invalid manifest {key!r}: {reason}. Marking as processed to prevent retry; "
            "fix it and upload it under a new batch_id."
        )
        fields: dict[str, Any] = {
            "manifest_key": key,
            "lane": self.lane.name,
            "status": LedgerStatus.FAILURE,
            "error_message": reason,
            "manifest": document if isinstance(document, dict) else {},
        }
        if isinstance(document, dict):
            for name in ("intent", "uploader"):
                if isinstance(document.get(name), str):
                    fields[name] = document[name]
        recorded = False
        if batch_id is not None:
            recorded = self.mongodb.claim_manifest(ManifestRecord(batch_id=batch_id, **fields))
            if not recorded:
                existing = self.mongodb.get_manifest(batch_id)
                recorded = existing is not None and existing.manifest_key == key
        if not recorded:
            # No usable batch_id, or it belongs to another manifest: key the record by the
            # manifest's key and content, so the same bad upload is recorded once.
            digest = hashlib.sha256(raw).hexdigest()[:12]
            self.mongodb.claim_manifest(
                ManifestRecord(batch_id=f"invalid:{key}:{digest}", **fields)
            )
        outcome.quarantined += 1
        self.archive(key)

    def cancel(self, key: str, manifest: Manifest, reason: str, outcome: TickOutcome) -> None:
        """A disabled lane's manifest: recorded ``canceled``, archived, not launched."""
        self.log.info(
            f"Lane {self.lane.name!r} is disabled for manifest {key!r} (batch_id: "
            f"{manifest.batch_id}): {reason}. Marking as processed (one-shot)."
        )
        self.mongodb.claim_manifest(
            ManifestRecord(
                batch_id=manifest.batch_id,
                manifest_key=key,
                status=LedgerStatus.CANCELED,
                error_message=reason,
                lane=self.lane.name,
                intent=manifest.intent,
                uploader=manifest.uploader,
                manifest=manifest.model_dump(mode="json"),
            )
        )
        outcome.canceled += 1
        self.archive(key)

    def archive(self, key: str) -> None:
        try:
            self.minio.move_to_archive(key)
        except Exception as exc:
            self.log.warning(f"Failed to archive manifest {key!r}: {exc}")
