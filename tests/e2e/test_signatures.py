"""Party signatures: a party with a registered Ed25519 key signs the exact request body."""
import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from conftest import problem


def setup_signer(server):
    key = Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    r = server.post("/v1/parties", server.admin, {"id": "IL", "name": "Israel", "public_key": base64.b64encode(pub).decode()})
    assert r.status_code == 201, r.text
    user = server.post("/v1/users", server.admin, {"name": "il", "party": "IL", "role": "operator"}).json()
    server.post("/v1/parties", server.admin, {"id": "SY", "name": "Syria"})
    r = server.post("/v1/tracks", server.admin, {"id": "il-sy", "name": "x", "members": [
        {"party": "IL", "role": "principal"}, {"party": "SY", "role": "principal"}]})
    assert r.status_code == 201
    return key, user["token"]


def signed_post(server, token, path, body_bytes, signature):
    return server.call("POST", path, token, data=body_bytes,
                       headers={"Content-Type": "application/json", "Tansiq-Signature": signature})


def test_signed_submission_is_recorded_and_verifiable(server):
    key, token = setup_signer(server)
    body = json.dumps({"to": "all", "precedence": "routine", "subject": "signed", "body": "we did not fire"}).encode()
    sig = base64.b64encode(key.sign(body)).decode()
    r = signed_post(server, token, "/v1/tracks/il-sy/messages", body, sig)
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    sy = server.post("/v1/users", server.admin, {"name": "sy", "party": "SY", "role": "operator"}).json()["token"]
    entries = server.get("/v1/log/entries?limit=1000", sy).json()["items"]
    created = [e["event"] for e in entries if e["event"]["type"] == "message.created"
               and e["event"]["payload"]["id"] == mid]
    assert len(created) == 1
    party_key = server.get("/v1/parties/IL", sy).json()["public_key"]
    # Another party (SY) can prove what IL submitted: the exact bytes and IL's signature over them.
    assert verify_recorded(created[0], party_key) == json.loads(body)
    # An unsigned request records no signature.
    r = server.post("/v1/tracks/il-sy/messages", token, {"to": "all", "precedence": "routine", "subject": "u", "body": "u"})
    assert r.status_code == 201
    last = server.get("/v1/log/entries?limit=1000", sy).json()["items"][-1]["event"]
    assert "signature" not in last["actor"]


def test_signature_is_checked_before_authorisation(server):
    key, token = setup_signer(server)
    body = json.dumps({"id": "ZZ", "name": "probe"}).encode()
    sig = base64.b64encode(key.sign(body)).decode()
    problem(signed_post(server, token, "/v1/parties", body, sig), 403)  # valid signature, but not the admin


def test_a_changed_byte_fails_with_401_and_changes_nothing(server):
    key, token = setup_signer(server)
    body = json.dumps({"id": "ZZ", "name": "probe"}).encode()
    sig = base64.b64encode(key.sign(body)).decode()
    size = server.log_size()
    tampered = body.replace(b"probe", b"probf")
    r = signed_post(server, token, "/v1/parties", tampered, sig)
    assert "does not verify" in problem(r, 401)["detail"]
    r = signed_post(server, token, "/v1/parties", body, "AAAA")
    problem(r, 401)
    assert server.log_size() == size


def test_party_without_a_key_cannot_sign(server):
    server.post("/v1/parties", server.admin, {"id": "SY", "name": "Syria"})
    tok = server.post("/v1/users", server.admin, {"name": "sy", "party": "SY", "role": "operator"}).json()["token"]
    key = Ed25519PrivateKey.generate()
    body = b"{}"
    r = signed_post(server, tok, "/v1/parties", body, base64.b64encode(key.sign(body)).decode())
    assert "no public key" in problem(r, 401)["detail"]


def verify_recorded(event, party_key_b64):
    actor = event["actor"]
    body = base64.b64decode(actor["signed_body"])
    pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(party_key_b64))
    pub.verify(base64.b64decode(actor["signature"]), body)  # raises if invalid
    return json.loads(body)
