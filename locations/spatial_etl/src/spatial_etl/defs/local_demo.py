"""The local demo's seed sensor (``local`` environment only): see ``spatial_etl.local_demo``."""

import dagster as dg

from spatial_etl.local_demo import demo_definitions


@dg.definitions
def local_demo() -> dg.Definitions:
    return demo_definitions()
