"""Feed ingestion: safe fetch, parse (feedparser on bytes), identity, clean text, job adapters, store, schedule."""
