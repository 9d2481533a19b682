"""While the store loads: say what is loading, and keep systemd's start timeout from firing.

Loading mem0, Chroma and the embedder takes ~20 s on an idle machine and minutes
on a loaded one, and the daemon prints nothing else until it is ready. The unit's
``TimeoutStartSec`` is the ceiling for a daemon that is stuck; while loading really
progresses the daemon asks for more time with ``EXTEND_TIMEOUT_USEC`` every
:data:`EXTEND_EVERY_S` seconds (systemd >= 236; ignored elsewhere), for at most
:data:`EXTEND_MAX_S` seconds in all, so a load that hangs still ends in a timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sidecar.process import notify

EXTEND_EVERY_S = 20.0
EXTEND_BY_S = 60.0
EXTEND_MAX_S = 900.0


@contextmanager
def announced(log: logging.Logger, store_dir: Path) -> Iterator[None]:
    """Log that loading starts and extend the start timeout until the block ends."""
    log.info("loading the memory store in %s (mem0, Chroma, the embedder): about 20 s, longer on a busy "
             "machine; 'ready' follows", store_dir)
    done = threading.Event()

    def extend() -> None:
        for _ in range(int(EXTEND_MAX_S // EXTEND_EVERY_S)):
            notify.notify(f"EXTEND_TIMEOUT_USEC={int(EXTEND_BY_S * 1_000_000)}", "STATUS=loading the memory store")
            if done.wait(EXTEND_EVERY_S):
                return

    thread = threading.Thread(target=extend, name="start-timeout", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(1.0)
