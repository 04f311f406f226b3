"""What one oversized unauthenticated request costs a running server.

    python benchmarks/oversized_request.py --megabytes 200

Starts ``hocvuso serve`` on a free port (data in a temporary dir), reads its resident
memory, streams an N MB body to ``POST /v1/ask`` (chunked, so no Content-Length to
refuse it by), and prints the status, the time and the memory after. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "HOCVUSO_DATA_DIR": folder, "HOCVUSO_EMBEDDING__BACKEND": "none"}
        server = subprocess.Popen([str(Path(sys.executable).with_name("hocvuso")), "serve", "--port", str(port),
                                   "--log-level", "warning"], env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    httpx.get(f"{base}/healthz", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            before = rss_mb(server.pid)
            chunk = b" " * (1024 * 1024)

            def body():
                for _ in range(args.megabytes):
                    yield chunk

            started = time.perf_counter()
            try:
                response = httpx.post(f"{base}/v1/ask", content=body(), timeout=120,
                                      headers={"Content-Type": "application/json"})
                status = response.status_code
            except httpx.TransportError as error:  # the server may close before the client finished sending
                status = f"closed ({type(error).__name__})"
            elapsed = time.perf_counter() - started
            time.sleep(0.5)
            print(f"body {args.megabytes} MB -> {status} in {elapsed:.2f} s; "
                  f"server RSS {before:.0f} MB before, {rss_mb(server.pid):.0f} MB after")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
