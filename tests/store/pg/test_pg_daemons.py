"""Several daemons on one PostgreSQL + pgvector (a real server from the pgserver wheel)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sidecar.testing.daemons import DaemonProcess, private_daemon
from sidecar.testing.pg_server import pgvector_config
from sidecar.testing.waiting import wait_until
from sidecar_shared.errors import RequestFailed


PASSWORD = "s3cret-pw"  # the test server trusts local sockets, so any password is accepted


@pytest.fixture(scope="module")
def database(pg_server) -> str:
    dsn = pg_server.new_database("two")
    assert "postgres:@" in dsn
    return dsn.replace("postgres:@", f"postgres:{PASSWORD}@")


@pytest.fixture(scope="module")
def daemons(database: str) -> Iterator[tuple[DaemonProcess, DaemonProcess]]:
    with private_daemon(pgvector_config(database), prefix="pga-") as a, \
            private_daemon(pgvector_config(database), prefix="pgb-") as b:
        yield a, b


def texts(reply: dict) -> list[str]:
    return [row["memory"] for row in reply["results"]]


def test_add_through_one_daemon_is_found_through_the_other_at_once(daemons):
    a, b = daemons
    added = a.client.add("Our staging cluster runs on Hetzner in Falkenstein", user_id="carol")["results"][0]
    found = b.client.search("where does staging run", filters={"user_id": "carol"})["results"]
    assert found and found[0]["id"] == added["id"]
    keyword = b.client.search("Falkenstein", filters={"user_id": "carol"})["results"][0]
    assert keyword["id"] == added["id"] and keyword["score_details"]["keyword"] is not None
    assert [h["event"] for h in b.client.call("history", {"memory_id": added["id"]})] == ["ADD"]


def test_users_stay_apart_across_daemons(daemons):
    a, b = daemons
    a.client.add("I am allergic to peanuts", user_id="dora")
    b.client.add("I am allergic to shellfish", user_id="erik")
    assert texts(a.client.search("allergic", filters={"user_id": "erik"})) == ["I am allergic to shellfish"]
    assert texts(b.client.search("allergic", filters={"user_id": "dora"})) == ["I am allergic to peanuts"]
    assert texts(b.client.call("get_all", {"filters": {"user_id": "dora"}})) == ["I am allergic to peanuts"]


def test_same_text_added_through_both_daemons_is_stored_once(daemons):
    a, b = daemons
    first = a.client.add("I brew coffee with an Aeropress", user_id="fay")["results"][0]
    again = b.client.add("I brew coffee with an Aeropress", user_id="fay")["results"][0]
    assert again["event"] == "NONE" and again["id"] == first["id"]


def test_the_same_texts_written_through_both_daemons_at_once_are_stored_once(daemons):
    import threading

    texts_to_add = [f"I keep spare part number {n} in the shed" for n in range(12)]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def write(daemon: DaemonProcess) -> None:
        try:
            barrier.wait()
            for text in texts_to_add:  # each add is a dedup check and a write under the scope's advisory lock
                daemon.client.add(text, user_id="hal")
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(d,)) for d in daemons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = texts(daemons[0].client.call("get_all", {"filters": {"user_id": "hal"}, "top_k": 100}))
    assert failures == [] and sorted(stored) == sorted(texts_to_add)


def test_status_names_the_backend_and_never_the_password(daemons):
    a, _ = daemons
    backend = a.client.call("status")["store_backend"]
    assert backend["backend"] == "pgvector" and ":***@" in backend["database"]
    assert PASSWORD not in str(a.client.call("status")) and PASSWORD not in a.log()


def test_a_database_restart_gives_store_unavailable_and_the_daemon_reconnects(daemons, pg_server):
    a, _ = daemons
    a.client.add("I commute by bicycle", user_id="gus")
    pg_server.server.cleanup()  # the server goes away
    try:
        with pytest.raises(RequestFailed) as failed:
            a.client.search("commute", filters={"user_id": "gus"})
        assert failed.value.code == "store_unavailable"
        assert a.client.call("ping")  # the daemon is still up
    finally:
        pg_server.restart()
    wait_until(lambda: _found(a, "commute", "gus"), what="search works again after the restart")
    assert texts(a.client.search("commute", filters={"user_id": "gus"})) == ["I commute by bicycle"]


def _found(daemon: DaemonProcess, query: str, user: str) -> bool:
    try:
        return bool(daemon.client.search(query, filters={"user_id": user})["results"])
    except RequestFailed:
        return False
