"""Table rows found only in running text (cells flattened, digits run together).

Placeholder: returns nothing yet.
"""

from __future__ import annotations

from transform.model import Fact
from transform.reference import Reference


def facts_from_text(text: str, template: str, ref: Reference) -> list[Fact]:
    return []
