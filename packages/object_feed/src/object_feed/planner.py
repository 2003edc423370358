"""The exactly-once planner a sensor calls on every tick.

Given a listing that starts after the cursor's watermark, the cursor, and the runs already in
the Dagster instance, it decides which objects to request now and writes the next cursor.
The only state is the sensor cursor and run storage, so a daemon restart changes nothing.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import dagster as dg
from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG

from object_feed.cursor import CursorCodec, FeedState, JsonCursorCodec, PendingObject
from object_feed.listing import ObjectInfo, ObjectLister

KEY_TAG = "object_feed/key"
VERSION_TAG = "object_feed/version"
ATTEMPT_TAG = "object_feed/attempt"
QUARANTINED_TAG = "object_feed/quarantined"

RequestBuilder = Callable[[ObjectInfo], dg.RunRequest | None]
"""Builds the run request for one object, or ``None`` to settle it without a run.

The planner sets the run key (the builder's own ``run_key`` if it sets one, else
``{key}@{version}``; attempt n > 1 appends ``#n``) and adds the ``object_feed/*`` tags. An
exception counts as a failed attempt of that object alone.
"""

_IN_FLIGHT = frozenset(
    {
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
        dg.DagsterRunStatus.MANAGED,
    }
)
_FAILED = frozenset({dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED})


@dataclass(frozen=True)
class FeedPolicy:
    """How many attempts, how long between them, and how much state a feed keeps.

    ``advance_watermark``: keys sort in arrival order (dated or sequential names), so the
    listing may start after the highest settled key. Turn it off for drained prefixes, where
    each object is moved away once processed; then the listing starts at the prefix, and
    ``max_settled_keys`` evicts the oldest settled keys.
    ``settle_on_request``: one-shot feeds (retries only by re-executing the run) settle an
    object as soon as its run is requested.
    ``sweep_page_size``: with a watermark, each tick also lists this many keys below it (a
    pass over them takes ceil(keys / page) ticks), so an object named there after the
    watermark passed is still found; 0 turns the sweep off. ``sweep_margin_seconds`` allows
    for the store's clock running behind the sensor's.
    """

    max_attempts: int = 3
    backoff_base_seconds: float = 300.0
    backoff_max_seconds: float = 3600.0
    max_settled_keys: int = 500
    max_pending: int = 100
    max_new_per_tick: int = 100
    advance_watermark: bool = True
    settle_on_request: bool = False
    sweep_page_size: int = 1000
    sweep_margin_seconds: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if min(self.max_settled_keys, self.max_pending, self.max_new_per_tick) < 1:
            raise ValueError("max_settled_keys, max_pending and max_new_per_tick must be >= 1")
        if self.sweep_page_size < 0:
            raise ValueError(f"sweep_page_size must be >= 0, got {self.sweep_page_size}")

    def backoff_seconds(self, attempt: int) -> float:
        """Delay after failed attempt ``attempt`` (1-based): doubling, capped."""
        return min(self.backoff_max_seconds, self.backoff_base_seconds * 2 ** (attempt - 1))


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"
    REQUESTED = "requested"
    QUARANTINED = "quarantined"
    VANISHED = "vanished"


@dataclass(frozen=True)
class SettledObject:
    """An object the feed is done with on this tick, and why."""

    key: str
    outcome: Outcome
    attempts: int
    run_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class FeedPlan:
    """What one tick decided: the run requests to emit and the cursor to store with them."""

    run_requests: list[dg.RunRequest]
    cursor: str
    settled: list[SettledObject]
    in_flight: list[str]
    retries_waiting: dict[str, float]
    backlog: bool

    @property
    def quarantined(self) -> list[SettledObject]:
        return [item for item in self.settled if item.outcome is Outcome.QUARANTINED]

    def summary(self) -> str:
        parts = [f"{len(self.run_requests)} requested", f"{len(self.in_flight)} in flight"]
        if self.retries_waiting:
            parts.append(f"{len(self.retries_waiting)} waiting to retry")
        if self.quarantined:
            parts.append(f"{len(self.quarantined)} quarantined")
        if self.backlog:
            parts.append("more waiting beyond this tick's bound")
        return ", ".join(parts)

    def sensor_result(self) -> dg.SensorResult:
        """The tick's result: the requests, or a skip reason that says why there are none."""
        if self.run_requests:
            return dg.SensorResult(run_requests=self.run_requests, cursor=self.cursor)
        return dg.SensorResult(skip_reason=dg.SkipReason(self.summary()), cursor=self.cursor)


def default_run_key(obj: ObjectInfo) -> str:
    return f"{obj.key}@{obj.version}"


def run_failure_reason(instance: dg.DagsterInstance, run_id: str) -> str:
    """The root cause of a run's first step error, else its run failure message."""
    step_failures = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    for entry in step_failures:
        event = entry.dagster_event
        error = event.step_failure_data.error if event is not None else None
        if error is not None:
            while error.cause is not None:
                error = error.cause
            return error.message.strip()[:1000]
    run_failures = instance.all_logs(
        run_id, of_type={dg.DagsterEventType.RUN_FAILURE, dg.DagsterEventType.RUN_CANCELED}
    )
    for entry in run_failures:
        if entry.dagster_event is not None and entry.dagster_event.message:
            return entry.dagster_event.message.strip()[:1000]
    return "the run failed without an error message"


@dataclass
class ObjectFeed:
    """An exactly-once feed of the objects under ``prefix``, planned once per sensor tick."""

    lister: ObjectLister
    prefix: str = ""
    policy: FeedPolicy = field(default_factory=FeedPolicy)
    codec: CursorCodec = field(default_factory=JsonCursorCodec)
    clock: Callable[[], float] = time.time

    def plan(self, context: dg.SensorEvaluationContext, build_request: RequestBuilder) -> FeedPlan:
        sensor_name = context.sensor_name
        if not sensor_name:
            raise ValueError("the sensor context has no sensor name; run keys are per sensor")
        state = self.codec.decode(context.cursor)
        tick = _Tick(context.instance, sensor_name, self.policy, self.clock(), state, build_request)
        tick.refresh_pending()
        below = tick.revisit_below_watermark(self.lister)
        tick.walk(self.lister.list_after(self.prefix, state.watermark), below)
        if self.policy.advance_watermark and self.policy.sweep_page_size:
            tick.sweep(self.lister, self.prefix)
        return FeedPlan(
            run_requests=tick.requests,
            cursor=self.codec.encode(state),
            settled=tick.settled,
            in_flight=sorted(tick.in_flight),
            retries_waiting=tick.waiting,
            backlog=tick.backlog,
        )


class _Tick:
    def __init__(
        self,
        instance: dg.DagsterInstance,
        sensor_name: str,
        policy: FeedPolicy,
        now: float,
        state: FeedState,
        build_request: RequestBuilder,
    ) -> None:
        self.instance = instance
        self.sensor_name = sensor_name
        self.policy = policy
        self.now = now
        self.state = state
        self.build_request = build_request
        self.settled_keys = set(state.settled)
        self.requests: list[dg.RunRequest] = []
        self.settled: list[SettledObject] = []
        self.in_flight: set[str] = set()
        self.unlaunched: set[str] = set()
        self.waiting: dict[str, float] = {}
        self.backlog = False
        self.new = 0

    # -- run storage -------------------------------------------------------------------------

    def _latest_run(self, tags: dict[str, str]) -> dg.RunRecord | None:
        filters = dg.RunsFilter(tags={**tags, SENSOR_NAME_TAG: self.sensor_name})
        records = self.instance.get_run_records(filters=filters, limit=1)
        return records[0] if records else None

    def refresh_pending(self) -> None:
        """Bring each pending object up to date with its current run."""
        for key, item in list(self.state.pending.items()):
            if item.run_key is None or item.retry_at is not None:
                continue
            record = self._latest_run({RUN_KEY_TAG: item.run_key})
            if record is None:
                self.unlaunched.add(key)
            else:
                self._apply_run(key, item, record)

    def _apply_run(self, key: str, item: PendingObject, record: dg.RunRecord) -> None:
        status = record.dagster_run.status
        if status == dg.DagsterRunStatus.SUCCESS:
            self._settle(key, Outcome.SUCCEEDED, item.attempt, record.dagster_run.run_id)
        elif status in _FAILED:
            reason = run_failure_reason(self.instance, record.dagster_run.run_id)
            self._attempt_failed(key, item, reason, record.dagster_run.run_id)
        else:
            self.in_flight.add(key)

    def _attempt_failed(
        self, key: str, item: PendingObject, reason: str, run_id: str | None
    ) -> None:
        """Quarantine after the last attempt; else wait the backoff, counted from this tick."""
        item.error = reason
        if item.attempt >= self.policy.max_attempts:
            if run_id is not None:
                self.instance.add_run_tags(run_id, {QUARANTINED_TAG: "true"})
            self._settle(
                key,
                Outcome.QUARANTINED,
                item.attempt,
                run_id,
                f"gave up after {item.attempt} attempt(s): {reason}",
            )
            return
        item.retry_at = self.now + self.policy.backoff_seconds(item.attempt)
        self.state.pending[key] = item
        self.waiting[key] = item.retry_at

    def _settle(
        self,
        key: str,
        outcome: Outcome,
        attempts: int,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.state.pending.pop(key, None)
        self.waiting.pop(key, None)
        self.in_flight.discard(key)
        if key not in self.settled_keys:
            self.settled_keys.add(key)
            self.state.settled.append(key)
        self.settled.append(SettledObject(key, outcome, attempts, run_id, reason))

    # -- the listing -------------------------------------------------------------------------

    def walk(self, listing: Iterable[ObjectInfo], revisited: set[str]) -> None:
        """The listing after the watermark; ``revisited``: pending keys found below it."""
        visited: list[str] = []
        below_watermark = 0  # settled keys the watermark will pass at the end of this tick
        for obj in listing:
            item = self.state.pending.get(obj.key)
            if item is not None:
                self._continue(obj, item)
            elif obj.key not in self.settled_keys:
                if self._full(self.new, below_watermark):
                    self.backlog = True
                    break
                self.new += 1
                self._start(obj)
            visited.append(obj.key)
            if below_watermark == len(visited) - 1 and self._is_settled(obj.key):
                below_watermark += 1
        self._forget_vanished(
            set(visited) | revisited, visited[-1] if self.backlog and visited else None
        )
        if self.policy.advance_watermark:
            self._advance_watermark(visited)
        else:
            overflow = len(self.state.settled) - self.policy.max_settled_keys
            if overflow > 0:
                del self.state.settled[:overflow]

    def _is_settled(self, key: str) -> bool:
        return key in self.settled_keys and key not in self.state.pending

    def _full(self, new: int, below_watermark: int) -> bool:
        if (
            new >= self.policy.max_new_per_tick
            or len(self.state.pending) >= self.policy.max_pending
        ):
            return True
        # With a watermark, settled keys above it are kept until it passes them; an old pending
        # object holds it back, so new objects wait rather than the cursor growing.
        window = len(self.state.settled) - below_watermark + len(self.state.pending)
        return self.policy.advance_watermark and window >= self.policy.max_settled_keys

    def _continue(self, obj: ObjectInfo, item: PendingObject) -> None:
        if item.retry_at is not None:
            if self.now >= item.retry_at:
                self._request(obj, item.attempt + 1)
            else:
                self.waiting[obj.key] = item.retry_at
        elif item.run_key is None or obj.key in self.unlaunched:
            # The request never became a run (the tick that emitted it did not complete):
            # emit it again under the same run key.
            self._request(obj, item.attempt)
        else:
            self.in_flight.add(obj.key)

    def _start(self, obj: ObjectInfo) -> None:
        """A key the cursor does not know: adopt its run if one exists, else request it."""
        record = self._latest_run({KEY_TAG: obj.key})
        if record is None:
            self._request(obj, 1)
        else:
            self._adopt(obj, record)

    def _adopt(self, obj: ObjectInfo, record: dg.RunRecord) -> None:
        """Follow the run an earlier cursor knew: settle, retry, quarantine or wait for it."""
        tags = record.dagster_run.tags
        attempt = int(tags.get(ATTEMPT_TAG, "1"))
        if tags.get(QUARANTINED_TAG) == "true":
            self._settle(obj.key, Outcome.QUARANTINED, attempt, record.dagster_run.run_id)
            return
        item = PendingObject(
            version=tags.get(VERSION_TAG, obj.version),
            attempt=attempt,
            run_key=tags.get(RUN_KEY_TAG),
        )
        self.state.pending[obj.key] = item
        self._apply_run(obj.key, item, record)

    def _request(self, obj: ObjectInfo, attempt: int) -> None:
        self.waiting.pop(obj.key, None)
        try:
            request = self.build_request(obj)
        except Exception as exc:
            item = PendingObject(version=obj.version, attempt=attempt, run_key=None)
            self.state.pending[obj.key] = item
            reason = f"could not build the run request: {type(exc).__name__}: {exc}"
            self._attempt_failed(obj.key, item, reason, None)
            return
        if request is None:
            self._settle(obj.key, Outcome.SKIPPED, attempt)
            return
        base = request.run_key or default_run_key(obj)
        run_key = base if attempt == 1 else f"{base}#{attempt}"
        tags = {
            **request.tags,
            KEY_TAG: obj.key,
            VERSION_TAG: obj.version,
            ATTEMPT_TAG: str(attempt),
        }
        self.requests.append(
            dg.RunRequest(
                run_key=run_key,
                run_config=request.run_config,
                tags=tags,
                job_name=request.job_name,
                asset_selection=request.asset_selection,
                stale_assets_only=request.stale_assets_only,
                partition_key=request.partition_key,
                asset_check_keys=request.asset_check_keys,
            )
        )
        if self.policy.settle_on_request:
            self._settle(obj.key, Outcome.REQUESTED, attempt)
        else:
            self.state.pending[obj.key] = PendingObject(obj.version, attempt, run_key)
            self.in_flight.add(obj.key)

    # -- below the watermark -----------------------------------------------------------------

    def revisit_below_watermark(self, lister: ObjectLister) -> set[str]:
        """Pending objects the sweep found below the watermark, looked up one by one."""
        watermark = self.state.watermark
        found: set[str] = set()
        for key, item in list(self.state.pending.items()):
            if watermark is None or key > watermark:
                continue
            obj = next((o for o in lister.list_after(key, None) if o.key == key), None)
            if obj is not None:
                found.add(key)
                self._continue(obj, item)
        return found

    def sweep(self, lister: ObjectLister, prefix: str) -> None:
        """One page of the pass over the keys below the watermark.

        An object the pass meets that was updated since the previous pass began (less the
        margin) and that no run of this sensor has seen is new: it is requested like any
        other. When the pass reaches the watermark the next one starts from the prefix.
        """
        state, policy = self.state, self.policy
        if state.sweep_started is None:
            # From now on every object named below the watermark is updated after this.
            state.sweep_started = self.now
            state.sweep_since = self.now - policy.sweep_margin_seconds
            state.sweep_after = None
            return
        watermark = state.watermark
        if watermark is None:
            return
        since = state.sweep_since or 0.0
        page: list[ObjectInfo] = []
        done = True
        for obj in lister.list_after(prefix, state.sweep_after):
            if obj.key > watermark:
                break
            page.append(obj)
            if len(page) == policy.sweep_page_size:
                done = False  # the next tick goes on from here (an empty page ends the pass)
                break
        candidates = {
            obj.key
            for obj in page
            if obj.key not in state.pending
            and obj.key not in self.settled_keys
            and (obj.updated is None or obj.updated.timestamp() >= since)
        }
        latest = self._latest_runs_by_key(sorted(candidates))
        for position, obj in enumerate(page):
            record = latest.get(obj.key)
            if obj.key not in candidates or (record is not None and self._is_done(record)):
                continue
            if self.new >= policy.max_new_per_tick or len(state.pending) >= policy.max_pending:
                # The next tick resumes the pass at this object.
                state.sweep_after = page[position - 1].key if position else state.sweep_after
                self.backlog = True
                return
            self.new += 1
            if record is None:
                self._request(obj, 1)
            else:
                self._adopt(obj, record)
        if done:
            state.sweep_since = state.sweep_started - policy.sweep_margin_seconds
            state.sweep_started = self.now
            state.sweep_after = None
        else:
            state.sweep_after = page[-1].key

    def _latest_runs_by_key(self, keys: list[str]) -> dict[str, dg.RunRecord]:
        """The newest run of this sensor for each key, in one query."""
        if not keys:
            return {}
        filters = dg.RunsFilter(tags={KEY_TAG: keys, SENSOR_NAME_TAG: self.sensor_name})
        latest: dict[str, dg.RunRecord] = {}
        for record in self.instance.get_run_records(filters=filters):  # newest first
            latest.setdefault(record.dagster_run.tags[KEY_TAG], record)
        return latest

    @staticmethod
    def _is_done(record: dg.RunRecord) -> bool:
        """A run that settled its object: it succeeded, or it was the quarantined attempt."""
        run = record.dagster_run
        return run.status == dg.DagsterRunStatus.SUCCESS or run.tags.get(QUARANTINED_TAG) == "true"

    def _forget_vanished(self, visited: set[str], stopped_at: str | None) -> None:
        """Pending objects the listing no longer shows: follow running ones, drop the rest."""
        for key, item in list(self.state.pending.items()):
            if key in visited or (stopped_at is not None and key > stopped_at):
                continue
            if key in self.in_flight and key not in self.unlaunched:
                continue
            self._settle(
                key,
                Outcome.VANISHED,
                item.attempt,
                reason="the object is gone from the store before it could be (re)requested",
            )

    def _advance_watermark(self, visited: list[str]) -> None:
        watermark = self.state.watermark
        for key in visited:
            if not self._is_settled(key):
                break
            watermark = key
        if watermark != self.state.watermark and watermark is not None:
            self.state.watermark = watermark
            self.state.settled = [key for key in self.state.settled if key > watermark]
