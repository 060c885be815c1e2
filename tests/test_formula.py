"""Money formulas: the safe expression language agrees with a slow reference evaluator on random
expressions, and refuses everything outside its grammar."""

from __future__ import annotations

import ast
import builtins
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.schemes import formula as formula_module
from engine.schemes.formula import (
    Binary,
    Call,
    FormulaError,
    Name,
    Negate,
    Number,
    Variable,
    evaluate,
    parse_formula,
)

ROWS = 6
# name → (column key, lowest declared value); 'd' and '分母' may be divided by, the rest may not
DECLARED = {
    "a": ("a", None),
    "b": ("b", 0.0),
    "d": ("d", 1.0),
    "备件毛利额": ("parts", None),
    "分母": ("d2", 0.5),
    "total": ("total", 0.0),
}
NAMES = {k: Name(key, lower=lower) for k, (key, lower) in DECLARED.items()}
NAMES["department"] = Name("department", numeric=False)


# ------------------------------------------------------------------ random expressions


def _leaf() -> st.SearchStrategy:
    numbers = st.one_of(
        st.integers(0, 1000).map(float), st.decimals(0, 1000, places=2).map(float)
    ).map(lambda v: ("num", v))
    return st.one_of(numbers, st.sampled_from(sorted(DECLARED)).map(lambda n: ("var", n)))


def _grow(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("bin"), st.sampled_from("+-*/"), children, children),
        st.tuples(
            st.just("call"),
            st.sampled_from(["min", "max"]),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
        st.tuples(st.just("round"), children, st.integers(0, 3)),
    )


EXPRESSIONS = st.recursive(_leaf(), _grow, max_leaves=12)
SPELLINGS = {"*": ("*", "×", " * "), "/": ("/", "÷", " / "), "-": ("-", "−", " - "), "+": ("+",)}


def render(tree, spell) -> str:
    """The tree as formula text, fully parenthesised, operators spelt at random."""
    kind = tree[0]
    if kind == "num":
        return repr(tree[1])
    if kind == "var":
        return tree[1]
    if kind == "neg":
        return f"{spell('-')}({render(tree[1], spell)})"
    if kind == "bin":
        return f"({render(tree[2], spell)}{spell(tree[1])}{render(tree[3], spell)})"
    if kind == "call":
        return f"{tree[1]}({', '.join(render(a, spell) for a in tree[2])})"
    return f"round({render(tree[1], spell)}, {tree[2]})"


def reference_round(value: float, digits: int) -> float:
    """Half away from zero, step by step as the rulebook states it, on one Python float."""
    scaled = round(value * 10.0**digits * 1e6) / 1e6
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled) / 10.0**digits


