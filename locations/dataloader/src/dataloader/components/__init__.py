"""Component types this location registers with dg (``registry_modules``)."""

from dataloader.components.control_plane import DataloaderControlPlane
from dataloader.components.loads_on_schedule import LoadsOnSchedule
from dataloader.components.table_load import TableLoad

__all__ = ["DataloaderControlPlane", "LoadsOnSchedule", "TableLoad"]
