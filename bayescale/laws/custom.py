"""User-defined laws: a safe expression string, or a Python function of the array namespace.

The expression is parsed with :mod:`ast` and checked against a whitelist; it is never passed to
``eval``. Allowed: numbers, the inputs ``N``, ``D``, ``C``, ``U``, parameter names, ``+ - * /``,
``**``, unary ``-``/``+``, parentheses, and calls of :data:`FUNCTIONS`. Anything else (attribute
access, subscripts, imports, lambdas, comprehensions, keyword arguments, other functions) is a
one-line :class:`~bayescale.errors.SpecError`, as is an expression over :data:`MAX_LENGTH`
characters or :data:`MAX_NODES` syntax nodes, a number written with more than
:data:`MAX_NUMBER_LENGTH` characters or not finite (``1e400``), and a constant piece that has
no finite real value (``0/0``, ``9**9**9``, ``log(0)``, ``(-8)**0.5``): constant pieces are
computed once, in floats, when the expression is read, never with Python's unbounded integers.

>>> law = CustomLaw("E + A * N**(-alpha) + B * D**(-beta)")
>>> law.inputs, law.param_names
(('N', 'D'), ('E', 'A', 'alpha', 'B', 'beta'))
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import SpecError, shown
from ..priors import Prior
from .base import INPUTS, Law, Param, Scales

MAX_LENGTH = 500
MAX_NODES = 200
#: Longest number literal (characters as written): a float has 17 significant digits, so
#: 30 characters leave room for any exponent and underscores, and no more.
MAX_NUMBER_LENGTH = 30

#: name -> f(xp, *args)
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": lambda xp, a: xp.exp(a),
    "log": lambda xp, a: xp.log(a),
    "log10": lambda xp, a: xp.log(a) / math.log(10.0),
    "sqrt": lambda xp, a: xp.sqrt(a),
    "abs": lambda xp, a: xp.abs(a),
    "sigmoid": lambda xp, a: 1.0 / (1.0 + xp.exp(-a)),
    "softplus": lambda xp, a: xp.logaddexp(0.0, a),
    "minimum": lambda xp, a, b: xp.minimum(a, b),
    "maximum": lambda xp, a, b: xp.maximum(a, b),
}
_ARITY = {"minimum": 2, "maximum": 2}
_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
           ast.Pow: lambda a, b: a**b}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}
_WHAT = {ast.Attribute: "attribute access", ast.Subscript: "a subscript",
         ast.Lambda: "a lambda", ast.ListComp: "a comprehension",
         ast.GeneratorExp: "a comprehension", ast.Compare: "a comparison",
         ast.BoolOp: "a boolean operator", ast.IfExp: "a conditional expression",
         ast.JoinedStr: "a string", ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict",
         ast.Starred: "a starred argument", ast.NamedExpr: "an assignment"}


def parse_expression(text: str) -> tuple[ast.expr, list[str], list[str]]:
    """Check ``text``; return (tree, inputs used, parameter names in order of appearance)."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError("custom law: the expression is empty")
    if len(text) > MAX_LENGTH:
        raise SpecError(f"custom law: the expression is {len(text)} characters long; the limit "
                        f"is {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"custom law: {shown(text.strip(), 80)} is not a valid "
                        f"expression ({exc.msg})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise SpecError(f"custom law: the expression has {len(nodes)} parts; the limit is "
                        f"{MAX_NODES}")
    names: list[str] = []
    for node in nodes:
        if isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            if isinstance(node, ast.operator) and type(node) not in _BINARY:
                raise SpecError(f"custom law: operator {type(node).__name__} is not allowed; "
                                "use + - * / **")
            if isinstance(node, ast.unaryop) and type(node) not in _UNARY:
                raise SpecError(f"custom law: operator {type(node).__name__} is not allowed")
            continue
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise SpecError(f"custom law: only numbers are allowed as constants, got "
                                f"{shown(node.value)}")
            _check_number(node, text.strip())
            continue
        if isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
                called = func.id if isinstance(func, ast.Name) else ast.unparse(func)
                raise SpecError(f"custom law: calling {called!r} is not allowed; functions: "
                                f"{', '.join(FUNCTIONS)}")
            if node.keywords:
                raise SpecError(f"custom law: {func.id}() takes no keyword arguments")
            if len(node.args) != _ARITY.get(func.id, 1):
                raise SpecError(f"custom law: {func.id}() takes {_ARITY.get(func.id, 1)} "
                                f"argument(s), got {len(node.args)}")
            continue
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                continue  # checked as the callee of its Call
            if node.id.startswith("_"):
                raise SpecError(f"custom law: names may not start with '_' ({node.id!r})")
            if node.id not in names:
                names.append(node.id)
            continue
        what = _WHAT.get(type(node), type(node).__name__)
        raise SpecError(f"custom law: {what} is not allowed in an expression")
    for node in nodes:  # a function name used as a value, e.g. "exp + 1"
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and not any(
                isinstance(c, ast.Call) and c.func is node for c in nodes):
            raise SpecError(f"custom law: {node.id!r} is a function; call it as {node.id}(...)")
    _fold(tree.body, text.strip())  # constant pieces: finite real numbers, computed in floats
    positions = {}
    for node in nodes:  # order of appearance in the text (ast.walk is breadth-first)
        if isinstance(node, ast.Name) and node.id in names:
            positions[node.id] = min(positions.get(node.id, 10**9), node.col_offset)
    names.sort(key=positions.__getitem__)
    inputs = [n for n in INPUTS if n in names]
    params = [n for n in names if n not in INPUTS]
    if not params:
        raise SpecError("custom law: the expression has no parameters to fit")
    if not inputs:
        raise SpecError(f"custom law: the expression uses none of the inputs "
                        f"{', '.join(INPUTS)}")
    return tree.body, inputs, params


