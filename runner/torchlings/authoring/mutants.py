"""Small mistakes made on purpose: AST mutants of a solution.

A mutant changes one thing on one line that the learner writes (a line of the
solution that the shipped exercise does not have): it drops a `.detach()`,
swaps `mean` for `sum` or `softmax` for `log_softmax`, flips a dim or a sign,
deletes or swaps a call, shifts a constant or a comparison. A check that lets
a mutant pass has a gap, unless the mutant behaves exactly like the solution
(then the course author declares it equivalent, with a reason).

The rest of the file is kept byte for byte: only the changed expression or
line is rewritten, so a mutant reads like a learner's slip, not a reformat.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

# Method or function names swapped for a near miss a learner makes.
SWAPS = {
    "mean": "sum",
    "sum": "mean",
    "softmax": "log_softmax",
    "log_softmax": "softmax",
    "max": "min",
    "min": "max",
    "amax": "amin",
    "amin": "amax",
    "argmax": "argmin",
    "argmin": "argmax",
    "exp": "log",
    "log": "exp",
    "minimum": "maximum",
    "maximum": "minimum",
    "mse_loss": "l1_loss",
    "smooth_l1_loss": "mse_loss",
    "zeros": "ones",
    "ones": "zeros",
    "zeros_like": "ones_like",
    "ones_like": "zeros_like",
}
# Calls that only stop or copy something: dropping them keeps the value.
DROPPABLE = {"detach", "clone", "contiguous", "float", "item", "long", "squeeze", "unsqueeze"}
# Context managers whose whole point is to stop gradients or change a mode.
GRAD_CONTEXTS = {"no_grad", "inference_mode"}
# Calls whose first positional argument (or `dim=`) is a dimension.
DIM_CALLS = {
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "softmax", "log_softmax",
    "gather", "unsqueeze", "squeeze", "cat", "stack", "std", "var", "cumsum", "flip", "logsumexp",
    "norm", "all", "any", "prod",
}
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
COMPARE_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    operator: str  # what was done, in words: "mean → sum"
    line: int  # 1-based line of the solution it changes
    before: str  # the solution's text of the changed lines
    after: str  # the mutant's text of them
    source: str  # the whole mutated module

    @property
    def key(self) -> str:
        """A name that survives edits elsewhere in the file (line numbers do not)."""
        text = f"{self.operator}|{self.before.strip()}|{self.after.strip()}"
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]

    def diff(self, filename: str) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"{filename}:{self.line} (solution)",
                f"{filename}:{self.line} (mutant {self.key})",
                n=0,
            )
        )


def learner_lines(exercise: str, solution: str) -> set[int]:
    """Lines of the solution (1-based) that the shipped exercise does not have.

    Lines are compared as code: a comment the exercise adds (`# (B, n_actions)`)
    does not make a given line the learner's.
    """
    ex_lines = _code_lines(exercise)
    sol_lines = _code_lines(solution)
    matcher = difflib.SequenceMatcher(a=ex_lines, b=sol_lines, autojunk=False)
    changed: set[int] = set()
    for tag, _a0, _a1, b0, b1 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            changed.update(range(b0 + 1, b1 + 1))
    # Blank lines and comments carry nothing to mutate.
    return {n for n in changed if sol_lines[n - 1] and not sol_lines[n - 1].startswith("#")}


def _code_lines(source: str) -> list[str]:
    """Each line stripped of its comment and surrounding blanks."""
    lines = source.splitlines()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                lines[row - 1] = lines[row - 1][:col]
    except (tokenize.TokenError, SyntaxError):
        pass  # an exercise that does not tokenize is compared with its comments
    return [line.strip() for line in lines]


def mutants(exercise: str, solution: str) -> list[Mutant]:
    """Every mutant of `solution` on the lines the learner writes, in line order."""
    tree = ast.parse(solution)
    lines = learner_lines(exercise, solution)
    text = _Text(solution)
    found: dict[str, Mutant] = {}
    for operator, start, end, replacement in _Mutator(lines).edits(tree):
        mutant = text.splice(operator, start, end, replacement)
        if mutant is not None and mutant.source != solution:
            found.setdefault(mutant.key, mutant)
    return sorted(found.values(), key=lambda m: (m.line, m.operator))


# A position in the source: (line, column in UTF-8 bytes), as `ast` gives them.
Position = tuple[int, int]


class _Text:
    """The solution's text, with splicing at ast positions."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)

    def _offset(self, position: Position) -> int:
        line, col = position
        before = "".join(self.lines[: line - 1])
        return len(before) + len(self.lines[line - 1].encode("utf-8")[:col].decode("utf-8"))

    def splice(self, operator: str, start: Position, end: Position, replacement: str) -> Mutant | None:
        a, b = self._offset(start), self._offset(end)
        source = self.source[:a] + replacement + self.source[b:]
        try:
            ast.parse(source)
        except SyntaxError:
            return None
        first, last = start[0], end[0]
        before = "".join(self.lines[first - 1 : last])
        new_lines = source.splitlines(keepends=True)
        tail = len(self.lines) - last
        after = "".join(new_lines[first - 1 : len(new_lines) - tail])
        return Mutant(operator, first, before, after, source)


