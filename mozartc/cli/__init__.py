"""The ``mozartc`` command line: a thin layer over library functions.

Each command lives in its own module under :mod:`mozartc.cli` and exposes ``register(subparsers)``;
the command's work is done by a library function it calls. Bad input (any :class:`MozartError`)
becomes one line on stderr and exit code 2; anything else is a bug and keeps its traceback (exit 1).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mozartc.cli._common import command_flags, error_line
from mozartc.errors import MozartError
from mozartc.version import __version__

# Command modules, in the order ``mozartc --help`` lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "compile",
    "opt",
    "inspect",
    "passes",
    "traces",
    "cluster",
    "profile",
    "target",
    "backends",
    "run",
    "diff",
    "reproduce",
    "sweep",
    "cache",
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Build the top-level parser with one sub-command per module in ``COMMAND_MODULES``.

    With ``command`` only that one is registered: ``main`` runs one command, and importing every
    command module (the driver, the hardware model, networkx, ...) costs about 0.4 s of start-up.
    """
    parser = argparse.ArgumentParser(
        prog="mozartc",
        description="Map Mixture-of-Experts training onto the Mozart 3.5D wafer-scale chiplet system.",
    )
    parser.add_argument("--version", action="version", version=f"mozartc {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES if command is None else (command,):
        module = importlib.import_module(f"mozartc.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mozartc`` console script; returns the process exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words[0] if words and words[0] in COMMAND_MODULES else None)
    args = parser.parse_args(words)
    try:
        code = args.func(args)
    except MozartError as err:
        sys.stderr.write(f"mozartc: error: {error_line(err, command_flags(parser, args))}\n")
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("mozartc: interrupted\n")
        return 130
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
