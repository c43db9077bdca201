"""Derived subtotals and the identities (勾稽关系) of the spec, evaluated per document."""

from __future__ import annotations

from govreports.transform.model import Check, Fact
from govreports.transform.reference import S3_COLUMNS, Identity, Reference

TOLERANCE = 1e-6
EMPTY_FLAGS = {"blank", "dash"}  # printed empty or '—': stored 0


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


def unfill_blank_totals(facts: list[Fact], template: str | None, ref: Reference) -> list[Fact]:
    """A total printed empty (or '—') whose printed parts are not all 0 cannot be 0: it was left
    unfilled (some agencies fill in section 四's parts and leave its 总计 cells empty). Its value
    is null, flagged `ambiguous`; its identity still fails, a finding about the source."""
    by_key = {f.key: f for f in facts}
    for identity in ref.identities:
        if template not in identity.templates or identity.op != "==" or len(identity.lhs) != 1:
            continue
        for x in identity.for_each:
            total = by_key.get(identity.lhs[0].format(x=x))
            if total is None or total.value != 0 or not printed_empty(total):
                continue
            parts = [by_key[k.format(x=x)].value for k in identity.rhs if k.format(x=x) in by_key]
            printed = sum(v for v in parts if v is not None)
            if printed > 0:
                total.value = None
                total.flag("ambiguous")
                shown = "'—'" if "dash" in total.flags else "empty"
                total.reason = (
                    f"total printed {shown} while its parts sum to {printed:g} ({identity.id}): not filled in, or 0"
                )
    return facts


def printed_empty(fact: Fact) -> bool:
    return bool(EMPTY_FLAGS & set(fact.flags))


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
    # an empty cell is the 0 it was printed as, also where the total it holds is stored null
    values = {f.key: 0.0 if printed_empty(f) else f.value for f in facts}
    return [c for i in ref.identities if template in i.templates for c in evaluate(i, values)]


def confirm_by_identities(facts: list[Fact], template: str | None, ref: Reference, flag: str) -> list[Fact]:
    """A fact left null (flagged `flag`) with a candidate reading in raw_text gets that value
    only when an equality identity that could not be evaluated without it now holds, and no
    identity it enters fails: the identity then fixes the value, and it is the one read.
    Flagged `identity_resolved`; a reading the identities contradict stays null."""
    ops = {i.id: i.op for i in ref.identities}
    base = _check_states(facts, template, ref)
    for fact in facts:
        reading = _number(fact.raw_text) if fact.value is None and flag in fact.flags else None
        if reading is None:
            continue
        fact.value = reading
        after = _check_states(facts, template, ref)
        opened = {k: ok for k, ok in after.items() if base.get(k) is None and ok is not None}
        confirming = sorted(k[0] for k, ok in opened.items() if ok and ops[k[0]] == "==")
        if confirming and all(opened.values()):
            fact.flag("identity_resolved")
            fact.reason = f"{fact.reason}; confirmed by {', '.join(dict.fromkeys(confirming))}"
            base = after
        else:
            fact.value = None
    return facts


def _check_states(facts: list[Fact], template: str | None, ref: Reference) -> dict[tuple[str, str], bool | None]:
    checks = check_identities(add_derived(list(facts), ref), template, ref)
    return {(c.identity, c.scope): c.passed for c in checks}


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").replace(",", "").replace("−", "-"))
    except ValueError:
        return None
