"""Connection exhaustion (issue 17): per-address caps on request slots, a header timeout, and
stream caps per user, per address and per cell, with stream slots apart from request slots.
Also the 414 answer for an over-long request target."""
import http.client
import resource
import socket
import threading
import time

import pytest

from conftest import Server, problem
from test_events import SSE, send

OTHER = "127.0.0.2"  # another client: a second loopback source address


@pytest.fixture(autouse=True)
def _enough_descriptors():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))


def health_from(server, source, timeout=5):
    """GET /v1/health from a given source address; (status, seconds)."""
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(source, 0))
    try:
        c.request("GET", "/v1/health")
        r = c.getresponse()
        r.read()
        return r.status, time.monotonic() - t0
    finally:
        c.close()


def open_tricklers(server, n):
    socks = []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", server.port))
        c.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        socks.append(c)
    return socks


def closed_by_server(sock, timeout):
    """True when the server closes sock (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


class Trickle:
    """Sends one more header line on every socket each `every` seconds, like a slow-loris client."""

    def __init__(self, socks, every=1.0):
        self.socks, self.every, self.stop = socks, every, threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        i = 0
        while not self.stop.wait(self.every):
            i += 1
            for c in self.socks:
                try:
                    c.sendall(b"X-Slow-%d: a\r\n" % i)
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.t.join()
        for c in self.socks:
            c.close()


def start(tmp_path, *extra):
    s = Server(tmp_path / "data")
    s.init()
    s.start(*extra)
    return s


def raw_stream(server, token, path="/v1/events", source="127.0.0.1"):
    """Opens an event stream and never reads its body; returns (socket, status line)."""
    c = socket.create_connection(("127.0.0.1", server.port), source_address=(source, 0))
    c.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    c.settimeout(10)
    head = b""
    while b"\r\n" not in head:
        chunk = c.recv(1)
        assert chunk, "the server closed the stream before answering"
        head += chunk
    return c, head.split(b" ")[1].decode()


# ---- request slots ----------------------------------------------------------------------------

def test_trickling_sockets_beyond_the_address_cap_do_not_stop_another_client(tmp_path):
    s = start(tmp_path, "--max-connections-per-address", "8")
    socks = open_tricklers(s, 40)
    drip = Trickle(socks)
    try:
        for _ in range(4):
            status, took = health_from(s, OTHER)
            assert status == 200 and took < 2.0, (status, took)
            time.sleep(0.5)
        # Only 8 sockets of that address hold a slot: the server closed the other 32.
        refused = sum(closed_by_server(c, 0.2) for c in socks)
        assert refused >= 32, refused
    finally:
        drip.close()
        s.stop()


def test_a_thousand_trickling_sockets_at_the_default_caps_do_not_lock_others_out(server):
    """The reported attack, at the documented defaults (128 request slots per address)."""
    socks = open_tricklers(server, 1000)
    drip = Trickle(socks)
    try:
        for _ in range(4):
            status, took = health_from(server, OTHER)
            assert status == 200 and took < 2.0, (status, took)
            time.sleep(0.5)
    finally:
        drip.close()


def test_header_timeout_closes_a_trickling_connection(tmp_path):
    s = start(tmp_path, "--header-timeout", "2")
    try:
        slow = open_tricklers(s, 1)
        drip = Trickle(slow, every=0.3)
        try:
            t0 = time.monotonic()
            assert closed_by_server(slow[0], 8), "a connection trickling its headers was never closed"
            assert time.monotonic() - t0 >= 1.5
        finally:
            drip.close()
        # A prompt client on the same server is served.
        status, _ = health_from(s, "127.0.0.1")
        assert status == 200
    finally:
        s.stop()


def test_header_timeout_also_bounds_a_kept_alive_connection(tmp_path):
    s = start(tmp_path, "--header-timeout", "2")
    try:
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        c.request("GET", "/v1/health")
        r = c.getresponse()
        assert r.status == 200
        r.read()
        c.sock.send(b"GET /v1/health HTTP/1.1\r\n")  # the next request's headers never end
        assert closed_by_server(c.sock, 8)
        c.close()
    finally:
        s.stop()


# ---- stream slots -------------------------------------------------------------------------------

def test_one_users_never_reading_streams_are_capped_while_others_stream(tmp_path, monkeypatch):
    from conftest import Cell
    # A client that goes away while its stream idles is noticed at the next heartbeat.
    monkeypatch.setenv("TANSIQD_SSE_HEARTBEAT_MS", "300")
    s = start(tmp_path, "--max-streams-per-user", "4")
    cell = Cell(s)
    socks = []
    try:
        for _ in range(4):
            c, status = raw_stream(s, cell["IL"])
            assert status == "200"
            socks.append(c)
        over = SSE(s, "/v1/events", cell["IL"])
        body = problem_of(over)
        assert over.status == 429 and "too many open event streams" in body["detail"]
        assert int(over.headers["Retry-After"]) >= 1
        # Another user still streams, and IL's ordinary requests still answer.
        sy = SSE(s, "/v1/events", cell["SY"])
        assert sy.status == 200
        send(s, cell["IL"], "il-sy", "all", subject="still flowing")
        got = sy.until(lambda e: e["type"] == "message.created")
        assert got[-1]["json"]["payload"]["subject"] == "still flowing"
        sy.close()
        assert s.get("/v1/tracks", cell["IL"]).status_code == 200
        # Closing one stream gives its slot back.
        socks.pop().close()
        deadline = time.monotonic() + 10
        while True:
            again = SSE(s, "/v1/events", cell["IL"])
            if again.status == 200:
                again.close()
                break
            assert time.monotonic() < deadline, "the slot of a closed stream was never given back"
            time.sleep(0.1)
    finally:
        for c in socks:
            c.close()
        s.stop()


def problem_of(sse):
    """The problem body of a refused SSE request."""
    import json
    assert sse.headers["Content-Type"].startswith("application/problem+json"), sse.headers["Content-Type"]
    body = json.loads(sse.body)
    assert body["status"] == sse.status and body["title"] and body["type"]
    return body


def test_default_per_user_stream_cap_is_32(cell, server):
    socks = []
    try:
        for i in range(32):
            c, status = raw_stream(server, cell["RU"])
            assert status == "200", i
            socks.append(c)
        c, status = raw_stream(server, cell["RU"])
        c.close()
        assert status == "429"
        sy = SSE(server, "/v1/events", cell["SY"])
        assert sy.status == 200
        sy.close()
    finally:
        for c in socks:
            c.close()


def test_streams_per_address_are_capped_and_other_addresses_still_stream(tmp_path):
    from conftest import Cell
    s = start(tmp_path, "--max-streams-per-address", "3")
    cell = Cell(s)
    socks = []
    try:
        for party in ("IL", "SY", "TR"):
            c, status = raw_stream(s, cell[party])
            assert status == "200"
            socks.append(c)
        c, status = raw_stream(s, cell["RU"])
        c.close()
        assert status == "429"
        c, status = raw_stream(s, cell["RU"], source=OTHER)
        socks.append(c)
        assert status == "200"
    finally:
        for c in socks:
            c.close()
        s.stop()


def test_cell_wide_stream_cap(tmp_path):
    from conftest import Cell
    s = start(tmp_path, "--max-streams", "2")
    cell = Cell(s)
    socks = []
    try:
        for party in ("IL", "SY"):
            c, status = raw_stream(s, cell[party])
            assert status == "200"
            socks.append(c)
        over = SSE(s, "/v1/events", cell["TR"])
        assert over.status == 429
        assert "as many event streams as it may" in problem_of(over)["detail"]
    finally:
        for c in socks:
            c.close()
        s.stop()


def test_streams_do_not_take_request_slots(tmp_path):
    from conftest import Cell
    s = start(tmp_path, "--max-connections-per-address", "4")
    cell = Cell(s)
    socks = []
    try:
        for party in ("IL", "SY", "TR", "RU", "US", "AZ", "IL", "SY"):
            c, status = raw_stream(s, cell[party])
            assert status == "200"
            socks.append(c)
        status, took = health_from(s, "127.0.0.1")
        assert status == 200 and took < 2.0
    finally:
        for c in socks:
            c.close()
        s.stop()


# ---- request target length ----------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/v1/" + "a" * 5000, "/v1/health?x=" + "a" * 5000])
def test_a_request_target_over_4_kib_is_answered_414(server, target):
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    c.request("GET", target)
    r = c.getresponse()
    body = r.read()
    assert r.status == 414
    assert r.getheader("Content-Type").startswith("application/problem+json")
    assert b'"status":414' in body
    c.close()


def test_a_request_target_just_under_4_kib_is_served(server):
    r = server.get("/v1/health?x=" + "a" * 4000)
    assert r.status_code == 200
