"""The PostgreSQL server the store, doctor and load tests use (skipped when it is not there)."""

from __future__ import annotations

import socket


def postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    """Whether something accepts connections where the test server should be."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
