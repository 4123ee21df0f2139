"""Pieces shared by every domain: column types, enums with translated labels, locale helpers."""
