"""``manifest_sensor``, ``spatial_sensor``, ``tabular_sensor``, ``join_sensor``: one sensor per
lane, each built from its lane in ``defs/lanes/defs.yaml``."""

import dagster as dg

from platform_alerting import Alert
from spatial_etl.intake.lanes import Lane, Routing
from spatial_etl.intake.tick import RUN_KEY_TAG, LaneTick
from spatial_platform.minio_resource import MinIOResource
from spatial_platform.mongodb_resource import MongoDBResource


def _description(lane: Lane, routing: Routing) -> str:
    text = f"Launches {lane.job} for manifests with intent in {lane.intents}"
    if lane.traffic_controlled:
        text += " while MANIFEST_ROUTER_ENABLED_LANES enables the lane (legacy)"
    if lane.quarantine:
        text += "; records invalid manifests and unrouted intents as failure and archives them"
    others = [other.name for other in routing.lanes if other.name != lane.name]
    return text + f". Leaves other lanes' manifests ({', '.join(others)}) to their sensors."


def build_lane_sensor(
    lane: Lane,
    routing: Routing,
    batch_size: int,
    default_status: dg.DefaultSensorStatus,
    alert_channel: str,
) -> dg.SensorDefinition:
    @dg.sensor(
        name=lane.sensor,
        job_name=lane.job,
        minimum_interval_seconds=lane.minimum_interval_seconds,
        default_status=default_status,
        description=_description(lane, routing),
        tags={"lane": lane.name},
    )
    def _lane_sensor(
        context: dg.SensorEvaluationContext, minio: MinIOResource, mongodb: MongoDBResource
    ) -> dg.SensorResult:
        def existing_run_keys(keys: list[str]) -> set[str]:
            filters = dg.RunsFilter(tags={RUN_KEY_TAG: keys})
            records = context.instance.get_run_records(filters=filters)
            return {r.dagster_run.tags.get(RUN_KEY_TAG, "") for r in records}

        def alert(message: Alert) -> None:
            from platform_alerting import sink_for_environment

            sink_for_environment(alert_channel).send(message)

        tick = LaneTick(
            lane=lane,
            routing=routing,
            minio=minio,
            mongodb=mongodb,
            log=context.log,
            existing_run_keys=existing_run_keys,
            alert=alert,
            batch_size=batch_size,
        )
        return tick.evaluate(context)

    return _lane_sensor
