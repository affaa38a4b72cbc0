"""The order a local pool starts jobs in, so that jobs sharing a cache entry solve it once.

Jobs of a reproduction or sweep that cluster the same model the same way read the same clusterings
and synthetic trace from the shared cache (:mod:`mozartc.cache`). Started together on a cold cache,
each would miss and solve them itself. :class:`LeadersFirst` starts one job of each group (its
leader) first, in the jobs' order, and holds the group's other jobs (its followers) until the leader
has finished, so they read what it stored; a pool never idles while any job can start. The results
do not depend on this order (callers sort them); only the work done twice does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from mozartc.errors import MozartError
from mozartc.option_syntax import parse_pipeline

J = TypeVar("J")


def cache_group(model: str, pipeline: str, trace: str | None, seed: int) -> str:
    """Jobs with equal groups share their clusterings and synthetic trace: the model, the routing
    trace (None: the synthetic one), the seed and the ``expert-cluster`` element of the pipeline."""
    from mozartc.passes.presets import expand_presets

    try:
        elements = parse_pipeline(expand_presets(pipeline))
    except MozartError:
        return f"{model}\0{pipeline}"  # a bad pipeline fails in its job; it shares nothing
    clustering = [e.text() for e in elements if e.name == "expert-cluster"]
    return "\0".join([model, trace or "", str(seed), *clustering])


class LeadersFirst(Generic[J]):
    """Hands out jobs: every group's leader in the jobs' order, then a group's followers once its
    leader has finished (see the module docstring)."""

    def __init__(self, jobs: Sequence[J], group: Callable[[J], str]) -> None:
        self._group = group
        self._ready: deque[J] = deque()
        self._held: dict[str, list[J]] = {}
        for job in jobs:
            key = group(job)
            if key in self._held:
                self._held[key].append(job)
            else:
                self._held[key] = []
                self._ready.append(job)

    def next(self) -> J | None:
        """A job that may start now, or None when every remaining job waits for a leader."""
        return self._ready.popleft() if self._ready else None

    def finished(self, job: J) -> None:
        """``job`` ended (done or failed): release its group's followers if it led one."""
        self._ready.extend(self._held.pop(self._group(job), []))

    def __bool__(self) -> bool:
        return bool(self._ready) or any(self._held.values())
