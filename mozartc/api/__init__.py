"""The public Python API, also reachable as ``mozartc.compile``, ``mozartc.run``, ...; docs/api.md.

- :func:`compile` maps a model onto a target and returns a :class:`Compiled` (the mapped module,
  the instruction stream; ``.run()`` times it);
- :func:`run` times an instruction stream (object or ``.mzs`` file) on a target;
- :class:`Target` (``from_file``, ``named``, ``from_dict``, ``to_dict``) is the hardware target;
- :class:`Report` is the typed report of a timed step (``to_json``, ``from_json``, ``from_dict``).
"""

from mozartc.api.compiled import Compiled, compile, run
from mozartc.api.report import Report
from mozartc.hw.target import Target

__all__ = ["Compiled", "Report", "Target", "compile", "run"]
