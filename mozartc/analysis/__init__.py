"""IR analyses the passes and backends share: the typed view of a mapped ``experts`` op
(:mod:`~mozartc.analysis.experts`), the routing trace behind a module (:mod:`~mozartc.analysis.routing`),
all-to-all traffic (:mod:`~mozartc.analysis.traffic`), per-block costs (:mod:`~mozartc.analysis.blocks`)
and the SRAM plan (:mod:`~mozartc.analysis.sram`).

They read the IR and never change it.
"""
