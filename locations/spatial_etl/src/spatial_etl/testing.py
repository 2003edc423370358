"""Test helpers: a landing bucket writer and a stand-in for the sensor daemon."""

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster.components.testing.utils import component_defs

from spatial_etl.components.manifest_lanes import ManifestLanes
from spatial_etl.intake.lanes import Lane
from spatial_etl.intake.tick import DATASET_PARTITIONS, RUN_KEY_TAG
from spatial_platform.minio_resource import MinIOResource

SENSOR_NAME_TAG = "dagster/sensor_name"
DATASETS = dg.DynamicPartitionsDefinition(name=DATASET_PARTITIONS)


@dataclass
class Landing:
    """Writes manifests and their files to the test's landing bucket."""

    minio: MinIOResource

    def path(self, key: str) -> str:
        return f"s3://{self.minio.landing_bucket}/{key}"

    def put_file(self, key: str, data: bytes = b"data") -> str:
        self.minio.put_object(self.minio.landing_bucket, key, data)
        return self.path(key)

    def put_manifest(self, document: dict[str, Any] | bytes, name: str | None = None) -> str:
        raw = document if isinstance(document, bytes) else json.dumps(document).encode()
        if name is None:
            assert isinstance(document, dict)
            name = str(document["batch_id"])
        key = f"manifests/{name}.json"
        self.minio.put_object(self.minio.landing_bucket, key, raw, "application/json")
        return key

    def manifest(self, intent: str, batch_id: str, **metadata: Any) -> dict[str, Any]:
        """A valid manifest for ``intent`` whose files exist in the landing bucket."""
        kind, fmt, suffix = {
            "ingest_raster": ("raster", "GTiff", "tif"),
            "ingest_tabular": ("tabular", "CSV", "csv"),
        }.get(intent, ("vector", "GeoJSON", "geojson"))
        files = []
        if intent != "join_datasets":
            path = self.put_file(f"{batch_id}/input.{suffix}")
            files.append({"path": path, "type": kind, "format": fmt})
        return {
            "batch_id": batch_id,
            "uploader": "tester",
            "intent": intent,
            "files": files,
            "metadata": {"project": "TEST", **metadata},
        }

    def landing_keys(self, prefix: str = "") -> list[str]:
        return sorted(self.minio.list_keys(self.minio.landing_bucket, prefix))


@dataclass
class Tick:
    sensor: str
    run_requests: list[dg.RunRequest]
    created: list[dg.RunRequest]
    skip_message: str | None
    cursor: str | None


@dataclass
class SensorDaemon:
    """Ticks sensors as the sensor daemon does: one cursor per sensor, dynamic partitions
    added, and a run created for each run request whose run key has no run yet."""

    instance: dg.DagsterInstance
    repository: dg.RepositoryDefinition
    resources: dict[str, Any]
    cursors: dict[str, str | None] = field(default_factory=dict)
    last_evaluation_seconds: float | None = None
    execute: bool = False
    """Run each created run in process (else it is only created, as queued runs are)."""

    def tick(self, name: str) -> Tick:
        context = dg.build_sensor_context(
            instance=self.instance,
            instance_ref=self.instance.get_ref(),
            sensor_name=name,
            cursor=self.cursors.get(name),
            resources=self.resources,
            repository_def=self.repository,
        )
        started = time.perf_counter()
        data = self.repository.get_sensor_def(name).evaluate_tick(context)
        self.last_evaluation_seconds = time.perf_counter() - started
        for request in data.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
        created = [r for r in data.run_requests or [] if self._create_run(name, r)]
        if data.cursor is not None:
            self.cursors[name] = data.cursor
        return Tick(name, list(data.run_requests or []), created, data.skip_message, data.cursor)

    def _create_run(self, sensor: str, request: dg.RunRequest) -> bool:
        assert request.run_key is not None and request.job_name is not None
        existing = self.instance.get_run_records(
            dg.RunsFilter(tags={RUN_KEY_TAG: request.run_key}), limit=1
        )
        if existing:
            return False
        tags = {**request.tags, RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: sensor}
        if request.partition_key:
            tags["dagster/partition"] = request.partition_key
        job = self.repository.get_job(request.job_name)
        if self.execute:
            job.execute_in_process(
                run_config=request.run_config,
                instance=self.instance,
                tags={k: v for k, v in tags.items() if k != "dagster/partition"},
                partition_key=request.partition_key,
                raise_on_error=False,
            )
        else:
            self.instance.create_run_for_job(job, run_config=request.run_config, tags=tags)
        return True

    def runs(self) -> list[dg.DagsterRun]:
        return list(self.instance.get_runs())


def standin_lane_defs(lanes: Sequence[Lane]) -> dg.Definitions:
    """Jobs with the lanes' names and partitioning, for sensors tested without the assets."""
    assets: list[dg.AssetsDefinition] = []
    jobs: list[Any] = []
    for lane in lanes:
        if lane.partitioned:

            @dg.asset(name=f"{lane.name}_standin", partitions_def=DATASETS)
            def standin() -> None: ...

            assets.append(standin)
            jobs.append(dg.define_asset_job(lane.job, selection=[standin]))
        else:

            @dg.op(name=f"{lane.name}_standin_op")
            def standin_op() -> None: ...

            jobs.append(dg.GraphDefinition(name=lane.job, node_defs=[standin_op]).to_job())
    return dg.Definitions(assets=assets, jobs=jobs)


def lane_daemon(
    instance: dg.DagsterInstance, lanes: ManifestLanes, resources: dict[str, object]
) -> SensorDaemon:
    defs = dg.Definitions.merge(
        component_defs(component=lanes),
        standin_lane_defs(lanes.lanes),
        dg.Definitions(resources=resources),
    )
    return SensorDaemon(instance, defs.get_repository_def(), dict(resources))
