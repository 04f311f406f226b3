"""Crash experiment: does an acknowledged chat update survive ``kill -9``?

As an operator would try it, on loopback, with the real service and a fake Telegram
Bot API: 200 webhook updates from 8 threads (each thread owns a few chats and sends
their messages in order, like the platform), ``kill -9`` after about 100
acknowledgements, restart, and the "platform" re-sends every update that did not get
HTTP 200 until it does. Each update is ``/donvi U<chat>-<n>``: one evidence event and
one reply naming it, so losses and duplicates are counted exactly.

Scenarios:
- ``sqlite``: one ``hocvuso serve`` process (worker inside), SQLite; the server is killed.
- ``pg-api``: PostgreSQL, ``hocvuso serve --workers 2 --no-worker`` (2 API processes)
  plus 2 ``hocvuso worker`` processes; the API processes are killed.
- ``pg-worker``: the same topology; one worker process is killed after ~100 updates
  were processed, and restarted.

Then the intake throughput with durable acknowledgement on PostgreSQL (2 API
processes): webhook posts/s against ``/healthz`` requests/s in the same run, and the
processing throughput of the 2 workers beside it. Last, ``outage``: the Bot API is
unreachable for a minute while 48 updates arrive; every reply must still go out once.

Usage: python benchmarks/crash_webhooks.py [--postgres-url URL]
       [--scenario all|sqlite|pg-api|pg-worker|throughput|outage] [--outage 60]
(PostgreSQL from --postgres-url or HOCVUSO_TEST_POSTGRES_URL; a fresh schema per run.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the loopback fakes of the channel tests

from fixtures_channels import (
    BOT_TOKEN,
    FakeTelegramApi,
    free_port,
    telegram_text_update,
)

SECRET = "benchmark-secret-123"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
HOCVUSO = str(Path(sys.executable).with_name("hocvuso"))
CHATS, PER_CHAT, THREADS = 25, 8, 8
REPLY_UNIT = re.compile(r"đơn vị của bạn: (U\d+-\d+)\.")


def ingest(data_dir: Path) -> None:
    """Ingest the knowledge base into ``data_dir`` (lexical only, no model)."""
    from hocvuso.settings import load_settings
    from ingest.pipeline import ingest_paths

    ingest_paths(load_settings(data_dir=data_dir, embedding={"backend": "none"}), progress=False)


def postgres_schema(base_url: str) -> str:
    """A fresh schema on ``base_url``; the URL that uses it."""
    from sqlalchemy import create_engine, make_url, text

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


def updates() -> list[dict]:
    """CHATS x PER_CHAT updates; update ids unique, each names its unit U<chat>-<n>."""
    return [telegram_text_update(chat * 100 + n + 1, 50_000 + chat, f"/donvi U{chat}-{n}")
            for chat in range(CHATS) for n in range(PER_CHAT)]


def unit_of(update: dict) -> str:
    return update["message"]["text"].removeprefix("/donvi ")


class Processes:
    """The service processes of one scenario, each in its own process group (kill -9 takes all of it)."""

    def __init__(self, env: dict[str, str], port: int, api_workers: int, worker_processes: int):
        self.env, self.port = env, port
        self.api_workers, self.worker_processes = api_workers, worker_processes
        self.api: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_api(self) -> None:
        args = [HOCVUSO, "serve", "--port", str(self.port), "--log-level", "warning",
                "--workers", str(self.api_workers)]
        if self.worker_processes:
            args.append("--no-worker")
        self.api = self._spawn(args)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("Dịch vụ không khởi động kịp.")

    def start_worker(self) -> subprocess.Popen:
        worker = self._spawn([HOCVUSO, "worker", "--concurrency", "2"])
        self.workers.append(worker)
        return worker

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in [self.api, *self.workers]:
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.kill(process)

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        return subprocess.Popen(args, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)


class Platform:
    """The messaging platform: 8 threads, each re-sending an update until it gets 200."""

    def __init__(self, url: str, all_updates: list[dict]):
        self.url = url
        self.acked: set[int] = set()
        self.failed_posts = 0
        self._lock = threading.Lock()
        chats: dict[int, list[dict]] = {}
        for update in all_updates:
            chats.setdefault(update["message"]["chat"]["id"], []).append(update)
        self._shares = [[u for i, chat in enumerate(chats.values()) if i % THREADS == t for u in chat]
                        for t in range(THREADS)]

    def run(self) -> threading.Thread:
        threads = [threading.Thread(target=self._send, args=(share,), daemon=True) for share in self._shares]
        for thread in threads:
            thread.start()
        joiner = threading.Thread(target=lambda: [t.join() for t in threads], daemon=True)
        joiner.start()
        return joiner

    def _send(self, share: list[dict]) -> None:
        with httpx.Client(timeout=10) as client:
            for update in share:  # one chat after another, each chat's messages in order
                while True:
                    try:
                        response = client.post(f"{self.url}/webhooks/telegram", json=update, headers=HEADERS)
                        if response.status_code == 200:
                            with self._lock:
                                self.acked.add(update["update_id"])
                            break
                    except httpx.HTTPError:
                        pass
                    with self._lock:
                        self.failed_posts += 1
                    time.sleep(0.2)  # the platform waits, then sends the update again


def database_counts(database_url: str) -> dict:
    from sqlalchemy import func, select

    from hocvuso.db import Database
    from hocvuso.db.models import InboxUpdate, OutboxMessage

    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            pending = session.scalar(select(func.count()).where(InboxUpdate.processed_at.is_(None)))
            processed = session.scalar(select(func.count()).where(InboxUpdate.processed_at.is_not(None)))
            unsent = session.scalar(select(func.count()).where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)))
        return {"pending": pending, "processed": processed, "unsent": unsent}
    finally:
        db.close()


def wait_settled(database_url: str, total: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = database_counts(database_url)
        if counts["processed"] >= total and counts["pending"] == 0 and counts["unsent"] == 0:
            return
        time.sleep(0.5)
    raise SystemExit(f"Chưa xử lý xong sau {timeout} s: {database_counts(database_url)}")


def verdict(name: str, database_url: str, all_updates: list[dict], platform: Platform, fake, extra: dict) -> dict:
    """Lost, duplicated, order, chain and replies, from the database and the fake Bot API."""
    from sqlalchemy import select

    from bot.evidence import EvidenceLog
    from hocvuso.db import Database
    from hocvuso.db.models import EvidenceEvent, OutboxMessage

    db = Database.from_url(database_url)
    try:
        with db.session() as session:
            units = [json.loads(e.data)["unit"] for e in session.scalars(
                select(EvidenceEvent).where(EvidenceEvent.event_type == "unit_registered").order_by(EvidenceEvent.id))]
            retries = sum(m.attempts for m in session.scalars(select(OutboxMessage)))
        chain_ok = EvidenceLog(db).verify().ok
    finally:
        db.close()
    events = Counter(units)
    unit_by_id = {u["update_id"]: unit_of(u) for u in all_updates}
    acked_units = {unit_by_id[i] for i in platform.acked}
    by_chat: dict[str, list[int]] = {}
    for unit in units:
        chat, n = unit[1:].split("-")
        by_chat.setdefault(chat, []).append(int(n))
    sent = Counter(m.group(1) for m in (REPLY_UNIT.search(s["text"]) for s in fake.sent()) if m)
    return {
        "scenario": name,
        "updates": len(all_updates),
        **extra,
        "acknowledged": len(platform.acked),
        "re_sent_posts": platform.failed_posts,
        "acknowledged_lost": len(acked_units - set(events)),
        "duplicate_events": sum(count - 1 for count in events.values()),
        "chain_ok": chain_ok,
        "order_kept": all(ns == sorted(ns) for ns in by_chat.values()),
        "replies_sent_once": sum(1 for unit in unit_by_id.values() if sent[unit] == 1),
        "replies_sent_twice_or_more": sum(1 for unit in unit_by_id.values() if sent[unit] > 1),
        "replies_missing": sum(1 for unit in unit_by_id.values() if sent[unit] == 0),
        "send_retries": retries,
    }


def scenario(name: str, kb_dir: Path, database_url: str) -> dict:
    all_updates = updates()
    postgres = name.startswith("pg")
    with FakeTelegramApi() as fake:
        env = {
            "HOCVUSO_DATA_DIR": str(kb_dir), "HOCVUSO_DATABASE_URL": database_url,
            "HOCVUSO_EMBEDDING__BACKEND": "none", "HOCVUSO_LLM__BASE_URL": "",
            "HOCVUSO_TELEGRAM__TOKEN": BOT_TOKEN, "HOCVUSO_TELEGRAM__WEBHOOK_SECRET": SECRET,
            "HOCVUSO_TELEGRAM__BASE_URL": fake.url, "HOCVUSO_FLOOD_LIMIT": "1000",
            "HOCVUSO_API__SESSION_SECRET": "benchmark-session-secret",
        }
        processes = Processes(env, free_port(), api_workers=2 if postgres else 1,
                              worker_processes=2 if postgres else 0)
        try:
            processes.start_api()
            for _ in range(processes.worker_processes):
                processes.start_worker()
            platform = Platform(processes.url, all_updates)
            started = time.perf_counter()
            sending = platform.run()
            extra: dict = {}
            if name == "pg-worker":
                victim = processes.workers[0]
                while database_counts(database_url)["processed"] < len(all_updates) // 2:
                    time.sleep(0.05)
                processes.kill(victim)
                extra["killed_at_processed"] = database_counts(database_url)["processed"]
                time.sleep(1.0)
                processes.start_worker()
            else:
                while len(platform.acked) < len(all_updates) // 2:
                    time.sleep(0.005)
                processes.kill(processes.api)
                extra["killed_at_acknowledged"] = len(platform.acked)
                extra["stored_when_killed"] = sum(database_counts(database_url)[k] for k in ("pending", "processed"))
                time.sleep(1.0)
                processes.start_api()
            sending.join(timeout=300)
            wait_settled(database_url, len(all_updates))
            extra["seconds"] = round(time.perf_counter() - started, 1)
            time.sleep(0.5)
            return verdict(name, database_url, all_updates, platform, fake, extra)
        finally:
            processes.stop_all()


async def rate(url: str, make_request, concurrency: int, seconds: float) -> tuple[float, int]:
    """Requests per second of ``make_request(client, n)`` with ``concurrency`` in flight; and errors."""
    done, errors, counter = 0, 0, iter(range(10**9))
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def loop():
            nonlocal done, errors
            while time.perf_counter() < deadline:
                response = await make_request(client, next(counter))
                done += 1
                errors += response.status_code != 200
        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        return done / (time.perf_counter() - started), errors


def throughput(kb_dir: Path, database_url: str, concurrency: int, seconds: float) -> dict:
    """Webhook intake vs /healthz on 2 API processes (PostgreSQL), then the 2 workers' processing rate."""
    with FakeTelegramApi() as fake:
        env = {
            "HOCVUSO_DATA_DIR": str(kb_dir), "HOCVUSO_DATABASE_URL": database_url,
            "HOCVUSO_EMBEDDING__BACKEND": "none", "HOCVUSO_LLM__BASE_URL": "",
            "HOCVUSO_TELEGRAM__TOKEN": BOT_TOKEN, "HOCVUSO_TELEGRAM__WEBHOOK_SECRET": SECRET,
            "HOCVUSO_TELEGRAM__BASE_URL": fake.url, "HOCVUSO_FLOOD_LIMIT": "1000",
            "HOCVUSO_API__SESSION_SECRET": "benchmark-session-secret",
        }
        processes = Processes(env, free_port(), api_workers=2, worker_processes=2)
        try:
            processes.start_api()
            asyncio.run(rate(processes.url, lambda c, n: c.get("/healthz"), concurrency, 2))  # warm up

            healthz, healthz_errors = asyncio.run(
                rate(processes.url, lambda c, n: c.get("/healthz"), concurrency, seconds))

            def post(client, n):
                update = telegram_text_update(n + 1, 60_000 + n % 200, f"/donvi T{n % 200}-{n}")
                return client.post("/webhooks/telegram", json=update, headers=HEADERS)

            intake, intake_errors = asyncio.run(rate(processes.url, post, concurrency, seconds))
            stored = database_counts(database_url)["pending"]
            # The workers start on a full inbox: their drain rate, from their first update on
            # (start-up excluded), is the processing throughput.
            for _ in range(2):
                processes.start_worker()
            while database_counts(database_url)["processed"] == 0:
                time.sleep(0.05)
            started = time.perf_counter()
            wait_settled(database_url, stored, timeout=600)
            processing_seconds = time.perf_counter() - started
        finally:
            processes.stop_all()
    return {
        "scenario": "throughput",
        "healthz_per_s": round(healthz, 1), "healthz_errors": healthz_errors,
        "webhook_intake_per_s": round(intake, 1), "intake_errors": intake_errors,
        "intake_vs_healthz": round(intake / healthz, 2),
        "updates_stored": stored,
        "processed_per_s_2_workers": round((stored - 1) / processing_seconds, 1),
        "processing_seconds": round(processing_seconds, 1),
        "replies_sent": len(fake.sent()),
    }


