"""Seeded values that obey the identities of data/reference/identities.json.

Counts are mostly small, a few large, and far from all zero, as in real reports.
Row and column keys come from transform.reference; only the *sizes* live here.
"""

from __future__ import annotations

import math
import random
from collections import Counter

from govreports.transform.reference import S3_COLUMNS, Identity, reference

APPLICANT_COLUMNS = S3_COLUMNS[:-1]
S3_EDGE_ROWS = ("new_received", "carried_over_from_prev", "r_total", "carried_to_next")

# Share of requests per outcome row (s3 leaf rows); unlisted rows get 1.
OUTCOME_WEIGHTS = {
    "r_granted": 40,
    "r_partial": 8,
    "r_denied_third_party": 2,
    "r_denied_process_info": 2,
    "r_unable_not_held": 20,
    "r_unable_need_creation": 3,
    "r_unable_unclear": 3,
    "r_rejected_petition": 3,
    "r_rejected_repeat": 4,
    "r_other_no_correction": 3,
    "r_other_fee_unpaid": 0.3,
    "r_other_misc": 4,
    "r_other": 7,
}
# (probability the column has any request, typical size) per applicant column.
APPLICANT_ACTIVITY = {
    "natural_person": (0.95, 60),
    "commercial_enterprise": (0.6, 6),
    "research_institution": (0.1, 1),
    "social_welfare_org": (0.15, 1),
    "legal_service_org": (0.35, 3),
    "other_org": (0.3, 2),
}
# Legacy rows: typical size by key prefix (first match wins); '.' marks a decimal (万元).
LEGACY_SIZES = (
    ("site_page_views", 200000),
    ("ch_website", 1500),
    ("active_via_website", 1500),
    ("active_normative", 15),
    ("active", 1500),
    ("ch_", 200),
    ("new_normative", 20),
    ("service_info", 300),
    ("on_request_catalogue", 100),
    ("onsite_visitors", 300),
    ("online_consultations", 200),
    ("phone_consultations", 400),
    ("normative_docs_issued", 20),
    ("hot_topics", 60),
    ("policy_interpretations", 40),
    ("weibo_weixin", 30),
    ("trainees", 200),
    ("exam_participants", 200),
    ("req_closed_extended", 1),
    ("req_", 12),
    ("reply_granted", 5),
    ("reply_", 1),
    ("refused_", 1),
    ("fees_collected", "."),
    ("budget", "."),
    ("fee_waiver", 500),
    ("staff_", 4),
    ("org_units", 2),
    ("reading_points", 8),
)


def skewed(rng: random.Random, typical: float) -> int:
    """A count around `typical`, long-tailed: mostly small, now and then large."""
    if typical <= 0:
        return 0
    return int(rng.lognormvariate(math.log(typical), 1.0))


def decimal_wan_yuan(rng: random.Random, typical: float) -> float:
    return round(rng.lognormvariate(math.log(typical), 1.2), 2)


# ---------------------------------------------------------------- section 三


def s3_leaf_rows(template: str, other_single: bool) -> list[str]:
    """Outcome rows that carry values (group headers excluded) in printed order."""
    rows = [r for r in reference().rows_for(template, "s3") if r.row_key not in S3_EDGE_ROWS]
    if other_single:
        rows = [r for r in rows if not r.row_key.startswith("r_other_")]
        return [r.row_key for r in rows if not r.derived or r.row_key == "r_other"]
    return [r.row_key for r in rows if not r.derived]


