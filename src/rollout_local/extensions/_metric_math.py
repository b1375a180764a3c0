"""A small CloudWatch metric-math evaluator over aligned time series.

Supports what alarms of this project need: ``+ - * /``, unary minus, parentheses,
numbers, metric ids, comparisons (``> < >= <= == !=``), ``AND``/``OR``/``&&``/``||``, and
the functions ``FILL(series, value)``, ``IF(cond, a[, b])``, ``ABS``, ``MIN``/``MAX`` of two
or more arguments (element-wise). Every series is a list of floats or ``None`` (a missing
datapoint), one per evaluation window; arithmetic with a missing datapoint, and division
by zero, give a missing datapoint, as CloudWatch returns no value there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Series = list[float | None]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|(?P<id>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>>=|<=|==|!=|&&|\|\||[-+*/(),<>]))"
)


class MathError(ValueError):
    pass


@dataclass
class _Tok:
    kind: str
    text: str


def _tokens(expr: str) -> list[_Tok]:
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise MathError(f"cannot parse metric math near {expr[pos:]!r}")
        pos = m.end()
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind)))
    return out


class _Parser:
    def __init__(self, expr: str, series: dict[str, Series], width: int):
        self.toks = _tokens(expr)
        self.i = 0
        self.series = series
        self.width = width

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, text: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None or (text is not None and tok.text.upper() != text):
            raise MathError(f"expected {text or 'a token'} in metric math")
        self.i += 1
        return tok

    def parse(self) -> Series:
        value = self.logical()
        if self.peek() is not None:
            raise MathError(f"unexpected {self.peek().text!r} in metric math")  # type: ignore[union-attr]
        return value

    def logical(self) -> Series:
        left = self.comparison()
        while (tok := self.peek()) and tok.text.upper() in ("AND", "OR", "&&", "||"):
            self.i += 1
            right = self.comparison()
            if tok.text.upper() in ("AND", "&&"):
                left = _zip(left, right, lambda a, b: float(bool(a) and bool(b)))
            else:
                left = _zip(left, right, lambda a, b: float(bool(a) or bool(b)))
        return left

    def comparison(self) -> Series:
        left = self.additive()
        ops: dict[str, Callable[[float, float], bool]] = {
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }
        while (tok := self.peek()) and tok.text in ops:
            self.i += 1
            right = self.additive()
            fn = ops[tok.text]
            left = _zip(left, right, lambda a, b, fn=fn: float(fn(a, b)))  # type: ignore[misc]
        return left

    def additive(self) -> Series:
        left = self.term()
        while (tok := self.peek()) and tok.text in "+-" and tok.kind == "op":
            self.i += 1
            right = self.term()
            if tok.text == "+":
                left = _zip(left, right, lambda a, b: a + b)
            else:
                left = _zip(left, right, lambda a, b: a - b)
        return left

    def term(self) -> Series:
        left = self.unary()
        while (tok := self.peek()) and tok.text in "*/" and tok.kind == "op":
            self.i += 1
            right = self.unary()
            if tok.text == "*":
                left = _zip(left, right, lambda a, b: a * b)
            else:
                left = _zip(left, right, lambda a, b: None if b == 0 else a / b)
        return left

    def unary(self) -> Series:
        tok = self.peek()
        if tok is not None and tok.text == "-" and tok.kind == "op":
            self.i += 1
            return [None if v is None else -v for v in self.unary()]
        if tok is not None and tok.text == "+" and tok.kind == "op":
            self.i += 1
            return self.unary()
        return self.atom()

    def atom(self) -> Series:
        tok = self.take()
        if tok.kind == "num":
            return [float(tok.text)] * self.width
        if tok.text == "(":
            value = self.logical()
            self.take(")")
            return value
        if tok.kind == "id":
            nxt = self.peek()
            if nxt is not None and nxt.text == "(":
                return self.call(tok.text.upper())
            if tok.text not in self.series:
                raise MathError(f"unknown metric id {tok.text!r} in metric math")
            return list(self.series[tok.text])
        raise MathError(f"unexpected {tok.text!r} in metric math")

    def args(self) -> list[Series]:
        self.take("(")
        out = [self.logical()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.i += 1
            out.append(self.logical())
        self.take(")")
        return out

    def call(self, name: str) -> Series:
        if name == "FILL":
            self.take("(")
            target = self.logical()
            self.take(",")
            fill_tok = self.peek()
            if fill_tok is not None and fill_tok.text.upper() == "REPEAT":
                self.i += 1
                self.take(")")
                out: Series = []
                last: float | None = None
                for v in target:
                    last = v if v is not None else last
                    out.append(last)
                return out
            fill = self.logical()
            self.take(")")
            return [v if v is not None else f for v, f in zip(target, fill, strict=True)]
        args = self.args()
        if name == "IF":
            if len(args) not in (2, 3):
                raise MathError("IF takes 2 or 3 arguments")
            cond, then = args[0], args[1]
            other = args[2] if len(args) == 3 else [None] * self.width
            return [
                None if c is None else (t if c != 0 else o)
                for c, t, o in zip(cond, then, other, strict=True)
            ]
        if name == "ABS" and len(args) == 1:
            return [None if v is None else abs(v) for v in args[0]]
        if name in ("MIN", "MAX") and len(args) >= 2:
            pick = min if name == "MIN" else max
            out = []
            for values in zip(*args, strict=True):
                present = [v for v in values if v is not None]
                out.append(pick(present) if present else None)
            return out
        raise MathError(f"unsupported metric math function {name}")


def _zip(left: Series, right: Series, fn: Callable[[float, float], Any]) -> Series:
    return [None if a is None or b is None else fn(a, b) for a, b in zip(left, right, strict=True)]


def evaluate(expr: str, series: dict[str, Series], width: int) -> Series:
    """Evaluate ``expr`` over ``series`` (all of length ``width``)."""
    return _Parser(expr, series, width).parse()
