"""Reference data (always) and demo data (never in production)."""
