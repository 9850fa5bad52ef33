"""Seeders for development and measurement: the demo campaign and a campaign at scale.

Not imported by the app: the `seed-demo` and `seed-scale` commands import them when run."""
