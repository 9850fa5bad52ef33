"""gunicorn from gunicorn.conf.py (bench/load.py's Server) on a port of this test worker's
own, optionally with its output kept in a file, and a small cookie-keeping HTTP client for
it: what tests read after real requests."""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

from bench import load
from bench.load import ROOT
from tests.helpers import free_port

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Server(load.Server):
    """bench/load.py's Server on a port from tests.helpers.free_port: xdist workers never
    pick the same one."""

    port: int = field(default_factory=free_port)


@dataclass
class LoggedServer(Server):
    """Server whose stdout and stderr (error log, access log, tracebacks) go to ``log``."""

    log: Path | None = None

    def start(self, timeout: float = 30) -> "LoggedServer":
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CAMPAIGN_INSTANCE_PATH": str(self.instance),
            "GUNICORN_BIND": self.base,
            "GUNICORN_WORKERS": str(self.workers),
        }
        gunicorn = Path(sys.executable).with_name("gunicorn")
        with open(self.log, "ab") as output:
            self.process = subprocess.Popen(
                [str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py")],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = Browser(self.base)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.get("/auth/login")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start: " + self.log.read_text()[-2000:])


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One device: keeps its cookies, does not follow redirects."""

    def __init__(self, base: str):
        self.base = f"http://{base}"
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )
        self.set_cookies: list[str] = []

    def _open(self, request) -> tuple[int, dict, str]:
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            response = error
        self.set_cookies += response.headers.get_all("Set-Cookie") or []
        return response.status, response.headers, response.read().decode(errors="replace")

    def get(self, path: str) -> tuple[int, dict, str]:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 (http)

    def post(self, path: str, data: dict, *, form_from: str | None = None):
        """POST with the CSRF token of the page ``form_from`` (default: ``path``)."""
        page = self.get(form_from or path)[2]
        match = CSRF.search(page)
        assert match, f"no CSRF token on {form_from or path}"
        body = urlencode({"csrf_token": match.group(1), **data}).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")  # noqa: S310
        return self._open(request)
