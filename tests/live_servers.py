"""Real servers for end-to-end, scale-out, fault tests and benchmarks.

- :class:`DemoSite` prepares the demo site (migrate, demo content, static files) on a
  database of its own: a temporary SQLite file, or a fresh PostgreSQL database.
- :class:`AsgiWorker` is one daphne process serving it on a port; several workers
  share the database and a Redis channel layer for the scale-out set-up.
- :class:`RedisServer` is a private redis-server on a free port that tests may restart.
- :class:`TcpGate` sits between the workers and PostgreSQL and can refuse connections
  for a while (the "database is down" fault).

Everything binds to 127.0.0.1 only.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_DSN = os.environ.get("BUERGERCHAT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(port, process=None, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        if port_open(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on {port} within {timeout}s")


def postgres_available():
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def redis_available():
    return os.path.exists(REDIS_SERVER)


class PostgresDatabase:
    """A fresh database on the machine's PostgreSQL, dropped afterwards."""

    def __init__(self):
        import psycopg

        self.name = f"buergerchat_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        base = POSTGRES_DSN.rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}"

    def url_via(self, host, port):
        return f"postgresql://postgres@{host}:{port}/{self.name}"

    def drop(self):
        import psycopg

        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="buergerchat-redis-"))
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process, timeout=20)
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self, down_seconds=0.0):
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class TcpGate:
    """A TCP forwarder that can be closed (connections refused, open ones cut) and reopened."""

    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener = None
        self._connections = set()
        self._lock = threading.Lock()
        self._thread = None

    def open(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._thread.start()
        return self

    def close(self):
        """Refuse new connections and cut the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept_loop(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            # The timeout was for connecting. Left on the socket, it cut every
            # connection idle for 5 s, which PostgreSQL itself never does.
            upstream.settimeout(None)
            with self._lock:
                self._connections.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, target):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class DemoSite:
    """The demo site's database and files, prepared like `make demo` does."""

    def __init__(self, database_url=None, redis_url=None, extra_env=None, root=None):
        # ``root``: another checkout of the project (the benchmark's A/B runs).
        self.root = Path(root) if root else ROOT
        self.var_dir = Path(tempfile.mkdtemp(prefix="buergerchat-site-"))
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "demo_site.settings",
            "BUERGERCHAT_VAR_DIR": str(self.var_dir),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONPATH": str(self.root),
            "BUERGERCHAT_LOG_LEVEL": "WARNING",
            # As in production: no SQL debug cursor, no debug pages.
            "DJANGO_DEBUG": "0",
        }
        for key in ("DATABASE_URL", "REDIS_URL"):
            self.env.pop(key, None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.env.update(extra_env or {})
        self.log_path = self.var_dir / "site.log"

    def manage(self, *args, env=None):
        with open(self.log_path, "ab") as log:
            subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=self.root,
                env={**self.env, **(env or {})},
                check=True,
                stdout=log,
                stderr=log,
            )

    def prepare(self):
        self.manage("migrate", "--noinput", "-v0")
        self.manage("load_demo")
        self.manage("collectstatic", "--noinput", "-v0")
        return self

    def worker(self, port=None, env=None, daphne_args=None):
        return AsgiWorker(self, port=port, env=env, daphne_args=daphne_args)

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cleanup(self):
        shutil.rmtree(self.var_dir, ignore_errors=True)


class AsgiWorker:
    """One daphne process of the demo site, started like production does: through
    ``buergerchat_daphne`` (realtime/daphne_guard.py, daphne with the body limits)."""

    def __init__(self, site, port=None, env=None, daphne_args=None):
        self.site = site
        self.daphne_args = list(daphne_args) if daphne_args is not None else ["-v", "0"]
        self.port = port or free_port()
        self.env = {**site.env, **(env or {})}
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        log = open(self.site.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "buergerchat_wagtail.realtime.daphne_guard", *self.daphne_args, "-b", "127.0.0.1", "-p", str(self.port),
             "demo_site.asgi:application"],
            cwd=self.site.root,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()
        wait_for_port(self.port, self.process)
        return self

    def kill(self):
        """SIGKILL: no graceful shutdown, open sockets just die."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self):
        self.kill()
        return self.start()

    def rss_bytes(self):
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")
