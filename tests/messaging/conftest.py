"""The Kannel fixtures (tests/kannel.py) for the messaging tests."""

from tests.kannel import kannel, kannel_gateway  # noqa: F401 (fixtures)
