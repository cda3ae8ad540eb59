"""Where items come from: feeds (safe fetch, parse, identity, clean text, job fields, poll schedule) and job files."""
