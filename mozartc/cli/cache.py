"""``mozartc cache info|clear``: where the cache of solver results lives, what it holds; empty it."""

from __future__ import annotations

import argparse
import json
import sys

from mozartc.fileio import emit_text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cache`` command with its ``info`` and ``clear`` sub-commands."""
    p = sub.add_parser("cache", help="the cache of clustering results: location, size; clear it",
                       description="Clustering results are cached per MoE layer, keyed by a hash of the layer's "
                                   "routing trace, the method, its options and the mozartc version, in "
                                   "$MOZARTC_CACHE_DIR or the user's cache folder. Deleting it is always safe. "
                                   "See docs/clustering.md.")
    csub = p.add_subparsers(dest="cache_command", metavar="SUBCOMMAND", required=True)
    info = csub.add_parser("info", help="print the cache's location, entries and size")
    info.add_argument("--json", action="store_true", help="print the same as JSON")
    info.set_defaults(func=run_info)
    clear = csub.add_parser("clear", help="delete every cache entry and say what was removed")
    clear.set_defaults(func=run_clear)


def _entries(entries: dict[str, int], noun: str = "") -> str:
    """``96 (clustering 96)``, or with a noun ``96 entries (clustering 96)``."""
    total = sum(entries.values())
    head = f"{total} {noun}" if noun else f"{total}"
    return head + (f" ({', '.join(f'{k} {v}' for k, v in entries.items())})" if entries else "")


def _size(n: int) -> str:
    """``1.43 kB``: decimal prefixes, three significant digits (as the reports write sizes)."""
    for prefix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {prefix}B"
    return f"{n} B"


def run_info(args: argparse.Namespace) -> int:
    """Run ``mozartc cache info``."""
    from mozartc.cache import ResultCache

    info = ResultCache.default().info()
    if args.json:
        emit_text(json.dumps({"location": str(info.root), "entries": info.entries, "size_bytes": info.size_bytes},
                             indent=1, sort_keys=True) + "\n", None)
        return 0
    emit_text(f"location  {info.root}\nentries   {_entries(info.entries)}\nsize      {_size(info.size_bytes)}\n",
              None)
    return 0


def run_clear(args: argparse.Namespace) -> int:
    """Run ``mozartc cache clear``."""
    from mozartc.cache import ResultCache

    removed = ResultCache.default().clear()
    sys.stdout.write(f"mozartc: removed {_entries(removed.entries, 'entries')}, {_size(removed.size_bytes)}, "
                     f"from {removed.root}\n")
    return 0
