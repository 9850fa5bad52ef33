"""No secret reaches a log: real errors on member routes, then every log stream is searched
for the member tokens, join codes, phone numbers, emails, names and meeting points.

Errors are real: an exception raised inside a view, and SQL statements refused by the
database (a CHECK constraint on PostgreSQL, whose error repeats the failing row; a trigger
on SQLite) while they carry a meeting point, a group name or a volunteer's name.
"""

import io
import logging
import re
import sqlite3

import pytest
from sqlalchemy import text

from bench.load import create_event, prepare_instance
from campaign import create_app
from campaign.extensions import db
from campaign.groups import service
from campaign.security import redact
from tests.helpers import csrf_token
from tests.served import Browser, LoggedServer

ME_LINK = re.compile(r"/me/([A-Za-z0-9_-]{32,})")

LEADER = {"display_name": "Zahra Qasimi", "contact": "+12015550147"}
MEMBER = {"display_name": "Ali Rezaie", "contact": "ali.rezaie@example.org"}
NEWCOMER = {"display_name": "Maryam Jafari", "contact": "+12015550148"}
MEETING_POINT = "Behind the fountain on Whitehall"
GROUP_NAME = "Lions of Bamiyan"


def personal_values() -> list[str]:
    return [
        LEADER["display_name"],
        "2015550147",
        MEMBER["display_name"],
        MEMBER["contact"],
        NEWCOMER["display_name"],
        "2015550148",
        MEETING_POINT,
        GROUP_NAME,
    ]


# --- the database refuses, as a real constraint would -------------------------------------

SQLITE_REFUSALS = [
    """CREATE TRIGGER refuse_meeting BEFORE UPDATE OF meeting_point ON volunteer_group
       WHEN NEW.meeting_point LIKE '%fountain%'
       BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: refuse_meeting'); END""",
    """CREATE TRIGGER refuse_name BEFORE UPDATE OF name ON volunteer_group
       WHEN NEW.name LIKE '%Lions%'
       BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: refuse_name'); END""",
    """CREATE TRIGGER refuse_left BEFORE INSERT ON group_activity
       WHEN NEW.display_name LIKE 'Ali%'
       BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: refuse_left'); END""",
]
POSTGRESQL_REFUSALS = [
    ("volunteer_group", "refuse_meeting", "meeting_point NOT LIKE '%fountain%'"),
    ("volunteer_group", "refuse_name", "name NOT LIKE '%Lions%'"),
    ("group_activity", "refuse_left", "display_name NOT LIKE 'Ali%'"),
]


