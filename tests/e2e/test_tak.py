"""The TAK gateway (api.md, Contract v1.1, TAK gateway; docs/tak.md) against the real TAK
client libraries: @tak-ps/node-tak connects (TLS, client certificate issued through the
API) and @tak-ps/node-cot parses every event (tests/tak/agent.mjs)."""
import io
import json
import os
import queue
import socket
import ssl
import stat
import subprocess
import threading
import time
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from conftest import ROOT, TANSIQD, Server, free_port, problem

AGENT = os.path.join(ROOT, "tests", "tak", "agent.mjs")
EPS = 1e-6


# ---- helpers ------------------------------------------------------------------------------

def new_csr(cn="whatever"):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
           .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, csr.public_bytes(serialization.Encoding.PEM).decode()


class Agent:
    """One node-tak client (tests/tak/agent.mjs), its events in arrival order."""

    def __init__(self, tak, cert_pem, key_pem, tmp):
        self.cert = os.path.join(tmp, f"cert-{id(self)}.pem")
        self.key = os.path.join(tmp, f"key-{id(self)}.pem")
        open(self.cert, "w").write(cert_pem)
        open(self.key, "w").write(key_pem)
        self.proc = subprocess.Popen(["node", AGENT, f"ssl://127.0.0.1:{tak.cot_port}", self.cert, self.key],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, cwd=ROOT)
        self.q = queue.Queue()
        self.events = []      # every {"ev": "cot", …} so far, with "t" = arrival time
        self.closed = False
        self.connected = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            msg = json.loads(line)
            msg["t"] = time.monotonic()
            self.q.put(msg)
        self.q.put({"ev": "closed", "t": time.monotonic()})

    def _pump(self, timeout):
        try:
            msg = self.q.get(timeout=timeout)
        except queue.Empty:
            return
        assert msg["ev"] != "parse_error", f"node-cot could not parse: {msg}"
        if msg["ev"] == "cot":
            self.events.append(msg)
        elif msg["ev"] == "closed":
            self.closed = True
        elif msg["ev"] == "connected":
            self.connected = True

    def wait(self, pred, timeout, what):
        """Pumps events until pred(self) holds; fails the test at timeout."""
        deadline = time.monotonic() + timeout
        while not pred(self):
            left = deadline - time.monotonic()
            assert left > 0, (f"timed out after {timeout} s waiting for {what}; closed={self.closed}; "
                              f"got {[e['uid'] for e in self.events]}")
            self._pump(min(left, 0.1))

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._pump(0.05)

    def uids(self):
        return {e["uid"] for e in self.events}

    def last(self, uid, type_=None):
        for e in reversed(self.events):
            if e["uid"] == uid and (type_ is None or e["type"] == type_):
                return e
        return None

    def send(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Tak:
    """A demo tansiqd with the CoT listener; users and their certificates through the API."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.srv = Server(tmp / "data")
        self.cot_port = free_port()
        self.srv.start("--demo", "--cot-listen", f"127.0.0.1:{self.cot_port}")
        self.tokens = json.load(open(os.path.join(self.srv.data, "demo-tokens.json")))
        self.admin = self.tokens["admin"]
        self.agents = []
        self.n = 0

    def user(self, party, role="operator"):
        self.n += 1
        r = self.srv.post("/v1/users", self.admin, {"name": f"tak{self.n}", "party": party, "role": role})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def certificate(self, user_id):
        key_pem, csr = new_csr()
        r = self.srv.post(f"/v1/users/{user_id}/certificate", self.admin, {"csr": csr})
        assert r.status_code == 201, r.text
        return r.json()["certificate"], key_pem

    def agent(self, cert_key=None, party=None):
        cert, key = cert_key or self.certificate(self.user(party))
        a = Agent(self, cert, key, self.tmp)
        self.agents.append(a)
        # Node and the TAK libraries take seconds to load on a busy machine: the gateway's
        # deadlines below count from the TLS connection, not from the process start.
        a.wait(lambda s: s.connected or s.closed, 60, "node-tak to connect")
        return a

    def close(self):
        for a in self.agents:
            a.close()
        self.srv.stop()


@pytest.fixture(scope="module")
def tak(tmp_path_factory):
    t = Tak(tmp_path_factory.mktemp("tak"))
    yield t
    t.close()


def visible_state(tak, token):
    """What the API shows this caller, keyed by object id: (layer, object) for every zone,
    deployment and activity that is drawn and every unresolved conflict of its tracks."""
    shown = {"zones": ("proposed", "in_force"), "activities": ("notified", "active"),
             "conflicts": ("open", "acknowledged")}
    out = {}
    for t in tak.srv.get("/v1/tracks", token).json()["items"]:
        for layer in ("zones", "deployments", "activities", "conflicts"):
            r = tak.srv.get(f"/v1/tracks/{t['id']}/{layer}?limit=1000", token)
            assert r.status_code == 200, r.text
            for o in r.json()["items"]:
                if layer in shown and o["status"] not in shown[layer]:
                    continue
                if layer == "deployments" and o["status"] == "withdrawn":
                    continue
                out[o["id"]] = (t["id"], layer, o)
    return out


def parts(geometry):
    """The drawn parts of a GeoJSON geometry: (kind, coordinates), polygons by exterior ring."""
    t, c = geometry["type"], geometry.get("coordinates")
    if t == "Point":
        return [("point", c)]
    if t == "LineString":
        return [("line", c)]
    if t == "Polygon":
        return [("ring", c[0])]
    if t == "MultiPolygon":
        return [("ring", p[0]) for p in c]
    if t == "MultiLineString":
        return [("line", l) for l in c]
    if t == "GeometryCollection":
        return [p for g in geometry["geometries"] for p in parts(g)]
    raise AssertionError(f"unexpected geometry {t}")


def assert_close(a, b, what):
    assert len(a) == len(b), f"{what}: {len(a)} positions, expected {len(b)}"
    for p, q in zip(a, b):
        assert abs(p[0] - q[0]) <= EPS and abs(p[1] - q[1]) <= EPS, f"{what}: {p} != {q}"


def assert_matches(ev, kind, coords, obj, what, circle=False):
    gj = ev["geojson"]
    if kind == "point" and circle:
        # An activity's circle (u-d-c-c): node-cot draws the ellipse; its centre and radius are
        # the object's. (A deployment with radius_m is a unit marker at its point.)
        assert ev["type"] == "u-d-c-c", what
        assert_close([gj["properties"]["center"]], [coords], what)
        assert abs(gj["properties"]["shape"]["ellipse"]["major"] - obj["radius_m"]) < 1e-3, what
    elif kind == "point":
        assert gj["geometry"]["type"] == "Point", what
        assert_close([gj["geometry"]["coordinates"]], [coords], what)
    elif kind == "line":
        assert gj["geometry"]["type"] == "LineString", what
        assert_close(gj["geometry"]["coordinates"], coords, what)
    else:
        assert gj["geometry"]["type"] == "Polygon", what
        assert_close(gj["geometry"]["coordinates"][0], coords, what)


def expected_uids(state):
    uids = {}
    for oid, (track, layer, o) in state.items():
        geom = o["overlap"]["geometry"] if layer == "conflicts" else o["geometry"]
        for k, (kind, coords) in enumerate(parts(geom)):
            uids[oid if k == 0 else f"{oid}.{k}"] = (track, layer, o, kind, coords)
    return uids


# ---- on connect: the current state -----------------------------------------------------------

def test_client_receives_the_demo_tracks_state_matching_the_api_geometry(tak):
    a = tak.agent(party="IL")
    want = expected_uids(visible_state(tak, tak.tokens["IL"]))
    layers = {v[1] for v in want.values()}
    assert {"zones", "deployments", "activities", "conflicts"} <= layers, layers
    a.wait(lambda s: set(want) <= s.uids(), 15, "the current state")
    a.drain(0.5)
    for uid, (track, layer, o, kind, coords) in want.items():
        ev = a.last(uid)
        assert ev["type"] != "t-x-d-d", uid
        assert_matches(ev, kind, coords, o, f"{layer} {uid}", circle=layer == "activities")
        assert f"track {track}" in ev["remarks"], ev["remarks"]
        if layer == "deployments" and kind == "point" and not o.get("radius_m"):
            assert ev["type"] == ("a-f-G-U-C" if o["declared_by"] == "IL" else "a-n-G-U-C"), ev
        if layer == "activities":
            assert ev["start"].startswith(o["window"]["start"][:19]) and ev["stale"].startswith(o["window"]["end"][:19])
        if layer == "conflicts":
            assert f"CONFLICT {o['kind']}, severity {o['severity']}" in ev["remarks"]
    # Nothing the API would not show this user (same visibility, exactly).
    extra = {e["uid"] for e in a.events if e["type"] not in ("b-t-f",)} - set(want)
    assert not extra, extra


def test_a_party_outside_tr_il_receives_nothing_of_tr_il(tak):
    tr_il = set()
    for layer in ("zones", "deployments", "activities", "conflicts"):
        tr_il |= {o["id"] for o in tak.srv.get(f"/v1/tracks/tr-il/{layer}", tak.tokens["IL"]).json()["items"]}
    assert tr_il
    sy = tak.agent(party="SY")
    want = expected_uids(visible_state(tak, tak.tokens["SY"]))
    sy.wait(lambda s: set(want) <= s.uids(), 15, "SY's state")
    # Live: a tr-il zone, then an il-sy zone; when the second arrives the first would have too.
    z1 = tak.srv.post("/v1/tracks/tr-il/zones", tak.tokens["TR"], zone_body("tr-il secret", 38.0)).json()["id"]
    z2 = tak.srv.post("/v1/tracks/il-sy/zones", tak.tokens["IL"], zone_body("il-sy barrier", 36.0)).json()["id"]
    sy.wait(lambda s: z2 in s.uids(), 5, "the il-sy zone")
    sy.drain(0.3)
    seen = {e["uid"].split(".")[0] for e in sy.events}
    assert not (seen & (tr_il | {z1})), seen & (tr_il | {z1})
    assert not any("track tr-il" in (e["remarks"] or "") or (e["chat"] or {}).get("chatroom") == "tr-il"
                   for e in sy.events)


# ---- live ------------------------------------------------------------------------------------

def zone_body(name, lon):
    return {"kind": "base", "name": name,
            "geometry": {"type": "Polygon", "coordinates": [[[lon, 34.0], [lon + 0.1, 34.0], [lon + 0.1, 34.1],
                                                             [lon, 34.0]]]}}


def test_a_zone_arrives_live_within_a_second_and_its_withdrawal_as_a_delete(tak):
    a = tak.agent(party="IL")
    a.wait(lambda s: len(s.events) > 0, 15, "the current state")
    a.drain(0.5)
    t0 = time.monotonic()
    r = tak.srv.post("/v1/tracks/il-sy/zones", tak.tokens["IL"], zone_body("live base", 35.2))
    assert r.status_code == 201, r.text
    z = r.json()
    a.wait(lambda s: s.last(z["id"], "u-d-f") is not None, 1.0, "the new zone within 1 s")
    ev = a.last(z["id"], "u-d-f")
    assert ev["t"] - t0 < 1.0
    assert_matches(ev, "ring", z["geometry"]["coordinates"][0], z, "live zone")
    t1 = time.monotonic()
    r = tak.srv.call("DELETE", f"/v1/tracks/il-sy/zones/{z['id']}", tak.tokens["IL"])
    assert r.status_code == 200, r.text
    a.wait(lambda s: s.last(z["id"], "t-x-d-d") is not None, 1.0, "the withdrawal as t-x-d-d within 1 s")
    assert a.last(z["id"], "t-x-d-d")["t"] - t1 < 1.0


def test_hotline_messages_arrive_as_geochat_in_the_track_room(tak):
    a = tak.agent(party="IL")
    a.wait(lambda s: len(s.events) > 0, 15, "the current state")
    body = {"to": "all", "precedence": "immediate", "subject": "Notice", "body": "قف — עצור"}
    r = tak.srv.post("/v1/tracks/il-sy/messages", tak.tokens["SY"], body)
    assert r.status_code == 201, r.text
    a.wait(lambda s: any(e["type"] == "b-t-f" and r.json()["id"] in e["uid"] for e in s.events), 2, "the GeoChat")
    ev = next(e for e in a.events if e["type"] == "b-t-f" and r.json()["id"] in e["uid"])
    assert ev["chat"]["chatroom"] == "il-sy" and ev["chat"]["senderCallsign"] == "SY"
    assert ev["remarks"] == "[IMMEDIATE] Notice: قف — עצור"


def test_geochat_from_a_client_becomes_a_hotline_message_of_its_party(tak):
    uid = tak.user("IL")
    a = tak.agent(tak.certificate(uid))
    a.wait(lambda s: len(s.events) > 0, 15, "the current state")
    text = f"GeoChat test {time.time()} ünïcødé"
    a.send(cmd="chat", room="il-sy", text=text, callsign="Alpha")
    deadline = time.monotonic() + 5
    found = None
    while found is None:
        assert time.monotonic() < deadline, "the GeoChat never became a hotline message"
        items = tak.srv.get("/v1/tracks/il-sy/messages?limit=1000", tak.tokens["SY"]).json()["items"]
        found = next((m for m in items if m["body"] == text), None)
        time.sleep(0.1) if found is None else None
    assert found["from"] == "IL" and found["created_by"] == {"party": "IL", "user": uid}
    assert found["to"] == "all" and found["precedence"] == "routine"
    assert found["subject"] == "GeoChat from Alpha"
    # A room that is not one of the user's tracks stores nothing.
    before = tak.srv.log_size()
    a.send(cmd="chat", room="tr-az-nonexistent", text="lost", callsign="Alpha")
    a.send(cmd="chat", room="il-sy", text=text + " 2", callsign="Alpha")
    a.wait(lambda s: any(e["type"] == "b-t-f" and (e["remarks"] or "").endswith(text + " 2") for e in s.events),
           5, "the second GeoChat echoed as a hotline message")
    assert tak.srv.log_size() == before + 1


# ---- certificates, deletion, hostile input ---------------------------------------------------

def test_a_deleted_users_connection_is_closed_and_its_certificate_refused(tak):
    uid = tak.user("IL")
    ck = tak.certificate(uid)
    a = tak.agent(ck)
    a.wait(lambda s: len(s.events) > 0, 15, "the current state")
    r = tak.srv.call("DELETE", f"/v1/users/{uid}", tak.admin)
    assert r.status_code == 204, r.text
    a.wait(lambda s: s.closed, 3, "the connection to close")
    b = tak.agent(ck)
    b.wait(lambda s: s.closed, 10, "the refused connection to close")
    assert b.events == []


def test_a_certificate_not_from_the_cell_ca_is_refused(tak, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    uid = tak.user("IL")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, uid)])  # the right CN, the wrong issuer
    now = time.time()
    import datetime
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime.fromtimestamp(now - 60, datetime.timezone.utc))
            .not_valid_after(datetime.datetime.fromtimestamp(now + 3600, datetime.timezone.utc))
            .sign(key, hashes.SHA256()))
    a = tak.agent((cert.public_bytes(serialization.Encoding.PEM).decode(),
                   key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()))
    a.wait(lambda s: s.closed, 10, "the connection to close")
    assert a.events == []


@pytest.mark.parametrize("bad", [
    "<event type='a-f-G' uid='x'><detail><remarks>unclosed</detail></event>",
    "<!DOCTYPE event [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;'>]><event type='b-t-f'>&b;</event>",
    "<event type='b-t-f'><detail><remarks>&xxe;</remarks></detail></event>",
    "<event type='a' uid='big'><detail><remarks>" + "x" * (70 * 1024),
], ids=["malformed", "entities", "undefined-entity", "oversized"])
def test_malformed_entity_laden_or_oversized_xml_closes_only_that_connection(tak, bad):
    uid = tak.user("IL")
    ck = tak.certificate(uid)
    a, b = tak.agent(ck), tak.agent(ck)
    for ag in (a, b):
        ag.wait(lambda s: len(s.events) > 0, 15, "the current state")
    a.send(cmd="raw", xml=bad)
    a.wait(lambda s: s.closed, 3, "the hostile connection to close")
    r = tak.srv.post("/v1/tracks/il-sy/zones", tak.tokens["IL"], zone_body("after hostile", 35.4))
    assert r.status_code == 201
    b.wait(lambda s: s.last(r.json()["id"]) is not None, 2, "the other connection to keep working")
    assert not b.closed
    assert tak.srv.get("/v1/health").status_code == 200


def test_certificate_endpoint_is_for_the_cell_admin_and_checks_the_csr(tak):
    uid = tak.user("SY")
    _, csr = new_csr()
    problem(tak.srv.post(f"/v1/users/{uid}/certificate", tak.tokens["SY"], {"csr": csr}), 403)
    problem(tak.srv.post("/v1/users/usr_nobody/certificate", tak.admin, {"csr": csr}), 404)
    body = problem(tak.srv.post(f"/v1/users/{uid}/certificate", tak.admin, {"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}), 422)
    assert body["errors"][0]["field"] == "csr"
    problem(tak.srv.post(f"/v1/users/{uid}/certificate", tak.admin, {}), 400)
    r = tak.srv.post(f"/v1/users/{uid}/certificate", tak.admin, {"csr": csr})
    assert r.status_code == 201
    cert = x509.load_pem_x509_certificate(r.json()["certificate"].encode())
    ca = x509.load_pem_x509_certificate(r.json()["ca"].encode())
    assert cert.issuer == ca.subject
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == uid  # not the CSR's CN
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "SY"
    days = (cert.not_valid_after - cert.not_valid_before).total_seconds() / 86400
    assert 365 <= days <= 366
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                           __import__("cryptography.hazmat.primitives.asymmetric.padding", fromlist=["x"]).PKCS1v15(),
                           cert.signature_hash_algorithm)


def test_tak_package_holds_a_working_p12_a_pref_and_a_manifest(tak):
    uid = tak.user("IL")
    problem(tak.srv.get(f"/v1/users/{uid}/tak-package", tak.tokens["IL"]), 403)
    r = tak.srv.get(f"/v1/users/{uid}/tak-package", tak.admin)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    names = set(z.namelist())
    p12name = next(n for n in names if n.endswith(".p12") and "truststore" not in n)
    assert {"MANIFEST/manifest.xml", "cert/tansiq.pref", "cert/truststore-tansiq.p12"} <= names
    manifest = z.read("MANIFEST/manifest.xml").decode()
    assert all(f'zipEntry="{n}"' in manifest for n in names - {"MANIFEST/manifest.xml"})
    assert f"127.0.0.1:{tak.cot_port}:ssl" in z.read("cert/tansiq.pref").decode()
    key, cert, _ = pkcs12.load_key_and_certificates(z.read(p12name), b"atakatak")
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == uid
    _, _, trust = pkcs12.load_key_and_certificates(z.read("cert/truststore-tansiq.p12"), b"atakatak")
    a = tak.agent((cert.public_bytes(serialization.Encoding.PEM).decode(),
                   key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()))
    a.wait(lambda s: len(s.events) > 0, 15, "events over the package's certificate")
    # The demo wrote one package per demo user.
    tak_dir = os.path.join(tak.srv.data, "tak")
    assert sorted(os.listdir(tak_dir)) == ["az.zip", "il.zip", "ru.zip", "sy.zip", "tr.zip", "us.zip"]
    assert stat.S_IMODE(os.stat(os.path.join(tak_dir, "il.zip")).st_mode) == 0o600


def test_server_certificate_is_issued_by_the_cell_ca(tak):
    ctx = ssl.create_default_context(cafile=os.path.join(tak.srv.data, "ca.pem"))
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", tak.cot_port), timeout=5) as raw:
        try:
            with ctx.wrap_socket(raw) as tls:
                tls.recv(1)  # the server asks for a client certificate and then closes
        except (ssl.SSLError, ConnectionError, OSError) as e:
            assert "CERTIFICATE_VERIFY_FAILED" not in str(e), e


# ---- the CA and the options ------------------------------------------------------------------

def test_init_creates_the_cell_ca_and_an_old_data_dir_gets_one_at_first_cot_start(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    for f, mode in (("ca.pem", None), ("ca.key", 0o600)):
        p = os.path.join(s.data, f)
        assert os.path.exists(p)
        if mode:
            assert stat.S_IMODE(os.stat(p).st_mode) == mode
    first = open(os.path.join(s.data, "ca.pem")).read()
    os.unlink(os.path.join(s.data, "ca.pem"))
    os.unlink(os.path.join(s.data, "ca.key"))
    port = free_port()
    s.start("--cot-listen", f"127.0.0.1:{port}")
    try:
        assert open(os.path.join(s.data, "ca.pem")).read() != first
        assert stat.S_IMODE(os.stat(os.path.join(s.data, "ca.key")).st_mode) == 0o600
    finally:
        s.stop()
    # Without --cot-listen: certificates are still issued (the CA exists), packages are not.
    s.start()
    try:
        assert s.post("/v1/parties", s.admin, {"id": "IL", "name": "Israel"}).status_code == 201
        uid = s.post("/v1/users", s.admin, {"name": "il", "party": "IL", "role": "operator"}).json()["id"]
        r = s.post(f"/v1/users/{uid}/certificate", s.admin, {"csr": new_csr()[1]})
        assert r.status_code == 201 and r.json()["ca"] == open(os.path.join(s.data, "ca.pem")).read()
        problem(s.get(f"/v1/users/{uid}/tak-package", s.admin), 409)
        # The cell admin (the first user.created of the log) has no party: no certificate for it.
        first_event = s.get("/v1/log/entries?from=0&to=1", s.admin).json()["items"][0]["event"]
        assert first_event["type"] == "user.created" and first_event["payload"]["role"] == "admin"
        problem(s.post(f"/v1/users/{first_event['payload']['id']}/certificate", s.admin, {"csr": new_csr()[1]}), 422)
    finally:
        s.stop()


def test_plain_cot_only_on_loopback_and_only_as_a_named_user(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    for extra, msg in ((["--cot-listen", "0.0.0.0:1", "--cot-insecure", "--cot-insecure-user", "admin"], "loopback"),
                       (["--cot-listen", f"127.0.0.1:{free_port()}", "--cot-insecure"], "--cot-insecure-user"),
                       (["--cot-insecure"], "--cot-listen")):
        out = subprocess.run([TANSIQD, "--data", s.data, *s.store_args, "--listen", f"127.0.0.1:{free_port()}", *extra],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 1 and msg in out.stderr, (extra, out.stderr)


def test_plain_cot_on_loopback_acts_as_the_named_user(tmp_path):
    s = Server(tmp_path / "d")
    port = free_port()
    s.start("--demo", "--cot-listen", f"127.0.0.1:{port}", "--cot-insecure", "--cot-insecure-user", "sy")
    try:
        tokens = json.load(open(os.path.join(s.data, "demo-tokens.json")))
        zones = {z["id"] for z in s.get("/v1/tracks/il-sy/zones", tokens["SY"]).json()["items"]
                 if z["status"] in ("proposed", "in_force")}
        tr_il = {z["id"] for z in s.get("/v1/tracks/tr-il/zones", tokens["IL"]).json()["items"]}
        assert zones and tr_il
        got = b""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            deadline = time.monotonic() + 10
            while not all(z.encode() in got for z in zones):
                assert time.monotonic() < deadline, "SY's zones did not arrive over plain TCP"
                got += c.recv(65536)
        assert not any(z.encode() in got for z in tr_il)  # SY's visibility, not more
    finally:
        s.stop()


def test_a_client_that_does_not_read_is_cut_off_and_never_slows_the_writers(tak):
    """Like a slow SSE subscriber: its bounded buffer fills, the server closes it, and
    writes keep answering at once."""
    uid = tak.user("IL")
    cert, key = tak.certificate(uid)
    cf, kf = os.path.join(tak.tmp, "slow-cert.pem"), os.path.join(tak.tmp, "slow-key.pem")
    open(cf, "w").write(cert)
    open(kf, "w").write(key)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cf, kf)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(10)
    raw.connect(("127.0.0.1", tak.cot_port))
    tls = ctx.wrap_socket(raw)
    tls.recv(1)  # connected and identified; from now on it reads nothing
    log = tak.srv.log.name
    tak.srv.log.flush()
    marker = f"({uid}): closing: too slow"
    text = "x" * 60000
    worst, cut = 0.0, False
    for i in range(600):
        t0 = time.monotonic()
        r = tak.srv.post("/v1/tracks/il-sy/messages", tak.tokens["IL"],
                         {"to": "all", "precedence": "routine", "subject": f"bulk {i}", "body": text})
        worst = max(worst, time.monotonic() - t0)
        assert r.status_code == 201, r.text
        if i % 10 == 9 and marker in open(log, encoding="utf-8", errors="replace").read():
            cut = True
            break
    assert cut, "the client that reads nothing was never cut off"
    assert worst < 2.0, f"a write took {worst:.2f} s while a client was not reading"
    # What the kernel still holds drains, then the stream ends: the server closed it.
    tls.settimeout(10)
    total = 0
    try:
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            total += len(chunk)
    except (ssl.SSLError, ConnectionError):
        pass
    tls.close()
    assert total < (i + 1) * 60000, "the client got everything: it was not cut off"
