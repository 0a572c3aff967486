"""A track's existence is secret from non-members, in the answer and in the work behind it
(issue 17, "a secret track's existence shows in timing"). The time of an answer follows the work
done: if a non-member's request read and parsed the track before refusing, a secret track would
answer slower than a missing one. Instead of timing (too noisy on a shared 2-core machine), these
tests make reading the track fail loudly: the stored document of tr-il is made unreadable, so any
request that loads it answers 500. A non-member must still get exactly the 404 of a track that
does not exist (membership is decided by an index lookup alone), while a member's request, which
does load the track, shows that the document really is unreadable."""
import os
import sqlite3

import pytest

from conftest import problem

# Routes a non-member may try on another track: the track itself and its content.
PATHS = ["/v1/tracks/{t}", "/v1/tracks/{t}/messages", "/v1/tracks/{t}/zones", "/v1/tracks/{t}/conflicts",
         "/v1/tracks/{t}/threats", "/v1/tracks/{t}/disputes"]


def unreadable_track(server, track):
    server.stop()
    db = sqlite3.connect(os.path.join(server.data, "tansiq.db"))
    with db:
        # The trigger that keeps the membership index from the document would refuse the bad JSON;
        # the index keeps the members the track had, as a damaged document would leave it.
        db.execute("DROP TRIGGER IF EXISTS tracks_members_update")
        n = db.execute("UPDATE tracks SET body = ? WHERE id = ?", ("{\"members\": [", track)).rowcount
    db.close()
    assert n == 1
    server.start()


def same_refusal(a, b):
    pa, pb = problem(a, 404), problem(b, 404)
    for key in ("type", "title", "status", "detail"):
        assert pa.get(key) == pb.get(key), (key, pa, pb)
    assert a.headers["Content-Type"] == b.headers["Content-Type"]


@pytest.mark.sqlite_only  # edits the SQLite file
def test_a_non_member_is_refused_without_reading_the_track(server, cell):
    unreadable_track(server, "tr-il")
    # A member's request loads the track: the damage is real, so the lookups below would show it.
    r = server.get("/v1/tracks/tr-il", cell["TR"])
    assert r.status_code == 500, r.text
    for party in ("SY", "RU", "US"):          # members of other tracks, not of tr-il
        for path in PATHS:
            secret = server.get(path.format(t="tr-il"), cell[party])
            missing = server.get(path.format(t="no-such-track"), cell[party])
            same_refusal(secret, missing)
    body = {"to": "all", "precedence": "routine", "subject": "s", "body": "b"}
    secret = server.post("/v1/tracks/tr-il/messages", cell["SY"], body)
    missing = server.post("/v1/tracks/no-such-track/messages", cell["SY"], body)
    same_refusal(secret, missing)


def test_a_non_member_gets_the_answer_of_a_missing_track(server, cell):
    for path in PATHS:
        same_refusal(server.get(path.format(t="tr-il"), cell["SY"]),
                     server.get(path.format(t="no-such-track"), cell["SY"]))
