"""The warehouse as the pipelines build it: the load's views, then validation's.

load/ never imports expectations/ (the layering rule); this is where the two meet. Every command
that builds the warehouse (ingest, warehouse, publish, the flows) calls this `build_warehouse`.
"""

from __future__ import annotations

from pathlib import Path

from govreports.expectations.cross_doc import create_cross_doc_views
from govreports.expectations.plausibility import create_plausibility_view
from govreports.load import warehouse

# after the analyst views: the cross-document checks read document_choice and agency_names, plausibility reads yoy
VALIDATION_VIEWS = (create_cross_doc_views, create_plausibility_view)


def build_warehouse(out_dir: Path) -> Path:
    """DIR/warehouse.duckdb with the load's views and the validation views (load.warehouse.build_warehouse)."""
    return warehouse.build_warehouse(out_dir, extra_views=VALIDATION_VIEWS)
