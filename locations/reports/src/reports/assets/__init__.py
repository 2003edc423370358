"""The five assets of one report run, partitioned by report."""
