"""Revoked access stops streaming (issue 17): a deleted user's streams and a logged-out session's
streams end, and no event committed afterwards reaches them."""
import http.client
import threading

from test_events import SSE, send
from test_session import login, make_user


def test_a_deleted_users_stream_ends_before_the_next_event(server, cell):
    user = make_user(server, "il-watch", "IL", "correct horse battery", role="viewer")
    s = SSE(server, "/v1/events", user["token"])
    assert s.status == 200
    other = SSE(server, "/v1/events", cell["SY"])
    r = server.call("DELETE", f"/v1/users/{user['id']}", server.admin)
    assert r.status_code == 204
    send(server, cell["IL"], "il-sy", "all", subject="after the deletion")
    # Another member receives it; the deleted user's stream was closed and never sees it.
    assert other.until(lambda e: e["type"] == "message.created")
    assert s.closed.wait(10), "the deleted user's stream is still open"
    assert b"after the deletion" not in bytes(s.raw)
    assert server.get("/v1/events", user["token"]).status_code == 401
    other.close()


class CookieStream:
    """An event stream authenticated by the console's session cookie."""

    def __init__(self, server, cookie):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.conn.request("GET", "/v1/events", headers={"Cookie": f"tansiq_session={cookie}"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.raw = bytearray()
        self.closed = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            while True:
                chunk = self.resp.read1(65536)
                if not chunk:
                    break
                self.raw += chunk
        except Exception:
            pass
        self.closed.set()


def test_logout_ends_the_sessions_stream_and_only_it(server, cell):
    user = make_user(server, "il-duty", "IL", "correct horse battery")
    sess, r = login(server, "il-duty", "correct horse battery")
    assert r.status_code == 200
    csrf = r.json()["csrf"]
    cookie = sess.cookies["tansiq_session"]
    by_cookie = CookieStream(server, cookie)
    assert by_cookie.status == 200
    by_token = SSE(server, "/v1/events", user["token"])  # the same user's API token stream stays
    w = sess.delete(server.url + "/v1/session", headers={"X-CSRF-Token": csrf}, timeout=30)
    assert w.status_code == 204
    send(server, cell["IL"], "il-sy", "all", subject="after the logout")
    got = by_token.until(lambda e: e["type"] == "message.created")
    assert got[-1]["json"]["payload"]["subject"] == "after the logout"
    assert by_cookie.closed.wait(10), "the ended session's stream is still open"
    assert b"after the logout" not in bytes(by_cookie.raw)
    by_token.close()
