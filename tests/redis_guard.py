"""Foreign clients on a test Redis database: found before the session uses it, named so they can be killed.

A Celery worker left running by an interrupted earlier run stays connected to the database it was
given and keeps consuming its queues: a later session's worker tests then lose their tasks to it
and fail far from the cause. ``CLIENT LIST`` gives each connection's selected database (``db=``)
and its address; on Linux, for a server on this machine, the address leads to the process that
holds the socket (``/proc/net/tcp*``, then ``/proc/<pid>/fd``), so the message can say which pid
to kill. Elsewhere (another host, another network namespace, no /proc) only the address is known.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import redis

__all__ = ["ForeignClient", "describe", "foreign_clients", "socket_owner"]

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class ForeignClient:
    """A connection to the checked database that is not the checker's own.

    Attributes:
        id: the server's client id (``CLIENT KILL ID <id>`` closes it, but its process reconnects).
        addr: the client's ``ip:port`` as the server sees it. name: ``CLIENT SETNAME`` (often empty).
        cmd: the last command it ran (``brpop``, ``subscribe``...). age_s: seconds connected.
        pid: the local process holding the connection, None when it cannot be found.
        command_line: that process's command line (None with no pid).
    """

    id: int
    addr: str
    name: str
    cmd: str
    age_s: int
    pid: int | None
    command_line: str | None


def foreign_clients(client: redis.Redis, db: int) -> list[ForeignClient]:
    """The connections of ``client``'s server whose selected database is ``db``, except ``client``'s own.

    Args:
        client: a connection to the server (any database); it runs ``CLIENT ID`` and ``CLIENT LIST``.
        db: the database number to check.

    Raises:
        redis.RedisError: the server is unreachable or refuses ``CLIENT LIST`` (ACL, renamed command).
    """
    own = client.client_id()
    server_port = int(client.connection_pool.connection_kwargs.get("port") or 6379)
    found = []
    for entry in client.client_list():
        if entry.get("db") != str(db) or entry.get("id") == str(own):
            continue
        addr = entry.get("addr", "")
        port = addr.rsplit(":", 1)[-1]
        pid = socket_owner(int(port), server_port) if port.isdigit() else None
        found.append(
            ForeignClient(
                id=int(entry.get("id", 0)),
                addr=addr,
                name=entry.get("name", ""),
                cmd=entry.get("cmd", ""),
                age_s=int(entry.get("age", 0)),
                pid=pid,
                command_line=_command_line(pid) if pid is not None else None,
            )
        )
    return found


def socket_owner(local_port: int, remote_port: int, proc: Path = _PROC) -> int | None:
    """The pid of the local process holding the TCP connection ``local_port -> remote_port``.

    Reads ``/proc/net/tcp`` and ``tcp6`` for the socket's inode, then the processes' open file
    descriptors (``socket:[<inode>]``). None when there is no such socket here, or its owner's
    descriptors cannot be read (another user's process without privileges).
    """
    inode = _socket_inode(local_port, remote_port, proc)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                return int(entry.name)
        except OSError:  # the process ended meanwhile, or its descriptors are not ours to read
            continue
    return None


def _socket_inode(local_port: int, remote_port: int, proc: Path) -> str | None:
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10:
                continue
            local, remote, inode = fields[1], fields[2], fields[9]
            if _port(local) == local_port and _port(remote) == remote_port and inode != "0":
                return inode
    return None


def _port(address: str) -> int | None:
    """The port of a ``/proc/net/tcp`` address (``0100007F:1F90``: hex IP, hex port)."""
    _, _, port = address.rpartition(":")
    try:
        return int(port, 16)
    except ValueError:
        return None


def _command_line(pid: int) -> str | None:
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()[:300] or None


def describe(clients: list[ForeignClient], url: str) -> str:
    """A failure message naming each foreign client and how to stop it."""
    lines = [
        f"{len(clients)} other client(s) are attached to the test Redis database {url}; a Celery worker left "
        "by an interrupted run (or another test session on the same database) would take this session's "
        "tasks and flush its keys:"
    ]
    pids = []
    for c in clients:
        who = f"pid {c.pid}: {c.command_line or '?'}" if c.pid is not None else "process not found on this host"
        lines.append(f"  - client id {c.id} at {c.addr} (last command {c.cmd or '?'}, connected {c.age_s} s): {who}")
        if c.pid is not None:
            pids.append(str(c.pid))
    if pids:
        lines.append(f"Stop them with `kill {' '.join(sorted(set(pids), key=int))}` and run the tests again.")
    else:
        lines.append(
            "Find their processes where those addresses are local (`ss -tnp | grep <port>`) and stop them, "
            "or point TRACKER_TEST_REDIS_URL at a Redis server of your own."
        )
    return "\n".join(lines)
