"""Leader-first job order (``mozartc/experiments/job_order.py``): jobs that share cache entries wait
for the first of them, a pool never idles while a job can start, and groups follow the clustering."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mozartc.experiments.job_order import LeadersFirst, cache_group


def test_followers_start_after_their_leader_in_the_given_order() -> None:
    jobs = ["a1", "a2", "b1", "a3", "c1", "b2"]
    queue = LeadersFirst(jobs, lambda j: j[0])
    assert [queue.next(), queue.next(), queue.next(), queue.next()] == ["a1", "b1", "c1", None]
    queue.finished("b1")
    assert queue.next() == "b2"
    queue.finished("c1")
    queue.finished("b2")
    assert queue.next() is None and queue  # a2 and a3 still wait for a1
    queue.finished("a1")
    assert [queue.next(), queue.next(), queue.next()] == ["a2", "a3", None]
    queue.finished("a2")
    queue.finished("a3")
    assert not queue


@given(st.lists(st.integers(0, 4), max_size=30), st.integers(1, 4), st.randoms(use_true_random=False))
def test_a_simulated_pool_runs_every_job_once_followers_after_leaders(groups: list[int], workers: int,
                                                                      rng) -> None:
    jobs = list(enumerate(groups))  # (index, group)
    queue = LeadersFirst(jobs, lambda j: str(j[1]))
    running: list[tuple[int, int]] = []
    started: list[tuple[int, int]] = []
    finished_groups: set[int] = set()
    while queue or running:
        while len(running) < workers and (job := queue.next()) is not None:
            leader = next(j for j in jobs if j[1] == job[1])
            assert job == leader or job[1] in finished_groups  # a follower starts after its leader ended
            running.append(job)
            started.append(job)
        assert running, "the pool idles while jobs remain"
        ended = running.pop(rng.randrange(len(running)))
        if ended == next(j for j in jobs if j[1] == ended[1]):
            finished_groups.add(ended[1])
        queue.finished(ended)
    assert sorted(started) == jobs


def test_groups_follow_model_trace_seed_and_clustering() -> None:
    # the ladder's baseline, A and B cluster contiguously; C and C+mc with cpsat
    contiguous = {cache_group("olmoe", p, None, 0) for p in ("baseline", "mozart-a", "mozart-b")}
    cpsat = {cache_group("olmoe", p, None, 0) for p in ("mozart-c", "mozart-c+mc")}
    assert len(contiguous) == 1 and len(cpsat) == 1 and contiguous != cpsat
    base = cache_group("olmoe", "mozart-c", None, 0)
    assert base == cache_group("olmoe", "expert-cluster{method=cpsat},allocate{method=round-robin}", None, 0)
    assert len({base, cache_group("qwen3", "mozart-c", None, 0), cache_group("olmoe", "mozart-c", "t.npz", 0),
                cache_group("olmoe", "mozart-c", None, 1),
                cache_group("olmoe", "expert-cluster{method=cpsat,time-limit=1}", None, 0)}) == 5
    # a pipeline that does not parse shares nothing (its job reports the error)
    assert cache_group("olmoe", "expert-cluster{", None, 0) != cache_group("olmoe", "allocate{", None, 0)
