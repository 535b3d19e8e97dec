"""The tilde notation of ``%%exmc``: a few lines of text -> an ``exmc.IR``.

::

    mu ~ Normal(0, 5)                      # an rv; parameters positional (API.md's order) ...
    tau ~ HalfCauchy(beta=5)               # ... or by keyword
    theta ~ Normal(mu, tau, shape=8)       # shape=, transform=, noncenter= as in Builder.rv
    y ~ Normal(theta, sigma) observed=y_data   # an rv `y` and its observation `y_obs`
    spread = jnp.exp(tau) + 1              # a deterministic node over other nodes (jax.numpy)
    L ~ LKJCholesky(2, 2.0)                # the multivariate families too (decision 40):
    ab ~ MvNormal(mu_ab, chol=chol, shape=(85, 2))   # the second parametrization by keyword
    keep_small += -jnp.sum(ab[:, 1] ** 4)  # a potential: sum(expr) joins the log-density

A name on the right that is a node of the cell becomes a reference to that node (a node
wins over a namespace variable of the same name); every other name, and every expression
without a node in it (``np.zeros(3)``, ``2 * s``), is evaluated in the namespace. A node
inside arithmetic is only allowed on a ``name = expr`` line, which defines a det node, or on
a ``name += expr`` line, which defines the potential ``name`` (``Builder.potential``: the sum
of ``expr`` is added to the log-density, as Stan's ``target += expr``; decision 60).
The rules and their reasons are DECISIONS.md's "The %%exmc notation".

Errors in the text are ``MagicError`` s (``exmc.ExmcError`` subclasses) carrying the line
and column and showing the line with a caret. Errors the Builder or the whole-model
checks raise pass through unchanged, with a note naming the line of the node.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import io
import keyword
import tokenize
from dataclasses import dataclass
from typing import Mapping

import numpy as np

import exmc
from exmc import errors as E
from exmc.dist import CATEGORICAL, CONTINUOUS, DISCRETE, MULTIVARIATE
from exmc.dist.base import Distribution
from exmc.ir.analysis import analyze

DISTRIBUTIONS: dict[str, type[Distribution]] = {
    d.__name__: d for d in CONTINUOUS + DISCRETE + MULTIVARIATE + CATEGORICAL
}
OPTIONS = ("shape", "transform", "noncenter", "observed")  # the keywords that are not parameters
OBS_SUFFIX = "_obs"  # `y ~ ... observed=d` makes the rv `y` and the obs node `y_obs`, as in the README


class MagicError(E.ExmcError):
    """A problem in the text of a ``%%exmc`` cell, at ``lineno`` / ``col`` (both from 1).

    ``lineno`` counts the cell's lines, the ``%%exmc NAME`` line being line 1; ``line`` is
    the offending line's text. The message shows that line with a caret under the column.
    """

    def __init__(self, node: str | None, problem: str, *, lineno: int, col: int, line: str, width: int = 1):
        super().__init__(node, problem)
        self.lineno, self.col, self.line = lineno, col, line
        where = f"node '{node}', " if node is not None else ""
        caret = " " * (col - 1) + "^" * max(1, width)
        self.args = (f"{where}line {lineno}, column {col}: {problem}\n    {line.replace(chr(9), ' ')}\n    {caret}",)


class MagicSyntaxError(MagicError):
    """The text is not a statement of the notation."""


class MagicNameError(MagicError, E.UnknownReferenceError):
    """A name that is neither a node of the cell nor a variable of the namespace."""


class MagicDistributionError(MagicError, E.DistributionError):
    """A name after ``~`` that is not an Exmc distribution."""


class MagicParameterError(MagicError, E.ParameterError):
    """Parameters that do not fit the distribution: count, names, or a value that cannot be one."""


class MagicDeterministicError(MagicError, E.DeterministicError):
    """A ``name = expr`` line that does not define a deterministic node."""


class MagicPotentialError(MagicError, E.PotentialError):
    """A ``name += expr`` line that does not define a potential."""


class MagicEvaluationError(MagicError):
    """A Python expression (of namespace values) that raised when evaluated."""


def parse_model(source: str, namespace: Mapping[str, object] | None = None, *, first_line: int = 1) -> exmc.IR:
    """Build the IR that the tilde-notation ``source`` describes.

    Parameters
    ----------
    source : the model, one statement a line (a bracket may continue a statement on the
        next lines); ``#`` comments, blank lines and indentation are ignored.
    namespace : where names that are not nodes are looked up (the user's namespace in
        IPython). It is read, never written.
    first_line : the line number of ``source`` 's first line in error messages (2 in a
        ``%%exmc`` cell, whose line 1 is the magic's).

    Returns the IR after the whole-model checks (``exmc.ir.analysis``) passed, so that a
    broken reference, a cycle or a shape mismatch is reported now, on its line.
    """
    return _Parser(source, namespace or {}, first_line).parse()


@dataclass
class _Segment:
    """A piece of the (de-indented) text, parsed by ``ast``: maps its positions back to the text."""

    text: str
    row: int  # the text's row (1-based) of the segment's first line
    col: int  # the column (0-based, characters) where the segment starts in that row
    tree: ast.expr

    def position(self, node: ast.AST) -> tuple[int, int, int]:
        """Row, column (0-based, characters) and width of ``node`` in the text."""
        lines = self.text.split("\n")

        def chars(lineno: int, byte_offset: int) -> int:
            return len(lines[lineno - 1].encode()[:byte_offset].decode(errors="ignore"))

        col = chars(node.lineno, node.col_offset)
        if node.end_lineno == node.lineno:
            width = chars(node.end_lineno, node.end_col_offset) - col
        else:
            width = len(lines[node.lineno - 1]) - col
        return self.row + node.lineno - 1, col + (self.col if node.lineno == 1 else 0), width

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""


@dataclass
class _Statement:
    kind: str  # "~" (an rv, observed or not), "=" (a det node) or "+=" (a potential)
    name: str
    row: int
    rhs: _Segment  # the distribution call, or the det expression
    observed: _Segment | None = None  # the expression after a trailing `observed=`


class _Parser:
    def __init__(self, source: str, namespace: Mapping[str, object], first_line: int):
        raw = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.raw_lines = raw
        self.lines = [line.lstrip() for line in raw]
        self.indent = [len(line) - len(stripped) for line, stripped in zip(raw, self.lines)]
        self.first_line = first_line
        self.namespace = namespace
        self.env = dict(namespace)  # eval's globals: a copy, so evaluation never writes to the user's
        self.env.setdefault("__builtins__", builtins)
        self.rows: dict[str, int] = {}  # node name -> the row defining it

    # -- errors -----------------------------------------------------------------------------

    def error(self, cls: type[MagicError], problem: str, row: int, col: int, width: int = 1, node: str | None = None):
        raw = self.raw_lines[row - 1] if row - 1 < len(self.raw_lines) else ""
        return cls(node, problem, lineno=row + self.first_line - 1, col=col + self.indent[row - 1] + 1,
                   line=raw, width=width)

    def at_token(self, cls, problem: str, tok: tokenize.TokenInfo, node: str | None = None):
        width = tok.end[1] - tok.start[1] if tok.end[0] == tok.start[0] else 1
        return self.error(cls, problem, tok.start[0], tok.start[1], width, node)

    def at_node(self, cls, problem: str, seg: _Segment, node: ast.AST, name: str | None = None):
        row, col, width = seg.position(node)
        return self.error(cls, problem, row, col, width, name)

    def note(self, err: E.ExmcError, row: int) -> E.ExmcError:
        err.add_note(f"in %%exmc line {row + self.first_line - 1}: {self.raw_lines[row - 1].strip()}")
        return err

    # -- text -> statements -----------------------------------------------------------------

    def parse(self) -> exmc.IR:
        statements = [self.statement(tokens) for tokens in self.logical_lines()]
        for st in statements:
            self.rows.setdefault(st.name, st.row)
        self.nodes = {st.name for st in statements}
        ir = exmc.Builder.new_ir()
        for st in statements:
            try:
                ir = self.rv(ir, st) if st.kind == "~" else self.det(ir, st, potential=st.kind == "+=")
            except MagicError:
                raise
            except E.ExmcError as err:
                raise self.note(err, st.row)
        try:
            analyze(ir)
        except E.ExmcError as err:
            node = err.node
            if node is not None and node not in self.rows and node.endswith(OBS_SUFFIX):
                node = node[: -len(OBS_SUFFIX)]
            if node in self.rows:
                self.note(err, self.rows[node])
            raise
        return ir

    def logical_lines(self):
        """Token lists, one a statement, without comments; unbalanced brackets are errors here."""
        text = "\n".join(self.lines) + "\n"
        stack: list[tokenize.TokenInfo] = []
        current: list[tokenize.TokenInfo] = []
        skip = (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.ERRORTOKEN:
                    if tok.string.isspace():
                        continue
                    what = "an unterminated string" if tok.string[:1] in "'\"" else f"an unexpected character {tok.string!r}"
                    raise self.at_token(MagicSyntaxError, what, tok)
                if tok.type == tokenize.OP and tok.string in "([{":
                    stack.append(tok)
                elif tok.type == tokenize.OP and tok.string in ")]}":
                    if not stack:
                        raise self.at_token(MagicSyntaxError, f"unmatched '{tok.string}'", tok)
                    opener = stack.pop()
                    if "([{".index(opener.string) != ")]}".index(tok.string):
                        raise self.at_token(
                            MagicSyntaxError,
                            f"'{tok.string}' does not match the '{opener.string}' of line "
                            f"{opener.start[0] + self.first_line - 1}", tok)
                if tok.type == tokenize.NEWLINE:
                    if current:
                        yield current
                    current = []
                elif tok.type not in skip:
                    current.append(tok)
        except tokenize.TokenError as err:
            if stack:
                raise self.at_token(MagicSyntaxError, f"'{stack[-1].string}' was never closed", stack[-1]) from None
            row, col = err.args[1]
            raise self.error(MagicSyntaxError, "an unterminated triple-quoted string", row, col) from None
        if current:
            yield current

    def statement(self, tokens: list[tokenize.TokenInfo]) -> _Statement:
        first = tokens[0]
        if first.type != tokenize.NAME:
            raise self.at_token(
                MagicSyntaxError, "expected a node name, then '~ Distribution(...)', '= expression' or '+= expression'",
                first)
        name = first.string
        if keyword.iskeyword(name):
            raise self.at_token(MagicSyntaxError, f"'{name}' is a Python keyword and cannot name a node", first)
        if len(tokens) < 2 or tokens[1].string not in ("~", "=", "+="):
            bad = tokens[1] if len(tokens) > 1 else first
            raise self.at_token(
                MagicSyntaxError, f"expected '~' (a random variable), '=' (a deterministic node) or '+=' (a potential) "
                f"after '{name}'", bad, name)
        op, rest = tokens[1], tokens[2:]
        if op.string in ("=", "+="):
            if not rest:
                raise self.at_token(MagicSyntaxError, f"expected an expression after '{op.string}'", op, name)
            return _Statement(op.string, name, first.start[0], self.segment(rest, name))
        call, observed = self.split_observed(rest, op, name)
        rhs = self.segment(call, name)
        if not isinstance(rhs.tree, ast.Call):
            raise self.at_node(MagicSyntaxError, "expected a distribution call such as Normal(0, 1) after '~'",
                               rhs, rhs.tree, name)
        return _Statement("~", name, first.start[0], rhs, self.segment(observed, name) if observed else None)

    def split_observed(self, rest, tilde, name):
        """The tokens of the distribution call, and those of a trailing ``observed=`` (or None)."""
        if not rest or rest[0].type != tokenize.NAME:
            raise self.at_token(MagicSyntaxError, "expected a distribution after '~', e.g. Normal(0, 1)",
                                rest[0] if rest else tilde, name)
        i = 1
        while i + 1 < len(rest) and rest[i].string == "." and rest[i + 1].type == tokenize.NAME:
            i += 2
        if i >= len(rest) or rest[i].string != "(":
            where = rest[i] if i < len(rest) else rest[i - 1]
            raise self.at_token(MagicSyntaxError, "expected '(' and the distribution's parameters", where, name)
        depth = 0
        for j in range(i, len(rest)):
            if rest[j].type == tokenize.OP and rest[j].string in "([{":
                depth += 1
            elif rest[j].type == tokenize.OP and rest[j].string in ")]}":
                depth -= 1
                if depth == 0:
                    break
        call, after = rest[: j + 1], rest[j + 1:]
        if not after:
            return call, None
        if not (after[0].string == "observed" and len(after) > 1 and after[1].string == "="):
            raise self.at_token(
                MagicSyntaxError, f"unexpected '{after[0].string}' after the distribution: only observed=DATA may follow",
                after[0], name)
        if len(after) == 2:
            raise self.at_token(MagicSyntaxError, "expected the observed data after 'observed='", after[1], name)
        return call, after[2:]

    def segment(self, tokens, name: str) -> _Segment:
        (r1, c1), (r2, c2) = tokens[0].start, tokens[-1].end
        if r1 == r2:
            text = self.lines[r1 - 1][c1:c2]
        else:
            text = "\n".join([self.lines[r1 - 1][c1:], *self.lines[r1:r2 - 1], self.lines[r2 - 1][:c2]])
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError as err:
            lineno, offset = err.lineno or 1, err.offset or 1
            row, col = r1 + lineno - 1, offset - 1 + (c1 if lineno == 1 else 0)
            width = (err.end_offset - err.offset) if err.end_lineno == err.lineno and err.end_offset else 1
            raise self.error(MagicSyntaxError, err.msg, row, col, width, name) from None
        return _Segment(text, r1, c1, tree)

    # -- statements -> nodes ----------------------------------------------------------------

    def rv(self, ir: exmc.IR, st: _Statement) -> exmc.IR:
        call: ast.Call = st.rhs.tree
        dist = self.distribution(st, call.func)
        order = tuple(dist.parametrizations[0])
        known = dist.param_names()
        exprs: dict[str, ast.expr] = {}
        options: dict[str, ast.expr] = {}
        for i, arg in enumerate(call.args):
            if isinstance(arg, ast.Starred):
                raise self.at_node(MagicSyntaxError, "*args is not part of the notation", st.rhs, arg, st.name)
            if i >= len(order):
                raise self.at_node(
                    MagicParameterError,
                    f"{dist.__name__} takes {len(order)} positional parameter{'s' * (len(order) != 1)} "
                    f"({', '.join(order)}), got {len(call.args)}; shape=, transform=, observed= go by keyword",
                    st.rhs, arg, st.name)
            exprs[order[i]] = arg
        for kw in call.keywords:
            if kw.arg is None:
                raise self.at_node(MagicSyntaxError, "**kwargs is not part of the notation", st.rhs, kw, st.name)
            if kw.arg in exprs or kw.arg in options:
                how = "positionally and by keyword" if kw.arg in exprs and kw.arg in order[: len(call.args)] else "twice"
                raise self.at_node(MagicParameterError, f"'{kw.arg}' given {how}", st.rhs, kw, st.name)
            if kw.arg in OPTIONS:
                options[kw.arg] = kw.value
            elif kw.arg in known:
                exprs[kw.arg] = kw.value
            else:
                hint = _did_you_mean(kw.arg, known + OPTIONS)
                raise self.at_node(
                    MagicParameterError,
                    f"{dist.__name__} has no parameter '{kw.arg}'{hint}; its parameters are {', '.join(known)} "
                    f"(and the options {', '.join(OPTIONS)})", st.rhs, kw, st.name)
        try:
            dist.match(set(exprs))
        except ValueError as err:
            raise self.at_node(MagicParameterError, str(err), st.rhs, call, st.name) from None
        if "observed" in options and st.observed is not None:
            raise self.at_node(MagicSyntaxError, "observed= given twice: in the call and after it",
                               st.observed, st.observed.tree, st.name)

        params = {p: self.param(st, st.rhs, expr, f"parameter '{p}' of {dist.__name__}") for p, expr in exprs.items()}
        kwargs = {k: self.constant(st, st.rhs, expr, f"{k}=") for k, expr in options.items() if k != "observed"}
        if "noncenter" in kwargs and not isinstance(kwargs["noncenter"], (bool, np.bool_)):
            raise self.at_node(MagicParameterError, f"noncenter= must be True or False, got {kwargs['noncenter']!r}",
                               st.rhs, options["noncenter"], st.name)
        ir = ir.rv(st.name, dist, params, **kwargs)

        if "observed" in options:
            data = self.constant(st, st.rhs, options["observed"], "observed=")
        elif st.observed is not None:
            data = self.constant(st, st.observed, st.observed.tree, "observed=")
        else:
            return ir
        return ir.obs(st.name + OBS_SUFFIX, st.name, data)

    def distribution(self, st: _Statement, func: ast.expr) -> type[Distribution]:
        """The distribution class named by ``func``: Exmc's by name first, then the namespace's."""
        if isinstance(func, ast.Name) and func.id in DISTRIBUTIONS:
            return DISTRIBUTIONS[func.id]
        label = st.rhs.source(func)
        if isinstance(func, ast.Name) and func.id not in self.env:
            hint = _did_you_mean(func.id, tuple(DISTRIBUTIONS))
            raise self.at_node(
                MagicDistributionError,
                f"unknown distribution '{func.id}'{hint}; Exmc's are {', '.join(DISTRIBUTIONS)}",
                st.rhs, func, st.name)
        value = self.evaluate(st, st.rhs, func)
        if not (isinstance(value, type) and issubclass(value, Distribution) and value is not Distribution):
            raise self.at_node(
                MagicDistributionError, f"'{label}' is {_kind(value)}, not an Exmc distribution", st.rhs, func, st.name)
        return value

    def param(self, st: _Statement, seg: _Segment, expr: ast.expr, what: str):
        """A parameter's value: a node reference (a bare node name) or a namespace value."""
        if isinstance(expr, ast.Name) and expr.id in self.nodes:
            return expr.id
        inner = self.node_names(expr)
        if inner:
            raise self.at_node(
                MagicParameterError,
                f"{what} computes with the node '{inner[0].id}'; a parameter may name a node, not compute with "
                f"one: define it on its own line (e.g. `{st.name}_{inner[0].id} = {seg.source(expr)}`) and name that",
                seg, inner[0], st.name)
        value = self.evaluate(st, seg, expr)
        if isinstance(value, str):
            raise self.at_node(
                MagicParameterError, f"{what} is the string {value!r}: name a node bare, without quotes", seg, expr,
                st.name)
        return value

    def constant(self, st: _Statement, seg: _Segment, expr: ast.expr, what: str):
        """A value that cannot depend on the model (shape, transform, observed data).

        Its names are the namespace's even where a node has the same name, so that
        ``y ~ Normal(mu, 1) observed=y`` observes the data ``y``.
        """
        return self.evaluate(st, seg, expr, what)

    def node_names(self, expr: ast.expr) -> list[ast.Name]:
        names = [n for n in _loads(expr) if n.id in self.nodes]
        return sorted(names, key=lambda n: (n.lineno, n.col_offset))

    def evaluate(self, st: _Statement, seg: _Segment, expr: ast.expr, what: str | None = None):
        code = compile(ast.Expression(body=expr), f"<%%exmc line {st.row + self.first_line - 1}>", "eval")
        try:
            return eval(code, self.env)
        except NameError as err:
            for name in sorted(_loads(expr), key=lambda n: (n.lineno, n.col_offset)):
                if name.id == err.name and name.id in self.nodes and what is not None:
                    raise self.at_node(
                        MagicParameterError, f"{what} cannot use the node '{name.id}': it takes a value of the "
                        f"namespace, which has no variable '{name.id}'", seg, name, st.name) from None
                if name.id == err.name:
                    raise self.unknown_name(st, seg, name) from None
            problem = f"evaluating `{seg.source(expr)}` raised NameError: {err}"
            raise self.at_node(MagicEvaluationError, problem, seg, expr, st.name) from None
        except Exception as err:
            problem = f"evaluating `{seg.source(expr)}` raised {type(err).__name__}: {err}"
            raise self.at_node(MagicEvaluationError, problem, seg, expr, st.name) from None

    def unknown_name(self, st: _Statement, seg: _Segment, name: ast.Name) -> MagicNameError:
        candidates = tuple(self.nodes) + tuple(k for k in self.namespace if not k.startswith("_"))
        hint = _did_you_mean(name.id, candidates)
        return self.at_node(
            MagicNameError, f"unknown name '{name.id}': neither a node of this model nor a variable of the namespace{hint}",
            seg, name, st.name)

    def det(self, ir: exmc.IR, st: _Statement, potential: bool = False) -> exmc.IR:
        """``name = expr``: a det node whose function is ``expr`` over the nodes it names;
        ``name += expr`` (``potential``): the potential ``name``, sum(expr) in the log-density."""
        expr = st.rhs.tree
        loads = sorted(_loads(expr), key=lambda n: (n.lineno, n.col_offset))
        deps = tuple(dict.fromkeys(n.id for n in loads if n.id in self.nodes))
        if not deps:
            what = ("a potential is a term of the log-density computed from nodes" if potential
                    else "a deterministic node is computed from nodes")
            raise self.at_node(
                MagicPotentialError if potential else MagicDeterministicError,
                f"`{st.rhs.source(expr)}` uses no node of the model; {what} "
                "(plain values belong in Python, outside the cell)", st.rhs, expr, st.name)
        env: dict[str, object] = {"__builtins__": builtins}
        for name in loads:
            if name.id in self.nodes or name.id in env:
                continue
            if name.id in self.namespace:
                env[name.id] = _frozen(self.namespace[name.id])
            elif name.id == "jnp":
                import jax.numpy as jnp

                env["jnp"] = jnp
            elif not hasattr(builtins, name.id):
                raise self.unknown_name(st, st.rhs, name)
        args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=d) for d in deps], vararg=None, kwonlyargs=[],
                             kw_defaults=[], kwarg=None, defaults=[])
        tree = ast.Expression(body=ast.copy_location(ast.Lambda(args=args, body=expr), expr))
        ast.fix_missing_locations(tree)
        fn = eval(compile(tree, f"<%%exmc line {st.row + self.first_line - 1}>", "eval"), env)
        return ir.potential(st.name, fn, deps) if potential else ir.det(st.name, fn, deps)


def _loads(expr: ast.expr) -> list[ast.Name]:
    """Names read by ``expr`` that it does not bind itself (lambda arguments, comprehension targets)."""
    bound = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {a.arg for n in ast.walk(expr) if isinstance(n, ast.Lambda)
              for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs}
    return [n for n in ast.walk(expr) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound]


def _frozen(value):
    """A read-only copy of an array, so that a det node does not change when the user's array does."""
    if isinstance(value, np.ndarray):
        value = value.copy()
        value.setflags(write=False)
    return value


def _did_you_mean(word: str, candidates) -> str:
    close = difflib.get_close_matches(word, list(dict.fromkeys(candidates)), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _kind(value) -> str:
    return f"a {type(value).__name__}" if not isinstance(value, type) else f"the class {value.__name__}"