def s3_values(rng: random.Random, template: str, other_single: bool = False) -> dict[str, int]:
    leaves = s3_leaf_rows(template, other_single)
    weights = [OUTCOME_WEIGHTS.get(k, 1) for k in leaves]
    out: dict[str, int] = {}
    for col in APPLICANT_COLUMNS:
        chance, typical = APPLICANT_ACTIVITY[col]
        closed = skewed(rng, typical) if rng.random() < chance else 0
        counts = Counter(rng.choices(leaves, weights, k=closed))
        for k in leaves:
            out[f"s3.{k}.{col}"] = counts[k]
        carried_next = rng.randint(0, max(0, closed // 8))
        carried_prev = rng.randint(0, min(closed + carried_next, max(0, closed // 8)))
        out[f"s3.r_total.{col}"] = closed
        out[f"s3.carried_to_next.{col}"] = carried_next
        out[f"s3.carried_over_from_prev.{col}"] = carried_prev
        out[f"s3.new_received.{col}"] = closed + carried_next - carried_prev
    for row in {k.split(".")[1] for k in out}:
        out[f"s3.{row}.total"] = sum(out[f"s3.{row}.{c}"] for c in APPLICANT_COLUMNS)
    return out


# ---------------------------------------------------------------- section 四


def s4_values(rng: random.Random) -> dict[str, int]:
    out: dict[str, int] = {}
    for group, busy in (("review", 0.6), ("lit_direct", 0.35), ("lit_after_review", 0.3)):
        parts = {"upheld": 0, "corrected": 0, "other": 0, "pending": 0}
        if rng.random() < busy:
            parts = {
                "upheld": skewed(rng, 3),
                "corrected": rng.choice((0, 0, 0, 1, 2)),
                "other": rng.choice((0, 0, 1, 2)),
                "pending": rng.choice((0, 0, 1, 3)),
            }
        for name, v in parts.items():
            out[f"s4.{group}_{name}"] = v
        out[f"s4.{group}_total"] = sum(parts.values())
    return out


# ---------------------------------------------------------------- section 二


def s2_cell(rng: random.Random, row: str, column: str, done: dict[str, float]) -> float:
    """One section 二 cell; `done` holds the row's earlier columns (cumulative ≥ yearly)."""
    small = row == "regulations" or row == "other_admin_services"
    scale = 0.1 if small else 1.0
    if column in ("issued_this_year",):
        return skewed(rng, 12 * scale)
    if column == "repealed_this_year":
        return skewed(rng, 4 * scale)
    if column == "in_force":
        return done["issued_this_year"] + skewed(rng, 80 * scale)
    if column == "published_this_year":
        return max(0, done["issued_this_year"] - rng.choice((0, 0, 1)))
    if column == "total_published_cumulative":
        return done["published_this_year"] + skewed(rng, 150 * scale)
    if column == "decisions_this_year":
        return skewed(rng, {"admin_coercion": 40}.get(row, 600) * scale)
    if column == "items_prev_year":
        return skewed(rng, 120 * scale)
    if column == "items_change":
        return max(-done["items_prev_year"], rng.randint(-15, 12))
    if column == "fee_amount_wan_yuan":
        return 0 if rng.random() < 0.3 else decimal_wan_yuan(rng, 300)
    if column == "procurement_projects":
        return skewed(rng, 40)
    if column == "procurement_amount":  # in 元; layout rescales it when printed in 万元
        return round(rng.lognormvariate(math.log(2e7), 1.2), rng.choice((0, 2)))
    raise KeyError(f"no value model for column {column}")


def s2_values(rng: random.Random, template: str, hubei: bool = False) -> dict[str, float]:
    ref = reference()
    out: dict[str, float] = {}
    for row in ref.rows_for(template, "s2"):
        if row.row_key == "other_active_docs" and not hubei:
            continue
        done: dict[str, float] = {}
        for col in sorted(ref.columns_for(template, "s2", row.block), key=lambda c: c.order):
            done[col.column_key] = s2_cell(rng, row.row_key, col.column_key, done)
            out[f"{row.key}.{col.column_key}"] = done[col.column_key]
    return out


def gov_values(rng: random.Random, template: str, other_single: bool = False, hubei: bool = False) -> dict:
    return {**s2_values(rng, template, hubei), **s3_values(rng, template, other_single), **s4_values(rng)}


# ---------------------------------------------------------------- legacy tables


def legacy_size(key: str) -> int | str:
    name = key.removeprefix("legacy.")
    return next((size for prefix, size in LEGACY_SIZES if name.startswith(prefix)), 3)


def legacy_values(rng: random.Random, keys: list[str]) -> dict[str, float]:
    """Random leaves, then every '<=' identity (其中 rows) and '==' identity (totals) enforced."""
    out: dict[str, float] = {}
    for key in keys:
        size = legacy_size(key)
        if rng.random() < 0.25:
            out[key] = 0
        else:
            out[key] = decimal_wan_yuan(rng, 3) if size == "." else skewed(rng, size)
    legacy = [i for i in reference().identities if "legacy_stats" in i.templates]
    for ident in (i for i in legacy if i.op == "<="):
        for lhs, rhs in instances(ident, present=out):
            if lhs and rhs and sum(out[k] for k in lhs) > sum(out[k] for k in rhs):
                out[rhs[0]] += sum(out[k] for k in lhs) - sum(out[k] for k in rhs) + rng.randint(0, 2)
    for ident in (i for i in legacy if i.op == "=="):
        for lhs, rhs in instances(ident, present=out):
            if len(lhs) == 1 and rhs:
                out[lhs[0]] = sum(out[k] for k in rhs)
    return out


# ---------------------------------------------------------------- identities


def instances(ident: Identity, present: dict | None = None) -> list[tuple[list[str], list[str]]]:
    """Each for_each instance of an identity as (lhs keys, rhs keys), limited to present keys."""
    out = []
    for x in ident.for_each:
        lhs = [k.replace("{x}", x) for k in ident.lhs]
        rhs = [k.replace("{x}", x) for k in ident.rhs]
        if present is not None:
            lhs, rhs = [k for k in lhs if k in present], [k for k in rhs if k in present]
        out.append((lhs, rhs))
    return out


def with_derived(values: dict[str, float]) -> dict[str, float]:
    """Add the derived subtotals (s3.r_other from its three parts, …) that are not printed."""
    out = dict(values)
    for d in reference().derived:
        for c in S3_COLUMNS:
            key, parts = d["key"].replace("{c}", c), [p.replace("{c}", c) for p in d["parts"]]
            if key not in out and any(p in out for p in parts):
                out[key] = sum(out.get(p, 0) for p in parts)
    return out


def failing_identities(values: dict[str, float], template: str) -> list[str]:
    """Identity ids (official, structural and L_*) that the printed values break, sorted."""
    full = with_derived(values)
    failed: set[str] = set()
    for ident in reference().identities:
        if template not in ident.templates or (ident.level == "heuristic" and not ident.id.startswith("L_")):
            continue
        for lhs, rhs in instances(ident, present=full):
            if not lhs or not rhs:
                continue
            left, right = sum(full[k] for k in lhs), sum(full[k] for k in rhs)
            ok = abs(left - right) < 1e-6 if ident.op == "==" else left <= right + 1e-6
            if not ok:
                failed.add(ident.id)
    return sorted(failed)
