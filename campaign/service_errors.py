"""One shape for every refusal a service makes, and one way to put a refusal into words.

A service raises its feature's ``ServiceError`` subclass with a code (and the field it is
about); each feature keeps one table of code → message; a view shows ``message_for(error,
table)``. A code no table words is never shown to a person: it is logged, and the person
reads a general message instead.
"""

import logging
from collections.abc import Iterable, Mapping

from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)

#: Messages for the codes any feature may raise (``campaign.access.NotAllowed``).
COMMON_MESSAGES = {
    "not_allowed": _l("You are not allowed to do that."),
}
#: What a person reads for a refusal that no table words: never the code itself.
UNWORDED_REFUSAL = _l("That is not possible now. Nothing was changed.")


class ServiceError(Exception):
    """A service refused. ``code`` says why, ``field`` which input it is about (None: the
    request as a whole), ``detail`` names the culprit. ``problems`` lists every (field,
    code) pair when several were found at once (see ``several``)."""

    def __init__(self, code: str, field: str | None = None, **detail):
        super().__init__(code)
        self.code = code
        self.field = field
        self.detail = detail
        self.problems: list[tuple[str | None, str]] = [(field, code)]

    @classmethod
    def several(cls, problems: Iterable[tuple[str | None, str]]):
        """One refusal for every problem found, so a form shows them all at once."""
        problems = list(problems)
        field, code = problems[0]
        error = cls(code, field)
        error.problems = problems
        return error

    @property
    def codes(self) -> list[str]:
        return [code for _field, code in self.problems]


def message_for(code: str, table: Mapping[str, object] = COMMON_MESSAGES):
    """The message for a refusal's code: the feature's table, then the common one; a code
    neither words is logged (a missing message is a bug) and answered in general words."""
    message = table.get(code) or COMMON_MESSAGES.get(code)
    if message is None:
        log.error("No message for the service error code %r", code)
        return UNWORDED_REFUSAL
    return message
