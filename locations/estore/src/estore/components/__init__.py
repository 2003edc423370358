"""Component types this location registers with dg (``registry_modules``)."""

from estore.components.dbt_automation import EstoreDbtAutomation
from estore.components.dbt_project import EstoreDbtProject

__all__ = ["EstoreDbtAutomation", "EstoreDbtProject"]
