"""The staff web console and the public pages (FastAPI, Jinja2, htmx; no JavaScript build)."""
