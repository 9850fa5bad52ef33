"""The group factories now live in tests/factories.py (a plugin, so every test has them);
these names stay importable from here for tests that still import them."""

from tests.factories import fill_group, make_group, volunteer  # noqa: F401
