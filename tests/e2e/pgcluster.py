"""A throw-away PostgreSQL 15 cluster for the tests: initdb + pg_ctl in a temporary
directory, unix socket only (listen_addresses=''), removed at exit.

initdb refuses to run as root; as root (CI) the cluster runs as the unprivileged
user `nobody` through runuser. The cluster trusts local connections as role
`tansiq` (it is reachable only through a socket in a private directory).
fsync is off unless asked for (benchmarks ask): the tests kill tansiqd, never the database server, and a cluster
that lives for one test run need not survive power loss.
"""
import glob
import os
import shutil
import subprocess
import tempfile
import uuid

import psycopg2


def pg_bindir():
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(cand, "initdb")):
            return cand
    raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")


class PgCluster:
    def __init__(self, fsync=False):
        self.fsync = fsync
        self.bindir = pg_bindir()
        self.root = tempfile.mkdtemp(prefix="tansiq-pg-")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.sock = os.path.join(self.root, "sock")
        os.mkdir(self.sock)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            import pwd
            pw = pwd.getpwnam("nobody")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            os.chown(self.sock, pw.pw_uid, pw.pw_gid)
        self.log = os.path.join(self.root, "postgres.log")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "tansiq", "--no-sync", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.start()

    def _run(self, prog, *args, check=True):
        cmd = [os.path.join(self.bindir, prog), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120, cwd=self.root)

    def start(self):
        fsync = "on" if self.fsync else "off"
        opts = f"-k {self.sock} -c listen_addresses='' -c fsync={fsync} -c max_connections=200"
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def uri(self, db):
        return f"postgresql:///{db}?host={self.sock}&user=tansiq"

    def connect(self, db="postgres"):
        c = psycopg2.connect(host=self.sock, user="tansiq", dbname=db)
        c.autocommit = True
        return c

    def create_db(self, prefix="t"):
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        c = self.connect()
        try:
            with c.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
        finally:
            c.close()
        return name

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
