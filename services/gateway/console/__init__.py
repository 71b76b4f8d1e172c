"""The owner console at /admin: server-rendered pages (Jinja2) with a little vanilla JS and SSE.

See docs/console.md. Users and login sessions are the gateway's own tables (migration 066); every
other change is asked of the service that owns the data, over the broker.
"""
