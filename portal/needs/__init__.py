"""Needs: what Kyiv asks for, by theme."""
