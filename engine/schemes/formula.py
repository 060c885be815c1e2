"""Money formulas (奖金公式): a small safe expression language over a row's number columns, parsed
and checked when the scheme loads and computed on whole columns at once.

Grammar (nothing else is accepted; the text is never handed to Python's eval, exec or compile):

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := ("+" | "-") factor | number | number "%" | name | call | "(" expression ")"
    call       := ("min" | "max") "(" expression ("," expression)+ ")"
                | "round" "(" expression ["," digits] ")"

`×`, `÷`, `−` and the full-width `（ ） ，` may stand for `*`, `/`, `-`, `( ) ,`, so a formula can
be copied from a regulation as printed. A number followed by `%` is hundredths (0.5% = 0.005).
A name is a run of letters (Chinese included), digits and `_` not starting with a digit, or any
text in backticks (`5S评价`); it must be one of the variables the scheme declares.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from engine.schemes.precision import round_half_away

FUNCTIONS = ("min", "max", "round")
MAX_LENGTH = 500
MAX_DEPTH = 60
MAX_ROUND_DIGITS = 6
SYMBOLS = {"×": "*", "÷": "/", "−": "-", "（": "(", "）": ")", "，": ","}
TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?P<percent>\s*%)?"
    r"|`(?P<quoted>[^`]+)`"
    r"|(?P<name>[^\W\d]\w*)"
    r"|(?P<symbol>[-+*/(),×÷−（）,，])"
    r")"
)


class FormulaError(ValueError):
    """A formula that cannot be used; the message says why in plain words."""


# ------------------------------------------------------------------ the parsed tree


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Variable:
    key: str  # the column the value is read from (a KPI id, an input id, total, coefficient)
    text: str  # as written in the formula


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    function: str  # min, max or round
    args: tuple[Node, ...]


Node = Number | Variable | Negate | Binary | Call


@dataclass(frozen=True)
class Name:
    """What a formula may call a value: the column it reads, whether it is a number, and the
    lowest value it can take (None when nothing is declared) for the division check."""

    key: str
    numeric: bool = True
    lower: float | None = None


@dataclass(frozen=True)
class Formula:
    text: str
    tree: Node

    @property
    def keys(self) -> tuple[str, ...]:
        """The columns the formula reads, each once, in the order written."""
        return tuple(dict.fromkeys(v.key for v in _walk(self.tree) if isinstance(v, Variable)))


def _walk(node: Node):
    """Every node of the tree, parents before children (without recursion: a long sum is a
    deep tree)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Negate):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack += [node.right, node.left]
        elif isinstance(node, Call):
            stack += reversed(node.args)


# ------------------------------------------------------------------ parsing and checking


