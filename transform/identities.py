"""Derived subtotals and the identities (勾稽关系) of the spec, evaluated per document."""

from __future__ import annotations

from govreports.transform.model import Check, Fact
from govreports.transform.reference import S3_COLUMNS, Identity, Reference

TOLERANCE = 1e-6


def add_derived(facts: list[Fact], ref: Reference) -> list[Fact]:
    """Group subtotals (s3.r_denied …, s3.r_other from its three parts), never over a printed value."""
    values = {f.key: f.value for f in facts}
    derived: list[Fact] = []
    for rule in ref.derived:
        for col in S3_COLUMNS:
            key = rule["key"].format(c=col)
            parts = [p.format(c=col) for p in rule["parts"]]
            if key in values or not all(p in values for p in parts):
                continue
            if any(values[p] is None for p in parts):
                continue
            value = sum(values[p] for p in parts)
            derived.append(Fact(key, value, method="derived", raw_label="+".join(parts), flags=["derived"]))
            values[key] = value
    return facts + derived


def evaluate(identity: Identity, values: dict[str, float | None]) -> list[Check]:
    checks = []
    for x in identity.for_each:
        lhs_keys = [k.format(x=x) for k in identity.lhs if k.format(x=x) in values]
        rhs_keys = [k.format(x=x) for k in identity.rhs if k.format(x=x) in values]
        if not lhs_keys or not rhs_keys:
            continue  # the document does not print this part of the table
        keys = lhs_keys + rhs_keys
        missing = [k for k in keys if values[k] is None]
        if missing:
            detail = f"{x}: not evaluable, unreadable {', '.join(missing)}"
            checks.append(Check(identity.id, identity.level, x, None, None, None, keys, detail))
            continue
        lhs = sum(values[k] for k in lhs_keys)
        rhs = sum(values[k] for k in rhs_keys)
        passed = abs(lhs - rhs) <= TOLERANCE if identity.op == "==" else lhs <= rhs + TOLERANCE
        relation = {"==": "=", "<=": "≤"}[identity.op] if passed else {"==": "≠", "<=": ">"}[identity.op]
        detail = f"{x or identity.id}: {lhs:g} {relation} {rhs:g}"
        if not passed:
            detail += f" (residual {lhs - rhs:g})"
        checks.append(Check(identity.id, identity.level, x, passed, lhs, rhs, keys, detail))
    return checks


def check_identities(facts: list[Fact], template: str | None, ref: Reference) -> list[Check]:
    values = {f.key: f.value for f in facts}
    return [c for i in ref.identities if template in i.templates for c in evaluate(i, values)]
