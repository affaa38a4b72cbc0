"""``mozartc cache info|clear`` and ``--no-cache``: cached, uncached and warm compiles are the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

from mozartc.cache import ResultCache
from tests.conftest import REPO

# tiny-moe: 4 layers, the first dense, so 3 MoE layers; mozart-c clusters each (one cache entry a layer)
COMPILE = ("compile", "tiny-moe", "--pipeline", "mozart-c", "--target", REPO / "targets" / "wafer.toml", "--run")


def _compile(cli, out: Path, *extra: str) -> tuple[bytes, bytes]:
    """Compile tiny-moe to IR and run it; return the bytes of the IR and of the executor's report."""
    result = cli(*COMPILE, "-o", out / "m.mir", "--report", out / "r.json", *extra)
    assert result.code == 0, result.err
    return (out / "m.mir").read_bytes(), (out / "r.json").read_bytes()


def test_cached_uncached_and_warm_compiles_are_identical(cli, tmp_path: Path, private_cache: Path) -> None:
    cache = ResultCache(private_cache)
    (tmp_path / "none").mkdir()
    uncached = _compile(cli, tmp_path / "none", "--no-cache")
    assert cache.info().entries == {}  # --no-cache writes nothing
    (tmp_path / "cold").mkdir()
    cold = _compile(cli, tmp_path / "cold")
    entries = cache.info().entries
    # tiny-moe's captured module, its 3 MoE layers' clusterings and their trace
    assert entries == {"capture": 1, "clustering": 3, "synthetic-trace": 1}
    (tmp_path / "warm").mkdir()
    warm = _compile(cli, tmp_path / "warm")
    assert cache.info().entries == entries  # nothing new: every entry was read
    assert uncached == cold == warm
    assert b"clusters = [[" in uncached[0]


def test_corrupt_entries_are_ignored_and_rewritten(cli, tmp_path: Path, private_cache: Path) -> None:
    (tmp_path / "a").mkdir()
    clean = _compile(cli, tmp_path / "a")
    entries = sorted((private_cache / "v1" / "clustering").glob("*/*.json"))
    assert len(entries) == 3
    stored = [json.loads(p.read_text())["value"]["assignment"] for p in entries]
    entries[0].write_text("{ not json")
    entries[1].write_bytes(json.dumps({"key": entries[1].stem, "value": {"format": 1, "assignment": [0],
                                                                          "info": []}}).encode())
    (tmp_path / "b").mkdir()
    again = _compile(cli, tmp_path / "b")
    assert again == clean
    # rewritten with the solved clustering (its info has the new solve's runtime_s)
    assert [json.loads(p.read_text())["value"]["assignment"] for p in entries] == stored


def test_info_and_clear(cli, tmp_path: Path, private_cache: Path) -> None:
    empty = cli("cache", "info")
    assert empty.code == 0
    assert empty.out == f"location  {private_cache}\nentries   0\nsize      0 B\n"
    (tmp_path / "a").mkdir()
    _compile(cli, tmp_path / "a")
    size = sum(p.stat().st_size for p in private_cache.rglob("*") if p.is_file())
    info = json.loads(cli("cache", "info", "--json").out)
    assert info == {"location": str(private_cache),
                    "entries": {"capture": 1, "clustering": 3, "synthetic-trace": 1}, "size_bytes": size}
    # the captured module and three clusterings (JSON), and the trace: 3 MoE layers x 20000 tokens x
    # top-4 ids of one byte (32 experts), after the .npy file's 128-byte header
    assert size == sum(p.stat().st_size for p in private_cache.rglob("*.json")) + 3 * 20000 * 4 + 128
    shown = f"{size / 1000:.3g} kB"
    assert cli("cache", "info").out == (f"location  {private_cache}\n"
                                        "entries   5 (capture 1, clustering 3, synthetic-trace 1)\n"
                                        f"size      {shown}\n")
    cleared = cli("cache", "clear")
    assert cleared.code == 0
    assert cleared.out == (f"mozartc: removed 5 entries (capture 1, clustering 3, synthetic-trace 1), {shown}, "
                           f"from {private_cache}\n")
    assert json.loads(cli("cache", "info", "--json").out)["entries"] == {}
    assert cli("cache").code == 2  # a sub-command is required


def test_unusable_cache_folder_still_compiles(cli, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("MOZARTC_CACHE_DIR", str(blocker))
    (tmp_path / "a").mkdir()
    _compile(cli, tmp_path / "a")
    assert blocker.read_text().startswith("a file")
