"""Canonical skills, aliases, job titles, metros; the matcher."""
