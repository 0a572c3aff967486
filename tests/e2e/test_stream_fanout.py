"""Fan-out with one shared record per event (issue 12): the hub builds each event's SSE record once,
decides visibility once per class of subscribers (admin flag, party, track filter) and hands the same
bytes to every subscriber of a class that may see it. These tests hold the security property under
that sharing (a member of the audience gets the event, a non-member never does), on both delivery
paths: the writer's own send on a parked plain-HTTP connection ("direct") and libmicrohttpd's content
reader (TANSIQD_SSE_DIRECT=0, as every TLS stream goes)."""
import base64
import socket
import time

import pytest
import requests

from test_events import SSE, entries, parse_record, send


@pytest.fixture(params=["direct", "mhd"])
def path(request, monkeypatch):
    """Set before `server` starts (fixtures are set up in argument order)."""
    monkeypatch.setenv("TANSIQD_SSE_DIRECT", "1" if request.param == "direct" else "0")
    return request.param


def message_ids(events):
    return [e["json"]["payload"]["id"] for e in events if e["type"] == "message.created"]


def test_each_class_gets_exactly_what_its_audience_allows(path, server, cell):
    # Several subscribers per class, interleaved, so that classes share a writer and its pass.
    streams = []
    for _ in range(3):
        for party in ("IL", "SY", "US", "RU", "TR", "AZ"):
            streams.append((party, "/v1/events", SSE(server, "/v1/events", cell[party])))
        streams.append(("admin", "/v1/events", SSE(server, "/v1/events", server.admin)))
        streams.append(("IL", "/v1/tracks/il-sy/events", SSE(server, "/v1/tracks/il-sy/events", cell["IL"])))
        streams.append(("SY", "/v1/tracks/il-sy/events", SSE(server, "/v1/tracks/il-sy/events", cell["SY"])))
    for _, _, s in streams:
        assert s.status == 200
        # Direct: close-delimited (the writers send the body's bytes); via libmicrohttpd: chunked.
        assert ("chunked" in (s.headers.get("Transfer-Encoding") or "")) == (path == "mhd")
    start = server.log_size()
    sent = [
        send(server, cell["IL"], "il-sy", ["SY"], subject="to SY"),
        send(server, cell["IL"], "il-sy", ["US"], subject="to the supervisor"),
        send(server, cell["SY"], "il-sy", "all", subject="to all of il-sy"),
        send(server, cell["TR"], "tr-il", ["IL"], subject="tr-il to IL"),
        send(server, cell["IL"], "ru-il", ["RU"], subject="ru-il to RU"),
    ]
    marker = send(server, cell["IL"], "il-sy", "all", subject="marker")
    tr_marker = send(server, cell["IL"], "tr-il", "all", subject="marker")
    tokens = {p: cell[p] for p in ("IL", "SY", "US", "RU", "TR", "AZ")}
    tokens["admin"] = server.admin
    for party, stream_path, s in streams:
        # What the log API shows the same caller after `start`, on this stream's tracks: the same
        # visibility function, applied per caller rather than once per class.
        visible = entries(server, tokens[party], start)
        if stream_path != "/v1/events":
            visible = [e for e in visible if e["event"].get("track") == "il-sy"]
        if stream_path != "/v1/events" or party in ("SY", "US", "RU"):
            end = marker  # the last event of il-sy
        elif party in ("IL", "TR", "AZ"):
            end = tr_marker  # the last event overall, on tr-il
        else:
            end = None  # the cell admin sees no message
        if end is None:
            got = s.drain(1.0)
        else:
            got = s.until(lambda e, m=end["id"]: e["type"] == "message.created"
                          and e["json"]["payload"]["id"] == m)
        assert [e["id"] for e in got] == [e["index"] for e in visible], (party, stream_path)
        # Each record carries its own event's stored leaf, byte for byte.
        assert [e["data"] for e in got] == [base64.b64decode(e["leaf_data"]) for e in visible]
    # The concrete audiences, spelled out: a message of il-sy never reaches TR or AZ (not members),
    # one to SY reaches SY and one to the supervisor does not; tr-il's never reaches SY, US or RU.
    by_party = {p: set() for p in tokens}
    for party, _, s in streams:
        by_party[party] |= set(message_ids(s.seen))
    assert not by_party["admin"]
    assert sent[0]["id"] in by_party["SY"] and sent[0]["id"] in by_party["RU"]
    assert sent[0]["id"] not in by_party["TR"] | by_party["AZ"]
    assert sent[2]["id"] in by_party["IL"] and sent[2]["id"] not in by_party["TR"] | by_party["AZ"]
    assert sent[1]["id"] in by_party["US"] and sent[1]["id"] not in by_party["SY"]
    assert sent[3]["id"] in by_party["IL"] and sent[3]["id"] not in by_party["SY"] | by_party["US"] | by_party["RU"]
    assert sent[4]["id"] in by_party["RU"] and sent[4]["id"] not in by_party["SY"] | by_party["TR"] | by_party["AZ"]
    for _, _, s in streams:
        s.close()