@pytest.fixture
def refuse_personal_values(app):
    """Call it and the database refuses to store the meeting point, the group name and the
    second volunteer's leaving: its errors then carry those values as parameters."""
    applied = []

    def refuse():
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            for statement in SQLITE_REFUSALS:
                db.session.execute(text(statement))
        else:
            for table, name, check in POSTGRESQL_REFUSALS:
                db.session.execute(
                    text(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({check}) NOT VALID")
                )
                applied.append((table, name))
        db.session.commit()

    yield refuse
    db.session.rollback()
    for table, name in applied:  # the PostgreSQL database outlives the test
        db.session.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
    db.session.commit()


# --- log streams ------------------------------------------------------------------------


@pytest.fixture
def log_streams(caplog):
    """Every way a record can leave the process here: pytest's handler on the root
    logger, a plain stream handler added to the root, and a logger (with a handler of its
    own, not propagating) created after the app."""
    caplog.set_level(logging.INFO)
    root_stream, later_stream = io.StringIO(), io.StringIO()
    root_handler = logging.StreamHandler(root_stream)
    root_handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(root_handler)
    later = logging.getLogger("test_logs.created_later")
    later_handler = logging.StreamHandler(later_stream)
    later.addHandler(later_handler)
    later.propagate = False
    streams = {"caplog": lambda: caplog.text, "root": root_stream.getvalue}
    streams["later"] = later_stream.getvalue
    yield later, streams
    logging.getLogger().removeHandler(root_handler)
    later.removeHandler(later_handler)


def _join(client, url: str, person: dict, **extra) -> str:
    data = {"csrf_token": csrf_token(client, url), "pledge": "y", **person, **extra}
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return ME_LINK.search(response.headers["Location"]).group(1)


def _post(client, token: str, path: str, data: dict | None = None):
    form = {"csrf_token": csrf_token(client, f"/me/{token}"), **(data or {})}
    return client.post(f"/me/{token}{path}", data=form)


def test_errors_on_member_routes_leave_no_secret_in_any_log(
    app, client, make_event, monkeypatch, capfd, log_streams, refuse_personal_values
):
    later, streams = log_streams
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: logged, answered 500
    event = make_event(min_group_size=3)
    leader = _join(client, f"/e/{event.ref}/join", LEADER, mode="new")
    code = service.membership_by_token(leader).group.join_code
    member = _join(app.test_client(), f"/j/{code}", MEMBER)
    secrets = [leader, member, code, *personal_values()]

    # An exception inside a view, on a path that carries the token.
    def broken(*_args):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(service, "check_in", broken)
    assert _post(client, leader, "/check-in").status_code == 500
    # And on a path that carries the join code.
    monkeypatch.setattr(service, "join_group", broken)
    newcomer = app.test_client()
    data = {"csrf_token": csrf_token(newcomer, f"/j/{code}"), "pledge": "y", **NEWCOMER}
    assert newcomer.post(f"/j/{code}", data=data).status_code == 500
    monkeypatch.undo()

    # SQL statements refused while they carry personal values.
    refuse_personal_values()
    assert _post(client, leader, "/meeting", {"meeting_point": MEETING_POINT}).status_code == 500
    assert _post(client, leader, "/rename", {"name": GROUP_NAME}).status_code == 500
    other = app.test_client()
    assert _post(other, member, "/leave", {"confirmed": "yes"}).status_code == 500

    # A logger created after the app, logging a URL and an exception of its own.
    try:
        raise ValueError(f"could not open /me/{leader}/calendar.ics")
    except ValueError:
        later.exception("while serving /j/%s and /j?code=%s", code, code.lower())

    logs = {name: read() for name, read in streams.items()}
    captured = capfd.readouterr()
    logs["stderr"], logs["stdout"] = captured.err, captured.out
    for stream, content in logs.items():
        for secret in secrets:
            assert secret not in content, f"{secret!r} in {stream}"
        assert code.lower() not in content
    assert "injected fault" in logs["caplog"] and "injected fault" in logs["root"]
    assert "IntegrityError" in logs["caplog"] and "IntegrityError" in logs["root"]
    assert "/me/[redacted]/" in logs["root"] and "/j/[redacted]" in logs["root"]
    assert "/j/[redacted]" in logs["later"] and "ValueError" in logs["later"]


def test_gunicorn_output_has_no_secrets(tmp_path):
    """The same errors through real gunicorn workers: its error log, access log and any
    traceback (all of its output, in one file) name no secret."""
    instance, database = tmp_path / "instance", tmp_path / "logs.sqlite3"
    prepare_instance(instance)
    url = f"sqlite:///{database}"
    ref = create_event(url, instance)
    log = tmp_path / "gunicorn.log"
    server = LoggedServer(url, instance, workers=2, log=log).start()
    try:
        leader = Browser(server.base)
        answer = leader.post(f"/e/{ref}/join", {**LEADER, "pledge": "y", "mode": "new"})
        token = ME_LINK.search(answer[1]["Location"]).group(1)
        code = re.search(r"/j/([A-Z0-9]{8})", leader.get(f"/me/{token}")[2]).group(1)
        member = Browser(server.base)
        answer = member.post(f"/j/{code}", {**MEMBER, "pledge": "y"})
        member_token = ME_LINK.search(answer[1]["Location"]).group(1)
        assert member.get(f"/j?code={code.lower()}")[0] == 302
        assert member.get(f"/language/fa?next=/me/{member_token}")[0] == 302
        with sqlite3.connect(database) as connection:
            for statement in SQLITE_REFUSALS:
                connection.execute(statement)
        connection.close()
        me = f"/me/{token}"
        assert (
            leader.post(f"{me}/meeting", {"meeting_point": MEETING_POINT}, form_from=me)[0] == 500
        )
        assert leader.post(f"{me}/rename", {"name": GROUP_NAME}, form_from=me)[0] == 500
        leave = f"/me/{member_token}/leave"
        assert member.post(leave, {"confirmed": "yes"})[0] == 500
    finally:
        server.stop()
    output = log.read_text()
    for secret in [token, member_token, code, code.lower(), *personal_values()]:
        assert secret not in output
    assert "Exception on /me/[redacted]/meeting [POST]" in output
    assert "IntegrityError" in output
    assert '"GET /me/[redacted]' in output  # the access log is in there too


def test_redaction_covers_encoded_paths_queries_and_postgresql_details():
    token, code = "Abc_123-xyzXYZ0123456789abcdefABCD", "ABCD2345"
    for line in [
        f'"GET /me/{token}/calendar.ics HTTP/1.1" 200',
        f"GET /language/fa?next=%2Fme%2F{token}",
        f"GET /j/{code}/qr.svg",
        f"GET /j?code={code.lower()}&x=1",
        f"GET /language/fa?next=%2Fj%3Fcode%3D{code}",
        f'violates check constraint "c"\nDETAIL:  Failing row contains (1, {code}, Lions).',
    ]:
        assert token not in redact(line) and code.lower() not in redact(line).lower()
        assert "[redacted]" in redact(line)
    assert redact("GET /e/abc234/join 200") == "GET /e/abc234/join 200"


def test_engine_options_of_a_deployment_keep_parameters_hidden(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGN_INSTANCE_PATH", str(tmp_path / "instance"))
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    options = {"pool_recycle": 300}  # e.g. from instance/config.py
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options})
    with app.app_context():
        assert db.engine.hide_parameters
        assert db.engine.pool._recycle == 300
        db.engine.dispose()
