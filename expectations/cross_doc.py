"""Cross-document checks as SQL views over the warehouse (carry-over, duplicates, deadlines).

Placeholder until the validation work lands: every document is its own primary copy.
"""

from __future__ import annotations

import duckdb


def create_cross_doc_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create `document_choice(doc_id, is_primary, reason)` and the cross-document check views."""
    con.execute(
        "CREATE OR REPLACE VIEW document_choice AS "
        "SELECT doc_id, TRUE AS is_primary, 'only copy' AS reason FROM documents"
    )
