"""Routing traces: the ``.npz`` format and its I/O, statistics (V, C, C_T), the synthetic generator.

Importing this package loads numpy only. It knows no model: the generator takes a
:class:`TraceShape`, which the frontend's ``trace_shape`` makes from a model spec, and the profiler
that runs torch models lives beside the frontend (``frontend/profiler.py``).
"""

from mozartc.traces.format import RoutingTrace, load_csv, load_trace, save_trace, trace_to_bytes
from mozartc.traces.shape import TraceShape
from mozartc.traces.stats import (
    c_t,
    coactivation,
    contiguous_assignment,
    load_imbalance,
    normalised_entropy,
    top_pair_ratio,
    uniform_c_t,
    workload,
)
from mozartc.traces.summary import trace_summary
from mozartc.traces.synth import SYNTH_PRESETS, SynthParams, synth_params, synthesize, synthesize_model

__all__ = [
    "SYNTH_PRESETS",
    "RoutingTrace",
    "SynthParams",
    "TraceShape",
    "c_t",
    "coactivation",
    "contiguous_assignment",
    "load_csv",
    "load_imbalance",
    "load_trace",
    "normalised_entropy",
    "save_trace",
    "synth_params",
    "synthesize",
    "synthesize_model",
    "top_pair_ratio",
    "trace_summary",
    "trace_to_bytes",
    "uniform_c_t",
    "workload",
]