def reference(tree, row: dict) -> float:
    """One row, one node at a time, in plain Python floats; None where a divisor is 0."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "var":
        return row[DECLARED[tree[1]][0]]
    if kind == "neg":
        inner = reference(tree[1], row)
        return None if inner is None else -inner
    if kind == "round":
        inner = reference(tree[1], row)
        if inner is None or math.isnan(inner):
            return inner
        return reference_round(inner, tree[2])
    parts = [reference(t, row) for t in (tree[2:] if kind == "bin" else tree[2])]
    if any(p is None for p in parts):
        return None
    if any(math.isnan(p) for p in parts):
        return math.nan
    if kind == "call":
        return min(parts) if tree[1] == "min" else max(parts)
    left, right = parts
    if tree[1] == "/":
        return None if right == 0 else left / right
    return {"+": left + right, "-": left - right, "*": left * right}[tree[1]]


def refused(tree) -> bool:
    """What the load check must refuse: a division by a bare name without a lowest value above
    0, or by a part without names that comes to 0."""
    kind = tree[0]
    if kind in ("num", "var"):
        return False
    children = tree[2:] if kind == "bin" else tree[2] if kind == "call" else (tree[1],)
    if any(refused(c) for c in children):
        return True
    if kind == "bin" and tree[1] == "/":
        divisor = tree[3]
        if divisor[0] == "var":
            lower = DECLARED[divisor[1]][1]
            return lower is None or lower <= 0
        if not _has_names(divisor):
            value = reference(divisor, {})
            return value is None or value == 0 or not math.isfinite(value)
    return False


def _has_names(tree) -> bool:
    if tree[0] == "var":
        return True
    if tree[0] == "num":
        return False
    children = tree[2:] if tree[0] == "bin" else tree[2] if tree[0] == "call" else (tree[1],)
    return any(_has_names(c) for c in children)


COLUMN_VALUES = st.one_of(
    st.just(0.0), st.just(math.nan), st.decimals(-500, 500, places=2).map(float)
)
COLUMNS = st.fixed_dictionaries(
    {key: st.lists(COLUMN_VALUES, min_size=ROWS, max_size=ROWS) for key, _ in DECLARED.values()}
)


@settings(max_examples=400, deadline=None)
@given(tree=EXPRESSIONS, columns=COLUMNS, data=st.data())
def test_random_formulas_agree_with_the_reference_evaluator(tree, columns, data):
    text = render(tree, lambda op: data.draw(st.sampled_from(SPELLINGS[op])))
    if refused(tree):
        with pytest.raises(FormulaError):
            parse_formula(text, NAMES)
        return
    parsed = parse_formula(text, NAMES)
    arrays = {k: np.array(v) for k, v in columns.items()}
    values, bad = evaluate(parsed, arrays, ROWS)
    for i in range(ROWS):
        expected = reference(tree, {k: v[i] for k, v in columns.items()})
        if expected is None or (not math.isnan(expected) and not math.isfinite(expected)):
            assert bad[i] and math.isnan(values[i]), (text, i)
        elif math.isnan(expected):
            assert math.isnan(values[i]), (text, i)
        else:
            assert values[i] == pytest.approx(expected, rel=1e-12, abs=1e-12), (text, i)
            assert not bad[i]


# ------------------------------------------------------------------ nothing else is evaluated

OUTSIDE = [
    "a.real",  # attribute access
    "a.__class__",
    "abs(a)",  # calls other than min / max / round
    "eval('1')",
    "__import__('os')",
    "open('x')",
    "a[0]",  # subscripts
    "a[b]",
    "lambda: 1",  # lambdas
    "(lambda x: x)(a)",
    "c + 1",  # names not declared
    "inf * a",
    "nan",
    "department * 2",  # a roster column is not a number
    "a ** 2",  # operators outside the grammar
    "a // 2",
    "a % 2",
    "a if b else d",
    "a < b",
    "a and b",
    "not a",
    "'text'",
    "a; b",
    "a = 1",
    "[a, b]",
    "{a: b}",
    "min(a)",  # min / max need two values
    "round(a, b)",  # round's decimals are a whole number written out
    "round(a, 1, 2)",
    "round(a, 9)",
    "min(a, b, key=abs)",
    "a / b",  # b can be 0
    "a / total",
    "a / 0",
    "a / (2 - 2)",
    "a b",
    "",
    "()",
    "(a",
    "a)",
    "1e999",
    "(" * 100 + "a" + ")" * 100,  # deeper than the limit
    "a + " * 200 + "a",  # longer than the limit
]


@pytest.mark.parametrize("text", OUTSIDE)
def test_everything_outside_the_grammar_is_refused(text):
    with pytest.raises(FormulaError):
        parse_formula(text, NAMES)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("ab d.[]()'_:=,+-*/%×÷ 0123456789lambdaminroundeval")),
        max_size=40,
    )
)
def test_any_text_parses_into_the_grammar_or_is_refused(text):
    """Whatever the text, the result is a tree of the five allowed node kinds naming only
    declared columns and calling only min, max and round, or a FormulaError."""
    try:
        parsed = parse_formula(text, NAMES)
    except FormulaError:
        return
    for node in formula_module._walk(parsed.tree):
        assert isinstance(node, Number | Variable | Negate | Binary | Call)
        if isinstance(node, Variable):
            assert node.key in {key for key, _ in DECLARED.values()}
        if isinstance(node, Call):
            assert node.function in ("min", "max", "round")


def test_no_eval_exec_or_compile_anywhere_in_the_formula_module(monkeypatch):
    source = Path(formula_module.__file__).read_text(encoding="utf-8")
    called = {
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}

    def forbidden(*args, **kwargs):
        raise AssertionError("the formula language must never hand text to Python")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    parsed = parse_formula("(备件毛利额 + a) × 0.5% × d − min(b, 3) ÷ 分母", NAMES)
    values, _ = evaluate(parsed, {k: np.array([1.0]) for k, _ in DECLARED.values()}, 1)
    assert values[0] == pytest.approx(2 * 0.005 - 1 / 1)


# ------------------------------------------------------------------ hand-computed


def test_percent_numbers_chinese_operators_and_precedence():
    parsed = parse_formula("(备件毛利额 + a) × 0.5% × d", NAMES)
    values, _ = evaluate(
        parsed, {"parts": np.array([200_000.0]), "a": np.array([50_000.0]), "d": [1.2]}, 1
    )
    assert values[0] == pytest.approx(1500.0)  # 250,000 × 0.005 × 1.2
    assert parse_formula("a + b * 2", NAMES).tree == parse_formula("a+(b*2)", NAMES).tree
    assert parse_formula("a - b - d", NAMES).tree == parse_formula("(a-b)-d", NAMES).tree


def test_round_is_half_away_from_zero():
    parsed = parse_formula("round(a, 2)", NAMES)
    values, _ = evaluate(parsed, {"a": np.array([2.345, -2.345, 1.005, 0.004999])}, 4)
    assert values.tolist() == [2.35, -2.35, 1.01, 0.0]


def test_a_zero_divisor_at_run_time_gives_nothing_and_is_marked():
    parsed = parse_formula("a / (b + 1)", NAMES)
    values, bad = evaluate(parsed, {"a": np.array([3.0, 3.0]), "b": np.array([2.0, -1.0])}, 2)
    assert values[0] == 1.0 and math.isnan(values[1])
    assert bad.tolist() == [False, True]


def test_messages_name_the_problem():
    with pytest.raises(FormulaError, match="'x' at position 5 is not a column"):
        parse_formula("a + x", NAMES)
    with pytest.raises(FormulaError, match="not a number column"):
        parse_formula("department * 2", NAMES)
    with pytest.raises(FormulaError, match="b can be 0"):
        parse_formula("a / b", NAMES)
    with pytest.raises(FormulaError, match="only min, max and round"):
        parse_formula("abs(a)", NAMES)
