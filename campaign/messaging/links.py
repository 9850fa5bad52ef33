"""Absolute links for messages, inside a request (its host) or outside one (the queue, the
command line, an SMS handled by a worker): PUBLIC_URL then says where the site is."""

from flask import current_app, has_request_context, url_for


def external_url(endpoint: str, **values) -> str:
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("PUBLIC_URL") or "http://localhost:5000"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
