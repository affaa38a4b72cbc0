"""Hardware model: target files, the NoP-tree topology and cost models.

``Target.from_file(path)`` (``load_target``), ``Target.named(name)`` and ``Target.from_dict(tables)``
(``target_from_dict``) parse and validate a target TOML into a frozen :class:`Target`;
``default_target_path()`` is the shipped paper system. Submodules: ``schema`` (what a file may say),
``loader`` (parse + validate), ``target`` (resolved machine), ``cost`` (timing formulas),
``topology`` (networkx graph and routes), ``capacity`` (does a training step fit in DRAM),
``summary`` (``mozartc target show``) and ``draw`` (``mozartc target draw``). Importing this package
loads neither networkx nor matplotlib.
"""

from mozartc.hw.loader import default_target_path
from mozartc.hw.target import Chiplet, DramStack, Target, load_target, target_from_dict

__all__ = ["Chiplet", "DramStack", "Target", "default_target_path", "load_target", "target_from_dict"]
