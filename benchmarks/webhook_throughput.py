"""How many updates per second the bots' webhook path sustains on this machine.

Runs the real service (``hocvuso serve``, uvicorn on loopback) with the evidence log
on SQLite and the real knowledge base (lexical retrieval), a fake Bot API server on
loopback for the replies, and posts whole citizen sessions to ``/webhooks/telegram``
and ``/webhooks/zalo`` concurrently with httpx. Each session is 9 updates: /start,
a question, /quiz, five answers, /ketqua. Reported per channel:

- accepted/s: updates acknowledged by the webhook route (HTTP 200);
- processed/s: updates fully answered (core, evidence events, replies sent), measured
  until every session's last reply reached the fake server.

Updates are acknowledged once stored in the inbox; the worker inside ``hocvuso serve``
answers them. Telegram replies leave the outbox at most 30 a second (Telegram's limit
across chats): that cap, not the machine, bounds the Telegram figure once sessions
send more than 30 replies a second. Zalo has no such cap.

Usage: python benchmarks/webhook_throughput.py [--sessions 30] [--concurrency 32] [--timeout 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the loopback fakes of the channel tests

from fixtures_channels import (  # noqa: E402
    BOT_TOKEN,
    FakeTelegramApi,
    FakeZaloApi,
    telegram_text_update,
    zalo_update,
)

SECRET = "benchmark-secret-123"
SESSION = ["/start", "binh dan hoc vu so la gi", "/quiz", "1", "1", "1", "1", "1", "/ketqua"]
LAST_REPLY = "Kết quả các bài gần đây"  # the answer to /ketqua, the last update of a session
CHANNELS = {
    "telegram": ("X-Telegram-Bot-Api-Secret-Token", FakeTelegramApi),
    "zalo": ("X-Bot-Api-Secret-Token", FakeZaloApi),
}


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ingest(data_dir: Path) -> None:
    """Ingest the knowledge base into ``data_dir`` (lexical only, no model)."""
    from hocvuso.settings import load_settings
    from ingest.pipeline import ingest_paths

    ingest_paths(load_settings(data_dir=data_dir, embedding={"backend": "none"}), progress=False)


def update_for(channel: str, session: int, step: int, text: str) -> dict:
    """The webhook body of one typed message of one simulated citizen."""
    if channel == "telegram":
        return telegram_text_update(session * 100 + step, 10_000 + session, text)
    return {"ok": True, "result": zalo_update(f"s{session}-{step}", f"user{session}", text)}


async def post_sessions(url: str, channel: str, sessions: int, concurrency: int) -> list[float]:
    """Post every session's updates (each session in order); return the HTTP latencies."""
    header, _ = CHANNELS[channel]
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={header: SECRET}, limits=limits, timeout=60) as client:

        async def one_session(session: int) -> None:
            for step, text in enumerate(SESSION):
                async with gate:
                    started = time.perf_counter()
                    response = await client.post(f"/webhooks/{channel}", json=update_for(channel, session, step, text))
                    latencies.append(time.perf_counter() - started)
                response.raise_for_status()

        await asyncio.gather(*(one_session(s) for s in range(sessions)))
    return latencies


def wait_until_answered(fake, sessions: int, timeout: float) -> None:
    """Wait until every session got its last reply."""
    deadline = time.monotonic() + timeout
    while sum(m["text"].startswith(LAST_REPLY) for m in fake.sent()) < sessions:
        if time.monotonic() > deadline:
            raise SystemExit(f"Quá {timeout:.0f} s mà chưa xử lý xong: tăng --timeout hoặc giảm --sessions.")
        time.sleep(0.05)


def evidence_summary(database_url: str) -> dict:
    """Events written and whether the hash chain verifies."""
    from bot.evidence import EvidenceLog
    from hocvuso.db import Database

    db = Database.from_url(database_url)
    try:
        result = EvidenceLog(db).verify()
        return {"events": result.checked, "chain_ok": result.ok}
    finally:
        db.close()


def run_channel(channel: str, kb_dir: Path, work: Path, sessions: int, concurrency: int, timeout: float) -> dict:
    """Serve the app for one channel, post the sessions, and measure."""
    _, fake_class = CHANNELS[channel]
    database_url = f"sqlite:///{work / f'{channel}.db'}"
    port = free_port()
    with fake_class() as fake:
        env = {
            **os.environ,
            "HOCVUSO_DATA_DIR": str(kb_dir),
            "HOCVUSO_DATABASE_URL": database_url,
            "HOCVUSO_EMBEDDING__BACKEND": "none",
            "HOCVUSO_LLM__BASE_URL": "",
            f"HOCVUSO_{channel.upper()}__TOKEN": BOT_TOKEN,
            f"HOCVUSO_{channel.upper()}__WEBHOOK_SECRET": SECRET,
            f"HOCVUSO_{channel.upper()}__BASE_URL": fake.url,
        }
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("hocvuso")), "serve", "--port", str(port), "--log-level", "warning"],
            env=env, stdout=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_server(url, server)
            started = time.perf_counter()
            latencies = asyncio.run(post_sessions(url, channel, sessions, concurrency))
            accepted = time.perf_counter() - started
            wait_until_answered(fake, sessions, timeout)
            processed = time.perf_counter() - started
            replies = fake.sent()
        finally:
            server.terminate()
            server.wait(timeout=60)
    updates = sessions * len(SESSION)
    from bot import texts

    return {
        "channel": channel,
        "updates": updates,
        "accepted_per_s": round(updates / accepted, 1),
        "processed_per_s": round(updates / processed, 1),
        "http_p50_ms": round(1000 * statistics.median(latencies), 1),
        "http_p95_ms": round(1000 * statistics.quantiles(latencies, n=20)[-1], 1),
        "replies": len(replies),
        "apologies": sum(m["text"] == texts.UNAVAILABLE for m in replies),
        **evidence_summary(database_url),
    }


def wait_for_server(url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until the service answers on ``url``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("Dịch vụ dừng ngay khi khởi động.")
        try:
            httpx.get(f"{url}/docs", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("Dịch vụ không khởi động kịp.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="simulated citizens per channel")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight at once")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed for processing")
    parser.add_argument("--channel", choices=[*CHANNELS, "all"], default="all")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hocvuso-bench-") as tmp:
        work = Path(tmp)
        ingest(work / "kb")
        channels = list(CHANNELS) if args.channel == "all" else [args.channel]
        for channel in channels:
            result = run_channel(channel, work / "kb", work, args.sessions, args.concurrency, args.timeout)
            print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
