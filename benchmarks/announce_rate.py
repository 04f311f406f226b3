"""How fast an announcement leaves: N Telegram and M Zalo subscribers of one unit, the real
outbox sender, the loopback fake Bot APIs. Prints the send rate per platform, which the
scheduled ``due_at`` should hold near ``bot.announcements.RATES`` however many senders run.

    python benchmarks/announce_rate.py --telegram 250 --zalo 50 --senders 2
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the loopback fakes of the channel tests

from fixtures_channels import BOT_TOKEN, FakeTelegramApi, FakeZaloApi  # noqa: E402

from bot import announcements  # noqa: E402
from bot.delivery.outbox import Sender  # noqa: E402
from bot.units import UnitDirectory  # noqa: E402
from hocvuso.db.models import User  # noqa: E402
from hocvuso.services import Services  # noqa: E402
from hocvuso.settings import load_settings  # noqa: E402

UNIT = "Xã Nghĩa Trung"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--telegram", type=int, default=250)
    parser.add_argument("--zalo", type=int, default=50)
    parser.add_argument("--senders", type=int, default=2, help="outbox senders running at once (like workers)")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; SQLite in a temporary folder by default")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder, FakeTelegramApi() as tg, FakeZaloApi() as zl:
        settings = load_settings(data_dir=Path(folder), database_url=args.database_url, embedding={"backend": "none"},
                                 telegram={"token": BOT_TOKEN, "base_url": tg.url},
                                 zalo={"token": BOT_TOKEN, "base_url": zl.url})
        services = Services(settings)
        db, secret = services.db, settings.pseudonym_secret.get_secret_value()
        people = [("telegram", str(10_000 + n)) for n in range(args.telegram)]
        people += [("zalo", f"z{n}") for n in range(args.zalo)]
        with db.session() as session:
            session.add_all(User(pseudonym=f"{channel}-{address}", channel=channel, unit=UNIT)
                            for channel, address in people)
        for channel, address in people:
            announcements.opt_in(db, secret, f"{channel}-{address}", channel, address, UNIT)

        started = time.monotonic()
        announcements.announce(db, secret, UnitDirectory([UNIT]), UNIT, "Lịch học tuần sau.", "benchmark")
        written = time.monotonic() - started
        finished: dict[str, float] = {}

        async def run() -> None:
            senders = [Sender(db, settings) for _ in range(args.senders)]
            stop = asyncio.Event()
            tasks = [asyncio.create_task(sender.run(stop, idle=0.02)) for sender in senders]
            while len(finished) < 2:
                for channel, fake, count in (("telegram", tg, args.telegram), ("zalo", zl, args.zalo)):
                    if channel not in finished and len(fake.sent()) >= count:
                        finished[channel] = time.monotonic() - started
                await asyncio.sleep(0.02)
            stop.set()
            await asyncio.gather(*tasks)
            for sender in senders:
                await sender.close()

        asyncio.run(run())
        [delivery] = announcements.deliveries(db)
        print(f"database: {db.engine.dialect.name}, senders: {args.senders}; outbox rows written in {written:.2f} s")
        for channel, count in (("telegram", args.telegram), ("zalo", args.zalo)):
            seconds = finished[channel]
            print(f"{channel}: {count} messages in {seconds:.1f} s = {count / seconds:.1f} msg/s "
                  f"(target {announcements.RATES[channel]:.0f}/s)")
        print(f"counts: recipients {delivery.recipients}, sent {delivery.sent}, pending {delivery.pending}, "
              f"failed {delivery.failed}")
        services.close()


if __name__ == "__main__":
    main()
