"""Postings: what needs and offers share, written once (columns, life cycle, services, pages)."""
