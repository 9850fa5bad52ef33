"""A campaign feed built once without a host, and the host put in per request. No Flask here.

The feed's links (/e/<ref>, /e/<ref>/join, /c/<slug>) are absolute, and without SERVER_NAME
their scheme and host come from the request. Building a 5,000-event feed takes seconds, so
it is built once with ``ORIGIN`` in place of "scheme://host"; each request's origin is put
in by :meth:`FeedTemplate.render`, which refolds only the lines that hold it (RFC 5545 folds
lines at 75 octets, so a plain replace in folded bytes would break the folding).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from campaign.exports.ical import ORIGIN_MARK

#: Stands for "scheme://host" in a feed built without a host. ``ical.text`` drops every
#: other control character from texts, so it cannot be typed into an event.
ORIGIN = ORIGIN_MARK
_ORIGIN = ORIGIN.encode()
_MAGIC = b"campaign-feed-template/1\n"
_FOLD_AT = 74  # octets per folded piece: a continuation line starts with a space


def fold(line: bytes) -> bytes:
    """One content line folded as RFC 5545 asks: at most 75 octets a line, never inside a
    UTF-8 character, nor right after a backslash (some clients misread a split escape)."""
    if len(line) <= _FOLD_AT:
        return line
    pieces = []
    start = 0
    while len(line) - start > _FOLD_AT:
        cut = start + _FOLD_AT
        while cut > start + 1 and (0x80 <= line[cut] < 0xC0 or line[cut - 1] in b"\\^"):
            cut -= 1
        pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return b"\r\n ".join(pieces)


@dataclass(frozen=True)
class FeedTemplate:
    """A feed without its host: ``statics`` are folded runs of lines, each ``dynamics[i]``
    an unfolded line holding ``ORIGIN`` that goes between ``statics[i]`` and the next."""

    statics: tuple[bytes, ...]
    dynamics: tuple[bytes, ...]

    @classmethod
    def from_content_lines(cls, lines: Iterable) -> "FeedTemplate":
        """From icalendar's unfolded content lines (``Calendar.content_lines()``)."""
        statics: list[bytes] = []
        dynamics: list[bytes] = []
        run: list[bytes] = []
        for line in lines:
            if not line:
                continue
            if ORIGIN in line:
                statics.append(b"".join(run))
                dynamics.append(str(line).encode())
                run = []
            else:
                run.append(line.to_ical() + b"\r\n")  # icalendar's own folding
        statics.append(b"".join(run))
        return cls(tuple(statics), tuple(dynamics))

    @property
    def size(self) -> int:
        return sum(map(len, self.statics)) + sum(map(len, self.dynamics))

    def render(self, origin: str) -> bytes:
        """The feed with ``origin`` ("https://example.org") in every link."""
        replacement = origin.encode()
        parts = []
        for static, dynamic in zip(self.statics, self.dynamics, strict=False):
            parts.append(static)
            parts.append(fold(dynamic.replace(_ORIGIN, replacement)))
            parts.append(b"\r\n")
        parts.append(self.statics[-1])
        return b"".join(parts)

    def to_bytes(self) -> bytes:
        """For the disk: a header with every part's length, then the parts."""
        parts = [self.statics[0]]
        for static, dynamic in zip(self.statics[1:], self.dynamics, strict=True):
            parts += [dynamic, static]
        lengths = ",".join(str(len(part)) for part in parts).encode()
        return _MAGIC + lengths + b"\n" + b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> "FeedTemplate":
        """Read back :meth:`to_bytes`; ValueError if the data is not one."""
        if not data.startswith(_MAGIC):
            raise ValueError("not a feed template")
        header_end = data.index(b"\n", len(_MAGIC))
        lengths = [int(n) for n in data[len(_MAGIC) : header_end].split(b",")]
        if len(lengths) % 2 != 1 or sum(lengths) != len(data) - header_end - 1:
            raise ValueError("truncated feed template")
        parts, offset = [], header_end + 1
        for length in lengths:
            parts.append(data[offset : offset + length])
            offset += length
        return cls(tuple(parts[0::2]), tuple(parts[1::2]))
