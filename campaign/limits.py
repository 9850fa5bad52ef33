"""Named rate limits, their numbers in config (RATELIMIT_<NAME>), so tests and deployments
can change them."""

from flask import current_app

from campaign.extensions import limiter


def _from_config(name: str):
    return lambda: current_app.config[f"RATELIMIT_{name}"]


def limit(name: str, *, methods: list[str] | None = None):
    """This view's own limit, counted per client address."""
    return limiter.limit(_from_config(name), methods=methods)


def shared(name: str, *, methods: list[str] | None = None):
    """A limit shared by every view decorated with the same name: e.g. all ways of trying a
    join code count together, so codes cannot be enumerated by switching URLs."""
    return limiter.shared_limit(_from_config(name), scope=name.lower(), methods=methods)
