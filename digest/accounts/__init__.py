"""People, their subscriptions, sign-in links, sessions and rate limits."""