def test_a_reader_that_stalls_then_reads_gets_every_event_once_in_order(path, server, cell):
    # A small receive window and no reading while events are published: the socket takes only part,
    # the rest waits in the subscriber's queue (direct: the connection goes back to libmicrohttpd).
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {cell['SY']}\r\n\r\n".encode())
    sock.settimeout(10)
    head = b""
    while b": tansiq event stream\n\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, "the stream closed before it opened"
        head += chunk
    assert head.startswith(b"HTTP/1.1 200")
    start = server.log_size()
    n = 24
    for i in range(n):  # ~24 x 9 KiB: more than the socket buffers, less than the hub's cap per subscriber
        send(server, cell["IL"], "il-sy", ["SY"], subject=f"burst {i}", body="y" * 9000)
    time.sleep(0.5)  # the client is slow: it reads only now
    data = bytearray(head.split(b": tansiq event stream\n\n", 1)[1])
    live = None
    deadline = time.time() + 20
    while time.time() < deadline:
        recs = bytes(data).split(b"\n\n")
        evs = [parse_record(r) for r in recs[:-1]]
        subjects = [e["json"]["payload"].get("subject") for e in evs if e and e["type"] == "message.created"]
        if len(subjects) == n and live is None:
            live = send(server, cell["IL"], "il-sy", ["SY"], subject="after the burst")
        if live and "after the burst" in subjects:
            break
        chunk = sock.recv(65536)
        assert chunk, "the server ended a stream that was within its cap"
        data += chunk
    sock.close()
    assert subjects == [f"burst {i}" for i in range(n)] + ["after the burst"], "every event once, in order"
    ids = [e["id"] for e in evs if e]
    assert ids == sorted(set(ids)) and ids[0] >= start
    want = [e["index"] for e in entries(server, cell["SY"], start)]
    assert ids == want, "no gap: the stream carries what the log shows SY"


def test_a_tls_stream_is_only_ever_written_by_the_tls_layer(tmp_path, monkeypatch):
    """The writers send on parked plain-HTTP streams themselves; a TLS stream's bytes must go through
    libmicrohttpd (GnuTLS). A raw write into a TLS stream would break its record layer: the client
    would fail to decrypt the heartbeats and events that follow."""
    import ssl
    import subprocess
    from conftest import Server

    monkeypatch.setenv("TANSIQD_SSE_HEARTBEAT_MS", "200")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    srv = Server(tmp_path / "d")
    srv.init()
    srv.start("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        raw = socket.create_connection(("127.0.0.1", srv.port))
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
        tls.settimeout(10)
        tls.sendall(f"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {srv.admin}\r\n\r\n"
                    .encode())
        data = b""
        while data.count(b": heartbeat\n\n") < 3:  # ~0.6 s: the stream parks and is woken three times
            chunk = tls.recv(65536)  # an undecryptable record raises ssl.SSLError here
            assert chunk, "the TLS stream ended"
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")
        r = requests.post(f"https://127.0.0.1:{srv.port}/v1/parties", json={"id": "ZZ", "name": "Zed"},
                          headers={"Authorization": f"Bearer {srv.admin}"}, verify=str(cert), timeout=30)
        assert r.status_code == 201, r.text
        while b"ZZ" not in data:  # the party's creation is an event the cell admin follows
            chunk = tls.recv(65536)
            assert chunk, "the TLS stream ended"
            data += chunk
        while data.count(b": heartbeat\n\n") < 6:
            chunk = tls.recv(65536)
            assert chunk, "the TLS stream ended"
            data += chunk
        tls.close()
    finally:
        srv.stop()

