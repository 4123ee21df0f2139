"""The time-limited cooperation agreement, its validity and its amendments."""
