"""Row filters (``query=``): a small language of our own, never ``eval`` or ``DataFrame.query``.

The text is parsed with :mod:`ast` and every syntax node is checked against a whitelist
before anything is evaluated; evaluation is numpy on the frame's columns. Allowed:

- column names: a bare identifier, or a name in backticks for one with spaces or dots
  (```val loss` < 3``), as pandas writes them;
- literals: numbers (``1e21``, ``-3``; at most :data:`MAX_LITERAL` characters), strings,
  ``True``/``False``;
- comparisons ``== != < <= > >=``, chained (``1e9 <= N < 1e10``), and ``in`` / ``not in``
  a list, tuple or set of literals (``schedule in ['cosine', 'wsd']``);
- arithmetic ``+ - * /`` on numbers (``D / N >= 20``) and unary ``-``/``+``;
- ``and``/``or``/``not``, also spelled ``&``/``|``/``~`` with the precedence of
  ``and``/``or`` (as in pandas: ``N > 1e8 & D < 2e10``), and parentheses.

Anything else (calls, attributes, subscripts, ``@`` references, lambdas, comprehensions,
f-strings, ``:=``, ``**``, ``is``, ...) is refused, as are queries over :data:`MAX_LENGTH`
characters or nested deeper than :data:`MAX_DEPTH`: each problem is one line,
``query='...' failed: ...``, naming the offending piece.

>>> import pandas as pd
>>> df = pd.DataFrame({"N": [1e8, 2e8, 4e8], "schedule": ["cosine", "wsd", "cosine"]})
>>> query_mask(df, "N >= 2e8 and schedule == 'cosine'").tolist()
[False, False, True]
"""

from __future__ import annotations

import ast
import keyword
import math
import operator
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

MAX_LENGTH = 10_000
MAX_LITERAL = 30
MAX_DEPTH = 100
HINT = ("use columns, numbers, strings, comparisons, + - * /, and/or/not, "
        "in [...]")

_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv}
_SYMBOL = {ast.Pow: "**", ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@",
           ast.LShift: "<<", ast.RShift: ">>", ast.BitXor: "^", ast.BitAnd: "&",
           ast.BitOr: "|", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-",
           ast.Mult: "*", ast.Div: "/", ast.And: "and", ast.Or: "or", ast.Not: "not",
           ast.Invert: "~", ast.USub: "-", ast.UAdd: "+", ast.In: "in", ast.NotIn: "not in",
           ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
           ast.GtE: ">="}
_REFUSED = {
    ast.Call: "function calls are not allowed", ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed", ast.Slice: "slices are not allowed",
    ast.Lambda: "lambdas are not allowed", ast.NamedExpr: "assignments (:=) are not allowed",
    ast.JoinedStr: "f-strings are not allowed", ast.FormattedValue: "f-strings are not allowed",
    ast.ListComp: "comprehensions are not allowed", ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed", ast.Dict: "dicts are not allowed",
    ast.IfExp: "conditional expressions (x if c else y) are not allowed",
    ast.Starred: "starred expressions are not allowed", ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed", ast.YieldFrom: "yield is not allowed"}
#: Syntax nodes a query may contain (operators are checked at their parent node).
_ALLOWED = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Name,
            ast.Constant, ast.List, ast.Tuple, ast.Set, ast.expr_context, ast.boolop,
            ast.unaryop, ast.cmpop, ast.operator)
_PLACEHOLDER = "__bq{}__"


@dataclass(frozen=True)
class _Term:
    """A value while evaluating: ``cond`` (a boolean mask or bool), ``num`` (floats), ``text``
    (a string literal) or ``other`` (a column of text or mixed values)."""

    kind: str
    value: Any
    node: ast.expr  # where it was written (shown in messages)