def _check_number(node: ast.Constant, text: str) -> None:
    """A number literal: at most :data:`MAX_NUMBER_LENGTH` characters as written, finite."""
    written = ast.get_source_segment(text, node) or shown(node.value)
    if len(written) > MAX_NUMBER_LENGTH:
        raise SpecError(f"custom law: the number {written[:12]}... is {len(written)} characters "
                        f"long; the limit is {MAX_NUMBER_LENGTH}")
    try:
        finite = math.isfinite(float(node.value))
    except OverflowError:  # not reached within the length limit; kept as a guard
        finite = False
    if not finite:
        raise SpecError(f"custom law: the number {written} is not finite (beyond a float's "
                        "range)")


def _piece(node: ast.expr, text: str) -> str:
    """``node`` as the user wrote it (at most 60 characters), for a message."""
    piece = " ".join((ast.get_source_segment(text, node) or ast.unparse(node)).split())
    return repr(piece if len(piece) <= 60 else piece[:57] + "...")


def _fold(node: ast.expr, text: str) -> float | None:
    """The value of ``node`` when it is constant (None when it uses a name), computed in
    floats; a SpecError names the first constant piece without a finite real value. Every
    piece is visited, constant or not (``N * 9**9**9`` is refused too)."""
    if isinstance(node, ast.Constant):
        return float(node.value)  # checked by _check_number: short and finite
    if isinstance(node, ast.Name):
        return None
    if isinstance(node, ast.BinOp):
        left, right = _fold(node.left, text), _fold(node.right, text)
        if left is None or right is None:
            return None
        try:
            value = _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise SpecError(f"custom law: {_piece(node, text)} divides by zero") from None
        except OverflowError:
            raise SpecError(f"custom law: {_piece(node, text)} is too large for a float") from None
    elif isinstance(node, ast.UnaryOp):
        operand = _fold(node.operand, text)
        if operand is None:
            return None
        value = _UNARY[type(node.op)](operand)
    elif isinstance(node, ast.Call):
        args = [_fold(a, text) for a in node.args]
        if any(a is None for a in args):
            return None
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = FUNCTIONS[node.func.id](np, *(np.float64(a) for a in args))  # type: ignore[union-attr]
    else:  # not reached: parse_expression refused every other node
        return None
    if isinstance(value, complex) or not math.isfinite(float(value)):
        raise SpecError(f"custom law: {_piece(node, text)} has no finite real value")
    return float(value)


