"""A PostgreSQL restart in the middle of a write burst: no acknowledged add is lost, the daemon stays up."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.pg_server import pgvector_config
from sidecar.testing.waiting import wait_until
from sidecar_client.client import Client
from sidecar_shared.errors import RequestFailed

USER = "burst"


@dataclass
class Burst:
    """What the writer saw: the adds acknowledged (text -> id), failures by code, acks after the restart."""

    acked: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    restarted: threading.Event = field(default_factory=threading.Event)
    acked_after_restart: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    crashed: list[BaseException] = field(default_factory=list)


def write_until_stopped(daemon: DaemonProcess, burst: Burst) -> None:
    """Add distinct notes one after another on this thread's own client, recording every reply."""
    client = Client(daemon.paths, timeout=60.0)
    try:
        n = 0
        while not burst.stop.is_set():
            n += 1
            text = f"Burst note {n}: the parcel code is zq{n}x"
            try:
                row = client.add(text, user_id=USER, infer=False)["results"][0]
            except RequestFailed as exc:
                burst.failures.append(exc.code)
                continue
            burst.acked[text] = str(row["id"])
            if burst.restarted.is_set():
                burst.acked_after_restart += 1
    except BaseException as exc:  # a transport error or a bad reply fails the test below
        burst.crashed.append(exc)
    finally:
        client.close()


def test_a_database_restart_during_a_write_burst_loses_no_acknowledged_add(pg_server):
    dsn = pg_server.new_database("burst")
    with private_daemon(pgvector_config(dsn), prefix="pgr-") as daemon:
        burst = Burst()
        writer = threading.Thread(target=write_until_stopped, args=(daemon, burst))
        writer.start()
        try:
            wait_until(lambda: len(burst.acked) >= 5 or burst.crashed, what="adds acknowledged before the restart")
            pg_server.server.cleanup()  # the server stops under the writer, mid-burst
            try:
                wait_until(lambda: burst.failures or burst.crashed, what="an add refused while the server is down")
            finally:
                pg_server.restart()
                burst.restarted.set()
            wait_until(lambda: burst.acked_after_restart >= 5 or burst.crashed,
                       what="adds acknowledged again after the restart")
        finally:
            burst.stop.set()
            writer.join()
        assert burst.crashed == []
        assert set(burst.failures) == {"store_unavailable"}  # refusals are clear, retryable errors

        stored = {row["memory"]: str(row["id"]) for row in daemon.client.call(
            "get_all", {"filters": {"user_id": USER}, "top_k": 100_000})["results"]}
        missing = {text: id_ for text, id_ in burst.acked.items() if stored.get(text) != id_}
        assert missing == {}, f"acknowledged adds lost in the restart: {sorted(missing)[:5]}"
        for text, id_ in list(burst.acked.items())[::max(1, len(burst.acked) // 8)]:
            code = text.rsplit(" ", 1)[1]  # the keyword channel has every acknowledged row too
            hits = daemon.client.search(code, filters={"user_id": USER}, top_k=3)["results"]
            assert hits and hits[0]["id"] == id_ and hits[0]["score_details"]["keyword"] is not None
        assert daemon.client.call("ping")
