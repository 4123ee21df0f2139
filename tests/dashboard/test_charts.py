"""The server-rendered SVG charts: accessible names, escaping, numbers in the reader's language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from portal.dashboard import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # noqa: S314 (our own output, in a test)


def test_bar_chart_is_named_described_and_labelled(app):
    with app.test_request_context("/?lang=en"):
        svg = _parse(charts.bar_chart("c1", "Needs by theme", [("Water", 7), ("Education", 2)]))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").text == "Needs by theme"
    assert svg.find(f"{SVG}title").get("id") == "c1-title"
    assert svg.find(f"{SVG}desc").text == "Water: 7; Education: 2"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["Water", "7", "Education", "2"]  # every bar has its label and its number
    widths = [int(r.get("width")) for r in svg.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0
    assert "style" not in str(ET.tostring(svg))  # the CSP forbids inline styles


def test_labels_are_escaped(app):
    with app.test_request_context("/"):
        markup = str(charts.bar_chart("c2", "<b>title</b>", [("<script>x</script>", 1)]))
    assert "<script>" not in markup and "<b>" not in markup
    _parse(markup)


def test_zero_and_empty_charts(app):
    with app.test_request_context("/"):
        zero = _parse(charts.bar_chart("c3", "T", [("None yet", 0)]))
        empty = _parse(charts.bar_chart("c4", "T", []))
    assert [int(r.get("width")) for r in zero.iter(f"{SVG}rect")] == [2]  # a hairline
    assert empty.find(f"{SVG}desc").text == "No data."


def test_funnel_shares_and_numbers_in_the_readers_language(app):
    with app.test_request_context("/?lang=sv"):
        svg = _parse(charts.funnel_chart("f", "Tratt", [("Publicerade", 1200), ("Matchade", 300)]))
    desc = svg.find(f"{SVG}desc").text
    assert re.search(r"Publicerade: 1\s200 \(100\s%\)", desc), desc
    assert re.search(r"Matchade: 300 \(25\s%\)", desc), desc
    widths = [int(r.get("width")) for r in svg.iter(f"{SVG}rect")]
    assert widths == [charts.WIDTH, charts.WIDTH // 4]
