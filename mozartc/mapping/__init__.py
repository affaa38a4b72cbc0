"""Mapping algorithms used by the mapping passes: cluster-to-group allocation (paper section 5).

Pure functions on plain numbers; the passes in :mod:`mozartc.passes` read and write the IR.
"""
