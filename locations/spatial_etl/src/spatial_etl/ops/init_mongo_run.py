"""``init_mongo_run_op``: the run document, created when a lane job starts.

Asset jobs have no op to put first, so their assets call ``start_run_document`` themselves;
both give the ``runs`` document's ObjectId, which assets record as ``assets.run_id``.
"""

import dagster as dg

from spatial_platform.ledger import LedgerStatus
from spatial_platform.mongodb_resource import MongoDBResource

PARTITION_TAG = "dagster/partition"


def start_run_document(mongodb: MongoDBResource, run: dg.DagsterRun) -> str:
    """Create (once) the ``runs`` document, ``status=running``; the run now owns its manifest.

    The newest run of a batch to start owns the manifest's status, so a re-execution (the
    supported retry) reports its own outcome and a late predecessor cannot overwrite it.
    """
    batch_id = run.tags.get("batch_id")
    if not batch_id:
        raise dg.Failure(
            f"run {run.run_id} has no batch_id tag: lane jobs are launched by the lane "
            "sensors; to launch one by hand, add the batch_id tag of a manifest in the ledger"
        )
    run_object_id = mongodb.insert_run(
        dagster_run_id=run.run_id,
        batch_id=batch_id,
        job_name=run.job_name,
        partition_key=run.tags.get(PARTITION_TAG),
    )
    if not mongodb.update_manifest_status(
        batch_id, LedgerStatus.RUNNING, dagster_run_id=run.run_id
    ):
        raise dg.Failure(
            f"batch_id {batch_id!r} is not in the ledger's manifests: the manifest this run "
            "belongs to was never claimed"
        )
    return run_object_id


@dg.op(
    name="init_mongo_run_op",
    description="Creates the run document (status=running) in the ledger at job start",
    out=dg.Out(str, description="ObjectId of the runs document"),
)
def init_mongo_run_op(context: dg.OpExecutionContext, mongodb: MongoDBResource) -> str:
    run_object_id = start_run_document(mongodb, context.run)
    context.log.info(f"Run document {run_object_id} for batch_id {context.run.tags['batch_id']}")
    return run_object_id