class _Mutator:
    """Walks the tree and proposes (operator, start, end, replacement text) edits."""

    def __init__(self, lines: set[int]) -> None:
        self.lines = lines
        self.converted: set[int] = set()

    def _ours(self, node: ast.AST) -> bool:
        return getattr(node, "lineno", None) in self.lines

    @staticmethod
    def _span(node: ast.AST) -> tuple[Position, Position]:
        return (node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def edits(self, tree: ast.AST) -> Iterator[tuple[str, Position, Position, str]]:
        # int(x.item()) is int(x): dropping that .item() changes nothing worth a report.
        self.converted = {
            id(node.args[0])
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("int", "float", "bool") and len(node.args) == 1
        }
        for node in ast.walk(tree):
            for field_name in ("body", "orelse", "finalbody"):
                block = getattr(node, field_name, None)
                if isinstance(block, list):
                    yield from self._statements(block)
            if not self._ours(node):
                continue
            if isinstance(node, ast.Call):
                yield from self._call(node)
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
                yield ("drop the minus sign", *self._span(node), ast.unparse(node.operand))
            elif isinstance(node, ast.BinOp) and type(node.op) in BINOP_SWAPS:
                swapped = ast.BinOp(node.left, BINOP_SWAPS[type(node.op)](), node.right)
                yield (f"{_op(node.op)} → {_op(swapped.op)}", *self._span(node), ast.unparse(swapped))
            elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARE_SWAPS:
                compared = ast.Compare(node.left, [COMPARE_SWAPS[type(node.ops[0])]()],
                                       node.comparators)
                yield (f"{_op(node.ops[0])} → {_op(compared.ops[0])}", *self._span(node),
                       ast.unparse(compared))
            elif isinstance(node, ast.Constant):
                yield from self._constant(node)

    def _call(self, node: ast.Call) -> Iterator[tuple[str, Position, Position, str]]:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if (
            isinstance(func, ast.Attribute) and name in DROPPABLE and not node.args and not node.keywords
            and not (name == "item" and id(node) in self.converted)
        ):
            yield (f"drop .{name}()", *self._span(node), ast.unparse(func.value))
        if name in GRAD_CONTEXTS and not node.args:
            enabled = ast.unparse(func).replace(name, "enable_grad")
            yield (f"{name}() → enable_grad()", *self._span(func), enabled)
        if name in SWAPS:
            new = SWAPS[name]
            if isinstance(func, ast.Attribute):
                renamed: ast.expr = ast.Attribute(func.value, new, ast.Load())
            else:
                renamed = ast.Name(new, ast.Load())
            yield (f"{name} → {new}", *self._span(func), ast.unparse(renamed))
        if name in DIM_CALLS:
            yield from self._dims(node, name)
        for keyword in node.keywords:
            if keyword.arg is not None and keyword.arg != "dim":
                rest = [k for k in node.keywords if k is not keyword]
                trimmed = ast.Call(node.func, node.args, rest)
                yield (f"drop {keyword.arg}= from {name}()", *self._span(node), ast.unparse(trimmed))

    def _dims(self, node: ast.Call, name: str) -> Iterator[tuple[str, Position, Position, str]]:
        candidates: list[ast.expr] = [k.value for k in node.keywords if k.arg == "dim"]
        if node.args and isinstance(node.func, ast.Attribute):
            candidates.append(node.args[0])  # x.sum(1), x.gather(1, ...)
        for dim in candidates:
            value = _int_value(dim)
            if value is None:
                continue
            # 1 and -1 are the same dim of a matrix; 0 is the batch dim.
            new = 1 if value == 0 else 0
            yield (f"dim {value} → {new} in {name}()", *self._span(dim), str(new))

    def _constant(self, node: ast.Constant) -> Iterator[tuple[str, Position, Position, str]]:
        value = node.value
        if isinstance(value, bool):
            yield (f"{value} → {not value}", *self._span(node), str(not value))
        elif isinstance(value, int):
            yield (f"{value} → {value + 1}", *self._span(node), str(value + 1))
        elif isinstance(value, float) and value != 0 and abs(value) >= 1e-3:
            yield (f"{value} → {value * 2}", *self._span(node), repr(value * 2))
        elif isinstance(value, float):
            yield (f"{value} → 1.0", *self._span(node), "1.0")

    def _statements(self, block: list[ast.stmt]) -> Iterator[tuple[str, Position, Position, str]]:
        for index, statement in enumerate(block):
            if not self._ours(statement) or statement.lineno != statement.end_lineno:
                continue
            if _is_docstring(statement):
                continue
            if isinstance(statement, ast.Expr | ast.AugAssign) and len(block) > 1:
                yield ("delete the statement", *self._span(statement), "pass")
            following = block[index + 1] if index + 1 < len(block) else None
            if (
                following is not None
                and self._ours(following)
                and following.lineno == following.end_lineno
                and following.col_offset == statement.col_offset
                and isinstance(statement, ast.Expr | ast.Assign | ast.AugAssign)
                and isinstance(following, ast.Expr | ast.Assign | ast.AugAssign)
            ):
                start, _ = self._span(statement)
                _, end = self._span(following)
                swapped = f"{ast.unparse(following)}\n{' ' * statement.col_offset}{ast.unparse(statement)}"
                yield ("swap two statements", start, end, swapped)


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) \
        and isinstance(statement.value.value, str)


def _int_value(node: ast.expr) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int)
    ):
        return -node.operand.value
    return None


_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Lt: "<", ast.LtE: "<=",
    ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not",
}


def _op(op: ast.AST) -> str:
    return _SYMBOLS.get(type(op), type(op).__name__)
