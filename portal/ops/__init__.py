"""Operations: the gunicorn access log, database backups and restores."""
