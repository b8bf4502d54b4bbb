"""Process harness for the Parley system tests: start/stop/kill/restart the real broker,
mint tokens, plain HTTP requests.

Written against docs/PROTOCOL.md and the `parley serve` CLI of docs/DESIGN.md only.
Uses nothing but Debian's python3 standard library plus python3-jwt.
"""

import base64
import http.client
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import jwt
import pytest

SECRET = "parley-system-test-secret-0123456789abcdef"
HOST = "127.0.0.1"

# Multiply every positive wait by this (for very slow machines); negative waits
# ("nothing arrives within 0.3 s") are not scaled.
TIMEOUT_SCALE = float(os.environ.get("PARLEY_TEST_TIMEOUT_SCALE", "1") or "1")


def scaled(seconds):
    return seconds * TIMEOUT_SCALE


STARTUP_TIMEOUT = scaled(20.0)
STOP_TIMEOUT = 10.0
LISTEN_RE = re.compile(r"^parley: listening on 127\.0\.0\.1:(\d+)$")

# Which store the brokers use: "sqlite" (default: a file in the broker's temp dir) or a
# PostgreSQL URL of a running server (postgresql://user@/db?host=SOCKET_DIR); each broker
# then gets a database of its own, created from that URL.
STORE = os.environ.get("PARLEY_TEST_STORE", "sqlite") or "sqlite"
_PG_DATABASES = 0


def new_pg_database(base_url):
    """Creates an empty database on the server of `base_url`; returns its URL."""
    global _PG_DATABASES
    _PG_DATABASES += 1
    name = "t_%d_%d" % (os.getpid(), _PG_DATABASES)
    m = re.match(r"^(postgres(?:ql)?://[^/]*)/([^?]*)(\?.*)?$", base_url)
    assert m, "PARLEY_TEST_STORE is not a postgresql:// URL: %r" % base_url
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", base_url,
                    "-c", "CREATE DATABASE %s" % name],
                   check=True, timeout=30, stdout=subprocess.DEVNULL)
    return "%s/%s%s" % (m.group(1), name, m.group(3) or "")


# Flags that keep rate limiting out of the way of tests that do not test it.
FAST_RATE = ("--rate-per-s", "100000", "--rate-burst", "100000")


def parley_bin():
    """The broker binary from $PARLEY_BIN; fails the test with a clear message otherwise."""
    path = os.environ.get("PARLEY_BIN", "")
    if not path:
        pytest.fail("PARLEY_BIN not set (it must name the parley broker binary)", pytrace=False)
    p = Path(path)
    if not p.is_absolute():
        p = Path.cwd() / p
    if not p.is_file() or not os.access(str(p), os.X_OK):
        pytest.fail("PARLEY_BIN=%s is not an executable file" % path, pytrace=False)
    return str(p)


# ----------------------------------------------------------------------------- tokens

def make_token(sub="alice", *, name=None, exp_in=3600, nbf_in=None, iat_in=0,
               secret=SECRET, alg="HS256", omit=(), extra=None):
    """An HS256 (by default) JWT for `sub`, times relative to now in seconds."""
    now = int(time.time())
    claims = {"sub": sub, "iat": now + iat_in, "exp": now + exp_in}
    if name is not None:
        claims["name"] = name
    if nbf_in is not None:
        claims["nbf"] = now + nbf_in
    if extra:
        claims.update(extra)
    for k in omit:
        claims.pop(k, None)
    token = jwt.encode(claims, secret, algorithm=alg)
    return token.decode() if isinstance(token, bytes) else token


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_alg_none_token(sub="alice", exp_in=3600):
    """An unsigned token: header {"alg":"none","typ":"JWT"}, empty signature."""
    now = int(time.time())
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = _b64url(json.dumps({"sub": sub, "iat": now, "exp": now + exp_in},
                                 separators=(",", ":")).encode())
    return header + "." + payload + "."


# ----------------------------------------------------------------------------- broker

_BROKERS = []  # every Broker created in this process, for failure reports


class BrokerStartError(Exception):
    pass


