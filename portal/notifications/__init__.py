"""Telling people when something needs them: events, the inbox, following and e-mail."""
