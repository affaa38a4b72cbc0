"""A content-addressed store of solver results on disk, shared by compiles, reproductions and sweeps.

An entry is a small JSON file named by its key, the sha256 of everything that determines the result
(:func:`content_key`), under ``ROOT/v1/<namespace>/<2 hex>/<key>.json``, or one numpy array
(``<key>.npy``, :meth:`ResultCache.get_array`) for results that are arrays. ``ROOT`` is
``$MOZARTC_CACHE_DIR`` when set, else the user's cache folder (``platformdirs.user_cache_dir``,
``~/.cache/mozartc`` on Linux). Entries are written through a temporary file and a rename, so a
process that reads concurrently sees a whole entry or none; an entry that does not parse, or whose
recorded key differs from its name, is a miss and is rewritten. Deleting the folder is always safe:
the cache only ever saves recomputation.

There is no global cache object: callers create a :class:`ResultCache` and pass it down (the pass
context, the clustering call, an experiment job's ``cache_dir``). It counts its hits, misses and
writes, which is how tests tell that a result came from the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from mozartc.errors import MozartError
from mozartc.fileio import atomic_write_bytes, atomic_write_text

#: environment variable that moves the cache (tests point it at a temporary folder)
CACHE_ENV = "MOZARTC_CACHE_DIR"
#: layout version of the folder; a new layout starts a new subfolder and never reads the old one
LAYOUT = "v1"
_ENTRY = re.compile(r"^[0-9a-f]{64}\.(json|npy)$")
_TEMP = re.compile(r"^\.[0-9a-f]{64}\.(json|npy)\..*\.tmp$")  # a write interrupted before its rename
_NAMESPACE = re.compile(r"^[a-z][a-z0-9-]*$")
T = TypeVar("T")


def default_cache_dir() -> Path:
    """``$MOZARTC_CACHE_DIR`` if set (and not empty), else ``platformdirs.user_cache_dir("mozartc")``."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("mozartc"))


