"""How many messages per minute SmtpTransport hands to a local SMTP server (aiosmtpd on a
loopback port, in its own process, accepting and dropping): one connection per message
(``send``, what the queue does) and all on one connection (``send_many``). Run by hand:

    .venv/bin/python -m bench.mail_throughput [--messages 500] [--rounds 3]

Prints messages per minute, best of the rounds. A real relay (TLS, a login, DNS, its
queue on disk) is slower; this is the transport's own ceiling on this machine.
"""

# ruff: noqa: RUF001 (Persian text: its letters look like Latin ones to ruff)
import argparse
import multiprocessing
import socket
import time

from aiosmtpd.controller import Controller

from campaign.messaging.mail import SmtpTransport
from campaign.messaging.transport import Outgoing

TEXT = (
    "سلام مریم،\nگروه سه‌نفره‌ی شما برای راهپیمایی شنبه آماده است.\n"
    "پیوند شما: https://campaign.example.org/m/0123456789abcdef\n"
    "اگر نمی‌خواهید پیامی بگیرید: https://campaign.example.org/unsubscribe/abc\n"
)


class Counter:
    def __init__(self, count) -> None:
        self.count = count

    async def handle_DATA(self, server, session, envelope):
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def serve(port: int, count, ready, stop) -> None:
    """The SMTP server, in its own process: it does not share the sender's GIL."""
    controller = Controller(Counter(count), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def messages(count: int, round_number: int) -> list[Outgoing]:
    return [
        Outgoing(
            key=f"bench:{round_number}:{n}",
            channel="email",
            to=f"member{n}@example.org",
            subject="گروه شما آماده است",
            text=TEXT,
            language="fa",
            unsubscribe_url=f"https://campaign.example.org/unsubscribe/{n}",
        )
        for n in range(count)
    ]


def per_minute(count: int, seconds: float) -> float:
    return count * 60 / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()

    port = loopback_port()
    count = multiprocessing.Value("i", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, count, ready, stop))
    server.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the SMTP server did not start")
        transport = SmtpTransport(
            {
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": port,
                "MAIL_DEFAULT_SENDER": "Campaign <noreply@campaign.example.org>",
            }
        )
        best = {"send": 0.0, "send_many": 0.0}
        for round_number in range(options.rounds):
            batch = messages(options.messages, round_number)
            started = time.perf_counter()
            for message in batch:
                transport.send(message)
            best["send"] = max(best["send"], per_minute(len(batch), time.perf_counter() - started))

            started = time.perf_counter()
            results = transport.send_many(batch)
            elapsed = time.perf_counter() - started
            assert results == [None] * len(batch), results
            best["send_many"] = max(best["send_many"], per_minute(len(batch), elapsed))
        expected = 2 * options.rounds * options.messages
        assert count.value == expected, (count.value, expected)
    finally:
        stop.set()
        server.join(10)

    print(f"send (one connection per message): {best['send']:,.0f} messages/minute")
    print(f"send_many (one connection):         {best['send_many']:,.0f} messages/minute")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
