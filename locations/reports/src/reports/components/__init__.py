"""Component types this location registers with dg (``registry_modules``)."""

from reports.components.reports_orchestrator import ReportsOrchestrator

__all__ = ["ReportsOrchestrator"]
