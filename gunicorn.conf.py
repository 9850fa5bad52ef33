"""gunicorn settings for `make serve` and production: `gunicorn -c gunicorn.conf.py`.

Each value can be overridden by an environment variable of the same name in capitals
with a GUNICORN_ prefix, e.g. GUNICORN_THREADS=16 or GUNICORN_BIND=127.0.0.1:8001.
"""

import multiprocessing
import os


def _env(name: str, default):
    return type(default)(os.environ.get(f"GUNICORN_{name.upper()}", default))


def _limits_shared() -> bool:
    """Rate limits counted in a store every worker shares (Redis), not in each process."""
    return not os.environ.get("RATELIMIT_STORAGE_URI", "memory://").startswith("memory://")


wsgi_app = "campaign:create_app()"
bind = _env("bind", "127.0.0.1:8000")
#: waitress inside each worker (campaign_serving/worker.py): a request reaches one of the
#: worker's threads only once its headers and body have all arrived, so slow clients cost
#: memory, not the site. Don't expose any server directly all the same: put it behind a
#: reverse proxy with HTTPS (README, Deployment).
worker_class = "campaign_serving.worker.BufferedWorker"
#: One process, so rate limits counted in memory are the configured numbers. With
#: RATELIMIT_STORAGE_URI pointing at Redis, one per core; more than one with memory://
#: refuses to start (each would count alone).
workers = _env("workers", multiprocessing.cpu_count() if _limits_shared() else 1)
#: Requests run at once in each worker. Requests mostly wait on the database.
threads = _env("threads", 8)
#: Open connections per worker, slow or idle ones included.
worker_connections = _env("worker_connections", 1000)
#: A request still arriving, or still running, this long after it began is dropped; a
#: worker with a request stuck this long is replaced.
timeout = _env("timeout", 30)
graceful_timeout = _env("graceful_timeout", 20)
keepalive = _env("keepalive", 5)  # an idle connection is closed after this many seconds
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
#: The reverse proxy's addresses. X-Forwarded-* and Forwarded headers count only when the
#: app is told a proxy is in front (PROXY_FIX_HOPS > 0) and only from these addresses;
#: from anyone else they are removed before the app sees them.
forwarded_allow_ips = _env("forwarded_allow_ips", "127.0.0.1,::1")
