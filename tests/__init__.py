import pytest

# Asserts in the shared test modules report their values like the tests' own; registered
# here, before tests/conftest.py imports them.
pytest.register_assert_rewrite(
    "tests.databases", "tests.every_route", "tests.factories", "tests.helpers", "tests.served"
)
