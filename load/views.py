"""Analyst views over the base tables (documents, facts, checks).

Called by load.warehouse.build_warehouse after the base views exist.
"""

from __future__ import annotations

import duckdb


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create the analyst views. The base views documents/facts/checks already exist."""
    return None
