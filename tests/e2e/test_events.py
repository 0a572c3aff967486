"""Live events over Server-Sent Events (api.md, Live events; Precise rules 5 and 13).

The SSE client below is also used by test_hotline.py.
"""
import base64
import http.client
import json
import os
import queue
import socket
import threading
import time

from conftest import Server, problem


def parse_record(rec):
    """One SSE record (the bytes between blank lines) → event dict, or None for a comment-only record."""
    ev = {}
    for line in rec.split(b"\n"):
        if line.startswith(b":") or not line:
            continue
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        ev[name.decode()] = value
    if "data" not in ev:
        return None
    return {"id": int(ev["id"]), "type": ev["event"].decode(), "data": ev["data"], "json": json.loads(ev["data"])}


class SSE:
    def __init__(self, server, path, token, headers=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        h = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        h.update(headers or {})
        self.conn.request("GET", path, headers=h)
        # getresponse() hands a close-delimited response the socket and drops it from conn: keep it,
        # so that close() can end the reader thread.
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = self.resp.headers
        self.raw = bytearray()
        self.comments = 0
        self.closed = threading.Event()
        self.q = queue.Queue()
        self.seen = []
        if self.status == 200:
            threading.Thread(target=self._run, daemon=True).start()
        else:
            self.body = self.resp.read()
            self.closed.set()

    def _run(self):
        buf = b""
        try:
            while True:
                chunk = self.resp.read1(65536)
                if not chunk:
                    break
                self.raw += chunk
                buf += chunk
                while b"\n\n" in buf:
                    rec, buf = buf.split(b"\n\n", 1)
                    ev = parse_record(rec)
                    if ev is None:
                        self.comments += 1
                    else:
                        self.q.put(ev)
        except Exception:  # closed under our feet by close(), or cut off by the server
            pass
        self.closed.set()

    def next(self, timeout=10):
        """The next event, or None when none arrives in time."""
        try:
            ev = self.q.get(timeout=timeout)
        except queue.Empty:
            return None
        self.seen.append(ev)
        return ev

    def until(self, pred, timeout=10):
        """Events up to and including the first that satisfies pred; fails when it does not come."""
        out, deadline = [], time.time() + timeout
        while True:
            ev = self.next(max(0.0, deadline - time.time()))
            assert ev is not None, f"no matching event within {timeout}s; got {[(e['id'], e['type']) for e in out]}"
            out.append(ev)
            if pred(ev):
                return out

    def drain(self, quiet=0.5):
        """Every event that arrives until the stream is quiet for `quiet` seconds."""
        out = []
        while True:
            ev = self.next(quiet)
            if ev is None:
                return out
            out.append(ev)

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
        self.closed.wait(5)


# ---- helpers ------------------------------------------------------------------------------------

def send(server, token, track, to, precedence="routine", subject="note", body="text", **extra):
    r = server.post(f"/v1/tracks/{track}/messages", token,
                    {"to": to, "precedence": precedence, "subject": subject, "body": body, **extra})
    assert r.status_code == 201, r.text
    return r.json()


def entries(server, token, frm=0):
    """Every log entry the caller may see from index `frm` on."""
    out = []
    while True:
        r = server.get(f"/v1/log/entries?from={frm}&limit=1000", token)
        assert r.status_code == 200, r.text
        page = r.json()
        out += page["items"]
        if not page["next"]:
            return out
        frm = int(page["next"])


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- tests --------------------------------------------------------------------------------------

def test_record_is_log_index_type_and_stored_leaf_bytes(server, cell):
    s = SSE(server, "/v1/events", cell["SY"])
    assert s.status == 200
    assert s.headers["Content-Type"].startswith("text/event-stream")
    msg = send(server, cell["IL"], "il-sy", ["SY"], subject="שלום", body="مرحبا")
    ev = s.until(lambda e: e["type"] == "message.created")[-1]
    leaf = [e for e in entries(server, cell["SY"]) if e["index"] == ev["id"]]
    assert len(leaf) == 1, "the SSE id is the log index of the event"
    assert ev["data"] == base64.b64decode(leaf[0]["leaf_data"]), "data is the stored leaf, byte for byte"
    assert ev["json"]["payload"]["id"] == msg["id"]
    s.close()


def test_stream_without_resume_point_starts_live(server, cell):
    send(server, cell["IL"], "il-sy", ["SY"], subject="before")
    before = server.log_size()
    s = SSE(server, "/v1/events", cell["SY"])
    send(server, cell["IL"], "il-sy", ["SY"], subject="after")
    got = s.until(lambda e: e["type"] == "message.created")
    assert [e["json"]["payload"]["subject"] for e in got] == ["after"]
    assert got[0]["id"] == before, "the first live event is the first one committed after the connection"
    s.close()


def test_events_are_filtered_by_visibility(server, cell):
    s_sy = SSE(server, "/v1/events", cell["SY"])
    s_ru = SSE(server, "/v1/events", cell["RU"])
    s_tr = SSE(server, "/v1/events", cell["TR"])
    hidden = send(server, cell["IL"], "il-sy", ["US"], subject="to the supervisor only")
    shown = send(server, cell["IL"], "il-sy", "all", subject="to all")
    sy = s_sy.until(lambda e: e["json"]["payload"].get("id") == shown["id"])
    assert hidden["id"] not in [e["json"]["payload"].get("id") for e in sy]
    ru = s_ru.until(lambda e: e["json"]["payload"].get("id") == shown["id"])
    assert hidden["id"] in [e["json"]["payload"].get("id") for e in ru], "the mediator sees every message"
    # TR is not in il-sy: it sees neither, but does see its own track's events.
    mine = send(server, cell["IL"], "tr-il", ["TR"], subject="tr-il")
    tr = s_tr.until(lambda e: e["json"]["payload"].get("id") == mine["id"])
    assert {e["json"]["track"] for e in tr} == {"tr-il"}
    for s in (s_sy, s_ru, s_tr):
        s.close()


def test_track_stream_filters_by_track_and_hides_other_tracks(server, cell):
    s = SSE(server, "/v1/tracks/ru-il/events", cell["IL"])
    assert s.status == 200
    send(server, cell["IL"], "il-sy", ["SY"], subject="other track")
    m = send(server, cell["IL"], "ru-il", ["RU"], subject="this track")
    got = s.until(lambda e: e["json"]["payload"].get("id") == m["id"])
    assert [e["json"]["track"] for e in got] == ["ru-il"]
    s.close()
    for party in ("SY", "AZ", "US"):  # not members of ru-il
        r = SSE(server, "/v1/tracks/ru-il/events", cell[party])
        assert r.status == 404, party
    assert SSE(server, "/v1/tracks/nope/events", cell["IL"]).status == 404
    assert SSE(server, "/v1/events?after=x", cell["IL"]).status == 400
    assert SSE(server, "/v1/events", "bogus").status == 401


def test_resume_with_last_event_id_and_after_delivers_exactly_the_missed_events(server, cell):
    for header in (True, False):
        s = SSE(server, "/v1/events", cell["SY"])
        first = send(server, cell["IL"], "il-sy", ["SY"], subject="seen")
        last = s.until(lambda e: e["json"]["payload"].get("id") == first["id"])[-1]["id"]
        s.close()
        # While SY is away: events it may see, events it may not (to US only), and another track's.
        for i in range(4):
            send(server, cell["IL"], "il-sy", ["SY"], subject=f"missed {i}")
            send(server, cell["IL"], "il-sy", ["US"], subject=f"hidden {i}")
            send(server, cell["IL"], "ru-il", ["RU"], subject=f"elsewhere {i}")
        expected = [e["index"] for e in entries(server, cell["SY"], last + 1)]
        assert len(expected) == 4
        if header:
            s = SSE(server, "/v1/events", cell["SY"], headers={"Last-Event-ID": str(last)})
        else:
            s = SSE(server, f"/v1/events?after={last}", cell["SY"])
        missed = [s.next() for _ in expected]
        assert [e["id"] for e in missed if e] == expected
        live = send(server, cell["IL"], "il-sy", ["SY"], subject="live again")
        rest = s.until(lambda e: e["json"]["payload"].get("id") == live["id"])
        assert [e["json"]["payload"]["subject"] for e in rest] == ["live again"], "no duplicate, no gap"
        s.close()


def test_resume_from_the_start_replays_the_whole_visible_log_in_order(server, cell):
    for i in range(30):
        send(server, cell["IL"], "il-sy", "all", subject=f"m{i}", body="x" * 3000)
    expected = [e["index"] for e in entries(server, cell["SY"])]
    s = SSE(server, "/v1/events?after=0", cell["SY"])
    got = s.drain()
    want = [i for i in expected if i > 0]
    assert [e["id"] for e in got] == want
    s.close()


def test_slow_subscriber_is_cut_off_server_stays_responsive_and_it_can_resume(server, cell):
    # A client that never reads: a tiny receive window, and nothing read after the request.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {cell['US']}\r\n\r\n".encode())
    time.sleep(0.3)
    start = server.log_size()
    big = "\n" * 65536  # the largest body, and twice that once escaped in the event JSON
    senders = ["IL", "SY"]
    for i in range(40):  # ~5 MB of events: more than the socket buffers plus the hub's cap
        send(server, cell[senders[i % 2]], "il-sy", "all", subject=f"bulk {i}", body=big)
    t0 = time.time()
    assert server.get("/v1/health").status_code == 200
    assert time.time() - t0 < 2, "the server answers others while a subscriber does not read"
    # Now read what the server had sent before it cut the client off: the stream must end.
    data, ended, deadline = bytearray(), False, time.time() + 15
    try:
        while time.time() < deadline:
            sock.settimeout(max(0.1, deadline - time.time()))
            chunk = sock.recv(1 << 20)
            if not chunk:
                ended = True
                break
            data += chunk
    except ConnectionResetError:
        ended = True
    except socket.timeout:
        pass
    sock.close()
    assert ended, "the server ends the stream of a client that does not keep up"
    assert len(data) < 40 * 2 * 65536, "the slow client was disconnected before it got everything"
    ids = [int(line[4:]) for line in bytes(data).split(b"\n") if line.startswith(b"id: ")]
    last = ids[-2] if len(ids) >= 2 else start - 1  # the last record may be cut in the middle
    s = SSE(server, "/v1/events", cell["US"], headers={"Last-Event-ID": str(last)})
    want = [e["index"] for e in entries(server, cell["US"], last + 1)]
    got = []
    for _ in want:  # stop at the first stall: a lost wake-up fails in seconds, not want × 10 s
        e = s.next()
        if e is None:
            break
        got.append(e["id"])
    assert got == want, "resuming gets every event after the last one received"
    s.close()


def test_heartbeats_and_no_busy_loop_while_idle(tmp_path, monkeypatch):
    monkeypatch.setenv("TANSIQD_SSE_HEARTBEAT_MS", "300")
    srv = Server(tmp_path / "hb")
    srv.init()
    srv.start()
    try:
        streams = [SSE(srv, "/v1/events", srv.admin) for _ in range(3)]
        time.sleep(0.5)
        before = cpu_seconds(srv.proc.pid)
        time.sleep(2)
        used = cpu_seconds(srv.proc.pid) - before
        assert used < 0.5, f"idle streams cost {used:.2f}s of CPU in 2s: the server is polling"
        assert all(s.comments >= 4 for s in streams), [s.comments for s in streams]
        for s in streams:
            s.close()
    finally:
        srv.stop()


def test_open_streams_end_when_the_server_stops(server, cell):
    s = SSE(server, "/v1/events", cell["IL"])
    t = SSE(server, "/v1/events?after=0", cell["SY"])
    server.stop()  # asserts exit code 0
    assert s.closed.wait(5) and t.closed.wait(5)
