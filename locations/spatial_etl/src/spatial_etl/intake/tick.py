"""One tick of a lane sensor: new manifests in, run requests, ledger records and archives out.

Exactly once per manifest, by two keys that agree:

- the ledger claim: a ``manifests`` document per ``batch_id`` (unique index), written before
  the run is requested; a manifest seen again (archive failed, cursor dropped its key, daemon
  restarted) finds its claim and is not launched again;
- the run key ``{lane}:{batch_id}``: a run request repeated after a crash is deduplicated by
  Dagster.

A claim whose run was never created (the tick failed after claiming) is launched again from
the ledger by the next tick (``orphaned_claims``), so nothing is lost either. Listing and
the cursor are ``object_feed``'s: a drained, one-shot feed of ``manifests/``, seen through
``LedgerFilter`` so that manifests the ledger has already recorded (left behind when
archiving failed) never take a new manifest's place in a tick.

No manifest stops a lane: an outage of the ledger or the store fails the tick (the next one
starts again), any other error on one manifest is recorded as that manifest's failure,
archived and alerted, and the tick goes on. Work per tick is bounded: ``batch_size`` new
manifests, ``MAX_LISTED`` listed keys, ``FILES_CHECKED`` files validated and
``FILES_LOOKED_UP`` looked up per manifest (the run checks every file), ``ARCHIVE_RETRIES``
archive retries.
"""

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import dagster as dg

from object_feed import FeedPolicy, ObjectFeed, ObjectInfo, ObjectLister, S3Lister
from platform_alerting import Alert
from spatial_etl.intake.cursor import MAX_CURSOR_KEYS, ProcessedKeysCodec
from spatial_etl.intake.lanes import Lane, Routing, lane_disabled_reason, router_config_problem
from spatial_manifest import (
    Manifest,
    ManifestError,
    check_size,
    load_document,
    sampled,
    validate_manifest,
)
from spatial_platform.ledger import LedgerStatus, ManifestRecord
from spatial_platform.minio_resource import MANIFEST_PREFIX, MinIOResource, archive_key_for
from spatial_platform.mongodb_resource import MongoDBResource

FILES_CHECKED = 16
"""Files of one manifest validated in the tick (evenly spread, no I/O); the run validates
and checks them all."""
FILES_LOOKED_UP = 4
"""Of those, files looked up in the landing bucket in the tick (the first, the last and two
between): one request each to the store, which a missing batch or a wrong prefix fails at
once; the run looks up every file."""
MAX_LISTED = 20_000
"""Keys of ``manifests/`` listed per tick."""
ARCHIVE_RETRIES = 50
"""Recorded manifests still in ``manifests/`` whose archiving one tick retries."""
STORED_DOCUMENT_BYTES = 1024 * 1024
"""Largest invalid document kept in its failure record (bigger ones keep their key only)."""
LEDGER_PAGE = 500
"""Listed keys looked up in the ledger per query."""


def is_outage(exc: BaseException) -> bool:
    """An error of the ledger or the store as a whole (the next tick retries everything),
    as opposed to an error about one manifest."""
    from minio.error import ServerError
    from pymongo.errors import ConnectionFailure
    from urllib3.exceptions import HTTPError

    return isinstance(
        exc, ConnectionError | TimeoutError | ConnectionFailure | HTTPError | ServerError
    )


