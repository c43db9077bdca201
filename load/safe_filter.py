"""A user's `--where` filter, checked before it reaches DuckDB: one boolean expression over one view's columns.

The text is parsed with sqlglot and every node of the tree must be on an allowlist: column names of the view,
literals, comparisons, boolean and arithmetic operators, CASE, casts and a set of plain scalar functions. So a
filter cannot run a statement (`; DROP …`, `COPY … TO`), read a file or another table (`read_text(…)`,
`read_csv(…)`, a subquery), or call a function that reaches outside the row (`getenv`). What DuckDB runs is the
SQL regenerated from the checked tree, never the user's text, so a difference between the two parsers cannot
smuggle anything past the check.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

DIALECT = "duckdb"

# Operators and building blocks of an expression (sqlglot node classes); each one only combines its children.
ALLOWED_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Tuple,
    exp.Neg,
    exp.Not,
    exp.And,
    exp.Or,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Glob,
    exp.SimilarTo,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.IntDiv,
    exp.Mod,
    exp.DPipe,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.TryCast,
    exp.DataType,
    exp.Interval,
    exp.Var,  # the unit of an INTERVAL or EXTRACT (YEAR, DAY)
)

# Scalar functions a filter may call, by the name DuckDB runs: each reads only its arguments.
ALLOWED_FUNCTIONS = frozenset(
    {
        "abs",
        "ceil",
        "coalesce",
        "concat",
        "contains",
        "ends_with",
        "extract",
        "floor",
        "greatest",
        "isnan",
        "least",
        "left",
        "length",
        "lower",
        "nullif",
        "prefix",
        "regexp_full_match",
        "regexp_matches",
        "replace",
        "right",
        "round",
        "starts_with",
        "strpos",
        "strlen",
        "substring",
        "suffix",
        "trim",
        "upper",
        "year",
    }
)


class FilterError(ValueError):
    """A `--where` text that is not one safe boolean expression over the view's columns (one-line message)."""


def checked_filter(text: str, columns: Collection[str], view: str) -> str:
    """The DuckDB SQL of `text` once it is known to be one expression over `columns`; else FilterError."""
    tree = parse_expression(text)
    if any(tree.find_all(exp.Query, exp.Subquery, exp.Table)):
        raise FilterError("subqueries and tables are not allowed in a filter: it reads only the view's own columns")
    for node in tree.walk():
        check_node(node, columns, view)
    # Comments are dropped: nothing but the checked tree reaches DuckDB.
    return tree.sql(dialect=DIALECT, comments=False)


def parse_expression(text: str) -> exp.Expression:
    if not text.strip():
        raise FilterError("the filter is empty")
    try:
        trees = [tree for tree in sqlglot.parse(text, read=DIALECT) if tree is not None]
        tokens = sqlglot.tokenize(text, read=DIALECT)
    except (ParseError, TokenError) as exc:
        raise FilterError(f"the filter does not parse: {parse_message(exc)}") from exc
    if not trees:
        raise FilterError("the filter is empty")
    if any(token.token_type == TokenType.TILDE for token in tokens):
        # sqlglot reads `~` as a match anywhere, DuckDB as a whole-text match: refused rather than changed.
        raise FilterError(
            "the ~ operator is not allowed in a filter: write regexp_full_match(column, 'pattern') (whole text) "
            "or regexp_matches(column, 'pattern') (anywhere in the text)"
        )
    if len(trees) != 1:
        raise FilterError(f"the filter must be one expression, not {len(trees)} statements (no ';')")
    tree = trees[0]
    if not isinstance(tree, exp.Condition) or isinstance(tree, exp.Query):
        raise FilterError(f"the filter must be an expression, not a statement ({statement_name(tree)})")
    return tree


def check_node(node: exp.Expression, columns: Collection[str], view: str) -> None:
    if isinstance(node, exp.Placeholder | exp.Parameter):
        raise FilterError("parameters ($1, ?) are not allowed in a filter: write the value")
    if isinstance(node, exp.Star):
        raise FilterError("* is not allowed in a filter: name the columns")
    if isinstance(node, exp.Column):
        check_column(node, columns, view)
    elif isinstance(node, exp.Func) and not isinstance(node, ALLOWED_NODES):
        check_function(node)
    elif not isinstance(node, ALLOWED_NODES):
        raise FilterError(f"{node.key.upper()} is not allowed in a filter")


def check_column(node: exp.Column, columns: Collection[str], view: str) -> None:
    if node.table:
        raise FilterError(f"write the column without a prefix: {node.name}, not {node.sql(dialect=DIALECT)}")
    if node.name not in columns:
        near = difflib.get_close_matches(node.name, list(columns), n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise FilterError(f"unknown column {node.name!r} in view {view}{hint}")


def check_function(node: exp.Func) -> None:
    name = function_name(node)
    if name not in ALLOWED_FUNCTIONS:
        raise FilterError(
            f"function {name} is not allowed in a filter; allowed functions: {', '.join(sorted(ALLOWED_FUNCTIONS))}"
        )


def function_name(node: exp.Func) -> str:
    """The name DuckDB will run: sqlglot's own name for a function can differ (instr → STRPOS)."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql(dialect=DIALECT).split("(", 1)[0].strip().lower()


def statement_name(tree: exp.Expression | None) -> str:
    if tree is None:
        return "nothing"
    if isinstance(tree, exp.Command):
        return str(tree.this).upper()
    return tree.key.upper()


def parse_message(exc: ParseError | TokenError) -> str:
    """sqlglot's first error on one line, without its terminal colour codes and highlighted excerpt."""
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        description = re.sub(r" for <class '[^']*'>", "", str(first.get("description")))
        return f"{description} at line {first.get('line')}, column {first.get('col')}"
    return str(exc).splitlines()[0]