def tokenize(text: str) -> list[tuple[str, object, int]]:
    """(kind, value, position) per token: number, name, or the symbol itself."""
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = TOKEN.match(text, position)
        if not found or found.end() == position:
            start = len(text) - len(text[position:].lstrip())
            raise FormulaError(f"'{text[start]}' at position {start + 1} is not allowed")
        start = found.start() + len(found.group(0)) - len(found.group(0).lstrip())
        if found.group("number") is not None:
            value = float(found.group("number"))
            if not math.isfinite(value):
                raise FormulaError(f"the number at position {start + 1} is too large")
            tokens.append(("number", value / 100.0 if found.group("percent") else value, start))
        elif found.group("quoted") is not None:
            tokens.append(("name", found.group("quoted").strip(), start))
        elif found.group("name") is not None:
            tokens.append(("name", found.group("name"), start))
        else:
            symbol = found.group("symbol")
            tokens.append((SYMBOLS.get(symbol, symbol), symbol, start))
        position = found.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens; names are resolved against the declared ones."""

    def __init__(self, text: str, names: Callable[[str], Name | None]):
        self.text, self.names = text, names
        self.tokens = tokenize(text)
        self.at = 0
        self.depth = 0

    def parse(self) -> Node:
        if not self.tokens:
            raise FormulaError("the formula is empty")
        tree = self.expression()
        if self.at < len(self.tokens):
            _, value, position = self.tokens[self.at]
            raise FormulaError(f"'{value}' at position {position + 1} follows a complete formula")
        return tree

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def take(self, kind: str) -> tuple[str, object, int]:
        if self.peek() != kind:
            where = (
                f"at position {self.tokens[self.at][2] + 1}" if self.at < len(self.tokens) else ""
            )
            found = f"'{self.tokens[self.at][1]}'" if self.at < len(self.tokens) else "the end"
            raise FormulaError(f"expected '{kind}' but found {found} {where}".strip())
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels")
        node = self.term()
        while self.peek() in ("+", "-"):
            op = self.take(self.peek())[0]
            node = Binary(op, node, self.term())
        self.depth -= 1
        return node

    def term(self) -> Node:
        node = self.factor()
        while self.peek() in ("*", "/"):
            op = self.take(self.peek())[0]
            node = Binary(op, node, self.factor())
        return node

    def factor(self) -> Node:
        kind = self.peek()
        if kind in ("+", "-"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FormulaError(f"the formula nests deeper than {MAX_DEPTH} levels")
            self.take(kind)
            operand = self.factor()
            self.depth -= 1
            return operand if kind == "+" else Negate(operand)
        if kind == "number":
            return Number(float(self.take("number")[1]))
        if kind == "(":
            self.take("(")
            node = self.expression()
            self.take(")")
            return node
        if kind == "name":
            _, word, position = self.take("name")
            if self.peek() == "(":
                return self.call(str(word), position)
            return self.variable(str(word), position)
        if kind is None:
            raise FormulaError("the formula ends where a number, a name or '(' is expected")
        _, value, position = self.tokens[self.at]
        raise FormulaError(
            f"'{value}' at position {position + 1} is where a number, a name or '(' is expected"
        )

    def call(self, function: str, position: int) -> Node:
        if function not in FUNCTIONS:
            raise FormulaError(
                f"'{function}(…)' at position {position + 1}: only min, max and round may be called"
            )
        self.take("(")
        args = [self.expression()]
        while self.peek() == ",":
            self.take(",")
            args.append(self.expression())
        self.take(")")
        if function in ("min", "max") and len(args) < 2:
            raise FormulaError(f"{function}(…) needs at least two values")
        if function == "round":
            if len(args) > 2:
                raise FormulaError("round(…) takes a value and at most the number of decimals")
            if len(args) == 2:
                digits = args[1]
                whole = isinstance(digits, Number) and digits.value == int(digits.value)
                if not whole or not 0 <= digits.value <= MAX_ROUND_DIGITS:
                    raise FormulaError(
                        f"round(…)'s decimals must be a whole number from 0 to {MAX_ROUND_DIGITS}"
                    )
        return Call(function, tuple(args))

    def variable(self, word: str, position: int) -> Node:
        name = self.names(word)
        if name is None:
            raise FormulaError(
                f"'{word}' at position {position + 1} is not a column the scheme declares"
            )
        if not name.numeric:
            raise FormulaError(f"'{word}' at position {position + 1} is not a number column")
        return Variable(name.key, word)


def parse_formula(text: str, names: Mapping[str, Name] | Callable[[str], Name | None]) -> Formula:
    """Parse and check a formula; raises FormulaError naming the first problem.

    A division is refused when its divisor is the number 0 (or a sum of numbers that makes 0),
    or a bare name whose declared lowest value is not above 0 (a column that can be zero); any
    other divisor is checked row by row when the money is computed."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, found {text!r}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters")
    lookup = names.get if isinstance(names, Mapping) else names
    tree = _Parser(text, lookup).parse()
    for node in _walk(tree):
        if isinstance(node, Binary) and node.op == "/":
            _check_divisor(node.right, lookup)
    return Formula(text=text, tree=tree)


def _check_divisor(node: Node, lookup: Callable[[str], Name | None]) -> None:
    if isinstance(node, Variable):
        lower = lookup(node.text).lower
        if lower is None or not lower > 0:
            raise FormulaError(
                f"'… / {node.text}': {node.text} can be 0 (no lowest value above 0 is "
                "declared), so the division is refused"
            )
    elif not any(isinstance(n, Variable) for n in _walk(node)):
        with np.errstate(all="ignore"):
            value = evaluate(Formula("", node), {}, 1)[0][0]
        if value == 0 or not math.isfinite(value):
            raise FormulaError("a division by a number that is 0 is refused")


# ------------------------------------------------------------------ computing


def evaluate(
    formula: Formula, columns: Mapping[str, np.ndarray], rows: int
) -> tuple[np.ndarray, np.ndarray]:
    """The formula over whole columns: the values (NaN where a value is missing or a divisor is
    0) and where a divisor was 0 or the result is not a finite number."""
    bad = np.zeros(rows, dtype=bool)

    def value(node: Node) -> np.ndarray:
        if isinstance(node, Number):
            return np.full(rows, node.value)
        if isinstance(node, Variable):
            return np.asarray(columns[node.key], dtype=float)
        if isinstance(node, Negate):
            return -value(node.operand)
        if isinstance(node, Binary):
            left, right = value(node.left), value(node.right)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            zero = right == 0
            bad[:] |= zero
            return np.divide(left, right, out=np.full(rows, np.nan), where=~zero)
        args = [value(a) for a in node.args]
        if node.function == "min":
            return np.minimum.reduce(args)
        if node.function == "max":
            return np.maximum.reduce(args)
        digits = int(node.args[1].value) if len(node.args) == 2 else 0
        return round_half_away(args[0], digits)

    with np.errstate(all="ignore"):
        result = value(formula.tree)
    bad |= np.isinf(result)
    return np.where(bad, np.nan, result), bad
