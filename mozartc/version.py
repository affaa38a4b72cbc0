"""The mozartc version: one place, read by the package, reports, caches and ``--version``.

A module of its own so that code inside the package never imports the package's ``__init__`` (which
loads the public API lazily from :mod:`mozartc.api`, whose modules reach most of the package).
"""

__version__ = "0.1.0"
