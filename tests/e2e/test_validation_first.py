"""Validation happens before the write transaction opens (issue 11, "One way in for every write").

The hotline, threat, dispute and meeting handlers build their batch with no transaction open; the
write transaction is taken only by commit_apply. To see it from outside, another connection holds
the store's write lock (SQLite: BEGIN IMMEDIATE on the file; PostgreSQL: the cell-wide advisory
lock every tansiqd write transaction takes first). A refused request must then still be answered at
once: a handler that opened the transaction first would wait for the lock (SQLite: 5 s then 503;
PostgreSQL: for as long as it is held). A valid write does wait, and commits once the lock is
released: the lock is real. Runs on both stores.
"""
import sqlite3
import threading

import psycopg2
import requests

from conftest import problem

PG_WRITE_LOCK = 0x74616E736971  # "tansiq": src/store/postgres.c, STORE_PG_WRITE_LOCK
QUICK = 3.0  # seconds: well under SQLite's busy timeout (5 s)


class WriteLock:
    """Holds the store's write lock from a connection of its own."""

    def __init__(self, server):
        if server.store:
            self.conn = psycopg2.connect(server.store)
            self.conn.autocommit = False
            with self.conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (PG_WRITE_LOCK,))
        else:
            self.conn = sqlite3.connect(f"{server.data}/tansiq.db", isolation_level=None, timeout=10)
            self.conn.execute("BEGIN IMMEDIATE")

    def release(self):
        self.conn.rollback()
        self.conn.close()


def post(server, path, token, body):
    """A POST that must be answered within QUICK seconds."""
    return requests.post(server.url + path, headers={"Authorization": f"Bearer {token}"}, json=body, timeout=QUICK)


def test_refused_writes_are_answered_while_another_connection_holds_the_write_lock(server, cell):
    sid = server.post("/v1/tracks/tr-il/meetings/series", cell["AZ"], {
        "title": "Talks", "venue": "Baku", "host": "AZ", "start": "2026-01-06T09:00:00Z", "duration": "PT2H",
    }).json()["id"]
    size = server.log_size()
    lock = WriteLock(server)
    try:
        msg = {"to": "all", "precedence": "routine", "subject": "s", "body": "b"}
        # hotline: a bad field, an unknown message to acknowledge
        problem(post(server, "/v1/tracks/il-sy/messages", cell["IL"], dict(msg, precedence="urgent")), 422)
        problem(post(server, "/v1/tracks/il-sy/messages/msg_nope/ack", cell["SY"], {}), 404)
        # threats: a report without its fields, a response to an unknown threat
        problem(post(server, "/v1/tracks/il-sy/threats", cell["IL"], {"kind": "x"}), 400)
        problem(post(server, "/v1/tracks/il-sy/threats/thr_nope/respond", cell["SY"], {"action": "acknowledged"}), 404)
        # disputes: a complaint without its fields, a response to an unknown dispute
        problem(post(server, "/v1/tracks/il-sy/disputes", cell["IL"], {}), 400)
        problem(post(server, "/v1/tracks/il-sy/disputes/dsp_nope/respond", cell["SY"], {"text": "x"}), 404)
        # meetings: a series with a bad RRULE, minutes of an unknown occurrence, an unknown action
        problem(post(server, "/v1/tracks/tr-il/meetings/series", cell["AZ"], {
            "title": "T", "venue": "V", "host": "AZ", "start": "2026-01-06T09:00:00Z", "duration": "PT2H",
            "rrule": "FREQ=SOMETIMES"}), 422)
        problem(post(server, f"/v1/tracks/tr-il/meetings/{sid}:20990101T000000Z/minutes", cell["AZ"],
                     {"text": "x"}), 404)
        problem(post(server, "/v1/tracks/tr-il/actions/ai_nope/done", cell["AZ"], {}), 404)

        # A valid write waits for the lock (it is real), and commits once it is released.
        answer = {}

        def write():
            answer["r"] = requests.post(server.url + "/v1/tracks/il-sy/messages",
                                        headers={"Authorization": f"Bearer {cell['IL']}"}, json=msg, timeout=30)

        t = threading.Thread(target=write)
        t.start()
        t.join(timeout=1.0)
        assert t.is_alive(), f"a write was answered while the write lock was held: {answer}"
    finally:
        lock.release()
    t.join(timeout=30)
    assert not t.is_alive()
    assert answer["r"].status_code == 201, answer["r"].text
    assert answer["r"].json()["seq"] == 1
    assert server.log_size() == size + 1
