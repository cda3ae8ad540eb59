"""Email: rendering (Jinja2 + CSS inlining) and delivery backends (file, smtp, sendgrid)."""
