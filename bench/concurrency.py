"""Many users at once (EVAL.md §4): how many realtime conversations one `os1 serve` holds, and what the OS
itself adds to a turn.

The server runs as its own process (`os1 serve` on loopback, a temporary OS1_HOME, the scripted model
streaming a ten-word reply at once, so the figures are the OS's overhead, not a model's). For each N a
fresh server starts and a separate client process (this file with --client) opens N authenticated
WebSockets; once all are held the server's RSS is read (idle connections), then the first
``--active`` conversations each send ``--messages`` messages ``--interval`` seconds apart (random start).
Two overheads per turn: the server's own (EVAL.md §4: its receipt of the message to its first reply delta,
which `os1 serve --stats` writes out as it stops), reported as ``overhead_ms_*``; and the client's, send ->
first reply delta received (``client_overhead_ms_*``), which adds the time in the sockets and in the
client's own event loop.

Accounts: real ones with per-user API keys, written straight through the store before the server starts
(bench-only fast path: argon2id registration would take ~50 ms each). Their password hash is a marker
no password matches, so they can only use their key; authentication is the server's usual key lookup.

    .venv/bin/python bench/concurrency.py                  # N = 100, 1000, 10000 (about 5 minutes)
    .venv/bin/python bench/concurrency.py --sizes 100      # a quick look

OS limits: each connection is one file in each process; this raises both processes' soft open-files limit
to the hard one (`ulimit -Hn` must be above N + ~100, here 20000), and the server's accept backlog is
8192 (it is capped by net.core.somaxconn, 4096 on recent kernels; the client connects 200 at a time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import LoadSampler, command_line, percentile

ROOT = Path(__file__).resolve().parent.parent
REPLY = "Thanks for telling me, that sounds like a really good day."  # ten words: ten deltas
UNUSABLE_PASSWORD_HASH = "!bench-account: no password matches this"
CONNECT_AT_ONCE = 200  # handshakes in flight: keeps the accept queue short on a small machine


def raise_open_files_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def server_env(home: Path) -> dict[str, str]:
    """Settings of the server under test: the scripted model, keyword-only memory, no thinking pause."""
    return {**os.environ, "OS1_HOME": str(home), "OS1_LLM_BACKEND": "scripted", "OS1_MEMORY_EMBEDDER": "none",
            "OS1_REFLECT_PAUSE_S": "0", "OS1_SCRIPTED_DELAY": "0", "OS1_SCRIPTED_REPLIES": json.dumps([REPLY])}


async def create_accounts(home: Path, count: int) -> list[str]:
    """``count`` accounts with an API key each (the bench-only fast path described above)."""
    os.environ["OS1_HOME"] = str(home)
    from os1.config import Settings
    from os1.core.accounts import TokenKind
    from os1.server.auth import new_secret, token_hash
    from os1.storage.sqlite import open_store

    store = open_store(Settings().db_path)
    keys = []
    try:
        for i in range(count):
            account = await store.accounts.create(f"bench{i:05d}", UNUSABLE_PASSWORD_HASH)
            secret = new_secret(TokenKind.API_KEY)
            await store.accounts.add_token(account.user_id, token_hash(secret), TokenKind.API_KEY, "bench")
            keys.append(secret)
    finally:
        await store.close()
    return keys


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int, stats: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([str(ROOT / ".venv/bin/os1"), "serve", "--port", str(port), "--stats", str(stats)],
                              env=server_env(home),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"os1 serve exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("os1 serve did not start within 60 s")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_size(n: int, keys: list[str], home: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    stats = home_file(args, f"server-stats-{n}.json")
    server = start_server(home, port, stats)
    try:
        result = measure(n, keys[:n], server, port, args)
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
    # The server's own figure (EVAL.md §4: its receipt of a message to its first reply delta), written as it stops.
    server_ms = json.loads(stats.read_text())["turn_overhead_ms"] if stats.exists() else []
    return {**server_overhead(server_ms), **result}


def server_overhead(ms: list[float]) -> dict[str, Any]:
    return {"overhead_ms_p50": round(percentile(ms, 50), 1) if ms else None,
            "overhead_ms_p99": round(percentile(ms, 99), 1) if ms else None, "server_timed_turns": len(ms)}


def measure(n: int, keys: list[str], server: subprocess.Popen[bytes], port: int,
            args: argparse.Namespace) -> dict[str, Any]:
    keys_file = home_file(args, f"keys-{n}.json")
    keys_file.write_text(json.dumps(keys))
    time.sleep(1.0)  # the server finished importing: its baseline is the app at rest
    base_rss = rss_kb(server.pid)
    client = subprocess.Popen([sys.executable, __file__, "--client", "--port", str(port), "--keys", str(keys_file),
                               "--active", str(args.active), "--messages", str(args.messages),
                               "--interval", str(args.interval)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert client.stdin is not None and client.stdout is not None
    held_line = json.loads(client.stdout.readline() or "{}")
    held_rss = rss_kb(server.pid)
    cpu_before, wall_before, client_cpu_before = cpu_s(server.pid), time.monotonic(), cpu_s(client.pid)
    client.stdin.write("go\n")
    client.stdin.flush()
    final = json.loads(client.stdout.readline() or "{}")
    cpu_used, wall = cpu_s(server.pid) - cpu_before, time.monotonic() - wall_before
    final["client_cpu_s"] = cpu_s(client.pid) - client_cpu_before  # the client's own load on the same cores
    client.wait(timeout=120)
    return summarize(n, held_line, final, base_rss, held_rss, cpu_used, wall, rss_kb(server.pid))


def home_file(args: argparse.Namespace, name: str) -> Path:
    return Path(args.home) / name


def summarize(n: int, held: dict[str, Any], final: dict[str, Any], base_rss: int, held_rss: int,
              cpu_used: float, wall: float, end_rss: int) -> dict[str, Any]:
    by_message = final.get("latencies_ms", [])
    latencies = [ms for turns in by_message for ms in turns]
    connected = int(held.get("connected", 0))
    return {
        "n": n, "held": int(final.get("held", 0)), "errors": int(held.get("errors", 0)) + int(final.get("errors", 0)),
        # Seen by the client: send -> first delta received, so also the time the message waited in the
        # sockets and the client's own event loop; stricter than the server's figure.
        "client_overhead_ms_p50": round(percentile(latencies, 50), 1),
        "client_overhead_ms_p99": round(percentile(latencies, 99), 1),
        "rss_kb_per_conn": round((held_rss - base_rss) / connected, 1) if connected else None,
        "active": final.get("active"), "turns": len(latencies), "connect_s": held.get("connect_s"),
        "server_rss_mb_base": round(base_rss / 1024, 1), "server_rss_mb_held": round(held_rss / 1024, 1),
        "server_rss_mb_after_turns": round(end_rss / 1024, 1),
        "server_cpu_pct_active_phase": round(100 * cpu_used / wall, 1) if wall else None,
        "client_cpu_pct_active_phase": round(100 * final.get("client_cpu_s", 0) / wall, 1) if wall else None,
        "active_phase_s": round(wall, 1),
        # A conversation's first message also opens its Session (profile, persona, hooks): shown apart.
        "client_overhead_ms_p50_p99_by_message": [[round(percentile(turns, 50), 1), round(percentile(turns, 99), 1)]
                                           for turns in by_message],
    }


# --- the client process -------------------------------------------------------------------------------


async def open_one(port: int, key: str, gate: asyncio.Semaphore) -> Any:
    from websockets.asyncio.client import connect

    async with gate:
        ws = await connect(f"ws://127.0.0.1:{port}/v1/realtime", additional_headers={"Authorization": f"Bearer {key}"},
                           ping_interval=None, open_timeout=60, max_size=2**20)
        first = json.loads(await ws.recv())
        if first.get("type") != "session.created":
            await ws.close()
            raise RuntimeError(f"expected session.created, got {first}")
        return ws


async def talk(ws: Any, messages: int, interval: float, latencies: list[list[float]]) -> int:
    """Send ``messages`` messages ``interval`` apart; the time to each first delta goes in
    ``latencies[i]`` (i: the message's number). Returns the number of failed turns."""
    errors = 0
    await asyncio.sleep(random.uniform(0, interval))
    for i in range(messages):
        started = time.monotonic()
        await ws.send(json.dumps({"type": "input_text", "text": f"Today was good, message {i}."}))
        first, status = None, None
        while status is None:
            event = json.loads(await ws.recv())
            if event["type"] == "response.output_text.delta" and first is None:
                first = time.monotonic()
            elif event["type"] in ("response.done", "error"):
                status = event.get("response", {}).get("status", "error")
        if first is None or status != "completed":
            errors += 1
        else:
            latencies[i].append((first - started) * 1000)
        await asyncio.sleep(max(0.0, started + interval - time.monotonic()))
    return errors


async def client_main(args: argparse.Namespace) -> None:
    raise_open_files_limit()
    keys = json.loads(Path(args.keys).read_text())
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    started = time.monotonic()
    opened = await asyncio.gather(*(open_one(args.port, k, gate) for k in keys), return_exceptions=True)
    sockets = [ws for ws in opened if not isinstance(ws, BaseException)]
    report({"connected": len(sockets), "errors": len(opened) - len(sockets),
            "connect_s": round(time.monotonic() - started, 1),
            "first_error": next((repr(e) for e in opened if isinstance(e, BaseException)), None)})
    await asyncio.to_thread(sys.stdin.readline)  # the parent has read the server's memory
    latencies: list[list[float]] = [[] for _ in range(args.messages)]
    active = sockets[: args.active]
    budget = args.interval * (args.messages + 1) + 60  # bounded: a stuck turn cannot hold the bench
    results = await asyncio.wait_for(
        asyncio.gather(*(talk(ws, args.messages, args.interval, latencies) for ws in active),
                       return_exceptions=True), budget)
    errors = sum(r if isinstance(r, int) else 1 for r in results)
    held = sum(1 for ws in sockets if ws.state.name == "OPEN")
    report({"held": held, "errors": errors, "active": len(active), "latencies_ms": latencies})
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


def report(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


# --- the parent ---------------------------------------------------------------------------------------


def parent_main(args: argparse.Namespace) -> None:
    raise_open_files_limit()
    with tempfile.TemporaryDirectory(prefix="os1-concurrency-") as home:
        args.home = home
        started = time.monotonic()
        keys = asyncio.run(create_accounts(Path(home), max(args.sizes)))
        print(f"{len(keys)} accounts in {time.monotonic() - started:.1f} s", file=sys.stderr)
        results = []
        with LoadSampler() as load:
            for n in args.sizes:
                results.append(run_size(n, keys, Path(home), args))
                print(json.dumps(results[-1]), file=sys.stderr)
    out = {"command": command_line(), "machine": load.machine(threads=0),
           "settings": {"active": args.active, "messages": args.messages, "interval_s": args.interval,
                        "reply_words": len(REPLY.split()), "llm": "scripted, no delay",
                        "memory_embedder": "none"},
           "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({"results": [{k: r[k] for k in ("n", "held", "errors", "overhead_ms_p50", "overhead_ms_p99",
                                                     "client_overhead_ms_p50", "client_overhead_ms_p99",
                                                     "rss_kb_per_conn")} for r in results]}))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--active", type=int, default=1000, help="conversations that send messages")
    parser.add_argument("--messages", type=int, default=3, help="messages each active conversation sends")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between one conversation's messages")
    parser.add_argument("--out", default=str(ROOT / "bench/results/concurrency.json"))
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--keys", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.client:
        asyncio.run(client_main(arguments))
    else:
        parent_main(arguments)
