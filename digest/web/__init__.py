"""FastAPI app: pages, JSON API, webhooks."""
