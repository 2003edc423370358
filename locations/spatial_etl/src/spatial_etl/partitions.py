"""``dataset_id``: the dynamic partitions of every lane asset (one partition per dataset)."""

import dagster as dg

DATASET_PARTITIONS_NAME = "dataset_id"

dataset_partitions = dg.DynamicPartitionsDefinition(name=DATASET_PARTITIONS_NAME)
