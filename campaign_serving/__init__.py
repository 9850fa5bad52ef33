"""How `make serve` serves the app: a gunicorn worker that hands the app only whole requests.

A package of its own, not part of ``campaign``: gunicorn's master imports the worker class,
and a master holding ``campaign``'s modules would give workers forked after a code update
and a HUP the old copies of them. This package imports nothing from the app.
"""
