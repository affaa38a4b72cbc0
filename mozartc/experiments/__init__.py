"""Experiments: the paper reproduction (``mozartc reproduce``) and design-space sweeps (``mozartc sweep``).

- :mod:`~mozartc.experiments.runner`: one compile-and-time job, local-pool and Ray engines
- :mod:`~mozartc.experiments.paper`: the paper's grid and Table 4
- :mod:`~mozartc.experiments.reproduce`, :mod:`~.checks`, :mod:`~.table`, :mod:`~.plots`: reproduction
- :mod:`~mozartc.experiments.sweep_spec`, :mod:`~.sweep`, :mod:`~.sweep_io`, :mod:`~.tomlw`: sweeps

Modules are imported on demand; importing this package imports nothing heavy.
"""
