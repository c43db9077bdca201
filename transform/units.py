"""Money units: every amount key normalised to its spec unit, the printed unit kept.

Reports print 采购总金额 as `809100元` in the cell, under a header `采购总金额（元）`, or
with no unit at all; fee and budget rows print 元 or 万元 in a unit column or in the
label. The units a report may print and their size in 元 are data/reference/units.csv;
which keys are amounts comes from the mapping tables (a row or column whose unit is a
money unit, or whose value kind is `amount`), and the unit of a key the spec leaves
unconfirmed, with the plausible size of each amount, from data/reference/amounts.csv.

A fact keeps the printed unit in `unit` and the printed cell in `raw_text`; its value
is in the key's spec unit. No unit printed: the spec unit is assumed and a nonzero fact
is flagged `unit_assumed`. A value whose size in 元 is implausible for the key is flagged
`unit_implausible`; when its unit was only assumed as well, the value is a guess and
becomes null with the reason.
"""

from __future__ import annotations

import csv
import fnmatch
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from govreports.data import REFERENCE_DIR
from govreports.transform.model import Fact
from govreports.transform.reference import Reference

PRECISION = 8  # decimals kept after scaling: 0.01 元 is 0.000001 万元
COUNT_UNIT_CHARS = "人次件个项条篇"  # what a count is printed in ('万人次' is no money)


@dataclass(frozen=True)
class Unit:
    printed: str
    unit: str  # the canonical name ('人民币元' → '元')
    yuan: float


@dataclass(frozen=True)
class AmountRule:
    pattern: str
    spec_unit: str  # '' → the unit the mapping tables give the key
    min_yuan: float
    max_yuan: float
    why: str


@dataclass(frozen=True)
class Amount:
    key: str
    spec_unit: str
    rule: AmountRule


