"""The event rows of issue 9, over real websockets against the app in production mode.

`python -m benchmarks --websocket` (or `make bench WEBSOCKET=1`) serves the app with
`reflex run --env prod` on 127.0.0.1 against a copy of a generated firm (medium by default),
gives every socket its own signed-in session (a server-side session row, as a sign-in makes
one; the bcrypt check of 200 sign-ins is not what is measured), and runs the load from a
separate client process (`python -m benchmarks.websocket SPEC OUT`) that only ever connects
to 127.0.0.1 and stops by itself:

1. one socket: a checklist tick on the bookkeeper's task page, interleaved with the
   cheapest allowed guarded event (SessionState.enter_page: the boundary re-reads the
   session, the handler touches no database), p50 / p99 of each round trip;
2. 20 sockets in a closed loop (each sends its next event as soon as the last one is
   answered) for the do-nothing event, for ticks, and for My Tasks filter / sort / page:
   events per second, and each as a share of the do-nothing rate of the same run;
3. N sockets (default 200), each sending one event a second (half My Tasks reads, half
   ticks) for a set time (default 60 s): achieved rate, p50 / p99 latency from the moment
   each event was due, errors (refusals, error messages, unanswered events, dropped sockets).

Meanwhile the parent samples the server's processes from /proc: CPU (cores busy) during each
phase, resident memory per connected socket, and Reflex's state files on disk.

A round trip ends when the answer's state update arrives. How many update frames each kind
of event produces is calibrated first (a handler whose state does not change sends none).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Any

NAMESPACE = "/_event"
ROOT = "reflex___state____state"
SESSION = f"{ROOT}.state___session____session_state"
HYDRATE = f"{ROOT}.hydrate_and_load"
TASKS = f"{SESSION}.state___tasks____tasks_state"
TASK = f"{SESSION}.state___task____task_state"
NOTHING = f"{SESSION}.enter_page"
TICK = f"{TASK}.tick"
# My Tasks reads, in turn: each changes what the list shows, then puts it back.
READS = (
    (f"{TASKS}.sort_by", {"value": "client"}),
    (f"{TASKS}.sort_by", {"value": "due"}),
    (f"{TASKS}.filter_status", {"value": "in_progress"}),
    (f"{TASKS}.filter_status", {"value": ""}),
    (f"{TASKS}.next_page", {}),
    (f"{TASKS}.previous_page", {}),
)
CLOSED_SOCKETS = 20


# --- the client process ------------------------------------------------------------------


class Sock:
    """One browser tab's event socket (Engine.IO 4 + Socket.IO 5), lean enough that one
    client process can drive hundreds of them."""

    def __init__(self, base_url: str, cookie: str, path: str, query: dict | None = None):
        self.base_url, self.cookie, self.path = base_url, cookie, path
        self.query = {k: str(v) for k, v in (query or {}).items()}
        self.token = str(uuid.uuid4())
        self.frames: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        self.closed = False
        self._ws = None
        self._reader: asyncio.Task | None = None

    def message(self, name: str, payload: dict) -> str:
        router = {"pathname": self.path.split("?")[0], "asPath": self.path}
        if self.query:
            router["query"] = self.query
        event = {"name": name, "payload": payload, "router_data": router}
        return f"42{NAMESPACE}," + json.dumps(["event", event])

    async def connect(self) -> None:
        import websockets

        ws_url = self.base_url.replace("http", "ws", 1)
        self._ws = await websockets.connect(
            f"{ws_url}/_event/?EIO=4&transport=websocket&token={self.token}",
            additional_headers={"Origin": self.base_url, "Cookie": self.cookie},
            max_size=None,
            open_timeout=60,
            ping_interval=None,
        )
        opening = await asyncio.wait_for(self._ws.recv(), 30)
        if not opening.startswith("0"):
            raise RuntimeError(f"unexpected engine.io opening: {opening!r}")
        hydrate = json.loads(self.message(HYDRATE, {})[len(f"42{NAMESPACE},") :])[1]
        await self._ws.send(f"40{NAMESPACE},{json.dumps({'event': hydrate})}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        import websockets

        prefix = f'42{NAMESPACE},["event"'
        try:
            async for frame in self._ws:
                if frame == "2":
                    await self._ws.send("3")
                elif frame.startswith(prefix):
                    self.frames.put_nowait((time.perf_counter_ns(), frame))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed = True
            self.frames.put_nowait((time.perf_counter_ns(), ""))

    async def send(self, name: str, payload: dict) -> None:
        await self._ws.send(self.message(name, payload))

    async def quiet(self, quiet: float = 0.3, timeout: float = 60.0) -> list[str]:
        """Every frame until the server has said nothing for `quiet` seconds."""
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                _, frame = await asyncio.wait_for(self.frames.get(), quiet)
            except TimeoutError:
                return got
            if not frame:
                raise ConnectionError("the socket closed")
            got.append(frame)
        return got

    async def answer(self, frames: int, timeout: float = 30.0) -> tuple[int, list[str]]:
        """The next `frames` update frames: (arrival of the last, the frames)."""
        got: list[str] = []
        arrived = 0
        for _ in range(frames):
            arrived, frame = await asyncio.wait_for(self.frames.get(), timeout)
            if not frame:
                raise ConnectionError("the socket closed")
            got.append(frame)
        return arrived, got

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


def failed(frames: list[str]) -> bool:
    """An answer that is a refusal, an error message, a "slow down" or a redirect (to the
    sign-in page) rather than the page's update."""
    for frame in frames:
        lowered = frame.lower()
        if "toast" in lowered and any(
            words in lowered for words in ("went wrong", "isn't available", "slow down")
        ):
            return True
        if "_redirect" in frame:
            return True
        if "error_rx_state_" in frame:
            body = json.loads(frame[len(f"42{NAMESPACE},") :])[1]
            for values in (body.get("delta") or {}).values():
                if values.get("error_rx_state_"):
                    return True
    return False


