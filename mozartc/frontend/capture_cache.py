"""Captured modules kept in the result cache, so a compile of a model captured before skips torch.

Capturing a preset or a ``config.json`` depends only on the resolved :class:`MoEConfig`, the capture
options (sequence length, micro-batch, dtype) and the code that builds, traces and lowers the model
(mozartc's frontend and IR packages, and torch, whose fx tracer records the graph). The cache
(:mod:`mozartc.cache`, namespace ``capture``) stores the verified module's printed text under the
sha256 of those (:func:`capture_key`: the code enters as the digest of every source file of
``mozartc/frontend`` and ``mozartc/ir`` with the mozartc and torch versions, read from the package
metadata so a hit never imports torch). A hit is the printed module read back, which prints the same
bytes (the IR's round trip) and so compiles to the same bytes (``tests/frontend/test_capture_cache.py``).

A ``file.py:factory`` spec or an ``nn.Module`` is never cached: its code can import anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any

from mozartc.cache import ResultCache, code_fingerprint, content_key
from mozartc.errors import MozartError
from mozartc.frontend.config import MoEConfig
from mozartc.ir.core import Module

#: the cache namespace of captured modules
NAMESPACE = "capture"
#: bump when what is stored changes
FORMAT = 1
_PACKAGES = ("frontend", "ir")


@lru_cache(maxsize=1)
def capture_fingerprint() -> dict[str, str]:
    """The mozartc and torch versions and the sha256 of the frontend's and IR's sources (once per process)."""
    root = Path(__file__).resolve().parents[1]
    return code_fingerprint([path for package in _PACKAGES for path in sorted((root / package).rglob("*.py"))],
                            ("torch",))


def capture_key(cfg: MoEConfig, seq_len: int, micro_batch: int, dtype: str) -> str:
    """The content key of a captured module (module docstring)."""
    config = json.loads(json.dumps(asdict(cfg), sort_keys=True, default=str))
    return content_key({"format": FORMAT, **capture_fingerprint(), "config": config, "seq_len": seq_len,
                        "micro_batch": micro_batch, "dtype": dtype})


def _decode(value: dict[str, Any]) -> str | None:
    text = value.get("mir")
    return text if isinstance(text, str) else None


def capture_cached(cache: ResultCache | None, spec: str, *, seq_len: int, micro_batch: int,
                   dtype: str = "f16") -> Module:
    """:func:`mozartc.frontend.capture` of ``spec``, read from ``cache`` when it holds the module and
    stored there when it does not; ``cache=None`` and ``file.py:factory`` specs always capture."""
    from mozartc.frontend import capture
    from mozartc.frontend.resolve import is_factory_spec, resolve_config
    from mozartc.ir.parser import parse_module
    from mozartc.ir.printer import print_module

    if cache is None or is_factory_spec(spec):
        return capture(spec, seq_len=seq_len, micro_batch=micro_batch, dtype=dtype)
    # options are checked by capture on a miss; a hit exists only for options a capture accepted
    key = capture_key(resolve_config(spec), seq_len, micro_batch, dtype)
    text = cache.get(NAMESPACE, key, _decode)
    if text is not None:
        try:
            return parse_module(text, f"<capture cache {key[:12]}>")
        except MozartError:  # a damaged entry (the text does not parse): capture again and overwrite it
            cache.stats.corrupt += 1
    module = capture(spec, seq_len=seq_len, micro_batch=micro_batch, dtype=dtype)
    cache.put(NAMESPACE, key, {"mir": print_module(module)})
    return module
