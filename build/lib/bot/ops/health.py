"""The health and metrics endpoint: a small aiohttp server on HEALTH_HOST:HEALTH_PORT.

- `GET /healthz`: 200 `ready` once the content library is loaded, the store is open and
  every platform adapter has started; 503 `starting` before that and 503 `stopping` from
  the moment a shutdown begins, so a load balancer stops sending traffic while the replies
  in flight finish. Kubernetes' readiness probe and Docker's HEALTHCHECK use it.
- `GET /livez`: 200 while the process's event loop answers at all (a liveness probe that
  does not restart the bot while it waits for a database or a platform).
- `GET /metrics`: the Prometheus text format (bot/metrics.py).

The server is off unless HEALTH_PORT is set, and never runs with the terminal chat.
`probe()` is what `python -m bot healthcheck` (the image's HEALTHCHECK) calls.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable

from aiohttp import web

from bot.ops.metrics import BotMetrics

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 3.0  # seconds; Docker's HEALTHCHECK gives the command a few more


class Readiness:
    """Whether this process should receive traffic: `starting`, `ready` or `stopping`."""

    def __init__(self) -> None:
        self.state = "starting"
        self._needs: list[Callable[[], bool]] = []

    def depends_on(self, check: Callable[[], bool]) -> None:
        """Say not ready while `check()` is false (the database unreachable, say)."""
        self._needs.append(check)

    @property
    def ready(self) -> bool:
        return self.state == "ready" and all(check() for check in self._needs)

    def mark_ready(self) -> None:
        if self.state == "starting":
            self.state = "ready"

    def mark_stopping(self) -> None:
        self.state = "stopping"


class HealthServer:
    """Serves /healthz, /livez and /metrics; `port=0` picks a free port (tests)."""

    def __init__(self, readiness: Readiness, metrics: BotMetrics, host: str, port: int) -> None:
        self._readiness = readiness
        self._metrics = metrics
        self._host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; returns once the port is bound."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/livez", self._livez)
        app.router.add_get("/metrics", self._serve_metrics)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self.port).start()
        self.port = self._runner.addresses[0][1]
        log.info("Health and metrics on http://%s:%d/healthz and /metrics", self._host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _request: web.Request) -> web.Response:
        readiness = self._readiness
        status = 200 if readiness.ready else 503
        state = "degraded" if readiness.state == "ready" and not readiness.ready else readiness.state
        return web.Response(text=state + "\n", status=status)

    async def _livez(self, _request: web.Request) -> web.Response:
        return web.Response(text="alive\n")

    async def _serve_metrics(self, request: web.Request) -> web.Response:
        body, content_type = self._metrics.render(request.headers.get("Accept"))
        return web.Response(body=body, headers={"Content-Type": content_type})


def probe(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> tuple[bool, str]:
    """GET /healthz: (ready, what it said). A server bound to every interface is asked on loopback."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    url = f"http://{host}:{port}/healthz"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status == 200, response.read().decode().strip()
    except urllib.error.HTTPError as error:
        return False, error.read().decode().strip() or f"HTTP {error.code}"
    except (OSError, TimeoutError) as error:
        return False, f"no answer from {url}: {error}"
