"""Backends: the protocol and the registry; the built-in ``mozart`` backend writes :mod:`mozartc.isa`.

- :mod:`~mozartc.backends.base`: ``Backend`` (a frozen dataclass of options with ``emit(module, target)``)
  and ``BackendOutput``;
- :mod:`~mozartc.backends.registry`: built-in backends (``mozart``, ``null``) and plug-ins from the
  ``mozartc.backends`` entry-point group;
- the instruction set, its ``.mzs`` text form and the stream verifier live in :mod:`mozartc.isa`
  (``KINDS``, ``OPS``, ``Instr``, ``Stream`` are re-exported here for backend authors).

docs/backends.md explains how to write a backend.
"""

from mozartc.backends.base import Backend, BackendOutput
from mozartc.backends.registry import available_backends, build_backend, get_backend_class
from mozartc.isa.instr import KINDS, OPS, Instr, Stream

__all__ = ["KINDS", "OPS", "Backend", "BackendOutput", "Instr", "Stream", "available_backends",
           "build_backend", "get_backend_class"]
