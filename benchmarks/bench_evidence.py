"""How long verifying and anchoring the evidence log take, and what an oversized request costs.

    python benchmarks/bench_evidence.py --events 100000

Builds a log of N sealed events in a fresh SQLite file (rows computed with the
library's own hash and seal functions, inserted in bulk, since appending one by one
is not what is measured), then times ``verify()``, ``checkpoint()`` and
``verify(checkpoint)``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from bot.checkpoint import EvidenceKey
from bot.evidence import EvidenceLog, canonical_json, event_hash
from hocvuso.db import Database
from hocvuso.db.models import GENESIS_HASH, EvidenceEvent, EvidenceHead


def build(db: Database, key: EvidenceKey, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    previous, rows = GENESIS_HASH, []
    for number in range(1, count + 1):
        created = start + timedelta(seconds=number)
        data = {"attempt_id": number // 7, "correct": number % 3 == 0}
        digest = event_hash(number, created, "quiz_answered", f"{number % 500:064x}", "telegram", "Xã An Phú",
                            data, previous)
        rows.append({"id": number, "created_at": created, "event_type": "quiz_answered",
                     "user": f"{number % 500:064x}", "channel": "telegram", "unit": "Xã An Phú",
                     "data": canonical_json(data), "prev_hash": previous, "hash": digest, "seal": key.seal(digest)})
        previous = digest
    with db.engine.begin() as connection:
        for offset in range(0, len(rows), 5000):
            connection.execute(insert(EvidenceEvent), rows[offset:offset + 5000])
        connection.execute(update(EvidenceHead).where(EvidenceHead.id == 1).values(last_id=count, last_hash=previous))


def timed(label: str, action):
    started = time.perf_counter()
    result = action()
    print(f"{label:<34} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database.from_url(f"sqlite:///{Path(folder) / 'bench.db'}")
        key = EvidenceKey.generate()
        log = EvidenceLog(db, key)
        timed(f"build {args.events} sealed events", lambda: build(db, key, args.events))
        result = timed("verify() (chain, seals, tree)", log.verify)
        assert result.ok, result.reason
        checkpoint = timed("checkpoint() (verify + sign)", log.checkpoint)
        timed("verify(checkpoint)", lambda: log.verify(checkpoint))
        print(json.dumps({"events": args.events, "root": checkpoint.root_hex}))
        db.close()


if __name__ == "__main__":
    main()
