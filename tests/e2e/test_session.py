"""Console login: Argon2id passwords, HttpOnly SameSite=Strict cookie, CSRF on cookie writes."""
import requests

from conftest import problem


def make_user(server, name, party, password, role="operator"):
    r = server.post("/v1/users", server.admin, {"name": name, "party": party, "role": role, "password": password})
    assert r.status_code == 201, r.text
    return r.json()


def login(server, name, password):
    s = requests.Session()
    r = s.post(server.url + "/v1/session", json={"name": name, "password": password}, timeout=30)
    return s, r


def test_login_sets_a_strict_httponly_cookie(cell, server):
    make_user(server, "il-duty", "IL", "correct horse battery")
    s, r = login(server, "il-duty", "correct horse battery")
    assert r.status_code == 200, r.text
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("tansiq_session=tq_")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    body = r.json()
    assert body["party"] == "IL" and body["name"] == "il-duty" and body["csrf"]
    tracks = s.get(server.url + "/v1/tracks", timeout=30).json()["items"]
    assert {t["id"] for t in tracks} == {"il-sy", "tr-il", "ru-il"}
    assert s.get(server.url + "/v1/session", timeout=30).json()["csrf"] == body["csrf"]


def test_wrong_password_gives_401_and_no_cookie(cell, server):
    make_user(server, "sy-duty", "SY", "correct horse battery")
    s, r = login(server, "sy-duty", "wrong horse battery")
    body = problem(r, 401)
    assert "wrong user name or password" in body["detail"]
    assert "Set-Cookie" not in r.headers
    s, r = login(server, "nobody", "whatever-password")
    problem(r, 401)
    assert "Set-Cookie" not in r.headers


def test_cookie_write_without_csrf_header_is_403(cell, server):
    make_user(server, "il-duty", "IL", "correct horse battery")
    s, r = login(server, "il-duty", "correct horse battery")
    csrf = r.json()["csrf"]
    size = server.log_size()
    w = s.delete(server.url + "/v1/session", timeout=30)
    problem(w, 403)
    w = s.delete(server.url + "/v1/session", headers={"X-CSRF-Token": "forged"}, timeout=30)
    problem(w, 403)
    assert server.log_size() == size
    w = s.delete(server.url + "/v1/session", headers={"X-CSRF-Token": csrf}, timeout=30)
    assert w.status_code == 204
    problem(s.get(server.url + "/v1/tracks", timeout=30), 401)


def test_users_without_a_password_cannot_log_in(cell, server):
    s, r = login(server, "il", "anything-at-all")
    problem(r, 401)
