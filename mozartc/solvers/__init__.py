"""Solvers on plain numbers: expert clustering (:mod:`mozartc.solvers.clustering`, one registry of
methods) and the cluster-to-group allocation BIP (:mod:`mozartc.solvers.allocation`, paper section 5).

Nothing here reads or writes the IR; the passes in :mod:`mozartc.passes` do.
"""
