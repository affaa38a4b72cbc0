"""Backends: the protocol, the registry, the Mozart instruction set and its ``.mzs`` text form.

- :mod:`~mozartc.backends.base`: ``Backend`` (a frozen dataclass of options with ``emit(module, target)``)
  and ``BackendOutput``;
- :mod:`~mozartc.backends.registry`: built-in backends (``mozart``, ``null``) and plug-ins from the
  ``mozartc.backends`` entry-point group;
- :mod:`~mozartc.backends.isa`: ``Instr`` and ``Stream``; :mod:`~mozartc.backends.mzs`: printer and
  parser; :mod:`~mozartc.backends.verify`: the stream verifier.

docs/backends.md explains how to write a backend.
"""

from mozartc.backends.base import Backend, BackendOutput
from mozartc.backends.isa import KINDS, OPS, Instr, Stream
from mozartc.backends.registry import available_backends, build_backend, get_backend_class

__all__ = ["KINDS", "OPS", "Backend", "BackendOutput", "Instr", "Stream", "available_backends",
           "build_backend", "get_backend_class"]
