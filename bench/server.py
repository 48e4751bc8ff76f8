"""The production web server for benchmarks: gunicorn with `gunicorn.conf.py`, DEBUG off, on a
free loopback port, serving a benchmark database, until the block ends.

Every benchmark that measures pages or APIs over HTTP starts its server here, so they all
measure the same thing: 2 sync workers, production settings, no access log.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WORKERS = 2
DESCRIPTION = f"gunicorn, {WORKERS} sync workers, DEBUG off"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    port: int
    pid: int

    def worker_cpu(self) -> dict[int, float]:
        """Each worker's CPU seconds so far, by process id (empty where /proc is not)."""
        tick = os.sysconf("SC_CLK_TCK")
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
            found = {}
            for child in children:
                # After the command's closing parenthesis: utime and stime are fields 12 and 13.
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                found[int(child)] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            return {}
        return found


@contextmanager
def production_server(
    database_url: str,
    *,
    secret_key: str | None = None,
    settings_module: str = "interchange.settings",
    environment: Mapping[str, str | None] | None = None,
) -> Iterator[Server]:
    """gunicorn serving the database at `database_url`. `secret_key` (random by default) is
    the server's, for benchmarks that sign sessions it must accept; `environment` adds to or,
    with None, removes from the server's environment (REDIS_URL, say)."""
    port = free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DEBUG": "0",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "BEHIND_TLS_PROXY": "1",
        "LOG_LEVEL": "WARNING",
        # No page measured draws static files, so none need collecting first.
        "STATIC_MANIFEST": "0",
        "WEB_CONCURRENCY": str(WORKERS),
        "PORT": str(port),
    }
    for name, value in (environment or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    command = [gunicorn, "-c", "gunicorn.conf.py", "--bind", f"{HOST}:{port}"]
    command += ["--access-logfile", os.devnull]
    with tempfile.TemporaryDirectory(prefix="bench-server-") as folder:
        log_path = Path(folder) / "gunicorn.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                _wait_ready(port, process, log_path)
                yield Server(port=port, pid=process.pid)
            except BaseException:
                print(_tail(log_path), file=sys.stderr)
                raise
            finally:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_ready(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{_tail(log_path)}")
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
