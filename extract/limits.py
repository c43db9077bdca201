"""The resource limits of data/reference/limits.json, each overridable by an environment
variable (max_inflated_mb → GOVREPORTS_MAX_INFLATED_MB)."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

LIMITS_JSON = Path(__file__).resolve().parents[1] / "data" / "reference" / "limits.json"


@cache
def _defaults() -> dict[str, float]:
    data = json.loads(LIMITS_JSON.read_text(encoding="utf-8"))
    return {k: float(v) for k, v in data.items() if not k.startswith("_")}


def limit(name: str) -> float:
    """The limit's value: the environment's when set (and a number), else the default."""
    default = _defaults()[name]
    raw = os.environ.get(f"GOVREPORTS_{name.upper()}")
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def check_table_rows(rows: int) -> None:
    """Refuse a table longer than max_table_rows before its rows are read: a report's longest
    table has under 100, and every later step costs time and memory per row."""
    from govreports.extract.model import RejectedInput

    most = int(limit("max_table_rows"))
    if rows > most:
        raise RejectedInput(f"a table has {rows} rows, over the limit of {most} (max_table_rows)")
