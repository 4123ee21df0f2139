"""Matches between needs and offers: suggestions with reasons, proposals, both sides accepting."""
