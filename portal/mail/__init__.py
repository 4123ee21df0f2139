"""Outgoing e-mail: sent over SMTP when configured, otherwise kept in an outbox admins can read."""
