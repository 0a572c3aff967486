"""The deadline sweeper when a handler fails: it backs off (growing, bounded), keeps the deadline,
logs one line per failed attempt, and does not hold up other deadlines (sweeper.h)."""
import os
import re
import time

from test_disputes import dispute
from test_threats import OVERSIGHT, events, threat

LINE = re.compile(r"deadline threat\.respond of (\S+) failed \(\w+\), attempt (\d+); retrying in (\d+) s")


def stderr_since(server, offset):
    server.log.flush()
    with open(server.log.name, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def test_a_failing_handler_backs_off_keeps_its_deadline_and_fires_once_it_recovers(server, cell):
    cell.make_track("flaky", OVERSIGHT, {"threat_response": "PT1M", "dispute_response": "PT1M"})
    t = server.post("/v1/tracks/flaky/threats", cell["IL"], threat()).json()
    d = server.post("/v1/tracks/flaky/disputes", cell["IL"], dispute()).json()
    server.fail_deadlines("threat.respond", 1000)
    start = os.path.getsize(server.log.name)

    server.advance("PT2M")
    # The other deadline is not held up by the failing one.
    assert server.get(f"/v1/tracks/flaky/disputes/{d['id']}", cell["US"]).json()["escalated"] is True
    # Real time, on purpose: the one test that the thread does not spin on a failing handler.
    time.sleep(3.5)
    attempts = [(int(a), int(s)) for tid, a, s in LINE.findall(stderr_since(server, start)) if tid == t["id"]]
    # Attempts at about 0, 1 and 3 s (spinning would log thousands); each wait twice the last.
    assert 2 <= len(attempts) <= 4, attempts
    assert attempts == [(i + 1, 2 ** i) for i in range(len(attempts))], attempts
    body = server.get(f"/v1/tracks/flaky/threats/{t['id']}", cell["IL"]).json()
    assert body["status"] == "referred"          # the deadline is kept, not dropped
    assert events(server, cell["US"], "threat.lapsed", t["id"]) == []

    server.fail_deadlines("threat.respond", 0)   # the cause goes away
    server.advance("PT5M")                       # beyond the longest backoff
    assert server.get(f"/v1/tracks/flaky/threats/{t['id']}", cell["IL"]).json()["status"] == "lapsed"
    assert len(events(server, cell["US"], "threat.lapsed", t["id"])) == 1
    assert re.search(rf"deadline threat\.respond of {t['id']} fired after \d+ failed attempts",
                     stderr_since(server, start))


def test_the_backoff_is_bounded(server, cell):
    cell.make_track("flaky", OVERSIGHT, {"threat_response": "PT1M"})
    t = server.post("/v1/tracks/flaky/threats", cell["IL"], threat()).json()
    server.fail_deadlines("threat.respond", 1000)
    start = os.path.getsize(server.log.name)
    # Each step moves the clock past the longest wait, so every step makes exactly one attempt.
    for _ in range(12):
        server.advance("PT5M1S")
    waits = [int(s) for tid, a, s in LINE.findall(stderr_since(server, start)) if tid == t["id"]]
    assert len(waits) >= 12
    assert waits[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300] and set(waits[10:]) == {300}, waits
