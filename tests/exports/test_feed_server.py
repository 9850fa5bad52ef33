"""Through gunicorn with several worker processes: requests for one uncached campaign feed
arriving together, each with its own Host header, cause one build between them; while it
builds, the others are answered (the build's bytes, or "come back" with Retry-After) and
other pages keep answering. On SQLite: what is tested is the server's one build, not the
database (the feed's queries run on both in tests/exports/test_feed_builds.py)."""

import http.client
import threading
from pathlib import Path

import pytest

from bench.load import create_event, prepare_instance
from tests.served import Server

# Builds timed across server workers: one at a time, in one xdist worker.
pytestmark = pytest.mark.xdist_group("timing")

REQUESTS = 8


@pytest.fixture
def serve(empty_database_url, tmp_path, monkeypatch):
    """serve(wait=…, build_seconds=…): gunicorn, 3 workers, campaign "load" with one event;
    every feed build is logged to a file and takes at least ``build_seconds``."""
    servers = []

    def start(wait: float, build_seconds: float):
        instance = tmp_path / "instance"
        prepare_instance(instance)
        with (instance / "config.py").open("a") as config:
            config.write(f"FEED_BUILD_WAIT_SECONDS = {wait}\n")
        create_event(empty_database_url, instance)
        log = tmp_path / "builds.log"
        log.touch()
        monkeypatch.setenv("FEED_TEST_BUILD_LOG", str(log))
        monkeypatch.setenv("FEED_TEST_BUILD_SECONDS", str(build_seconds))
        app = "tests.exports.counting_app:create_app()"
        servers.append(Server(empty_database_url, instance, workers=3, app=app).start())
        return servers[-1], log

    yield start
    for server in servers:
        server.stop()


def _get(server: Server, host: str, path: str = "/c/load/calendar.ics"):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("GET", path, headers={"Host": host})
    response = connection.getresponse()
    return response.status, response.getheader("Retry-After"), response.read()


def _together(count: int, ask) -> list:
    barrier = threading.Barrier(count)
    answers: list = [None] * count

    def run(n: int):
        barrier.wait()
        answers[n] = ask(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    return answers


def _builds(log: Path) -> list[str]:
    return log.read_text().split()


def test_requests_arriving_together_cause_one_build(serve):
    server, log = serve(wait=20, build_seconds=1.5)
    hosts = [f"random-{n}.example" for n in range(REQUESTS)]
    answers = _together(REQUESTS, lambda n: (hosts[n], *_get(server, hosts[n])))
    assert len(_builds(log)) == 1, _builds(log)
    for host, status, _retry, body in answers:
        assert status == 200, (host, status, body[:200])
        assert f"http://{host}/e/".encode() in body
    # Later requests, any host, any worker: still that one build.
    assert _get(server, "yet-another.example")[0] == 200
    assert len(_builds(log)) == 1


def test_a_long_build_keeps_the_others_and_other_pages_answered(serve):
    server, log = serve(wait=0.5, build_seconds=4)

    def ask(n: int):
        if n % 2:
            return _get(server, "localhost", "/auth/login")[0], None
        status, retry_after, _body = _get(server, f"random-{n}.example")
        return status, retry_after

    answers = _together(REQUESTS, ask)
    feeds = answers[0::2]
    pages = answers[1::2]
    assert len(_builds(log)) == 1
    assert {status for status, _ in feeds} <= {200, 503}
    assert [status for status, _ in feeds].count(200) >= 1  # the one that built it
    assert all(retry == "30" for status, retry in feeds if status == 503)
    assert [status for status, _ in pages] == [200] * len(pages)
