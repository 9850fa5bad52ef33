"""Sign texts for a group: slogans in, signs out. No Flask, no database here.

A group of n people holds n different signs that read as one message, in order:
who we are (identity), what we ask (questions), what we want (the call) —
"I AM HAZARA" / "WHY DO YOU WANT TO KILL ME?" / "ANSWER PLEASE".
"""

import hashlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Reading order of a set; also the order kinds are offered in forms.
KINDS = ("identity", "question", "call")
#: What a slogan template may name, filled per event.
PLACEHOLDERS = ("city", "country", "venue", "campaign")
MAX_TEXT_LENGTH = 200


class TemplateError(ValueError):
    """A slogan template that cannot be filled. ``code`` says why, ``detail`` where."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def check_template(text: str) -> None:
    """Refuse empty or too long texts, unknown placeholders and unbalanced braces."""
    if not text.strip():
        raise TemplateError("empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise TemplateError("too_long")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateError("unbalanced_brace") from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise TemplateError("unknown_placeholder", "{" + name + "}")


def written_in_capitals(text: str) -> bool:
    """True if the template's own words have cased letters and all are capitals."""
    literal = "".join(part for part, *_ in string.Formatter().parse(text))
    return any(ch.isupper() for ch in literal) and not any(ch.islower() for ch in literal)


def fill(text: str, values: Mapping[str, str]) -> str:
    """The template with its placeholders replaced; a checked template never fails here.
    A template written in capitals gets its values in capitals too ("LONDON STANDS …",
    not "London STANDS …"); scripts without capitals are left as they are."""
    capitals = written_in_capitals(text)
    filled = {name: values.get(name, "") for name in PLACEHOLDERS}
    if capitals:
        filled = {name: value.upper() for name, value in filled.items()}
    return text.format_map(filled)


@dataclass(frozen=True)
class BankSlogan:
    id: int
    text: str
    language: str
    kind: str
    #: Slogans with the same theme in different languages are translations of each other.
    theme: str = ""


@dataclass(frozen=True)
class Sign:
    #: 1-based place in the line-up, left to right as the public reads it.
    number: int
    kind: str
    text: str
    language: str
    second_text: str = ""
    second_language: str = ""


def _plan(size: int) -> list[str]:
    if size <= 1:
        return ["identity"]
    if size == 2:
        return ["identity", "call"]
    return ["identity", *["question"] * (size - 2), "call"]


def _rank(seed: int, slogan: BankSlogan) -> str:
    # Each slogan's place depends only on the seed and the slogan, so a slogan added to the
    # bank later moves few existing sets.
    return hashlib.sha256(f"{seed}:{slogan.id}".encode()).hexdigest()


def _pick(slogans: list[BankSlogan], plan: list[str], seed: int) -> list[BankSlogan]:
    """One slogan per planned kind, never the same twice while there are enough."""
    ranked = sorted(slogans, key=lambda s: _rank(seed, s))
    chosen: list[BankSlogan] = []
    used: set[int] = set()
    for kind in plan:
        unused = [s for s in ranked if s.id not in used]
        if not unused:  # a bank smaller than the group: start again
            used.clear()
            unused = ranked
        same_kind = [s for s in unused if s.kind == kind]
        # Missing a kind: the nearest other kind reads best (a question for a call, …).
        fallback = sorted(unused, key=lambda s: abs(KINDS.index(s.kind) - KINDS.index(kind)))
        slogan = (same_kind or fallback)[0]
        chosen.append(slogan)
        used.add(slogan.id)
    return sorted(chosen, key=lambda s: KINDS.index(s.kind))  # stable: keeps rank order


def generate_signs(
    bank: Sequence[BankSlogan],
    size: int,
    *,
    seed: int,
    language: str,
    values: Mapping[str, str],
    second_language: str = "",
) -> list[Sign]:
    """``size`` signs for a group, in reading order, from the approved ``bank``.

    The same seed and bank give the same set; a new seed gives a new set. With a
    ``second_language``, each sign whose slogan has a translation in the bank (a slogan
    of that language with the same theme) carries it as a second line.
    """
    size = max(size, 1)
    primary = [s for s in bank if s.language == language]
    if not primary:
        primary = [BankSlogan(0, "{campaign}", language, "identity")]
    chosen = _pick(primary, _plan(size), seed)
    seconds: list[BankSlogan | None] = [None] * len(chosen)
    if second_language and second_language != language:
        # Only a true translation: a different slogan under a sign would say two things.
        translations = {
            s.theme: s
            for s in sorted(bank, key=lambda s: s.id, reverse=True)
            if s.language == second_language and s.theme
        }
        seconds = [translations.get(s.theme) if s.theme else None for s in chosen]
    return [
        Sign(
            number=n,
            kind=slogan.kind,
            text=fill(slogan.text, values),
            language=slogan.language,
            second_text=fill(second.text, values) if second else "",
            second_language=second.language if second else "",
        )
        for n, (slogan, second) in enumerate(zip(chosen, seconds, strict=True), start=1)
    ]
