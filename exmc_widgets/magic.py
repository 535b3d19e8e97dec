"""The ``%exmc`` / ``%%exmc`` IPython magics (``%load_ext exmc_widgets``).

::

    %%exmc eight                 # define a model in tilde notation (exmc_widgets.notation);
    mu ~ Normal(0, 5)            # binds the IR to `eight`
    ...

    %exmc sample eight --draws 500 --into trace   # live dashboard; waits, then binds the Trace
    %exmc summary trace                           # exmc.summary(trace), as the cell's output
    %exmc dashboard trace                         # exmc_widgets.dashboard(trace)

``%exmc sample`` waits for sampling to finish (the dashboard updates live meanwhile, from
its background thread), so the next cell sees the whole trace and a notebook re-runs to the
same numbers; interrupting the kernel stops sampling and binds the draws made so far.
For a cell that returns at once, call ``exmc_widgets.stream`` directly.
"""

from __future__ import annotations

import argparse
import keyword
import shlex

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

import exmc
from exmc import errors as E
from exmc_widgets.notation import parse_model

USAGE = """\
%%exmc NAME           (cell magic) the cell's lines define a model in tilde notation; binds the IR to NAME
%exmc sample NAME [--draws N] [--tune N] [--chains N] [--seed S] [--into VAR]
                      sample the model NAME with the live dashboard, wait until it is done and bind
                      the Trace to VAR (default: trace). Defaults: 1000 draws, 1000 tune, 4 chains, seed 0
%exmc summary VAR     exmc.summary of the Trace VAR (a pandas DataFrame)
%exmc dashboard VAR   the dashboard of the finished Trace VAR
                      (for both, VAR may also hold a dashboard: its trace so far)"""


def load_ipython_extension(ipython) -> None:
    """Register ``%exmc`` and ``%%exmc`` with ``ipython``."""
    ipython.register_magics(ExmcMagics)


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are IPython ``UsageError`` s carrying the usage, never ``SystemExit``."""

    def error(self, message: str):
        raise UsageError(f"%exmc: {message}\nusage:\n{USAGE}")


def _sample_parser() -> _Parser:
    parser = _Parser(prog="%exmc sample", add_help=False, allow_abbrev=False)
    parser.add_argument("name")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--into", default="trace")
    return parser


def _usage(problem: str) -> UsageError:
    return UsageError(f"%exmc: {problem}\nusage:\n{USAGE}")


def _is_name(word: str) -> bool:
    return word.isidentifier() and not keyword.iskeyword(word)


def _short_traceback(err: E.ExmcError) -> E.ExmcError:
    """Show an Exmc error as its message and notes alone: the fault is in the cell, not in Exmc's frames.

    IPython prints ``_render_traceback_()`` instead of the traceback; the exception itself
    (its class, ``.node``, the notes) is unchanged for code that catches it.
    """
    lines = f"{type(err).__module__}.{type(err).__name__}: {err}".splitlines()
    lines += getattr(err, "__notes__", [])
    err._render_traceback_ = lambda: lines
    return err


@magics_class
class ExmcMagics(Magics):
    """``%%exmc NAME`` defines a model; ``%exmc sample|summary|dashboard`` use it."""

    @line_cell_magic
    def exmc(self, line: str, cell: str | None = None):
        try:
            if cell is not None:
                return self.define(line, cell)
            return self.command(line)
        except E.ExmcError as err:
            raise _short_traceback(err)

    def define(self, line: str, cell: str) -> None:
        words = line.split()
        if len(words) != 1 or not _is_name(words[0]):
            raise _usage(f"%%exmc takes the name to bind the model to, got {line.strip()!r}")
        self.shell.user_ns[words[0]] = parse_model(cell, self.shell.user_ns, first_line=2)

    def command(self, line: str):
        try:
            words = shlex.split(line)
        except ValueError as err:
            raise _usage(str(err)) from None
        if not words or words[0] in ("help", "-h", "--help"):
            print(USAGE)
            return None
        verb, rest = words[0], words[1:]
        if verb == "sample":
            return self.sample(_sample_parser().parse_args(rest))
        if verb in ("summary", "dashboard"):
            if len(rest) != 1:
                raise _usage(f"%exmc {verb} takes one variable holding a Trace, got {len(rest)} arguments")
            trace = self.trace(rest[0])
            if verb == "summary":
                return exmc.summary(trace)
            import exmc_widgets

            exmc_widgets.dashboard(trace)
            return None
        raise _usage(f"unknown command {verb!r}")

    def sample(self, args: argparse.Namespace) -> None:
        ir = self.lookup(args.name, exmc.IR, "a model: define one with %%exmc NAME")
        for setting, low in (("draws", 0), ("tune", 0), ("chains", 1), ("seed", 0)):
            if getattr(args, setting) < low:
                raise _usage(f"--{setting} must be at least {low}, got {getattr(args, setting)}")
        if not _is_name(args.into):
            raise _usage(f"--into takes a variable name, got {args.into!r}")
        import exmc_widgets

        dash = exmc_widgets.stream(ir, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed)
        try:
            dash.wait()
        except KeyboardInterrupt:
            dash.stop()
            dash.wait()
            print("interrupted: sampling stopped; the draws made so far are kept")
        trace = dash.trace
        self.shell.user_ns[args.into] = trace
        print(f"{args.into} = {trace!r}")
        error = getattr(dash, "error", None)  # what ended the sampling thread, if anything did
        if isinstance(error, BaseException):
            raise error

    def trace(self, name: str) -> exmc.Trace:
        """The Trace in ``name``, or the trace so far of the dashboard (``exmc_widgets.stream``) in it."""
        value = self.shell.user_ns.get(name)
        if isinstance(getattr(value, "trace", None), exmc.Trace) and not isinstance(value, exmc.Trace):
            return value.trace
        return self.lookup(name, exmc.Trace, "a Trace: bind one with %exmc sample NAME --into VAR")

    def lookup(self, name: str, kind: type, what: str):
        if name not in self.shell.user_ns:
            raise _usage(f"no variable named {name!r}; expected {what}")
        value = self.shell.user_ns[name]
        if not isinstance(value, kind):
            raise _usage(f"{name!r} is of type {type(value).__name__}, not {what}")
        return value
