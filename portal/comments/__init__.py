"""Discussion threads on needs, offers, matches and projects: comments, mentions, edits and
removals. A comment inherits the visibility of its record."""
