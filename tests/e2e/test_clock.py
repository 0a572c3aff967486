"""The test clock control (--test-hooks): deadline tests move the server's clock instead of
sleeping. It is refused unless tansiqd was started with --test-hooks on a loopback address."""
import subprocess
from datetime import timedelta

from conftest import TANSIQD, Server, free_port, problem
from test_threats import OVERSIGHT, events, threat


def test_advance_fires_what_became_due_before_answering(server, cell):
    cell.make_track("clk", OVERSIGHT, {"threat_response": "PT1H"})
    t = server.post("/v1/tracks/clk/threats", cell["IL"], threat()).json()
    before = server.now()
    now = server.advance("PT59M")
    assert timedelta(minutes=59) <= now - before < timedelta(minutes=59, seconds=30)
    assert server.get(f"/v1/tracks/clk/threats/{t['id']}", cell["IL"]).json()["status"] == "referred"
    server.advance("PT2M")
    # No polling: the lapse is committed when advance answers.
    assert server.get(f"/v1/tracks/clk/threats/{t['id']}", cell["IL"]).json()["status"] == "lapsed"
    assert len(events(server, cell["US"], "threat.lapsed", t["id"])) == 1


def test_server_time_follows_the_offset_across_a_restart(server, cell):
    server.advance("P1D")
    server.stop()
    server.start()   # conftest passes --clock-offset P1D
    r = server.post("/v1/tracks/il-sy/threats", cell["IL"], threat())
    assert r.status_code == 201, r.text
    assert server.post("/v1/test/clock", cell.admin, {"advance": "PT1S"}).json()["offset"] == "P1DT1S"


def test_only_the_cell_admin_moves_the_clock_and_input_is_checked(server, cell):
    problem(server.post("/v1/test/clock", cell["IL"], {"advance": "PT5M"}), 403)
    problem(server.post("/v1/test/clock", None, {"advance": "PT5M"}), 401)
    problem(server.post("/v1/test/clock", cell.admin, {"advance": "soon"}), 422)
    problem(server.post("/v1/test/clock", cell.admin, {"advance": "PT0S"}), 422)
    problem(server.post("/v1/test/clock", cell.admin, {}), 400)


def test_clock_control_is_refused_in_production(tmp_path):
    s = Server(tmp_path / "prod")
    s.init()
    s.start(test_hooks=False)
    try:
        problem(s.post("/v1/test/clock", s.admin, {"advance": "PT5M"}), 404)
        problem(s.post("/v1/test/deadline-faults", s.admin, {"kind": "threat.respond", "failures": 1}), 404)
    finally:
        s.stop()
    out = subprocess.run([TANSIQD, "--data", s.data, "--listen", f"127.0.0.1:{free_port()}",
                          "--clock-offset", "PT1H"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "--test-hooks" in out.stderr, out.stderr
    out = subprocess.run([TANSIQD, "--data", s.data, "--listen", f"0.0.0.0:{free_port()}", "--insecure",
                          "--test-hooks"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "loopback" in out.stderr, out.stderr
