"""Exports, feeds and the open data page."""
