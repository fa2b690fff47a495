"""Processes of the scale-out benchmarks (issue 18): each script starts its own PostgreSQL
clusters, Redis, daphnes, nginx and Celery workers on loopback ports under a temporary
directory, and stops every one of them (by the id it started) when it ends.

Nothing here touches the shared PostgreSQL (5432) or Redis (6379) of the machine.

A migrated, empty cluster is kept as a template in ``/tmp/ispec-scale-pgtemplate-<hash of the
migration files>`` (migrating takes a minute or two; each script copies the template);
``--fresh`` in the scripts removes it first.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "bin"
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
HERE = Path(__file__).resolve().parent


def raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (KiB), from /proc."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU time of a process so far (with its live children: nginx's workers)."""
    pids = [pid]
    if children:
        with contextlib.suppress(OSError):
            pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Stack:
    """The processes of one script; ``with Stack("name") as stack:`` stops them all at the end."""

    def __init__(self, name: str, keep: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"ispec-scale-{name}-"))
        os.chmod(self.root, 0o755)  # the postgres user reaches its data directory below it
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stop_signals: dict[int, int] = {}
        self.cleanups: list[Any] = []
        self.keep = keep

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()
        if exc[0] is not None or self.keep:
            print(f"logs kept in {self.root}", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def spawn(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str] | None = None,
        user: str | None = None,
        cwd: Path | None = None,
        stop_signal: int | None = None,
    ) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115  (closed with the process)
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd or ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
            user=user,
        )
        self.procs.append((name, proc))
        if stop_signal is not None:
            self.stop_signals[proc.pid] = stop_signal
        return proc

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            self.stop(proc, self.stop_signals.get(proc.pid, signal.SIGTERM))
        for cleanup in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                cleanup()

    # --- Redis -------------------------------------------------------------------------------

    def redis(self, port: int) -> subprocess.Popen[bytes]:
        """A Redis of our own with an append-only file fsynced every write: a broker that
        comes back with the messages it had (a restart loses none)."""
        data = self.root / f"redis-{port}"
        data.mkdir(exist_ok=True)
        proc = self.spawn(
            f"redis-{port}",
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--maxclients",
                "20000",
            ],
        )
        wait_port(port)
        return proc

    # --- PostgreSQL --------------------------------------------------------------------------

    def postgres(
        self, port: int, *, template: Path | None = None, replica_of: int | None = None, name: str = "pg"
    ) -> str:
        """Start a cluster on ``port``: a copy of ``template``, or a streaming replica of the
        cluster on ``replica_of`` (``pg_basebackup -R``). Returns its database URL."""
        data = self.root / f"{name}-{port}"
        if replica_of is not None:
            _postgres_dir(data)
            subprocess.run(
                [
                    str(PG_BIN / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(replica_of),
                    "-U",
                    "postgres",
                    "-D",
                    str(data),
                    "-R",
                    "-X",
                    "stream",
                    "-c",
                    "fast",
                ],
                check=True,
                user="postgres",
            )
        else:
            assert template is not None
            subprocess.run(["cp", "-a", str(template), str(data)], check=True)
        proc = self.spawn(
            f"{name}-{port}",
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-k",
                str(data),
                "-c",
                "listen_addresses=127.0.0.1",
            ],
            user="postgres",
            stop_signal=signal.SIGINT,  # fast shutdown: do not wait for clients to leave
        )
        self.cleanups.append(lambda: proc.wait(30))
        wait_port(port)
        for _ in range(100):
            ok = subprocess.run(
                [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
            )
            if ok.returncode == 0:
                break
            time.sleep(0.2)
        return f"postgis://postgres@127.0.0.1:{port}/ispec"


def _postgres_dir(path: Path) -> None:
    path.mkdir(mode=0o700)
    shutil.chown(path, "postgres", "postgres")


def migrations_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


PG_CONF = """
listen_addresses = '127.0.0.1'
max_connections = 300
shared_buffers = 256MB
wal_level = replica
max_wal_senders = 5
hot_standby = on
synchronous_commit = on
fsync = on
"""


def pg_template(fresh: bool = False) -> Path:
    """A stopped cluster holding the migrated, empty portal database ``ispec`` (made once)."""
    template = Path(f"/tmp/ispec-scale-pgtemplate-{migrations_hash()}")
    if fresh and template.exists():
        shutil.rmtree(template)
    if template.exists():
        return template
    work = Path(tempfile.mkdtemp(prefix="ispec-scale-pgtemplate-build-"))
    os.chmod(work, 0o755)
    data = work / "data"
    _postgres_dir(data)
    subprocess.run(
        [
            str(PG_BIN / "initdb"),
            "-D",
            str(data),
            "--auth=trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        user="postgres",
        capture_output=True,
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(PG_CONF)
    port = free_port()
    print(f"building the database template (migrate) in {template} ...", flush=True)
    proc = subprocess.Popen(
        [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-k", str(data)],
        user="postgres",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_port(port)
        time.sleep(1)
        subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-q",
                "-c",
                "CREATE DATABASE ispec",
            ],
            check=True,
        )
        subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                "ispec",
                "-q",
                "-c",
                "CREATE EXTENSION postgis",
            ],
            check=True,
        )
        env = portal_env(f"postgis://postgres@127.0.0.1:{port}/ispec", redis_port=6399)
        subprocess.run([str(VENV / "python"), "manage.py", "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    finally:
        proc.terminate()
        proc.wait(60)
    data.rename(template)
    shutil.rmtree(work, ignore_errors=True)
    return template


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def portal_env(
    database_url: str, *, redis_port: int, media: Path | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a portal process of the benchmark: the production profile
    (``bench/scale/scale_settings.py``), our own database and Redis, nothing from ``.env``."""
    redis = f"redis://127.0.0.1:{redis_port}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{HERE}:{ROOT}",
        "PORTAL_READ_DOTENV": "0",
        "DJANGO_SETTINGS_MODULE": "scale_settings",
        "DJANGO_SECRET_KEY": "bench-scale-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "CACHE_URL": f"{redis}/3",
        "CHANNELS_REDIS_URL": f"{redis}/2",
        "CELERY_BROKER_URL": f"{redis}/1",
        "LOG_LEVEL": "WARNING",
        "PORTAL_MEDIA_ROOT": str(media or Path(tempfile.gettempdir()) / "ispec-scale-media"),
    }
    env.update(extra)
    return env


NGINX_CONF = """
worker_processes 2;
worker_rlimit_nofile 20000;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 12000; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path {root}/nginx-tmp/body;
    proxy_temp_path {root}/nginx-tmp/proxy;
    fastcgi_temp_path {root}/nginx-tmp/fastcgi;
    uwsgi_temp_path {root}/nginx-tmp/uwsgi;
    scgi_temp_path {root}/nginx-tmp/scgi;
    client_max_body_size 300m;

    upstream portal {{
{servers}
        keepalive 64;
    }}
    # a websocket handshake asks for the upgrade; other requests keep the upstream connection
    map $http_upgrade $connection_upgrade {{ default upgrade; "" ""; }}

    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {root}/tls.crt;
        ssl_certificate_key {root}/tls.key;
        # which daphne answered (the benchmark checks that both did)
        add_header X-Upstream $upstream_addr always;

        location /static/ {{
            alias {static_root}/;
            expires 1h;
        }}
        location /_protected/ {{
            internal;                  # only through X-Accel-Redirect from Django
            alias {media_root}/;
            add_header X-Content-Type-Options nosniff always;
            add_header X-Upstream $upstream_addr always;
        }}
        location / {{
            proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 3600s;
            proxy_buffering off;       # FDSN answers stream
        }}
    }}
}}
"""


def nginx(
    stack: Stack,
    *,
    http_port: int,
    https_port: int,
    upstreams: list[int],
    static_root: Path,
    media_root: Path,
) -> subprocess.Popen[bytes]:
    """Debian's nginx on our ports with a generated configuration, in the foreground."""
    root = stack.root
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(root / "tls.key"),
            "-out",
            str(root / "tls.crt"),
        ],
        check=True,
        capture_output=True,
    )
    servers = "\n".join(f"        server 127.0.0.1:{port};" for port in upstreams)
    conf = root / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            root=root,
            servers=servers,
            http_port=http_port,
            https_port=https_port,
            static_root=static_root,
            media_root=media_root,
        )
    )
    subprocess.run(["nginx", "-t", "-q", "-c", str(conf), "-g", "daemon off;"], check=True)
    proc = stack.spawn("nginx", ["nginx", "-c", str(conf), "-g", "daemon off;"])
    wait_port(http_port)
    return proc


