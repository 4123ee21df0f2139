"""The garbage collector in the portal's long-running processes (portal.ops.collector): a
gunicorn worker that has loaded the app freezes it out of collections and collects its youngest
objects every GC_THRESHOLD; GC_THRESHOLD=0 leaves Python's collector as it is."""

from __future__ import annotations

import gc
import runpy
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.ops import collector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def python_collector() -> Iterator[None]:
    """Python's own collector before and after each test: nothing frozen, its thresholds."""
    before = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_settling_freezes_what_was_loaded_and_raises_the_youngest_threshold(
    python_collector, monkeypatch
):
    monkeypatch.delenv("GC_THRESHOLD", raising=False)
    gc.set_threshold(700, 10, 10)
    assert gc.get_freeze_count() == 0
    loaded = [object() for _ in range(10)]  # a list: tracked by the collector
    collector.settle()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (collector.DEFAULT_THRESHOLD, 10, 10)
    # What was loaded is frozen: no collection looks at it any more.
    assert not any(obj is loaded for obj in gc.get_objects())


def test_gc_threshold_from_the_environment(python_collector, monkeypatch):
    gc.set_threshold(700, 10, 10)
    monkeypatch.setenv("GC_THRESHOLD", "50000")
    collector.settle()
    assert gc.get_threshold() == (50_000, 10, 10)


@pytest.mark.parametrize("value", ["lots", "-1", "2e4"])
def test_a_gc_threshold_that_is_no_number_is_refused_with_its_name(
    python_collector, monkeypatch, value
):
    gc.set_threshold(700, 10, 10)
    monkeypatch.setenv("GC_THRESHOLD", value)
    with pytest.raises(ValueError, match="GC_THRESHOLD"):
        collector.settle()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_gc_threshold_zero_leaves_pythons_collector_alone(python_collector, monkeypatch):
    gc.set_threshold(700, 10, 10)
    monkeypatch.setenv("GC_THRESHOLD", "0")
    collector.settle()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_a_gunicorn_worker_settles_once_it_has_loaded_the_app(python_collector, monkeypatch):
    monkeypatch.delenv("GC_THRESHOLD", raising=False)
    gc.set_threshold(700, 10, 10)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    settings["post_worker_init"](object())
    assert gc.get_threshold()[0] == collector.DEFAULT_THRESHOLD
    assert gc.get_freeze_count() > 0
