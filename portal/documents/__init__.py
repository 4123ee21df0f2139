"""Documents attached to needs, offers, projects, milestones and status reports: files with
versions, checked by their content, optionally scanned, stored by their sha256 outside the web
root and served only to those who see the record."""
