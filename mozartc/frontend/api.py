"""Capture: model spec -> nn.Module on the meta device -> fx graph -> IR module.

A spec is a preset name (``tiny-moe``), a Hugging Face ``config.json`` (or a folder holding one), or
``path/to/file.py:factory`` (the file is imported by path and ``factory()`` is called with no
arguments under ``torch.device("meta")``; it must return an ``nn.Module``).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import torch
from torch import nn

from mozartc.defaults import MICRO_BATCH, SEQ_LEN
from mozartc.errors import FrontendError
from mozartc.frontend.config import MoEConfig
from mozartc.frontend.lower import CaptureOptions, lower_graph
from mozartc.frontend.modules import build_reference
from mozartc.frontend.resolve import is_factory_spec, resolve_config
from mozartc.frontend.tracer import ExtraBlocks, trace
from mozartc.ir.core import Module
from mozartc.ir.types import DTYPE_BYTES
from mozartc.ir.verifier import verify

FLOAT_DTYPES = tuple(d for d in DTYPE_BYTES if not d.startswith("i"))


def load_factory(spec: str) -> tuple[nn.Module, str]:
    """Import ``file.py`` by path, call ``factory()`` on the meta device; return (module, file stem)."""
    file_text, _, name = spec.rpartition(":")
    path = Path(file_text)
    where = str(path)
    if not path.is_file():
        raise FrontendError("no such model file", where=where)
    mod_name = f"_mozartc_user_{re.sub(r'[^A-Za-z0-9_]', '_', path.stem)}"
    loader_spec = importlib.util.spec_from_file_location(mod_name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise FrontendError("cannot import this file as a Python module", where=where)
    user = importlib.util.module_from_spec(loader_spec)
    sys.modules[mod_name] = user
    try:
        loader_spec.loader.exec_module(user)
        factory = getattr(user, name, None)
        if not callable(factory):
            raise FrontendError(f"defines no callable '{name}'", where=where)
        with torch.device("meta"):
            model = factory()
    except FrontendError:
        raise
    except Exception as exc:
        raise FrontendError(f"importing the file or calling {name}() failed: {type(exc).__name__}: {exc}",
                            where=where) from None
    finally:
        sys.modules.pop(mod_name, None)
    if not isinstance(model, nn.Module):
        raise FrontendError(f"{name}() returned {type(model).__name__}, expected a torch.nn.Module",
                            where=where)
    return model, path.stem


def check_options(seq_len: int, micro_batch: int, dtype: str) -> CaptureOptions:
    """Validated capture options (positive sizes, a float dtype of the IR)."""
    for label, value in (("seq_len", seq_len), ("micro_batch", micro_batch)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise FrontendError(f"must be a positive integer, got {value!r}", where=label)
    if dtype not in FLOAT_DTYPES:
        raise FrontendError(f"must be one of {', '.join(FLOAT_DTYPES)}, got {dtype!r}", where="dtype")
    return CaptureOptions(seq_len=seq_len, micro_batch=micro_batch, dtype=dtype)


def symbol_name(name: str) -> str:
    """A module symbol from a model name: characters outside ``[A-Za-z0-9_.$]`` become ``_``."""
    text = re.sub(r"[^A-Za-z0-9_.$]", "_", name)
    return text if re.match(r"[A-Za-z_]", text) else f"m_{text}"


def capture(spec: str | nn.Module, *, seq_len: int = SEQ_LEN, micro_batch: int = MICRO_BATCH, dtype: str = "f16",
            extra_blocks: ExtraBlocks | None = None) -> Module:
    """Capture a model into a verified IR module (see the module docstring for ``spec``)."""
    opts = check_options(seq_len, micro_batch, dtype)
    cfg: MoEConfig | None = None
    if isinstance(spec, nn.Module):
        root, model_name, where = spec, type(spec).__name__.lower(), type(spec).__name__
    elif is_factory_spec(spec):
        root, model_name = load_factory(spec)
        where = spec.rpartition(":")[0]
    else:
        cfg = resolve_config(spec)
        root, model_name = build_reference(cfg, "meta"), cfg.name
        where = spec if cfg.source == "preset" else cfg.source
    graph = trace(root, where, extra_blocks)
    module = lower_graph(root, graph, symbol_name(model_name), model_name, opts, where, extra_blocks)
    attached = getattr(root, "config", None)
    if cfg is None and isinstance(attached, MoEConfig):
        cfg = attached  # a reference model passed as a module
    if cfg is not None and cfg.mtp_layers:
        # stated, not modelled: the checkpoint's multi-token-prediction modules are in no op (docs/frontend.md)
        module.attrs["mtp_layers"] = cfg.mtp_layers
    verify(module)
    return module