async def open_page(sock: Sock, loads: list[tuple[str, dict]]) -> None:
    await sock.connect()
    await sock.quiet()
    for name, payload in loads:
        await sock.send(name, payload)
    await sock.quiet()


def task_socket(spec: dict, seat: dict) -> Sock:
    path = f"/tasks/{seat['step_id']}"
    return Sock(spec["base_url"], seat["cookie"], path, {"step_id": seat["step_id"]})


def tasks_socket(spec: dict, seat: dict) -> Sock:
    return Sock(spec["base_url"], seat["cookie"], "/tasks")


TASK_LOADS = [(NOTHING, {}), (f"{TASK}.load", {})]
TASKS_LOADS = [(NOTHING, {}), (f"{TASKS}.load", {})]


async def connect_all(socks: list[Sock], loads: list[tuple[str, dict]], width: int = 10):
    gate = asyncio.Semaphore(width)

    async def one(sock: Sock):
        async with gate:
            await open_page(sock, loads)

    await asyncio.gather(*(one(s) for s in socks))


async def calibrate(sock: Sock, events: list[tuple[str, dict]]) -> int:
    """How many update frames such an event brings back (the most common count)."""
    counts = []
    for name, payload in events:
        await sock.send(name, payload)
        counts.append(len(await sock.quiet(0.4)))
    count = statistics.mode(counts)
    if count < 1:
        raise RuntimeError(f"{events[0][0]} brings no update, so its round trip cannot be timed")
    return count


def summary(samples_ns: list[int]) -> dict:
    values = sorted(v / 1e6 for v in samples_ns)
    if not values:
        return {"n": 0}

    def pct(q: float) -> float:
        return values[min(len(values) - 1, max(0, int(q * len(values) + 0.999999) - 1))]

    return {
        "n": len(values),
        "p50_ms": round(pct(0.5), 3),
        "p99_ms": round(pct(0.99), 3),
        "max_ms": round(values[-1], 3),
    }


class Timeline:
    def __init__(self):
        self.phases: list[dict] = []

    def start(self, name: str) -> None:
        self.phases.append({"phase": name, "start": time.time(), "cpu": time.process_time()})

    def end(self) -> None:
        phase = self.phases[-1]
        phase["end"] = time.time()
        # How busy the client itself was: a load generator at its limit measures itself.
        phase["client_cores_busy"] = round(
            (time.process_time() - phase.pop("cpu")) / max(phase["end"] - phase["start"], 1e-9),
            2,
        )


