"""The slogan bank factory now lives in tests/factories.py (a plugin, so every test has
it); these names stay importable from here for tests that still import them."""

from tests.factories import SLOGANS, with_bank  # noqa: F401
