"""gunicorn settings for `make serve` and production: `gunicorn -c gunicorn.conf.py`.

Each value can be overridden by an environment variable of the same name in capitals
with a GUNICORN_ prefix, e.g. GUNICORN_WORKERS=8 or GUNICORN_BIND=0.0.0.0:8000.
"""

import multiprocessing
import os


def _env(name: str, default):
    return type(default)(os.environ.get(f"GUNICORN_{name.upper()}", default))


wsgi_app = "campaign:create_app()"
bind = _env("bind", "127.0.0.1:8000")
#: The usual rule: two per core plus one. Requests mostly wait on the database.
workers = _env("workers", multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = _env("timeout", 30)  # a worker stuck this long is killed and replaced
graceful_timeout = _env("graceful_timeout", 20)
keepalive = _env("keepalive", 5)
#: Recycle workers now and then, at well spread counts: workers serving the same load
#: reach the same count together, and all of them booting at once (about a second each)
#: stalls every request meanwhile.
max_requests = _env("max_requests", 20000)
max_requests_jitter = _env("max_requests_jitter", 10000)
#: Access log without personal data: no client address, no query string, no referrer and
#: no user agent; member tokens in paths are redacted by campaign.security.
accesslog = _env("accesslog", "-")
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
loglevel = _env("loglevel", "info")
#: Behind a reverse proxy on the same machine; set PROXY_FIX_HOPS for the app as well.
forwarded_allow_ips = _env("forwarded_allow_ips", "127.0.0.1")
