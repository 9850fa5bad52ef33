"""Through gunicorn with several worker processes: requests for one uncached campaign feed
arriving together, each with its own Host header, cause one build between them."""

import http.client
import threading
from pathlib import Path

import pytest

from bench.load import Server, create_event, prepare_instance
from tests.conftest import postgresql_database

REQUESTS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request, tmp_path, monkeypatch):
    if request.param == "sqlite":
        database_url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
        context = None
    else:
        context = postgresql_database(request.getfixturevalue("postgresql_server"))
        database_url = context.__enter__()
    instance = tmp_path / "instance"
    prepare_instance(instance)
    create_event(database_url, instance)  # campaign "load", one published event
    log = tmp_path / "builds.log"
    log.touch()
    monkeypatch.setenv("FEED_TEST_BUILD_LOG", str(log))
    monkeypatch.setenv("FEED_TEST_BUILD_SECONDS", "1.5")
    server = Server(
        database_url, instance, workers=3, app="tests.exports.counting_app:create_app()"
    ).start()
    try:
        yield server, log
    finally:
        server.stop()
        if context is not None:
            context.__exit__(None, None, None)


def _get(server: Server, host: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("GET", "/c/load/calendar.ics", headers={"Host": host})
    response = connection.getresponse()
    return response.status, response.read()


def test_requests_arriving_together_cause_one_build(served):
    server, log = served
    together = threading.Barrier(REQUESTS)
    answers: dict[str, tuple[int, bytes]] = {}

    def ask(n: int):
        host = f"random-{n}.example"
        together.wait()
        answers[host] = _get(server, host)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    builds = Path(log).read_text().split()
    assert len(builds) == 1, builds
    assert len(answers) == REQUESTS
    for host, (status, body) in answers.items():
        assert status == 200, (host, status, body[:200])
        assert f"http://{host}/e/".encode() in body
    # Later requests, any host, any worker: still that one build.
    assert _get(server, "yet-another.example")[0] == 200
    assert len(Path(log).read_text().split()) == 1
