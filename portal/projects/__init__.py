"""Cooperation projects: agreed matches turned into work with milestones and status reports."""
