"""Prometheus metrics for one bot process, fed through the core's own seams.

- `BotMetrics` is a `MessageRecorder` (answered, unanswered and urgent replies per platform)
  and a reload listener (successes and failures). Its registry belongs to the instance, not
  to the module, so tests and several bots in one process never share counters.
- `MeasuredEngine` is the engine that also counts every message it looks at and times each
  reply: from the message reaching the engine to the reply being ready. Sending it over the
  network is not included (the adapters own that; `bench/load_test.py` measures end to end).
- `FanOutRecorder` hands each reply to several recorders (the store and the metrics).

Every metric is named `backpain_bot_*`; `render()` gives the text `/metrics` serves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from bot.core.content import Library
from bot.core.engine import Engine
from bot.core.feedback import MessageRecorder
from bot.core.types import IncomingMessage, Reply
from bot.ops.reloader import ReloadResult

log = logging.getLogger(__name__)

PLATFORMS = ("telegram", "discord")  # labelled from the start, so dashboards see zeros, not gaps
# The engine answers in well under a millisecond; the upper buckets catch a stalled process.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class BotMetrics:
    """The process's counters and latency histogram, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "backpain_bot_messages", "Messages handled (addressed or only screened)", ["platform"], registry=r
        )
        self.answered = Counter(
            "backpain_bot_answered", "Replies that answered a question", ["platform"], registry=r
        )
        self.unanswered = Counter(
            "backpain_bot_unanswered",
            "Questions addressed to the bot it could not answer",
            ["platform"],
            registry=r,
        )
        self.urgent = Counter(
            "backpain_bot_urgent_replies",
            "Replies opened by an emergency or urgent warning",
            ["platform"],
            registry=r,
        )
        self.reloads = Counter(
            "backpain_bot_content_reloads", "Content reloads by result", ["result"], registry=r
        )
        self.latency = Histogram(
            "backpain_bot_reply_seconds",
            "Time from a message reaching the engine to its reply being ready",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        for platform in PLATFORMS:
            for family in (self.messages, self.answered, self.unanswered, self.urgent, self.latency):
                family.labels(platform)
        for result in ("success", "failure"):
            self.reloads.labels(result)

    def message_seen(self, platform: str, seconds: float, replied: bool) -> None:
        """Count one message; time it when it got a reply."""
        self.messages.labels(platform).inc()
        if replied:
            self.latency.labels(platform).observe(seconds)

    def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
        """MessageRecorder: count the reply as answered, unanswered and/or urgent."""
        if reply.answered:
            self.answered.labels(message.platform).inc()
        elif message.addressed:
            self.unanswered.labels(message.platform).inc()
        if reply.safety is not None and reply.safety.is_urgent:
            self.urgent.labels(message.platform).inc()

    def reload_finished(self, result: ReloadResult) -> None:
        """Reload listener: count a success or a failure."""
        self.reloads.labels("success" if result.ok else "failure").inc()

    def track_value(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A gauge read at scrape time (for example the store's dropped records)."""
        Gauge(name, documentation, registry=self.registry).set_function(read)

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """Every metric in the format the scraper's Accept header asks for, and its content type.

        Without one: Prometheus' classic text format 0.0.4, which every scraper reads.
        """
        encode, content_type = choose_encoder(accept)  # type: ignore[arg-type]  # None is handled
        return encode(self.registry), content_type


class MeasuredEngine(Engine):
    """The engine, counting every message it looks at and timing every reply."""

    def __init__(
        self, library: Library, emergency_number: str, *, recorder: MessageRecorder, metrics: BotMetrics
    ) -> None:
        super().__init__(library, emergency_number, recorder=recorder)
        self._metrics = metrics

    def handle(self, message: IncomingMessage) -> Reply | None:
        started = time.perf_counter()
        reply = super().handle(message)
        self._metrics.message_seen(message.platform, time.perf_counter() - started, reply is not None)
        return reply


class FanOutRecorder:
    """A MessageRecorder that hands each reply to several; one failing never stops a reply."""

    def __init__(self, recorders: Sequence[MessageRecorder]) -> None:
        self._recorders = tuple(recorders)

    def message_handled(self, message: IncomingMessage, reply: Reply) -> None:
        for recorder in self._recorders:
            try:
                recorder.message_handled(message, reply)
            except Exception:  # counting is never worth losing the reply it counts
                log.exception("Recorder %s failed", type(recorder).__name__)
