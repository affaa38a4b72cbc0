"""The on-disk result store (mozartc/cache.py): keys, round trips, corrupt entries, info and clear."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
import pytest

from mozartc.cache import CACHE_ENV, ResultCache, code_fingerprint, content_key, default_cache_dir

KEY = "ab" + "0" * 62


def _value(value: dict[str, Any]) -> dict[str, Any] | None:
    """A decoder that accepts objects with an integer ``x``."""
    return value if isinstance(value.get("x"), int) else None


def test_content_key_is_sha256_of_the_canonical_inputs() -> None:
    # no arrays: the digest of the header's canonical JSON (sorted keys, no spaces)
    assert content_key({"b": 1, "a": [1, 2]}) == hashlib.sha256(b'{"a":[1,2],"b":1}').hexdigest()
    array = np.array([[1, 2], [3, 4]], dtype="<i8")
    expected = hashlib.sha256(b'{}' + b"\0<i8[2, 2]\0" + array.tobytes()).hexdigest()
    assert content_key({}, array) == expected


def test_content_key_tells_apart_what_changes_the_result() -> None:
    array = np.arange(6, dtype="<i8").reshape(2, 3)
    base = content_key({"m": "greedy"}, array)
    assert content_key({"m": "greedy"}, array.copy()) == base
    assert content_key({"m": "greedy"}, np.asfortranarray(array)) == base  # C order, whatever the layout
    assert content_key({"m": "cpsat"}, array) != base
    assert content_key({"m": "greedy"}, array.reshape(3, 2)) != base  # same bytes, other shape
    assert content_key({"m": "greedy"}, array.astype("<i4")) != base
    changed = array.copy()
    changed[1, 2] = 7
    assert content_key({"m": "greedy"}, changed) != base


def test_default_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.setenv(CACHE_ENV, "  ")
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("mozartc"))
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_dir() == Path(platformdirs.user_cache_dir("mozartc"))


def test_round_trip_and_counts(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    assert cache.get("clustering", KEY, _value) is None
    cache.put("clustering", KEY, {"x": 3})
    assert cache.get("clustering", KEY, _value) == {"x": 3}
    assert (cache.stats.hits, cache.stats.misses, cache.stats.writes, cache.stats.corrupt) == (1, 1, 1, 0)
    path = tmp_path / "v1" / "clustering" / "ab" / f"{KEY}.json"
    assert json.loads(path.read_text()) == {"key": KEY, "value": {"x": 3}}
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("text", [
    "",                                               # empty (e.g. a full disk)
    '{"key": "ab00',                                  # cut short
    "\udcff",                                         # not UTF-8 once written as surrogate escape
    '{"key": "' + "cd" + "0" * 62 + '", "value": {"x": 1}}',  # another entry's content
    '{"key": "' + KEY + '", "value": {"x": "one"}}',   # the decoder rejects it
    '{"key": "' + KEY + '", "value": [1]}',
])
def test_corrupt_entry_is_a_miss_then_rewritten(tmp_path: Path, text: str) -> None:
    cache = ResultCache(tmp_path)
    path = cache.path("clustering", KEY)
    path.parent.mkdir(parents=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    assert cache.get("clustering", KEY, _value) is None
    assert (cache.stats.corrupt, cache.stats.misses, cache.stats.hits) == (1, 1, 0)
    cache.put("clustering", KEY, {"x": 5})
    assert cache.get("clustering", KEY, _value) == {"x": 5}


def test_unwritable_folder_costs_only_the_saving(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = ResultCache(blocker)
    cache.put("clustering", KEY, {"x": 1})
    assert (cache.stats.writes, cache.stats.write_errors) == (0, 1)
    assert cache.get("clustering", KEY, _value) is None
    assert cache.info().entries == {}


def test_bad_namespace_or_key_is_a_bug(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    with pytest.raises(ValueError, match="bad cache namespace or key"):
        cache.path("../x", KEY)
    with pytest.raises(ValueError, match="bad cache namespace or key"):
        cache.path("clustering", "../../etc")


def test_info_and_clear_touch_only_entries(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    keys = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(3)]
    cache.put("clustering", keys[0], {"x": 0})
    cache.put("clustering", keys[1], {"x": 1})
    cache.put("other-kind", keys[2], {"x": 2})
    leftover = cache.path("clustering", keys[0]).parent / f".{keys[0]}.json.abc123.tmp"  # an interrupted write
    leftover.write_text("{")
    mine = tmp_path / "notes.txt"  # a user's file in a folder mistakenly named as the cache
    mine.write_text("keep me")
    stray = tmp_path / "v1" / "clustering" / "readme.txt"
    stray.write_text("keep me too")
    sizes = sum(cache.path(ns, k).stat().st_size for ns, k in
                [("clustering", keys[0]), ("clustering", keys[1]), ("other-kind", keys[2])]) + 1
    info = cache.info()
    assert (info.root, info.entries, info.size_bytes) == (tmp_path, {"clustering": 2, "other-kind": 1}, sizes)
    removed = cache.clear()
    assert removed == info
    assert cache.info().entries == {} and cache.info().size_bytes == 0
    assert mine.read_text() == "keep me" and stray.read_text() == "keep me too"
    assert not (tmp_path / "v1" / "other-kind").exists()  # emptied folders are removed
    assert ResultCache(tmp_path / "never-made").clear().entries == {}


def test_code_fingerprint_follows_the_sources_and_names_absent_packages() -> None:
    from mozartc import cache as module

    source = Path(module.__file__)
    base = code_fingerprint([source], ("numpy", "no-such-package-mozartc"))
    assert base["no-such-package-mozartc"] == "absent" and base["numpy"] == np.__version__
    assert base == code_fingerprint([source], ("numpy", "no-such-package-mozartc"))
    other = code_fingerprint([source, Path(module.__file__).parent / "version.py"], ("numpy",))
    assert len(base["code"]) == 64 and other["code"] != base["code"]
