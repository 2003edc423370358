"""A stand-in for the sensor daemon in tests: ticks a sensor and runs what it requests.

``SensorDaemon.tick`` evaluates the sensor with the stored cursor, creates one run per request
the way the daemon does (run key and sensor name tags; a run key that already has a run for
this sensor is skipped) and stores the new cursor. ``finish`` executes the created runs for
real (in process), so outcomes and failure events land in run storage. A new ``SensorDaemon`` on the same
instance with the same cursor is a daemon restart.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.definitions.sensor_definition import SensorExecutionData
from dagster._core.execution.api import execute_run
from dagster._core.storage.tags import RUN_KEY_TAG, SENSOR_NAME_TAG


@dataclass
class SensorDaemon:
    instance: dg.DagsterInstance
    sensor: dg.SensorDefinition
    job: dg.JobDefinition
    resources: Mapping[str, object] | None = None
    cursor: str | None = None
    created: list[dg.DagsterRun] = field(default_factory=list)

    def evaluate(self) -> SensorExecutionData:
        """One evaluation with the stored cursor, changing nothing."""
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            sensor_name=self.sensor.name,
            resources=self.resources,
        )
        return self.sensor.evaluate_tick(context)

    def tick(self) -> SensorExecutionData:
        """Evaluate, create the requested runs (not yet executed) and store the cursor."""
        data = self.evaluate()
        for request in data.run_requests or []:
            tags = {**request.tags, SENSOR_NAME_TAG: self.sensor.name}
            if request.run_key is not None:
                if self._has_run(request.run_key):
                    continue
                tags[RUN_KEY_TAG] = request.run_key
            self.created.append(
                self.instance.create_run_for_job(self.job, run_config=request.run_config, tags=tags)
            )
        if data.cursor is not None:
            self.cursor = data.cursor
        return data

    def finish(self) -> list[dg.DagsterRunStatus]:
        """Execute every created run, in order; their final statuses."""
        statuses = []
        job = InMemoryJob(self.job.with_executor_def(dg.in_process_executor))
        for run in self.created:
            execute_run(job, run, self.instance)
            finished = self.instance.get_run_by_id(run.run_id)
            assert finished is not None
            statuses.append(finished.status)
        self.created.clear()
        return statuses

    def _has_run(self, run_key: str) -> bool:
        filters = dg.RunsFilter(tags={RUN_KEY_TAG: run_key, SENSOR_NAME_TAG: self.sensor.name})
        return bool(self.instance.get_run_records(filters=filters, limit=1))
