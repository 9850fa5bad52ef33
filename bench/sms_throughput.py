"""How many SMS a minute KannelTransport hands to a local Kannel (bearerbox + smsbox, the
fakesmsc test SMSC as the phones), and how many reach the phones: by hand, not a test.

    python bench/sms_throughput.py [--messages 600] [--threads 1 4]

One thread is one consumer sending one message after another; several threads share one
transport. A Persian text goes as UCS-2 (two parts here), an English one as GSM text. A real
SMSC limits throughput far below this (an SMPP account's agreed rate, Kannel's
``throughput`` per smsc): this measures the app's side and Kannel's, not the network's.
"""

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from campaign.messaging.sms import KannelTransport  # noqa: E402
from campaign.messaging.transport import Outgoing  # noqa: E402
from tests.kannel import BEARERBOX, Kannel  # noqa: E402

TEXTS = {
    "en": "Your group for the rally is ready. Open your link: https://example.org/me/abc123",
    "fa": "گروه شما برای تجمع آماده است. پیوند خود را باز کنید: https://example.org/me/abc123",
}


def run(kannel: Kannel, language: str, messages: int, threads: int) -> tuple[float, float]:
    """(handed over per minute, arrived per minute) for ``messages`` sends."""
    transport = KannelTransport(kannel.transport_config())
    before = len(kannel.received())
    numbers = [f"+4479111{n % 100000:05d}" for n in range(messages)]

    def send(n: int) -> None:
        transport.send(Outgoing(f"bench:{n}", "sms", numbers[n], TEXTS[language]))

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, range(messages)))
    handed = time.perf_counter() - start
    kannel.wait_for(before + messages, timeout=120)
    arrived = time.perf_counter() - start
    return messages / handed * 60, messages / arrived * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    if not Path(BEARERBOX).exists():
        sys.exit(f"{BEARERBOX} is missing: apt-get install kannel kannel-extras")
    with tempfile.TemporaryDirectory(prefix="sms-bench-") as folder:
        kannel = Kannel(Path(folder), get_url="http://127.0.0.1:9/unused").start()
        try:
            run(kannel, "en", 50, 1)  # warm up
            for threads in args.threads:
                for language in TEXTS:
                    handed, arrived = run(kannel, language, args.messages, threads)
                    print(
                        f"{threads} thread(s), {language}: {handed:,.0f} SMS/min handed to "
                        f"Kannel, {arrived:,.0f} SMS/min at fakesmsc"
                    )
        finally:
            kannel.stop()


if __name__ == "__main__":
    main()
