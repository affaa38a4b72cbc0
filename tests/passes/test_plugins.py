"""Third-party passes arrive through the ``mozartc.passes`` entry-point group."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from mozartc.errors import PassError
from mozartc.ir import parse_file
from mozartc.passes import PassContext, available_passes, build_pipeline, registry, run_pipeline


@pytest.fixture
def plugin_entry_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    points = [
        EntryPoint("tag-module", "tests.passes.plugin_pass:TagModule", registry.ENTRY_POINT_GROUP),
        EntryPoint("misnamed", "tests.passes.plugin_pass:TagModule", registry.ENTRY_POINT_GROUP),
    ]
    monkeypatch.setattr(registry, "entry_point_paths",
                        lambda group: {p.name: p.value for p in points if p.group == group})
    registry._plugin_passes.cache_clear()
    yield
    registry._plugin_passes.cache_clear()


def test_plugin_pass_runs_from_a_pipeline_string(plugin_entry_points: None, small_mir: Path) -> None:
    assert "tag-module" in available_passes()
    module = run_pipeline(parse_file(small_mir), build_pipeline("summarize,tag-module{value=x}"), PassContext())
    assert module.attrs["tag"] == "x"


def test_plugin_whose_class_name_differs_is_rejected(plugin_entry_points: None) -> None:
    with pytest.raises(PassError, match="is not a Pass subclass named 'misnamed'"):
        build_pipeline("misnamed")