async def phase_one(spec: dict, timeline: Timeline, out: dict) -> None:
    seat = spec["seats"][0]
    sock = task_socket(spec, seat)
    await open_page(sock, TASK_LOADS)
    item = seat["item_id"]
    tick_frames = await calibrate(sock, [(TICK, {"item_id": item, "done": d}) for d in (1, 0) * 3])
    nothing_frames = await calibrate(sock, [(NOTHING, {})] * 5)
    out["frames"] = {"tick": tick_frames, "nothing": nothing_frames}
    timeline.start("one socket")
    ticks, nothings = [], []
    done = False
    n = spec["single_iterations"]
    for i in range(n + 20):
        done = not done
        for samples, name, payload, frames in (
            (ticks, TICK, {"item_id": item, "done": done}, tick_frames),
            (nothings, NOTHING, {}, nothing_frames),
        ):
            t = time.perf_counter_ns()
            await sock.send(name, payload)
            arrived, _ = await sock.answer(frames)
            if i >= 20:  # the first 20 are the warm-up
                samples.append(arrived - t)
    timeline.end()
    await sock.close()
    out["single"] = {"tick": summary(ticks), "nothing": summary(nothings)}


async def closed_loop(socks: list[Sock], make, frames: int, seconds: float) -> dict:
    """Each socket sends its next event as soon as the last is answered."""
    counts, errors, latencies = [0], [0], []
    end = time.monotonic() + seconds

    async def drive(index: int, sock: Sock):
        k = 0
        while time.monotonic() < end:
            name, payload = make(index, k)
            k += 1
            t = time.perf_counter_ns()
            try:
                await sock.send(name, payload)
                arrived, got = await sock.answer(frames)
            except (TimeoutError, ConnectionError):
                errors[0] += 1
                return
            latencies.append(arrived - t)
            counts[0] += 1
            if failed(got):
                errors[0] += 1

    started = time.monotonic()
    await asyncio.gather(*(drive(i, s) for i, s in enumerate(socks)))
    elapsed = time.monotonic() - started
    return {
        "events": counts[0],
        "seconds": round(elapsed, 2),
        "per_second": round(counts[0] / elapsed, 1),
        "errors": errors[0],
        **summary(latencies),
    }


async def phase_two(spec: dict, timeline: Timeline, out: dict) -> None:
    seats = spec["seats"][:CLOSED_SOCKETS]
    frames = out["frames"]
    seconds = spec["closed_seconds"]
    task_socks = [task_socket(spec, seat) for seat in seats]
    await connect_all(task_socks, TASK_LOADS)
    list_socks = [tasks_socket(spec, seat) for seat in seats]
    await connect_all(list_socks, TASKS_LOADS)
    read_frames = await calibrate(list_socks[0], list(READS))
    frames["read"] = read_frames

    def nothing(_i, _k):
        return NOTHING, {}

    def tick(i, k):
        return TICK, {"item_id": seats[i]["item_id"], "done": k % 2 == 0}

    def read(_i, k):
        return READS[k % len(READS)]

    results = {}
    for label, socks, make, count in (
        ("nothing", task_socks, nothing, frames["nothing"]),
        ("tick", task_socks, tick, frames["tick"]),
        ("read", list_socks, read, read_frames),
    ):
        await closed_loop(socks, make, count, min(2.0, seconds / 5))  # warm-up
        timeline.start(f"closed {label}")
        results[label] = await closed_loop(socks, make, count, seconds)
        timeline.end()
    for sock in task_socks + list_socks:
        await sock.close()
    out["closed"] = results


