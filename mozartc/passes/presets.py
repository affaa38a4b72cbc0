"""Named pipelines: ``mozartc compile --pipeline NAME`` expands NAME to its pipeline string.

Presets may appear as elements of a larger pipeline (``mozart-c,verify``).
"""

from __future__ import annotations

from mozartc.option_syntax import format_component, parse_pipeline

# Preset name -> pipeline string. The paper's ablation ladder (PAPER.md section 9) is added by the
# mapping passes; "capture" keeps the captured IR as it is (after a verify).
PIPELINE_PRESETS: dict[str, str] = {
    "capture": "verify",
    # the paper's ablation ladder (PAPER.md section 9); every rung keeps the routing statistics so
    # expert compute per chiplet follows the trace
    "baseline": "expert-cluster{method=contiguous},allocate{method=round-robin},"
                "stream-schedule{overlap=false,order=index}",
    "mozart-a": "expert-cluster{method=contiguous},allocate{method=round-robin},"
                "stream-schedule{overlap=true,order=load-desc}",
    "mozart-b": "expert-cluster{method=contiguous},allocate{method=round-robin},a2a-dedup,"
                "stream-schedule{overlap=true,order=load-desc}",
    "mozart-c": "expert-cluster{method=cpsat},allocate{method=bip},a2a-dedup,"
                "stream-schedule{overlap=true,order=load-desc}",
    # beyond the paper (DESIGN.md): Mozart-C with switches that multicast the dispatch and reduce the
    # combine in the switch; an extra rung for reproduce and sweeps, never part of the ladder
    "mozart-c+mc": "expert-cluster{method=cpsat},allocate{method=bip},"
                   "a2a-dedup{switch-multicast=true,switch-reduce=true},"
                   "stream-schedule{overlap=true,order=load-desc}",
}

DEFAULT_PIPELINE = "capture"


def expand_presets(text: str) -> str:
    """Replace preset names (without options) in a pipeline string by their pipelines."""
    elements = parse_pipeline(text)
    if not any(e.name in PIPELINE_PRESETS and not e.options for e in elements):
        return text
    parts: list[str] = []
    for e in elements:
        if e.name in PIPELINE_PRESETS and not e.options:
            parts.append(PIPELINE_PRESETS[e.name])
        else:
            parts.append(format_component(e.name, e.options))
    return ",".join(p for p in parts if p)