def _evaluate(node: ast.expr, xp: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, xp, values),
                                      _evaluate(node.right, xp, values))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, xp, values))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    return FUNCTIONS[node.func.id](xp, *(_evaluate(a, xp, values) for a in node.args))


class CustomLaw(Law):
    r"""A law given as an expression of the inputs and parameters, or as a Python function.

    Expression: ``CustomLaw("E + A * N**(-alpha) + B * D**(-beta)")``; the inputs are the names
    N, D, C, U that occur in it, every other name is a parameter. Function:
    ``CustomLaw(function=f, inputs=["N", "D"], params=["E", "A", "alpha", ...])`` with
    ``f(xp, N, D, E, A, alpha, ...)`` returning the mean response written with ``xp`` (numpy
    or ``pytensor.tensor``) functions. A fit of a function-defined law cannot be saved (that
    would need pickle); use an expression to save it.

    There are no default priors: give one for every parameter (a parameter is sampled on the
    support of its prior, so ``LogNormal`` keeps it positive). ``response="accuracy"`` makes the
    expression an accuracy in (0, 1) (Beta or logit-normal likelihood).
    """

    name = "custom"
    description = "your own expression (or Python function) of N, D, C, U"

    def __init__(self, expression: str | None = None, *, function: Callable[..., Any] | None = None,
                 inputs: Sequence[str] | None = None, params: Sequence[str] | None = None,
                 response: str = "loss") -> None:
        if response not in ("loss", "accuracy"):
            raise SpecError(f"custom law: response must be 'loss' or 'accuracy', got "
                            f"{shown(response)}")
        self.response = response  # type: ignore[misc]
        if (expression is None) == (function is None):
            raise SpecError("custom law: give an expression or a function (one of them)")
        if expression is not None:
            self.expression: str | None = str(expression).strip()
            self.function = None
            self._tree, inputs_used, names = parse_expression(self.expression)
            self.inputs = tuple(inputs_used)
        else:
            if not callable(function):
                raise SpecError("custom law: function must be callable")
            if not inputs or not params:
                raise SpecError("custom law: a function needs inputs=[...] and params=[...]")
            bad = [i for i in inputs if i not in INPUTS]
            if bad:
                raise SpecError(f"custom law: unknown input {bad[0]!r}; use "
                                f"{', '.join(INPUTS)}")
            self.expression, self.function = None, function
            self.inputs = tuple(inputs)
            names = list(params)
        self.params = tuple(Param(n, "real", "custom parameter") for n in names)
        written = self.expression or getattr(function, "__name__", "function")
        self.formula = (f"L = {written}" if response == "loss" else f"acc = {written}")  # type: ignore[misc]

    @property
    def portable(self) -> bool:
        """Whether the law can be written to a file (an expression can, a function cannot)."""
        return self.expression is not None

    def options(self) -> dict[str, Any]:
        if self.expression is not None:
            return {"expression": self.expression, "response": self.response}
        return {"function": f"{getattr(self.function, '__module__', '?')}."
                            f"{getattr(self.function, '__qualname__', '?')}@{id(self.function)}",
                "response": self.response}

    def location(self, xp: Any, logx: Mapping[str, Any], theta: Mapping[str, Any]) -> Any:
        values = {k: xp.exp(logx[k]) for k in self.inputs}
        values.update({p.name: theta[p.name] for p in self.params})
        if self.function is not None:
            value = self.function(xp, **values)
        else:
            value = _evaluate(self._tree, xp, values)
        return xp.log(value) if self.response == "loss" else value

    def default_priors(self, scales: Scales) -> dict[str, Prior]:
        return {}