def outage(kb_dir: Path, database_url: str, seconds: float) -> dict:
    """The Bot API is unreachable for ``seconds`` while updates arrive (SQLite, one process)."""
    all_updates = updates()[:PER_CHAT * 6]
    bot_api_port = free_port()
    env = {
        "HOCVUSO_DATA_DIR": str(kb_dir), "HOCVUSO_DATABASE_URL": database_url,
        "HOCVUSO_EMBEDDING__BACKEND": "none", "HOCVUSO_LLM__BASE_URL": "",
        "HOCVUSO_TELEGRAM__TOKEN": BOT_TOKEN, "HOCVUSO_TELEGRAM__WEBHOOK_SECRET": SECRET,
        "HOCVUSO_TELEGRAM__BASE_URL": f"http://127.0.0.1:{bot_api_port}", "HOCVUSO_FLOOD_LIMIT": "1000",
    }
    processes = Processes(env, free_port(), api_workers=1, worker_processes=0)
    try:
        processes.start_api()
        down_since = time.perf_counter()
        platform = Platform(processes.url, all_updates)
        platform.run().join(timeout=300)
        time.sleep(max(0.0, seconds - (time.perf_counter() - down_since)))
        unsent_during_outage = database_counts(database_url)["unsent"]
        with FakeTelegramApi(port=bot_api_port) as fake:  # the Bot API is back, same address
            back = time.perf_counter()
            wait_settled(database_url, len(all_updates))
            extra = {"outage_seconds": round(back - down_since, 1), "unsent_during_outage": unsent_during_outage,
                     "seconds_to_deliver_after_recovery": round(time.perf_counter() - back, 1)}
            time.sleep(0.5)
            return verdict("outage", database_url, all_updates, platform, fake, extra)
    finally:
        processes.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get("HOCVUSO_TEST_POSTGRES_URL", ""))
    parser.add_argument("--scenario", default="all",
                        choices=["all", "sqlite", "pg-api", "pg-worker", "throughput", "outage"])
    parser.add_argument("--outage", type=float, default=60, help="seconds the Bot API is down (outage)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (throughput)")
    parser.add_argument("--seconds", type=float, default=10, help="duration of each rate measurement")
    args = parser.parse_args()
    chosen = ["sqlite", "pg-api", "pg-worker", "throughput", "outage"] if args.scenario == "all" else [args.scenario]
    with tempfile.TemporaryDirectory(prefix="hocvuso-crash-") as tmp:
        work = Path(tmp)
        ingest(work / "kb")
        for name in chosen:
            if name in ("sqlite", "outage"):
                url = f"sqlite:///{work / f'{name}.db'}"
            elif not args.postgres_url:
                print(json.dumps({"scenario": name, "skipped": "no --postgres-url / HOCVUSO_TEST_POSTGRES_URL"}))
                continue
            else:
                url = postgres_schema(args.postgres_url)
            if name == "throughput":
                result = throughput(work / "kb", url, args.concurrency, args.seconds)
            elif name == "outage":
                result = outage(work / "kb", url, args.outage)
            else:
                result = scenario(name, work / "kb", url)
            print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
