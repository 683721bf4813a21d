"""SQLite's real variable limit for Django's batch sizes.

Django 5.2 assumes the 999 variables per statement of SQLite builds before 3.32 and splits every bulk insert and
update to fit: 1,000 payments of 12 columns took 13 inserts. The SQLite Python links today says its own limit
(32,766 by default since 3.32); read it when a connection opens, capped so a statement stays a sane size.
"""

from __future__ import annotations

import sqlite3

from django.db.backends.signals import connection_created
from django.dispatch import receiver

CAP = 32_766


@receiver(connection_created)
def use_the_real_variable_limit(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite" or not hasattr(connection.connection, "getlimit"):
        return
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.features.max_query_params = max(999, min(limit, CAP))
