"""Options and helpers shared by several commands (pass instrumentation, output files)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mozartc.errors import MozartError

if TYPE_CHECKING:  # imported where used: the IR and its lark parser are start-up cost commands like traces skip
    from mozartc.cache import ResultCache
    from mozartc.passes.manager import Instrumentation
    from mozartc.reports.report_file import LoadedReport

#: a parameter named in a library message: `name` or `name=value` (value optionally quoted)
_PARAM = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)(?:=(['\"]?)([^`]*?)\2)?`")


def add_instrumentation_options(parser: argparse.ArgumentParser) -> None:
    """``--print-after-all``, ``--dump-dir DIR``, ``--time-passes``."""
    group = parser.add_argument_group("pass instrumentation")
    group.add_argument("--print-after-all", action="store_true",
                       help="print the IR to stderr after every pass")
    group.add_argument("--dump-dir", metavar="DIR", type=Path,
                       help="write the IR after every pass to DIR/NN-<pass>.mir (00-input.mir first)")
    group.add_argument("--time-passes", action="store_true", help="print each pass's wall time to stderr")


def _print_to_stderr(header: str, text: str) -> None:
    sys.stderr.write(f"{header}\n{text}")


def instrumentation_from_args(args: argparse.Namespace) -> Instrumentation:
    """Build the pass-manager instrumentation the flags ask for."""
    from mozartc.passes.manager import Instrumentation

    return Instrumentation(
        verify_each=True,
        print_ir=_print_to_stderr if args.print_after_all else None,
        dump_dir=args.dump_dir,
    )


def report_timings(args: argparse.Namespace, inst: Instrumentation) -> None:
    """Print the ``--time-passes`` table to stderr when asked."""
    if args.time_passes:
        from mozartc.passes.manager import format_timings

        sys.stderr.write(format_timings(inst.timings))


def print_notes(notes: list[str]) -> None:
    """Warnings from passes, one ``mozartc: warning:`` line each on stderr."""
    for note in notes:
        sys.stderr.write(f"mozartc: warning: {note}\n")


def load_baseline(args: argparse.Namespace) -> LoadedReport | None:
    """The checked ``--baseline`` report (read before any work, so a bad file fails fast); needs ``--html``."""
    if not args.baseline:
        return None
    if not args.html:
        raise MozartError("needs --html: the comparison with a baseline is a section of the HTML report",
                          where="--baseline")
    from mozartc.reports.report_file import load_report

    return load_report(args.baseline)


def command_flags(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """Parameter name -> long flag (``seq_len`` -> ``--seq-len``) of the command ``args`` ran,
    from its parser and those of its parent commands (argparse keeps the actions in ``_actions``)."""
    flags: dict[str, str] = {}
    current: argparse.ArgumentParser | None = parser
    while current is not None:
        chosen = None
        for action in current._actions:
            long = [s for s in action.option_strings if s.startswith("--")]
            if long and action.dest != "help":
                flags[action.dest] = long[0]
            if isinstance(action, argparse._SubParsersAction) and action.choices:
                chosen = action.choices.get(str(getattr(args, action.dest, "")))
        current = chosen
    return flags


def error_line(err: MozartError, flags: dict[str, str]) -> str:
    """The CLI's one line for a library error: a ``where`` or backticked parameter the command has a
    flag for is shown as that flag (``--capacity warn``); any other is left as the library wrote it."""

    def flag(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(3)
        if name not in flags:
            return match.group(0)
        return flags[name] + (f" {value}" if value else "")

    message = _PARAM.sub(flag, err.message)
    where = flags.get(err.where, err.where) if err.where else None
    return f"{where}: {message}" if where else message


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``: neither read nor write the clustering cache (``mozartc cache info``)."""
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write the cache of clustering results "
                             "(default: $MOZARTC_CACHE_DIR or the user's cache folder; see mozartc cache info)")


def cache_from_args(args: argparse.Namespace) -> ResultCache | None:
    """The cache the command uses: None with ``--no-cache``, else the default one."""
    from mozartc.cache import ResultCache

    return None if args.no_cache else ResultCache.default()


def cache_dir_from_args(args: argparse.Namespace) -> str | None:
    """The cache folder worker processes share: None with ``--no-cache``, else the default one."""
    from mozartc.cache import default_cache_dir

    return None if args.no_cache else str(default_cache_dir())

