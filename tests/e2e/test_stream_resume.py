"""Resume points beyond the log (issue 17): 400 with a problem body, never a silent stream."""
from conftest import problem
from test_events import SSE, send


def test_last_event_id_beyond_the_log_is_400(server, cell):
    size = server.log_size()
    for value in (size, size + 1000, 2**63):
        s = SSE(server, "/v1/events", cell["IL"], headers={"Last-Event-ID": str(value)})
        assert s.status == 400, value
        assert b"beyond the log" in s.body
        assert s.headers["Content-Type"].startswith("application/problem+json")


def test_after_beyond_the_log_is_400(server, cell):
    size = server.log_size()
    r = server.get(f"/v1/tracks/il-sy/events?after={size}", cell["IL"], stream=True)
    body = problem(r, 400)
    assert "beyond the log" in body["detail"]


def test_the_last_index_of_the_log_resumes_live(server, cell):
    size = server.log_size()
    s = SSE(server, "/v1/events", cell["IL"], headers={"Last-Event-ID": str(size - 1)})
    assert s.status == 200
    send(server, cell["IL"], "il-sy", "all", subject="next")
    got = s.until(lambda e: e["type"] == "message.created")
    assert got[0]["id"] == size
    s.close()