@dataclass
class LedgerFilter:
    """The listing of ``manifests/`` without the keys the ledger already records.

    Those are processed manifests whose archiving failed: they are set aside in
    ``recorded`` (with the lane that recorded them) for ``LaneTick`` to archive, so however
    many lie before a new manifest, the feed sees the new one in this tick. One ledger query
    per ``LEDGER_PAGE`` keys, at most ``MAX_LISTED`` keys per tick.
    """

    inner: ObjectLister
    mongodb: MongoDBResource
    recorded: dict[str, str | None] = field(default_factory=dict)
    truncated: bool = False

    def list_after(self, prefix: str, start_after: str | None) -> Iterator[ObjectInfo]:
        listing = self.inner.list_after(prefix, start_after)
        listed = 0
        while page := list(islice(listing, LEDGER_PAGE)):
            listed += len(page)
            known = self.mongodb.recorded_manifest_keys(obj.key for obj in page)
            self.recorded.update(known)
            yield from (obj for obj in page if obj.key not in known)
            if listed >= MAX_LISTED:
                self.truncated = True
                return


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
    alert: Callable[[Alert], None]
    environ: Mapping[str, str] | None = None
    batch_size: int = 50
    codec: ProcessedKeysCodec = field(default_factory=ProcessedKeysCodec)
    archive_failures: dict[str, str] = field(default_factory=dict)

    def feed(self, lister: ObjectLister) -> ObjectFeed:
        """The landing bucket's ``manifests/``: drained (manifests move to archive/), one-shot."""
        return ObjectFeed(
            lister,
            prefix=MANIFEST_PREFIX,
            policy=FeedPolicy(
                max_attempts=1,
                settle_on_request=True,
                advance_watermark=False,
                max_new_per_tick=self.batch_size,
                max_settled_keys=MAX_CURSOR_KEYS,
            ),
            codec=self.codec,
        )

    def evaluate(self, context: dg.SensorEvaluationContext) -> dg.SensorResult:
        known = [lane.name for lane in self.routing.lanes]
        if self.lane.traffic_controlled and (problem := router_config_problem(known, self.environ)):
            self.report_once(problem)
        disabled = lane_disabled_reason(self.lane, known, self.environ)
        outcome = TickOutcome()
        orphans = []
        if disabled is None:
            for record in self.orphaned_claims():
                self.log.warning(
                    f"Manifest {record.manifest_key!r} (batch_id: {record.batch_id}) was "
                    "claimed but its run was never created: requesting it again"
                )
                try:
                    manifest = validate_manifest(
                        record.document(),
                        record.manifest_key,
                        self.minio.landing_bucket,
                        files_sample=FILES_CHECKED,
                    )
                except ManifestError as exc:
                    # A claim no run can take (recorded by an older version): fail it alone.
                    self.mongodb.update_manifest_status(
                        record.batch_id, LedgerStatus.FAILURE, error_message=exc.reason
                    )
                    continue
                orphans.append(outcome.launch(self.lane, manifest, record.manifest_key))
        failures: list[Exception] = []

        def build_request(obj: ObjectInfo) -> dg.RunRequest | None:
            if failures:
                raise RuntimeError("an earlier manifest of this tick failed")
            try:
                return self.handle(obj, disabled, outcome)
            except Exception as exc:
                if is_outage(exc):
                    failures.append(exc)
                    raise
                try:
                    self.contain(obj, exc, outcome)
                except Exception as record_error:
                    failures.append(record_error)
                    raise
                return None

        listing = LedgerFilter(
            S3Lister(self.minio.get_client(), self.minio.landing_bucket), self.mongodb
        )
        plan = self.feed(listing).plan(context, build_request)
        if failures:
            # An outage (ledger, store) is a tick error: the cursor is not written, and the
            # next tick starts again from the same manifests.
            raise failures[0]
        if self.codec.problem:
            self.log.warning(f"{self.lane.sensor}: {self.codec.problem}")
        if listing.truncated:
            self.log.warning(
                f"more than {MAX_LISTED} keys under {MANIFEST_PREFIX}: the rest waits for the "
                "next ticks; check that manifests are being archived"
            )
        # Manifests the feed recognised from their runs, and recorded ones the listing set
        # aside: still in the landing zone because archiving failed before, so retry it.
        leftovers = [key for key, lane in listing.recorded.items() if lane == self.lane.name]
        for key in [item.key for item in plan.settled if item.run_id] + plan.in_flight:
            self.archive(key)
        for key in leftovers[:ARCHIVE_RETRIES]:
            self.archive(key)
        self.report_archive_failures(len(leftovers))
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
        claims = self.mongodb.claims_without_run(self.lane.name)
        if not claims:
            return []
        launched = self.existing_run_keys([run_key(self.lane, batch) for batch in claims])
        orphans = [
            self.mongodb.get_manifest(b) for b in claims if run_key(self.lane, b) not in launched
        ]
        return [record for record in orphans if record is not None]

    # -- one manifest ---------------------------------------------------------------------

    def handle(
        self, obj: ObjectInfo, disabled: str | None, outcome: TickOutcome
    ) -> dg.RunRequest | None:
        key = obj.key
        if not key.endswith(".json"):
            return None
        document: Any = None
        raw = b""
        try:
            check_size(obj.size, key)
            read = self.read(key)
            if read is None:
                self.log.info(f"Manifest {key!r} is gone (archived by its lane): nothing to do")
                return None
            raw = read
            document = load_document(raw, key)
            manifest = validate_manifest(
                document, key, self.minio.landing_bucket, files_sample=FILES_CHECKED
            )
        except ManifestError as exc:
            if self.lane.quarantine:
                self.quarantine(
                    key, raw or obj.version.encode(), document, exc.reason, exc.batch_id, outcome
                )
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
            self.cancel(key, manifest, document, disabled, outcome)
            return None
        problem = self.preflight(manifest)
        if problem is not None:
            self.quarantine(key, raw, document, problem, manifest.batch_id, outcome)
            return None
        return self.claim_and_launch(key, manifest, document, outcome)

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
            # A long manifest arrives validated by sample (FILES_CHECKED of its files).
            probed = sampled(manifest.files, FILES_LOOKED_UP)
            absent = set(self.minio.missing_objects([(f.bucket, f.key) for f in probed]))
            missing = [f.path for f in probed if (f.bucket, f.key) in absent]
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
        self, key: str, manifest: Manifest, document: dict[str, Any], outcome: TickOutcome
    ) -> dg.RunRequest | None:
        """Claim the manifest (its whole document: the run validates every file) and launch."""
        record = ManifestRecord.holding(
            document,
            batch_id=manifest.batch_id,
            manifest_key=key,
            lane=self.lane.name,
            intent=manifest.intent,
            uploader=manifest.uploader,
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
        kept = isinstance(document, dict) and len(raw) <= STORED_DOCUMENT_BYTES
        fields: dict[str, Any] = {
            "manifest_key": key,
            "lane": self.lane.name,
            "status": LedgerStatus.FAILURE,
            "error_message": reason,
            "manifest": document if kept else {},
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
        self.send(
            Alert(
                kind="manifest_quarantined",
                location="spatial_etl",
                title=f"Manifest quarantined: {key}",
                details={"Lane": self.lane.name, "Reason": reason[:500]},
            )
        )

    def cancel(
        self,
        key: str,
        manifest: Manifest,
        document: dict[str, Any],
        reason: str,
        outcome: TickOutcome,
    ) -> None:
        """A disabled lane's manifest: recorded ``canceled``, archived, not launched."""
        self.log.info(
            f"Lane {self.lane.name!r} is disabled for manifest {key!r} (batch_id: "
            f"{manifest.batch_id}): {reason}. Marking as processed (one-shot)."
        )
        self.mongodb.claim_manifest(
            ManifestRecord.holding(
                document,
                batch_id=manifest.batch_id,
                manifest_key=key,
                status=LedgerStatus.CANCELED,
                error_message=reason,
                lane=self.lane.name,
                intent=manifest.intent,
                uploader=manifest.uploader,
            )
        )
        outcome.canceled += 1
        self.archive(key)

    def contain(self, obj: ObjectInfo, exc: Exception, outcome: TickOutcome) -> None:
        """An unforeseen error on one manifest: record it as that manifest's failure,
        archive and alert it; the tick goes on with the next manifest."""
        reason = f"could not be processed: {type(exc).__name__}: {exc}"[:2000]
        self.log.exception(f"Manifest {obj.key!r} {reason}")
        self.quarantine(obj.key, obj.version.encode(), None, reason, None, outcome)

    def archive(self, key: str) -> None:
        try:
            self.minio.move_to_archive(key)
        except Exception as exc:
            self.log.warning(f"Failed to archive manifest {key!r}: {exc}")
            self.archive_failures[key] = f"{type(exc).__name__}: {exc}"

    def report_archive_failures(self, waiting: int) -> None:
        """Alert the manifests whose archiving failed for the first time; log the rest."""
        if not self.archive_failures:
            return
        first = [
            key
            for key, error in self.archive_failures.items()
            if self.mongodb.note_archive_failure(key, error)
        ]
        self.log.warning(
            f"{len(self.archive_failures)} manifest(s) could not be archived this tick "
            f"({waiting} processed manifest(s) of lane {self.lane.name!r} wait in "
            f"{MANIFEST_PREFIX}); retried on the next ticks, new manifests go on"
        )
        if first:
            key = first[0]
            self.send(
                Alert(
                    kind="manifest_archive_failed",
                    location="spatial_etl",
                    title=f"{len(first)} manifest(s) could not be archived, first {key}",
                    details={
                        "Lane": self.lane.name,
                        "Error": self.archive_failures[key][:500],
                        "Effect": "retried every tick; new manifests are not delayed",
                    },
                )
            )

    def report_once(self, problem: str) -> None:
        """A configuration problem: one warning and one alert per process and value."""
        if problem in _REPORTED:
            return
        _REPORTED.add(problem)
        self.log.warning(problem)
        self.send(Alert(kind="config_ignored", location="spatial_etl", title=problem))

    def send(self, alert: Alert) -> None:
        try:
            self.alert(alert)
        except Exception as exc:
            self.log.error(f"could not send the alert {alert.title!r}: {exc}")


_REPORTED: set[str] = set()
