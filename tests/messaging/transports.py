"""Transports for delivery tests: one that records what it was given (and fails when
told), and one that pauses before a send so a test can kill its process right there."""

import os
import sys
import time

from campaign.messaging.transport import Outgoing, TransportError


class RecordingTransport:
    """Keeps every message handed over. ``fail_with``: a TransportError raised instead
    (every time, or for the next ``fail_times`` sends)."""

    def __init__(self):
        self.sent: list[Outgoing] = []
        self.tries = 0
        self.fail_with: TransportError | None = None
        self.fail_times: int | None = None

    def send(self, message: Outgoing) -> None:
        self.tries += 1
        if self.fail_with is not None and (self.fail_times is None or self.fail_times > 0):
            if self.fail_times is not None:
                self.fail_times -= 1
            raise self.fail_with
        self.sent.append(message)

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.sent]


class PausingTransport:
    """Wraps a real transport; before its ``pause_at``-th send it prints ``PAUSED <key>``
    on stdout and waits (for the test to SIGKILL the process): the message is claimed
    and not handed over, deterministically."""

    def __init__(self, inner, pause_at: int):
        self.inner = inner
        self.pause_at = pause_at
        self.count = 0

    def send(self, message: Outgoing) -> None:
        self.count += 1
        if self.count == self.pause_at:
            print(f"PAUSED {message.key}", flush=True)
            while True:  # the test kills us here
                time.sleep(60)
        self.inner.send(message)


def wait_for_file(path: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit("the start signal never came")
        time.sleep(0.005)
