"""Celery only: the app, thin tasks calling digest/, the beat schedule."""