def daphne(stack: Stack, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = stack.spawn(
        f"daphne-{port}",
        [
            str(VENV / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "--proxy-headers",
            "portal.asgi:application",
        ],
        env=env,
    )
    wait_port(port, timeout=90)
    return proc


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(VENV / "python"), "manage.py", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def seed(env: dict[str, str], *args: str) -> dict[str, Any]:
    import json

    done = subprocess.run(
        [str(VENV / "python"), str(HERE / "seed.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def start_portal(
    stack: Stack,
    *,
    daphnes: int = 2,
    fresh: bool = False,
    redis_port: int = 6391,
    seed_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Our PostgreSQL (a copy of the template), Redis, ``daphnes`` daphne processes and nginx
    in front of them (HTTP and HTTPS ports). Returns the ports, the environment and the seed."""
    template = pg_template(fresh)
    pg_port = free_port()
    db_url = stack.postgres(pg_port, template=template, name="primary")
    stack.redis(redis_port)
    media = stack.root / "media"
    media.mkdir()
    static = stack.root / "static"
    env = portal_env(
        db_url,
        redis_port=redis_port,
        media=media,
        PORTAL_STATIC_ROOT=str(static),
        PORTAL_FILES_ACCEL_REDIRECT="/_protected/",
        **(extra_env or {}),
    )
    manage(env, "collectstatic", "--noinput", "-v0")
    seeded = seed(env, *seed_args)
    ports = [free_port() for _ in range(daphnes)]
    procs = [daphne(stack, port, env) for port in ports]
    http_port, https_port = free_port(), free_port()
    proxy = nginx(
        stack,
        http_port=http_port,
        https_port=https_port,
        upstreams=ports,
        static_root=static,
        media_root=media,
    )
    return {
        "env": env,
        "db_url": db_url,
        "pg_port": pg_port,
        "redis_port": redis_port,
        "media": media,
        "static": static,
        "daphne_ports": ports,
        "daphnes": procs,
        "nginx": proxy,
        "http": http_port,
        "https": https_port,
        "seed": seeded,
    }