def _read(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def units() -> dict[str, Unit]:
    """Printed spelling → unit (data/reference/units.csv)."""
    return {r["printed"]: Unit(r["printed"], r["unit"], float(r["yuan"])) for r in _read("units.csv")}


def money_units() -> tuple[str, ...]:
    """Printed spellings, longest first (so '万元' is tried before '元')."""
    return tuple(sorted(units(), key=len, reverse=True))


def is_money(printed: str | None) -> bool:
    return bool(printed) and printed in units()


@cache
def _unit_in_text() -> re.Pattern[str]:
    alt = "|".join(map(re.escape, money_units()))
    # '（元）', '(单位：万元)', '【万元】', '单位:元' — after NFKC the full-width brackets and colon are ASCII
    # '单位：万人次' is a count: a unit after 单位 counts only when no count unit follows it
    return re.compile(rf"[(\[【]\s*(?:单位\s*:?\s*)?({alt})\s*[)\]】]|单位\s*:?\s*({alt})(?![{COUNT_UNIT_CHARS}])")


def unit_in_text(text: str | None) -> str | None:
    """The money unit a header or row label prints ('采购总金额（元）' → '元'), or None."""
    if not text:
        return None
    m = _unit_in_text().search(unicodedata.normalize("NFKC", text))
    return (m.group(1) or m.group(2)) if m else None


@cache
def amount_rules() -> tuple[AmountRule, ...]:
    return tuple(
        AmountRule(r["pattern"], r["spec_unit"], float(r["min_yuan"]), float(r["max_yuan"]), r["why"])
        for r in _read("amounts.csv")
    )


def _rule_for(key: str) -> AmountRule:
    return next(r for r in amount_rules() if fnmatch.fnmatchcase(key, r.pattern))


def _amount(key: str, unit: str, kind: str = "") -> Amount | None:
    """An amount when the mapping tables give it a money unit or the kind `amount`."""
    unit = unit.strip()
    if not is_money(unit) and kind != "amount":
        return None
    rule = _rule_for(key)
    spec = units()[unit].unit if is_money(unit) else rule.spec_unit
    return Amount(key, spec, rule)


_AMOUNTS: dict[int, dict[str, Amount]] = {}  # per Reference object (it is loaded once)


def _amounts_of(ref: Reference) -> dict[str, Amount]:
    out: dict[str, Amount] = {}
    for r in ref.rows:
        if not r.key:
            continue
        if r.section == "legacy":
            found = [_amount(r.key, r.unit)]
        elif r.section == "s2":
            columns = ref.columns_for(r.template, "s2", r.block)
            found = [_amount(f"{r.key}.{c.column_key}", c.unit, c.value_kind) for c in columns]
        else:
            found = []
        out.update((a.key, a) for a in found if a is not None)
    return out


def amount_keys(ref: Reference) -> dict[str, Amount]:
    """Full unified key → its spec unit and plausible size, for every amount key of the mapping tables."""
    if id(ref) not in _AMOUNTS:
        _AMOUNTS[id(ref)] = _amounts_of(ref)
    return _AMOUNTS[id(ref)]


def unit_factors() -> set[float]:
    """Every ratio between two different printed units (10, 1000, 10000 … and their inverses)."""
    sizes = {u.yuan for u in units().values()}
    return {a / b for a in sizes for b in sizes if a != b}


def is_unit_factor(got: float, want: float) -> bool:
    """True when got is want scaled by a unit factor (a value left in 元 where 万元 was meant)."""
    if not want or not got:
        return False
    return any(math.isclose(got / want, f, rel_tol=1e-6) for f in unit_factors())


# -- facts ------------------------------------------------------------------------------


def normalise_amounts(facts: list[Fact], ref: Reference) -> list[Fact]:
    amounts = amount_keys(ref)
    for fact in facts:
        amount = amounts.get(fact.key) or printed_amount(fact)
        if amount is not None:
            normalise(fact, amount)
        elif is_money(fact.unit) and fact.value and fact.unit in (fact.raw_text or ""):
            refuse_money_on_count(fact)  # the cell itself prints money; a row's or header's unit may be another cell's
    return facts


def printed_amount(fact: Fact) -> Amount | None:
    """A key the mapping tables do not know (legacy.raw.<label>) is an amount when it prints a money unit
    and amounts.csv has a rule of its own for it (not the catch-all '*')."""
    if not is_money(fact.unit):
        return None
    rule = _rule_for(fact.key)
    return Amount(fact.key, rule.spec_unit, rule) if rule.pattern != "*" and rule.spec_unit else None


def refuse_money_on_count(fact: Fact) -> Fact:
    """A count whose cell prints a money unit ('1.2万', '5元') is contradictory: null, never scaled."""
    fact.reason = f"printed with the money unit {fact.unit!r}, but {fact.key} is no amount: {fact.raw_text!r}"
    fact.value = None
    return fact.flag("unreadable")


def normalise(fact: Fact, amount: Amount) -> Fact:
    """Scale the value from its printed unit to the key's spec unit; flag assumed or implausible units."""
    if fact.value is None:
        return fact
    printed = fact.unit if is_money(fact.unit) else None
    if fact.unit and printed is None:
        fact.reason = f"{fact.unit!r} is not a unit of money; {amount.key} is in {amount.spec_unit}"
        fact.value = None
        return fact.flag("unreadable")
    if printed is None:
        printed = amount.spec_unit
        fact.unit = amount.spec_unit
        if fact.value != 0:  # 0 is 0 in every unit: nothing was assumed about it
            fact.flag("unit_assumed")
    source, spec = units()[printed], units()[amount.spec_unit]
    fact.value = round(fact.value * source.yuan / spec.yuan, PRECISION)
    yuan = abs(fact.value) * spec.yuan
    if fact.value == 0 or amount.rule.min_yuan <= yuan <= amount.rule.max_yuan:
        return fact
    fact.flag("unit_implausible")
    why = (
        f"{yuan:g} 元 is outside {amount.rule.min_yuan:g}..{amount.rule.max_yuan:g} 元 for this key ({amount.rule.why})"
    )
    if "unit_assumed" in fact.flags:
        fact.reason = f"no unit printed and {amount.spec_unit} is implausible: {why}"
        fact.value = None
    else:
        fact.reason = f"printed in {printed}, kept as printed: {why}"
    return fact
