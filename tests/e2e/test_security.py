"""Transport and abuse resistance: TLS, rate limits, slow clients, secrets."""
import os
import socket
import ssl
import subprocess
import threading
import time

import pytest
import requests

from conftest import TANSIQD, Server, free_port, problem


@pytest.fixture
def tls_files(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-days", "2", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


def test_tls_serves_tls12_or_newer_only(tmp_path, tls_files):
    cert, key = tls_files
    s = Server(tmp_path / "d")
    s.init()
    s.start("--tls-cert", cert, "--tls-key", key)
    try:
        assert "listening on https://" in s.banner
        url = f"https://127.0.0.1:{s.port}"
        r = requests.get(url + "/v1/tracks", headers={"Authorization": f"Bearer {s.admin}"}, verify=cert, timeout=30)
        assert r.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url + "/v1/health", timeout=30)  # not trusted without the CA: verification is on
        ctx = ssl.create_default_context(cafile=cert)
        with socket.create_connection(("127.0.0.1", s.port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.check_hostname = False
        old.verify_mode = ssl.CERT_NONE
        old.set_ciphers("DEFAULT:@SECLEVEL=0")
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        with socket.create_connection(("127.0.0.1", s.port)) as raw:
            with pytest.raises(ssl.SSLError):
                old.wrap_socket(raw, server_hostname="localhost")
    finally:
        s.stop()


def test_tls_needs_both_files(tmp_path, tls_files):
    s = Server(tmp_path / "d")
    s.init()
    out = subprocess.run([TANSIQD, "--data", s.data, *s.store_args, "--listen", f"127.0.0.1:{free_port()}",
                          "--tls-cert", tls_files[0]], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "go together" in out.stderr


def test_rate_limit_answers_429_with_retry_after(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "2")
    try:
        codes = []
        last = None
        for _ in range(12):
            last = s.get("/v1/tracks", s.admin)
            codes.append(last.status_code)
            if last.status_code == 429:
                break
        assert 429 in codes, codes
        body = problem(last, 429)
        assert int(last.headers["Retry-After"]) >= 1
        assert "too many requests" in body["detail"]
    finally:
        s.stop()


def test_slow_clients_do_not_block_others(server):
    """Rule 13: 64 connections sending headers one byte a second; health still answers within 2 s."""
    stop = threading.Event()
    socks = []
    for _ in range(64):
        c = socket.create_connection(("127.0.0.1", server.port))
        c.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(c)

    def drip():
        while not stop.is_set():
            for c in socks:
                try:
                    c.sendall(b"a")
                except OSError:
                    pass
            time.sleep(1)

    t = threading.Thread(target=drip)
    t.start()
    try:
        for _ in range(4):
            t0 = time.monotonic()
            r = requests.get(server.url + "/v1/health", timeout=5)
            assert r.status_code == 200
            assert time.monotonic() - t0 < 2.0
            time.sleep(0.5)
    finally:
        stop.set()
        t.join()
        for c in socks:
            c.close()


def test_secrets_never_appear_in_stderr_or_errors(cell, server):
    r = server.get("/v1/tracks", "tq_" + "x" * 43)
    body = problem(r, 401)
    assert "tq_" not in body["detail"]
    server.stop()
    log = open(server.log.name, "rb").read()
    key = open(os.path.join(server.data, "server.key"), "rb").read()
    assert server.admin.encode() not in log
    assert cell["IL"].encode() not in log
    assert key not in log and key.hex().encode() not in log
    server.start()


def test_session_cookie_is_secure_over_tls_and_only_then(tmp_path, tls_files, server):
    cert, key = tls_files
    s = Server(tmp_path / "d")
    s.init()
    s.start("--tls-cert", cert, "--tls-key", key)
    try:
        url = f"https://127.0.0.1:{s.port}"
        admin = {"Authorization": f"Bearer {s.admin}"}
        r = requests.post(url + "/v1/parties", headers=admin, verify=cert, json={"id": "IL", "name": "Israel"},
                          timeout=30)
        assert r.status_code == 201, r.text
        r = requests.post(url + "/v1/users", headers=admin, verify=cert,
                          json={"name": "op", "party": "IL", "role": "operator", "password": "correct horse"},
                          timeout=30)
        assert r.status_code == 201, r.text
        session = requests.Session()
        r = session.post(url + "/v1/session", json={"name": "op", "password": "correct horse"}, verify=cert,
                         timeout=30)
        assert r.status_code == 200, r.text
        attrs = [a.strip() for a in r.headers["Set-Cookie"].split(";")]
        assert "Secure" in attrs and "HttpOnly" in attrs, attrs
        r = session.delete(url + "/v1/session", headers={"X-CSRF-Token": r.json()["csrf"]}, verify=cert, timeout=30)
        assert r.status_code == 204, r.text
        assert "Secure" in [a.strip() for a in r.headers["Set-Cookie"].split(";")]
    finally:
        s.stop()
    # Plain HTTP on loopback: a Secure cookie would never come back, so it is not set.
    server.post("/v1/parties", server.admin, {"id": "IL", "name": "Israel"})
    assert server.post("/v1/users", server.admin, {"name": "op", "party": "IL", "role": "operator",
                                                   "password": "correct horse"}).status_code == 201
    r = requests.post(server.url + "/v1/session", json={"name": "op", "password": "correct horse"}, timeout=30)
    assert r.status_code == 200 and "Secure" not in [a.strip() for a in r.headers["Set-Cookie"].split(";")]