class _Query:
    """One query text: checked, then evaluated on a frame."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.names: dict[str, str] = {}  # placeholder -> backtick-quoted column name
        self.frame = pd.DataFrame()
        self.columns: dict[str, Any] = {}
        self.twice: set[str] = set()
        self.cache: dict[str, _Term] = {}
        self.lines: list[bytes] = []
        self.source = ""

    # -- messages ---------------------------------------------------------------------------
    def fail(self, detail: str) -> DataError:
        shown = self.text if len(self.text) <= 80 else self.text[:60] + "..."
        return DataError(f"query={shown!r} failed: {detail}")

    def refuse(self, what: str, piece: str | None = None) -> DataError:
        return self.fail(f"{what}{f' ({piece!r})' if piece else ''}; {HINT}")

    def show(self, node: ast.AST, limit: int = 40) -> str:
        """The text of ``node`` as the user wrote it (backtick names restored), shortened."""
        text = self.segment(node) or type(node).__name__
        for placeholder, name in self.names.items():
            text = text.replace(placeholder, f"`{name}`")
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def segment(self, node: Any) -> str | None:
        """``ast.get_source_segment`` without re-splitting the source on every call."""
        if getattr(node, "end_lineno", None) is None:
            return None
        if not self.lines:  # lines as the parser counts them (not str.splitlines)
            ends = [m.end() for m in re.finditer(r"\r\n|\r|\n", self.source)]
            self.lines = [self.source[a:b].encode()
                          for a, b in zip([0, *ends], [*ends, len(self.source)], strict=True)]
        first, last = node.lineno - 1, node.end_lineno - 1
        if not 0 <= first <= last < len(self.lines):
            return None
        if first == last:
            piece = self.lines[first][node.col_offset:node.end_col_offset]
        else:
            piece = (self.lines[first][node.col_offset:] + b"".join(self.lines[first + 1:last])
                     + self.lines[last][:node.end_col_offset])
        return piece.decode(errors="replace")

    # -- text -> checked tree ---------------------------------------------------------------
    def _prepare(self, text: str) -> str:
        """Swap backtick names for placeholders and ``&``/``|`` for ``and``/``or`` outside
        string literals; refuse ``@``. (Safety rests on the whitelist, not on this scan.)"""
        out: list[str] = []
        i, n = 0, len(text)
        while i < n:
            ch = text[i]
            if ch in "'\"":
                quote = ch * 3 if text.startswith(ch * 3, i) else ch
                j = i + len(quote)
                while j < n and not text.startswith(quote, j):
                    j += 2 if text[j] == "\\" else 1
                j = min(j + len(quote), n)
                out.append(text[i:j])
                i = j
            elif ch == "`":
                end = text.find("`", i + 1)
                if end < 0:
                    raise self.fail("a backtick (`) is not closed")
                name = text[i + 1:end]
                if not name.strip():
                    raise self.fail("empty column name in backticks")
                placeholder = _PLACEHOLDER.format(len(self.names))
                self.names[placeholder] = name
                before = " " if out and (out[-1][-1:].isalnum() or out[-1][-1:] == "_") else ""
                nxt = text[end + 1:end + 2]
                after = " " if nxt.isalnum() or nxt == "_" else ""
                out.append(f"{before}{placeholder}{after}")
                i = end + 1
            elif ch == "@":
                j = i + 1
                while j < n and (text[j].isalnum() or text[j] in "_."):
                    j += 1
                raise self.refuse("'@' references to Python variables are not allowed",
                                  text[i:j] if j > i + 1 else None)
            else:
                out.append({"&": " and ", "|": " or "}.get(ch, ch))
                i += 1
        return "".join(out)

    def parse(self) -> ast.expr:
        if not self.text.strip():
            raise self.fail("the query is empty")
        if len(self.text) > MAX_LENGTH:
            raise self.fail(f"the query is {len(self.text)} characters long; the limit is "
                            f"{MAX_LENGTH}")
        self.source = self._prepare(self.text).strip()
        try:
            with warnings.catch_warnings():  # e.g. "invalid escape sequence" in a string
                warnings.simplefilter("ignore")
                tree = ast.parse(self.source, mode="eval")
        except (SyntaxError, ValueError) as exc:
            detail = str(getattr(exc, "msg", None) or exc or "invalid syntax")
            if "Exceeds the limit" in detail:  # an integer over Python's 4300 digits
                detail = f"a number is longer than {MAX_LITERAL} characters"
            raise self.fail(detail.splitlines()[0]) from None
        except (RecursionError, MemoryError):
            raise self.fail(f"the query is nested more than {MAX_DEPTH} deep") from None
        self._check_depth(tree)
        for node in ast.walk(tree):
            self._check_node(node)
        return tree.body

    def _check_depth(self, tree: ast.AST) -> None:
        stack = [(tree, 0)]
        while stack:  # iterative: a deep tree must not overflow our own stack
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise self.fail(f"the query is nested more than {MAX_DEPTH} deep")
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    def _check_node(self, node: ast.AST) -> None:
        if not isinstance(node, _ALLOWED):
            if isinstance(node, ast.Call):
                func = self.show(node.func)
                if not isinstance(node.func, (ast.Name, ast.Attribute)):
                    func = f"({func})"
                raise self.refuse(_REFUSED[ast.Call], f"{func}(...)")
            what = _REFUSED.get(type(node), f"{type(node).__name__} is not allowed")
            piece = self.show(node) if isinstance(node, ast.expr) else None
            raise self.refuse(what, piece)
        if isinstance(node, ast.BinOp) and type(node.op) not in (*_ARITHMETIC, ast.BitAnd,
                                                                 ast.BitOr):
            raise self.refuse(f"operator {_SYMBOL.get(type(node.op), '?')!r} is not allowed",
                              self.show(node))
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if isinstance(op, (ast.Is, ast.IsNot)):
                    raise self.fail(f"{_SYMBOL[type(op)]!r} is not allowed "
                                    f"({self.show(node)!r}); use == or != instead")
        if isinstance(node, ast.Constant):
            self._check_constant(node)

    def _check_constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or isinstance(value, str):
            return
        if isinstance(value, (int, float)):
            written = self.segment(node) or repr(value)
            if len(written) > MAX_LITERAL:
                raise self.fail(f"the number {written[:20]}... is {len(written)} characters "
                                f"long; the limit is {MAX_LITERAL}")
            if not math.isfinite(float(value)):
                raise self.fail(f"the number {written} is out of range")
            return
        what = {type(None): "None is not allowed", bytes: "bytes are not allowed",
                complex: "complex numbers are not allowed",
                type(Ellipsis): "'...' is not allowed"}.get(
                    type(value), f"{type(value).__name__} is not allowed")
        raise self.refuse(what, self.show(node))

    # -- evaluation -------------------------------------------------------------------------
    def mask(self, df: pd.DataFrame) -> np.ndarray:
        body = self.parse()
        self.frame = df
        self.columns = {str(c): c for c in df.columns}
        self.twice = {str(c) for c in df.columns[df.columns.duplicated()]}
        with np.errstate(all="ignore"):
            term = self.eval(body)
        if term.kind != "cond":
            raise self.fail(f"{self.show(term.node)!r} is not a condition; compare it, e.g. "
                            f"{self.example(term)}")
        return np.broadcast_to(np.asarray(term.value, dtype=bool), (len(df),)).copy()

    def eval(self, node: ast.expr) -> _Term:
        if isinstance(node, ast.Name):
            return self.column(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return _Term("cond", node.value, node)
            if isinstance(node.value, str):
                return _Term("text", node.value, node)
            return _Term("num", float(node.value), node)
        if isinstance(node, ast.BoolOp):
            join = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            terms = [self.condition(v, _SYMBOL[type(node.op)]) for v in node.values]
            return _Term("cond", join.reduce([t.value for t in self.broadcast(terms)]), node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.Not, ast.Invert)):
                term = self.condition(node.operand, _SYMBOL[type(node.op)])
                return _Term("cond", np.logical_not(term.value), node)
            term = self.number(node.operand, _SYMBOL[type(node.op)])
            value = -term.value if isinstance(node.op, ast.USub) else term.value
            return _Term("num", value, node)
        if isinstance(node, ast.BinOp):
            symbol = _SYMBOL[type(node.op)]
            if isinstance(node.op, (ast.BitAnd, ast.BitOr)):  # only if the scan missed one
                join = np.logical_and if isinstance(node.op, ast.BitAnd) else np.logical_or
                left, right = self.broadcast([self.condition(node.left, symbol),
                                              self.condition(node.right, symbol)])
                return _Term("cond", join(left.value, right.value), node)
            left, right = self.number(node.left, symbol), self.number(node.right, symbol)
            return _Term("num", _ARITHMETIC[type(node.op)](left.value, right.value), node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            raise self.refuse("a list is allowed only after 'in' or 'not in'", self.show(node))
        raise self.refuse(f"{type(node).__name__} is not allowed", self.show(node))

    def column(self, node: ast.Name) -> _Term:
        name = self.names.get(node.id, node.id)
        if name not in self.columns:
            raise self.fail(f"unknown column {name!r}; columns: {self.listing()}")
        if name in self.twice:
            raise self.fail(f"column {name!r} appears more than once in the table; rename one")
        if name not in self.cache:
            series = self.frame[self.columns[name]]
            dtype = series.dtype
            if pd.api.types.is_bool_dtype(dtype) and not series.isna().any():
                kind, values = "cond", series.to_numpy(dtype=bool)
            elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
                kind, values = "num", series.to_numpy(dtype=float, na_value=np.nan)
            else:
                kind = "other"
                values = series.astype(object).where(series.notna(), np.nan).to_numpy(
                    dtype=object)
            self.cache[name] = _Term(kind, values, node)
        return _Term(self.cache[name].kind, self.cache[name].value, node)

    def listing(self, limit: int = 20) -> str:
        names = [n if n.isidentifier() and not keyword.iskeyword(n) else f"`{n}`"
                 for n in self.columns]
        more = f" (and {len(names) - limit} more)" if len(names) > limit else ""
        return ", ".join(names[:limit]) + more

    def example(self, term: _Term) -> str:
        return self.show(term.node) + (" > 0" if term.kind == "num" else " == 'value'")

    def condition(self, node: ast.expr, symbol: str) -> _Term:
        term = self.eval(node)
        if term.kind != "cond":
            raise self.fail(f"{symbol!r} joins conditions, and {self.show(term.node)!r} is not "
                            f"one; compare it, e.g. {self.example(term)}")
        return term

    def number(self, node: ast.expr, symbol: str) -> _Term:
        term = self.eval(node)
        if term.kind != "num":
            raise self.fail(f"{symbol!r} needs numbers, and {self.show(term.node)!r} is not a "
                            "number")
        return term

    def broadcast(self, terms: Sequence[_Term]) -> list[_Term]:
        n = len(self.frame)
        return [_Term(t.kind, np.broadcast_to(np.asarray(t.value, dtype=bool), (n,)), t.node)
                for t in terms]

    def compare(self, node: ast.Compare) -> _Term:
        if len(node.ops) > 1 and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            raise self.fail(f"'in' cannot be chained with other comparisons "
                            f"({self.show(node)!r}); join them with and")
        result: Any = True
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                right = self.members(right_node, _SYMBOL[type(op)])
                found = self.isin(left, right)
                step = np.logical_not(found) if isinstance(op, ast.NotIn) else found
            else:
                right = self.eval(right_node)
                step = self.pairwise(op, left, right)
            result = np.logical_and(result, step)
            if isinstance(right, _Term):
                left = right
        return _Term("cond", result, node)

    def pairwise(self, op: ast.cmpop, left: _Term, right: _Term) -> Any:
        def shown() -> str:
            return f"{self.show(left.node)} {_SYMBOL[type(op)]} {self.show(right.node)}"

        if "text" in (left.kind, right.kind) and {left.kind, right.kind} & {"num", "cond"}:
            other, text = (left, right) if right.kind == "text" else (right, left)
            holds = "numbers" if other.kind == "num" else "True/False"
            raise self.fail(f"{shown()}: {self.show(other.node)!r} holds {holds} and "
                            f"{self.show(text.node)} is text; write it without quotes")
        try:
            return np.asarray(_COMPARE[type(op)](left.value, right.value), dtype=bool)
        except (TypeError, ValueError):
            raise self.fail(f"cannot compare {shown()} (one side is text, the other numbers, "
                            "or the column mixes both)") from None

    def members(self, node: ast.expr, symbol: str) -> list[Any]:
        if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            raise self.fail(f"{symbol!r} needs a list of values, e.g. schedule {symbol} "
                            f"['cosine', 'wsd'], got {self.show(node)!r}")
        values = []
        for item in node.elts:
            sign, value = 1.0, item
            if isinstance(item, ast.UnaryOp) and isinstance(item.op, (ast.USub, ast.UAdd)):
                sign, value = (-1.0 if isinstance(item.op, ast.USub) else 1.0), item.operand
            number = (isinstance(value, ast.Constant) and isinstance(value.value, (int, float))
                      and not isinstance(value.value, bool))
            if not isinstance(value, ast.Constant) or (value is not item and not number):
                raise self.fail(f"the list after {symbol!r} may hold only numbers, strings and "
                                f"True/False, got {self.show(item)!r}")
            values.append(sign * float(value.value) if number else value.value)
        return values

    def isin(self, left: _Term, values: list[Any]) -> Any:
        if np.ndim(left.value) == 0:
            return bool(left.value in values)
        return pd.Series(left.value, dtype=object if left.kind == "other" else None).isin(
            values).to_numpy(dtype=bool)


def query_mask(df: pd.DataFrame, query: str) -> np.ndarray:
    """The rows of ``df`` that ``query`` keeps, as a boolean array (see the module's grammar);
    a :class:`~bayescale.errors.DataError` naming the offending piece otherwise."""
    if not isinstance(query, str):
        raise DataError(f"query must be a string such as 'N > 1e8', got "
                        f"{type(query).__name__}")
    return _Query(query).mask(df)