class Broker:
    """One `parley serve` process on a private temp dir (data dir, and the SQLite store or a
    fresh PostgreSQL database, see STORE)."""

    def __init__(self, workdir, extra_args=(), *, dev_tokens=True, fast_rate=True,
                 secret=SECRET, name="broker"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.extra_args = [str(a) for a in extra_args]
        self.dev_tokens = dev_tokens
        self.fast_rate = fast_rate and "--rate-per-s" not in self.extra_args \
            and "--rate-burst" not in self.extra_args
        self.secret = secret
        self.name = name
        self.proc = None
        self.port = None
        self.starts = 0
        self.stdout_lines = []  # stdout lines of the current process
        self.log_path = self.workdir / "broker.stderr.log"
        self.stdout_path = self.workdir / "broker.stdout.log"
        self.last_exit = None
        self.stopped_at = None
        self._reader = None
        self._store_url = None
        _BROKERS.append(self)

    # -- command line
    @property
    def db_path(self):
        return self.workdir / "parley.db"

    @property
    def store_url(self):
        """The broker's store; the same across restarts (its data survives them)."""
        if self._store_url is None:
            self._store_url = ("sqlite:%s" % self.db_path if STORE == "sqlite"
                               else new_pg_database(STORE))
        return self._store_url

    def command(self):
        cmd = [parley_bin(), "serve",
               "--listen", "127.0.0.1:0",
               "--store", self.store_url,
               "--data-dir", str(self.workdir),
               "--jwt-secret", self.secret,
               "--dev-tokens", "true" if self.dev_tokens else "false"]
        if self.fast_rate:
            cmd += list(FAST_RATE)
        return cmd + self.extra_args

    # -- lifecycle
    def start(self, timeout=STARTUP_TIMEOUT):
        assert self.proc is None or self.proc.poll() is not None, "broker already running"
        cmd = self.command()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
        self.starts += 1
        self.stdout_lines = []
        self.port = None
        self.stopped_at = None
        self.last_exit = None
        with open(self.log_path, "ab") as log:
            log.write(("\n===== start %d: %s\n" % (self.starts, " ".join(cmd))).encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, cwd=str(self.workdir), env=env,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=log)
        lines = queue.Queue()
        proc = self.proc
        sink = self.stdout_lines

        def pump():
            with open(self.stdout_path, "ab") as out:
                for raw in iter(proc.stdout.readline, b""):
                    out.write(raw)
                    out.flush()
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    sink.append(line)
                    lines.put(line)
            lines.put(None)

        self._reader = threading.Thread(target=pump, name="parley-stdout", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._abort()
                raise BrokerStartError("broker did not print its listening line within %.0f s"
                                       "\n--- stdout:\n%s\n--- stderr tail:\n%s"
                                       % (timeout, "\n".join(sink), self.log_tail()))
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if line is None:
                rc = proc.wait(timeout=5)
                self.last_exit = rc
                raise BrokerStartError("broker exited (code %s) before listening"
                                       "\n--- stdout:\n%s\n--- stderr tail:\n%s"
                                       % (rc, "\n".join(sink), self.log_tail()))
            m = LISTEN_RE.match(line)
            if m:
                self.port = int(m.group(1))
                return self

    def _abort(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stopped_at = time.time()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def terminate(self):
        """Send SIGTERM, do not wait."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    def wait_exit(self, timeout):
        """Wait for the process to exit; returns its exit code (raises on timeout)."""
        rc = self.proc.wait(timeout=timeout)
        self.last_exit = rc
        self.stopped_at = time.time()
        if self._reader:
            self._reader.join(timeout=2)
        return rc

    def stop(self):
        """SIGTERM, wait up to 10 s, then SIGKILL. Asserts nothing; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                return self.wait_exit(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        rc = self.proc.wait()
        self.last_exit = rc
        if self.stopped_at is None:
            self.stopped_at = time.time()
        return rc

    def kill(self):
        """SIGKILL (a crash) and reap."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc is not None:
            self.last_exit = self.proc.wait()
        self.stopped_at = time.time()
        if self._reader:
            self._reader.join(timeout=2)

    def restart(self):
        """Start again on the same data dir and store (new port)."""
        if self.running():
            self.stop()
        return self.start()

    # -- addresses
    @property
    def ws_url(self):
        return "ws://%s:%d/ws" % (HOST, self.port)

    def token(self, sub, **kw):
        return make_token(sub, secret=self.secret, **kw)

    def connect(self, user="alice", **kw):
        """An authenticated parley_client.Client (hello consumed)."""
        from parley_client import Client
        if "token" not in kw and user is not None:
            kw["token"] = self.token(user)
        kw.setdefault("label", "%s/%s" % (user, kw.get("proto", "json")))
        return Client.connect(self, **kw)

    # -- logs
    def log_tail(self, lines=80):
        try:
            data = self.log_path.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(data[-lines:])

    def describe(self):
        state = "running" if self.running() else "exited (%s)" % (
            self.proc.poll() if self.proc else "never started")
        return "%s on port %s, %s, dir %s" % (self.name, self.port, state, self.workdir)


def brokers_for_report(since):
    """Brokers alive now, or stopped after `since` (time.time())."""
    out = []
    for b in _BROKERS:
        if b.proc is None:
            continue
        if b.running() or (b.stopped_at is not None and b.stopped_at >= since):
            out.append(b)
    return out


# ----------------------------------------------------------------------------- HTTP

def http_request(broker, method, path, body=None, headers=None, timeout=None):
    """Returns (status, headers {lowercase: value}, body bytes)."""
    conn = http.client.HTTPConnection(HOST, broker.port, timeout=timeout or scaled(5))
    try:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
    finally:
        conn.close()


def metric(broker, name):
    """The value of the plain (unlabelled) metric `name` on /metrics."""
    status, _, body = http_request(broker, "GET", "/metrics")
    assert status == 200, status
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("no %s in /metrics" % name)


def wait_until(predicate, timeout, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
