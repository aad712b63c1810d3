"""The whole schema on one MetaData: the core tables and every topic module's.

Topic tables live in their own modules (`tables_<topic>.py`) on `tables.Base`; importing this
module registers them all, so migrations and schema checks see every table. Import `metadata`
from here, not from a topic module.
"""

from adapters.sqlalchemy import (
    tables_audit,
    tables_drawer,
    tables_events,
    tables_reports,
    tables_staff,
)
from adapters.sqlalchemy.tables import metadata

TOPIC_MODULES = (tables_audit, tables_events, tables_staff, tables_drawer, tables_reports)

__all__ = ["TOPIC_MODULES", "metadata"]