def content_key(header: dict[str, Any], *arrays: np.ndarray) -> str:
    """sha256 hex digest of ``header`` (canonical JSON: sorted keys, no spaces) and each array's dtype,
    shape and C-order bytes. Equal inputs give equal keys on every machine of the same byte order."""
    digest = hashlib.sha256()
    digest.update(json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    for array in arrays:
        data = np.ascontiguousarray(array)
        digest.update(f"\0{data.dtype.str}{list(data.shape)}\0".encode())
        digest.update(data.data.cast("B"))
    return digest.hexdigest()


def code_fingerprint(sources: Iterable[Path], packages: tuple[str, ...] = ()) -> dict[str, str]:
    """What a cached result's code depends on: the mozartc version, each of ``packages``' installed
    version (from the package metadata, so nothing is imported; ``absent`` when not installed) and
    ``code``, the sha256 of every source file's path inside the package and its bytes, in the order
    given. Callers keep it once per process (files do not change under a running command)."""
    from importlib.metadata import PackageNotFoundError, version

    from mozartc.version import __version__

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sources:
        digest.update(str(path.resolve().relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    out = {"mozartc": __version__}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    out["code"] = digest.hexdigest()
    return out


@dataclass
class CacheStats:
    """What one :class:`ResultCache` object did: lookups answered, lookups missed, entries written,
    entries found corrupt (counted as misses too), writes that failed (the result is still used)."""

    hits: int = 0
    misses: int = 0
    writes: int = 0
    corrupt: int = 0
    write_errors: int = 0


@dataclass(frozen=True)
class CacheInfo:
    """What ``mozartc cache info`` prints: the folder, entries per namespace and their total size."""

    root: Path
    entries: dict[str, int]
    size_bytes: int


@dataclass
class ResultCache:
    """The store under ``root`` (module docstring). ``get`` and ``put`` take a namespace (the kind of
    result, e.g. ``clustering``) and a key from :func:`content_key`; values are JSON objects."""

    root: Path
    stats: CacheStats = field(default_factory=CacheStats)

    @classmethod
    def default(cls) -> ResultCache:
        """The cache in :func:`default_cache_dir`."""
        return cls(default_cache_dir())

    def path(self, namespace: str, key: str, suffix: str = ".json") -> Path:
        """Where the entry ``key`` of ``namespace`` lives (``.json``, or ``.npy`` for an array)."""
        if not _NAMESPACE.match(namespace) or not _ENTRY.match(f"{key}{suffix}"):
            raise ValueError(f"bad cache namespace or key: {namespace!r}, {key!r}")
        return self.root / LAYOUT / namespace / key[:2] / f"{key}{suffix}"

    def get(self, namespace: str, key: str, decode: Callable[[dict[str, Any]], T | None]) -> T | None:
        """The stored value of ``key`` as ``decode`` reads it, or None (a miss) when there is none, it is
        unreadable, or ``decode`` rejects it (returns None; counted as corrupt and overwritten by the next
        ``put``)."""
        path = self.path(namespace, key)
        try:
            data = path.read_bytes()
        except OSError:
            self.stats.misses += 1
            return None
        try:
            entry = json.loads(data.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            entry = None
        value = None
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("value"), dict):
            value = decode(entry["value"])
        if value is None:
            self.stats.corrupt += 1
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return value

    def put(self, namespace: str, key: str, value: dict[str, Any]) -> None:
        """Store ``value`` atomically; a folder that cannot be written only costs the saving
        (counted in ``stats.write_errors``)."""
        text = json.dumps({"key": key, "value": value}, sort_keys=True, separators=(",", ":")) + "\n"
        try:
            atomic_write_text(self.path(namespace, key), text)
        except OSError:
            self.stats.write_errors += 1
            return
        self.stats.writes += 1

    def get_array(self, namespace: str, key: str, shape: tuple[int, ...], dtype: np.dtype[Any]) -> np.ndarray | None:
        """The stored array of ``key``, or None (a miss) when there is none or it is not a readable
        ``.npy`` of exactly ``shape`` and ``dtype`` (counted as corrupt and overwritten by the next put)."""
        path = self.path(namespace, key, ".npy")
        try:
            with path.open("rb") as handle:
                array = np.load(handle, allow_pickle=False)
        except OSError:
            self.stats.misses += 1
            return None
        except (ValueError, EOFError):  # not an .npy file, or a truncated one
            array = None
        if not isinstance(array, np.ndarray) or array.shape != shape or array.dtype != dtype:
            self.stats.corrupt += 1
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return array

    def put_array(self, namespace: str, key: str, array: np.ndarray) -> None:
        """Store ``array`` as ``.npy`` atomically (as :meth:`put`)."""
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        try:
            atomic_write_bytes(self.path(namespace, key, ".npy"), buffer.getvalue())
        except OSError:
            self.stats.write_errors += 1
            return
        self.stats.writes += 1

    def _files(self) -> list[tuple[str, Path]]:
        """(namespace, path) of every entry and interrupted temporary file, sorted."""
        base = self.root / LAYOUT
        if not base.is_dir():
            return []
        found = []
        for path in sorted(base.glob("*/*/*")):
            namespace = path.parent.parent.name
            if path.is_file() and _NAMESPACE.match(namespace) and (_ENTRY.match(path.name) or _TEMP.match(path.name)):
                found.append((namespace, path))
        return found

    def info(self) -> CacheInfo:
        """Entries per namespace (interrupted temporary files not counted) and bytes on disk."""
        entries: dict[str, int] = {}
        size = 0
        for namespace, path in self._files():
            try:
                size += path.stat().st_size
            except OSError:
                continue
            if _ENTRY.match(path.name):
                entries[namespace] = entries.get(namespace, 0) + 1
        return CacheInfo(self.root, dict(sorted(entries.items())), size)

    def clear(self) -> CacheInfo:
        """Delete every entry (and interrupted temporary file) and the folders left empty; return what
        was there. Nothing else under ``root`` is touched, so a mistaken ``$MOZARTC_CACHE_DIR`` loses
        no file of its own."""
        before = self.info()
        for _, path in self._files():
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as err:
                raise MozartError(f"cannot delete cache entry: {err.strerror}", where=str(path)) from None
        base = self.root / LAYOUT
        for folder in sorted((p for p in base.glob("*/*") if p.is_dir()), reverse=True):
            _remove_if_empty(folder)
        for folder in sorted((p for p in base.glob("*") if p.is_dir()), reverse=True):
            _remove_if_empty(folder)
        _remove_if_empty(base)
        return before


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()