async def phase_three(spec: dict, timeline: Timeline, out: dict) -> None:
    """N sockets, each sending one event a second, whatever the server's pace (open loop)."""
    n, duration = spec["open_sockets"], spec["open_seconds"]
    seats = spec["seats"]
    frames = out["frames"]
    ticker_seats = [seats[i % len(seats)] for i in range(0, n, 2)]
    tickers = [task_socket(spec, seat) for seat in ticker_seats]
    readers = [tasks_socket(spec, seats[i % len(seats)]) for i in range(1, n, 2)]
    timeline.start("open connect")
    await connect_all(tickers, TASK_LOADS)
    await connect_all(readers, TASKS_LOADS)
    timeline.end()
    out["open_connected"] = len(tickers) + len(readers)
    rng = random.Random(1)
    latencies: list[int] = []
    errors = {"refused or error message": 0, "unanswered": 0, "socket dropped": 0}
    sent = [0]
    start_ns = time.perf_counter_ns() + 1_000_000_000
    end_ns = start_ns + int(duration * 1e9)
    # The run stops by itself: what is not answered `grace` seconds after the last event was
    # due counts as unanswered.
    grace = spec.get("open_grace", duration)
    deadline_ns = end_ns + int(grace * 1e9)
    censored = [0]

    async def run_socket(sock: Sock, make, count: int, phase: float):
        due_times: deque[int] = deque()
        finished = asyncio.Event()

        def give_up() -> None:
            # Still unanswered at the deadline: an error, and a latency of at least this long.
            errors["unanswered"] += len(due_times)
            stop = time.perf_counter_ns()
            censored[0] += len(due_times)
            latencies.extend(stop - due for due in due_times)
            due_times.clear()

        async def receive():
            while True:
                if not due_times and finished.is_set():
                    return
                left = (deadline_ns - time.perf_counter_ns()) / 1e9
                try:
                    arrived, got = await sock.answer(count, timeout=max(0.01, min(30, left)))
                except TimeoutError:
                    give_up()
                    return
                except ConnectionError:
                    errors["socket dropped"] += 1
                    give_up()
                    return
                if not due_times:
                    continue
                latencies.append(arrived - due_times.popleft())
                if failed(got):
                    errors["refused or error message"] += 1

        receiver = asyncio.create_task(receive())
        k = 0
        next_due = start_ns + int(phase * 1e9)
        while next_due < end_ns and not sock.closed:
            delay = (next_due - time.perf_counter_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            name, payload = make(k)
            due_times.append(next_due)
            try:
                await sock.send(name, payload)
            except Exception:
                errors["socket dropped"] += 1
                break
            sent[0] += 1
            k += 1
            next_due += 1_000_000_000
        finished.set()
        if not due_times:
            receiver.cancel()
        await asyncio.gather(receiver, return_exceptions=True)

    def ticker(item_id):
        return lambda k: (TICK, {"item_id": item_id, "done": k % 2 == 0})

    def reader(k):
        return READS[k % len(READS)]

    timeline.start("open load")
    await asyncio.gather(
        *(
            run_socket(s, ticker(seat["item_id"]), frames["tick"], rng.random())
            for s, seat in zip(tickers, ticker_seats, strict=True)
        ),
        *(run_socket(s, reader, frames["read"], rng.random()) for s in readers),
    )  # fmt: skip
    timeline.end()
    elapsed = (time.perf_counter_ns() - start_ns) / 1e9
    for sock in tickers + readers:
        await sock.close()
    out["open"] = {
        "sockets": n,
        "seconds": duration,
        "sent": sent[0],
        "answered": len(latencies) - censored[0],
        "per_second": round((len(latencies) - censored[0]) / max(elapsed, 1e-9), 1),
        "errors": sum(errors.values()),
        "error_kinds": {k: v for k, v in errors.items() if v},
        "grace_seconds": grace,
        "censored": censored[0],
        **summary(latencies),
    }


async def client_main(spec: dict) -> dict:
    for url in (spec["base_url"],):
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit("the load goes to 127.0.0.1 only")
    timeline = Timeline()
    out: dict[str, Any] = {}
    await phase_one(spec, timeline, out)
    await phase_two(spec, timeline, out)
    if spec["open_sockets"] and spec["open_seconds"] > 0:
        await phase_three(spec, timeline, out)
    out["timeline"] = timeline.phases
    return out


def client(spec_path: str, out_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    # The whole run stops by itself, whatever the server does.
    limit = 300 + 2 * spec["open_seconds"] + 6 * spec["closed_seconds"] + spec["single_iterations"]
    result = asyncio.run(asyncio.wait_for(client_main(spec), limit))
    Path(out_path).write_text(json.dumps(result, indent=1))
    return 0


# --- the parent: data, server, monitor -------------------------------------------------------


def _seats(url: str, firm_id: int, count: int) -> list[dict]:
    """A socket's seat: an active bookkeeper with a fresh session, one of their open steps
    on an active filing, and a checklist item on it. Bookkeepers take turns."""
    from sqlalchemy import text

    from models import LoginSession, utcnow
    from portal.auth import digest, new_secret
    from portal.db import engine_for

    engine = engine_for(url)
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT s.assignee_id, s.id, min(c.id) FROM step s "
                "JOIN filing f ON f.id = s.filing_id "
                "JOIN checklist_item c ON c.step_id = s.id "
                "JOIN user_account u ON u.id = s.assignee_id "
                "WHERE u.firm_id = :f AND u.role = 'bookkeeper' AND u.is_active "
                "AND f.status IN ('open', 'in_review') AND s.status != 'done' "
                "GROUP BY s.assignee_id, s.id ORDER BY s.assignee_id, s.id"
            ),
            {"f": firm_id},
        ).all()
        by_user: dict[int, list[tuple[int, int]]] = {}
        for user_id, step_id, item_id in rows:
            by_user.setdefault(user_id, []).append((step_id, item_id))
        users = sorted(by_user)
        now = utcnow()
        seats, sessions = [], []
        for i in range(count):
            user_id = users[i % len(users)]
            steps = by_user[user_id]
            step_id, item_id = steps[(i // len(users)) % len(steps)]
            token = new_secret()
            sessions.append(
                {
                    "user_id": user_id,
                    "token_hash": digest(token),
                    "created_at": now,
                    "last_seen_at": now,
                    "expires_at": now + timedelta(hours=12),
                    "ip": "127.0.0.1",
                    "user_agent": "benchmarks.websocket",
                }
            )
            seats.append(
                {"user_id": user_id, "step_id": step_id, "item_id": item_id,
                 "cookie": f"bp_session={token}"}
            )  # fmt: skip
        conn.execute(LoginSession.__table__.insert(), sessions)
    engine.dispose()
    return seats


def _group_usage(pgid: int) -> tuple[float, int, int, dict[int, float]]:
    """CPU seconds, resident bytes and processes of every process in a process group, and
    each process's CPU seconds (to see whether the workers share the load)."""
    tick = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    cpu, rss, count = 0.0, 0, 0
    each: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) != pgid:
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        cpu += used
        each[int(entry)] = used
        rss += int(fields[21]) * page
        count += 1
    return cpu, rss, count, each


class Monitor(threading.Thread):
    def __init__(self, pgid: int):
        super().__init__(daemon=True)
        self.pgid = pgid
        self.samples: list[tuple[float, float, int, int, dict[int, float]]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            cpu, rss, count, each = _group_usage(self.pgid)
            self.samples.append((time.time(), cpu, rss, count, each))
            self.stopping.wait(0.5)

    def between(self, start: float, end: float) -> dict:
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        first, last = inside[0], inside[-1]
        seconds = max(last[0] - first[0], 1e-9)
        per_process = sorted(
            (round((used - first[4].get(pid, 0.0)) / seconds, 2) for pid, used in last[4].items()),
            reverse=True,
        )
        return {
            "cores_busy": round((last[1] - first[1]) / seconds, 2),
            "cores_busy_per_process": [c for c in per_process if c >= 0.01],
            "rss_mb_start": round(first[2] / 2**20, 1),
            "rss_mb_end": round(last[2] / 2**20, 1),
            "rss_mb_max": round(max(s[2] for s in inside) / 2**20, 1),
            "processes": max(s[3] for s in inside),
        }


def _states_on_disk() -> dict:
    from portal.settings import PROJECT_ROOT

    files = [p for p in (PROJECT_ROOT / ".states").rglob("*") if p.is_file()]
    return {"files": len(files), "mb": round(sum(p.stat().st_size for p in files) / 2**20, 1)}


# The cluster mode's workers: one per core of this machine.
CLUSTER_WORKERS = 2


def _serve(dataset, port: int, log_path: Path, redis_url: str | None = None) -> subprocess.Popen:
    from tests.support.live import ROOT, VENV_BIN, live_env

    env = live_env(dataset.data_dir, port)
    env.update(
        PORTAL_DATABASE_URL=dataset.url,
        PORTAL_DOCUMENT_DIR=str(dataset.document_dir),
    )
    if redis_url:
        env.update(GRANIAN_WORKERS=str(CLUSTER_WORKERS), REFLEX_REDIS_URL=redis_url)
    return subprocess.Popen(
        [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--single-port",
         "--backend-host", "127.0.0.1", "--frontend-port", str(port), "--backend-port",
         str(port)],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def measure(
    dataset,
    *,
    duration: float = 60.0,
    sockets: int = 200,
    closed_seconds: float = 15.0,
    single_iterations: int = 500,
    cluster: bool = False,
    log=print,
) -> dict:
    """One run of the event rows; `cluster`: 2 workers sharing a throwaway loopback Redis,
    on the dataset's database (PostgreSQL)."""
    import httpx

    from benchmarks import report
    from tests.support.live import free_port

    redis = None
    if cluster:
        from tests.support import redis_server

        redis = redis_server.start()
    try:
        return _measure(
            dataset,
            duration=duration,
            sockets=sockets,
            closed_seconds=closed_seconds,
            single_iterations=single_iterations,
            redis_url=redis.url if redis else None,
            log=log,
            httpx=httpx,
            report=report,
            free_port=free_port,
        )
    finally:
        if redis is not None:
            redis.stop()


def _measure(
    dataset, *, duration, sockets, closed_seconds, single_iterations, redis_url, log, httpx,
    report, free_port,
) -> dict:  # fmt: skip

    seats = _seats(dataset.url, dataset.firm_id, max(sockets, CLOSED_SOCKETS))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = dataset.data_dir / "websocket-server.log"
    log(f"Serving the app in production mode on {base_url} (the first build takes minutes) ...")
    states_before = _states_on_disk()
    steady_from = 0
    server = _serve(dataset, port, log_path, redis_url)
    try:
        deadline = time.monotonic() + 900
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the app exited while starting; see {log_path}")
            try:
                if httpx.get(f"{base_url}/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start in 15 minutes; see {log_path}")
            time.sleep(1)
        # Steady state starts here: the pauses of start-up (building every page) are apart.
        steady_from = log_path.stat().st_size if log_path.exists() else 0
        monitor = Monitor(server.pid)
        monitor.start()
        time.sleep(1.5)
        idle = _group_usage(server.pid)
        spec = {
            "base_url": base_url,
            "seats": seats,
            "open_sockets": sockets,
            "open_seconds": duration,
            "closed_seconds": closed_seconds,
            "single_iterations": single_iterations,
        }
        with tempfile.TemporaryDirectory(prefix="portal-bench-ws-") as tmp:
            spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
            spec_path.write_text(json.dumps(spec))
            log(
                f"Load from a separate process: 1 socket, {CLOSED_SOCKETS} sockets closed loop "
                f"({closed_seconds:g} s each), {sockets} sockets at 1 event/s for {duration:g} s"
            )
            limit = 400 + 2 * duration + 6 * closed_seconds + single_iterations
            subprocess.run(
                [sys.executable, "-m", "benchmarks.websocket", str(spec_path), str(out_path)],
                check=True,
                timeout=limit,
            )
            out = json.loads(out_path.read_text())
        monitor.stopping.set()
        monitor.join()
        phases = {}
        timeline = out.pop("timeline")
        window = {p["phase"]: (p["start"], p.get("end", 0)) for p in timeline}
        for phase in timeline:
            phases[phase["phase"]] = {
                **monitor.between(phase["start"], phase.get("end", 0)),
                "client_cores_busy": phase.get("client_cores_busy"),
            }
        peak_rss = max((s[2] for s in monitor.samples), default=idle[1])
        # What opening the open-load sockets added (the earlier phases' sockets are closed
        # by then, but a Python process seldom hands memory back, so this is a floor).
        connect = phases.get("open connect", {})
        added = connect.get("rss_mb_end", 0) - connect.get("rss_mb_start", 0)
        out["server"] = {
            "phases": phases,
            "idle_rss_mb": round(idle[1] / 2**20, 1),
            "peak_rss_mb": round(peak_rss / 2**20, 1),
            "rss_per_socket_mb": round(added / max(1, out.get("open_connected", 0)), 3),
            "processes": idle[2],
            "states_on_disk_before": states_before,
            "states_on_disk_after": _states_on_disk(),
            "window": window,
        }
        if redis_url:
            out["server"]["redis"] = _redis_state(redis_url)
    finally:
        _stop(server)
    # Each pause goes with the phase it happened in; the open load is the steady state.
    pauses = _gc_pauses(log_path, steady_from)
    for pause in pauses:
        pause["phase"] = next(
            (
                name
                for name, p in out.get("server", {}).get("window", {}).items()
                if p[0] <= pause["at"] <= p[1]
            ),
            "between phases",
        )
    out.setdefault("server", {})["gc_pauses"] = pauses[:100]
    out["database"], out["scale"] = dataset.database, dataset.scale
    out["machine"] = report.machine()
    if redis_url:
        out["mode"] = f"cluster: {CLUSTER_WORKERS} workers, PostgreSQL, Reflex state in Redis"
        key = f"{dataset.database}-{dataset.scale}-cluster"
    else:
        out["mode"] = "embedded: one worker, SQLite, Reflex state on disk"
        key = f"{dataset.database}-{dataset.scale}"
    results = report.load()
    results.setdefault("websocket", {})[key] = out
    report.save(results)
    for line in markdown({key: out}):
        log(line)
    return out


def _redis_state(url: str) -> dict:
    """What the workers keep in Redis after the run: keys, memory, and the longest time to
    live (a tab's state expires with the session idle timeout)."""
    import redis

    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(count=1000))
        ttls = [client.ttl(k) for k in keys[:500]]
        memory = client.info("memory").get("used_memory", 0)
    return {
        "keys": len(keys),
        "mb": round(memory / 2**20, 1),
        "max_ttl_s": max(ttls, default=-2),
        "without_ttl": sum(1 for t in ttls if t == -1),
    }


def _gc_lines(log_path: Path, start: int = 0) -> list[str]:
    if not log_path.exists():
        return []
    with log_path.open("rb") as file:
        file.seek(start)
        lines = file.read().decode(errors="replace").splitlines()
    return [line.strip() for line in lines if "garbage collection paused" in line]


def _gc_pauses(log_path: Path, start: int = 0) -> list[dict]:
    """Each collection that held the server over 10 ms (portal/upkeep.py logs them) from
    byte `start` of its log on: its wall time, its own CPU time and when it ended."""
    import re

    pattern = (
        r"paused the worker for ([0-9.]+) ms, ([0-9.]+) ms of it collecting "
        r"\(generation (\d+), \d+ collected, at ([0-9.]+)\)"
    )
    return [
        {"wall_ms": float(w), "cpu_ms": float(c), "generation": int(g), "at": float(at)}
        for line in _gc_lines(log_path, start)
        for w, c, g, at in re.findall(pattern, line)
    ]


# --- the report ------------------------------------------------------------------------------


def _split(phase: dict) -> str:
    """How the busy cores divide between the server's processes, busiest first."""
    each = phase.get("cores_busy_per_process")
    return f": {' + '.join(str(c) for c in each)}" if each else ""


def _lat(r: dict) -> str:
    return f"{r.get('p50_ms', float('nan')):.2f} / {r.get('p99_ms', float('nan')):.2f}"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else " ✓" if ok else " ✗"


def markdown(runs: dict) -> list[str]:
    out: list[str] = []
    for key, run in sorted(runs.items()):
        single, closed, open_ = run.get("single", {}), run.get("closed", {}), run.get("open")
        tick, nothing = single.get("tick", {}), single.get("nothing", {})
        server = run.get("server", {})
        ratio = tick.get("p50_ms", 0) / max(nothing.get("p50_ms", 0), 1e-9)
        base = closed.get("nothing", {}).get("per_second", 0) or 1e-9
        tick_rate = closed.get("tick", {}).get("per_second", 0)
        read_rate = closed.get("read", {}).get("per_second", 0)
        m = run.get("machine", {})
        out += [
            f"### {key} ({run.get('mode', '')})",
            "",
            f"Measured {m.get('at', '?')} on {m.get('cpus', '?')} CPUs, load average "
            f"{m.get('load', '?')} at the start. Latencies p50 / p99 in ms.",
            "",
            "| Row | Target | Measured |",
            "|---|---|---|",
            f"| Do-nothing guarded event (SessionState.enter_page), one socket | reference | "
            f"{_lat(nothing)} |",
            f"| Checklist tick round trip, one socket | p50 ≤ 2.5x do-nothing, p99 ≤ 10 ms | "
            f"{_lat(tick)} ({ratio:.1f}x){_mark(ratio <= 2.5 and tick.get('p99_ms', 1e9) <= 10)} |",
            f"| Do-nothing event throughput, {CLOSED_SOCKETS} sockets closed loop | reference | "
            f"{base:.0f} events/s |",
            f"| Tick throughput, {CLOSED_SOCKETS} sockets closed loop | ≥ 40% of do-nothing | "
            f"{tick_rate:.0f} events/s ({100 * tick_rate / base:.0f}%)"
            f"{_mark(tick_rate / base >= 0.4)} |",
            f"| My Tasks filter/sort/page throughput, {CLOSED_SOCKETS} sockets | ≥ 50% of "
            f"do-nothing | {read_rate:.0f} events/s ({100 * read_rate / base:.0f}%)"
            f"{_mark(read_rate / base >= 0.5)} |",
        ]
        if open_:
            ok = open_.get("p99_ms", 1e9) < 100 and open_.get("errors", 1) == 0
            kinds = ", ".join(f"{k} {v}" for k, v in open_.get("error_kinds", {}).items())
            at_least = "at least " if open_.get("censored") else ""
            out.append(
                f"| {open_['sockets']} sockets, 1 event/s each (half reads, half ticks), "
                f"{open_['seconds']:g} s | p99 < 100 ms, 0 errors | {open_['per_second']:.0f} "
                f"events/s answered of {open_['sent']:,} sent; {at_least}{_lat(open_)}; "
                f"{open_['errors']} errors{f' ({kinds})' if kinds else ''}{_mark(ok)} |"
            )
            phase = server.get("phases", {}).get("open load", {})
            out.append(
                f"| Server CPU during the {open_['sockets']}-socket load | every core in "
                f"cluster mode | {phase.get('cores_busy', '?')} cores busy of "
                f"{m.get('cpus', '?')} ({server.get('processes', '?')} server processes"
                f"{_split(phase)}) |"
            )
        pauses = server.get("gc_pauses")
        if pauses is not None:
            steady = [p for p in pauses if p["phase"] == "open load"]
            over = sorted((p["cpu_ms"] for p in steady if p["cpu_ms"] > 10), reverse=True)
            longest = f" (longest {over[0]:.1f} ms)" if over else ""
            waited = len(steady) - len(over)
            elsewhere = ", ".join(
                f"{p['phase']}: {p['cpu_ms']:.0f} ms (generation {p['generation']})"
                for p in pauses
                if p["phase"] != "open load" and p["cpu_ms"] > 10
            )
            out.append(
                "| Garbage-collection pauses over 10 ms in the steady state (the open load) | "
                f"none | {len(over)}{longest}"
                + (f"; {waited} more over 10 ms waiting for a core" if waited else "")
                + (f"; outside it: {elsewhere}" if elsewhere else "")
                + f"{_mark(not over)} |"
            )
        out += [
            f"| Server memory per socket | measured | "
            f"{server.get('rss_per_socket_mb', '?')} MB (resident {server.get('idle_rss_mb', '?')}"
            f" MB idle, {server.get('peak_rss_mb', '?')} MB at the peak) |",
            *(
                [
                    f"| Reflex state in Redis | expires with the session | "
                    f"{server['redis']['keys']} keys, {server['redis']['mb']} MB; longest time "
                    f"to live {server['redis']['max_ttl_s']} s, "
                    f"{server['redis']['without_ttl']} keys without one |"
                ]
                if server.get("redis")
                else []
            ),
            f"| Reflex state files on disk (.states) | expire with the session | "
            f"{server.get('states_on_disk_after', {}).get('files', '?')} files, "
            f"{server.get('states_on_disk_after', {}).get('mb', '?')} MB after the run "
            f"(before: {server.get('states_on_disk_before', {}).get('files', '?')}) |",
            "",
            "Closed-loop detail: "
            + "; ".join(
                f"{label}: {r.get('per_second', 0):.0f}/s, {_lat(r)} ms, {r.get('errors', 0)} "
                "errors"
                for label, r in closed.items()
            )
            + f". Update frames per event: {run.get('frames', {})}. Cores busy by phase, "
            "server / load client: "
            + ", ".join(
                f"{name} {p.get('cores_busy', '?')} / {p.get('client_cores_busy', '?')}"
                for name, p in server.get("phases", {}).items()
            )
            + ". An event still unanswered when the open load's grace period ends "
            f"({(open_ or {}).get('grace_seconds', '?')} s after the last was due) counts as "
            "an error, with its wait so far as its latency.",
            "",
        ]
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m benchmarks.websocket SPEC.json OUT.json")
    sys.exit(client(sys.argv[1], sys.argv[2]))
