"""Exactly-once feeds of new objects in object stores, for Dagster sensors.

A sensor lists the objects after its cursor's watermark (``ObjectLister``: GCS or S3/MinIO),
and ``ObjectFeed.plan`` turns that listing, the cursor and the runs in the instance into the
run requests of this tick and the next cursor. See the package README for the rules.
"""

from object_feed.cursor import CursorCodec, CursorError, FeedState, JsonCursorCodec, PendingObject
from object_feed.gcs import GcsLister, gcs_client
from object_feed.listing import ObjectInfo, ObjectLister
from object_feed.planner import (
    ATTEMPT_TAG,
    KEY_TAG,
    QUARANTINED_TAG,
    VERSION_TAG,
    FeedPlan,
    FeedPolicy,
    ObjectFeed,
    Outcome,
    RequestBuilder,
    SettledObject,
    default_run_key,
    run_failure_reason,
)
from object_feed.s3 import S3Lister

__all__ = [
    "ATTEMPT_TAG",
    "KEY_TAG",
    "QUARANTINED_TAG",
    "VERSION_TAG",
    "CursorCodec",
    "CursorError",
    "FeedPlan",
    "FeedPolicy",
    "FeedState",
    "GcsLister",
    "JsonCursorCodec",
    "ObjectFeed",
    "ObjectInfo",
    "ObjectLister",
    "Outcome",
    "PendingObject",
    "RequestBuilder",
    "S3Lister",
    "SettledObject",
    "default_run_key",
    "gcs_client",
    "run_failure_reason",
]
