"""Bulk data for the benchmarks and load tests (``flask seed bulk``): the planner decides every
record, the writer inserts them, the phrase banks are data in ``phrases.json``."""

from bench.bulk.planner import BULK_EMAIL_DOMAIN, BULK_TOTP_SECRET, DEFAULT_PASSWORD, BulkError
from bench.bulk.writer import BulkLoader, BulkResult

__all__ = [
    "BULK_EMAIL_DOMAIN",
    "BULK_TOTP_SECRET",
    "DEFAULT_PASSWORD",
    "BulkError",
    "BulkLoader",
    "BulkResult",
]
