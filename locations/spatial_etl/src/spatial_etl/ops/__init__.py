"""Ops shared by the lane jobs."""
