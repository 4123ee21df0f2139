"""The start page, language choice and the health check."""
