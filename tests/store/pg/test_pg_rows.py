"""Direct reads of mem0's pgvector table: the cheap nearest-ids query agrees with the full one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from sidecar.store.pg import schema
from sidecar.store.pg.connection import open_pool
from sidecar.store.pg.rows import PgRows

VECTORS = {"north": [0.0, 1.0, 0.0], "north-east": [0.6, 0.8, 0.0], "east": [1.0, 0.0, 0.0],
           "south": [0.0, -1.0, 0.0], "up": [0.0, 0.0, 1.0]}


@pytest.fixture
def rows(pg_dsn: str) -> Iterator[tuple[PgRows, dict[str, str]]]:
    pool = open_pool(pg_dsn, max_size=2)
    ids = {name: str(uuid.uuid4()) for name in VECTORS}
    with pool.connection() as conn:
        conn.autocommit = True
        schema.ensure(conn, "memories", 3)
        for name, vector in VECTORS.items():
            conn.execute("INSERT INTO memories (id, vector, payload) VALUES (%s, %s::vector, %s)",
                         (ids[name], str(vector), json.dumps({"data": name, "user_id": "u1"})))
        conn.autocommit = False
    yield PgRows(pool, "memories"), ids
    pool.close()


def test_nearest_ids_are_the_nearest_rows_with_their_scores_and_no_payload(rows):
    reader, ids = rows
    full = reader.nearest([0.1, 1.0, 0.0], 3, None)
    cheap = reader.nearest_ids([0.1, 1.0, 0.0], 3)
    assert [row_id for row_id, _ in cheap] == [row.id for row in full] == [ids["north"], ids["north-east"],
                                                                           ids["east"]]
    assert [score for _, score in cheap] == pytest.approx([row.score for row in full])
    assert cheap[0][1] > cheap[1][1] > cheap[2][1]


def test_a_filtered_nearest_query_keeps_to_its_scope(rows):
    reader, ids = rows
    assert [row.id for row in reader.nearest([0.0, 1.0, 0.0], 2, {"user_id": "u1"})] == [ids["north"],
                                                                                        ids["north-east"]]
    assert reader.nearest([0.0, 1.0, 0.0], 2, {"user_id": "u2"}) == []
