"""Scale benchmark: the knowledge base over 1×, 10× and 100× copies of the five plans.

Each copy of a plan gets its own number in the header and its own place names (the
province or commune is renamed), so the copies are distinct documents, as a
province's communes would be. For each corpus, in a fresh data dir, with the
default embedding backend:

* ingest time and peak RSS of ``hocvuso ingest`` (a new process);
* re-ingest of the unchanged files; adding one new document;
* cold ``hocvuso ask`` (a new process answering one question);
* warm per-question latency p50/p95 in a process that already answered once.

Usage (from the repository root)::

    python benchmarks/bench_scale.py [--scales 1,10,100] [--work /tmp/bench-scale]

Prints a markdown table of the current code next to the figures measured before
(issue 9, same machine, one run).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_knowledge import percentile, run  # noqa: E402
from knowledge import index_file  # noqa: E402

PLANS = ROOT / "knowledge" / "plans"
HOCVUSO = str(Path(sys.executable).with_name("hocvuso"))
COLD_QUESTION = "Ai ký kế hoạch thi đua của tỉnh Nghệ An?"
QUESTIONS = Path("/work/shared/eval/questions.jsonl")
WARM_ROUNDS = 3
# The places the five plans name, renamed in each copy.
PLACES = ("Đồng Tháp", "Hà Tĩnh", "Nghệ An", "Nghĩa Trung")
FIRST = "An Bình Phú Tân Hòa Thạnh Long Mỹ Đông Tây Hưng Lợi Phước Thuận Quang Minh Hiệp Thịnh Vĩnh Xuân".split()
SECOND = "Sơn Hà Lâm Giang Khê Điền Trạch Lộc Hải Lạc Yên Định Phong Thủy Châu Mỹ Phúc Hòa Tiến Thành".split()
# Before this work (issue 9): chunks, ingest s, ingest MB, re-ingest s, cold ask s, warm p50 / p95 ms.
BEFORE = {
    1: ("182", "3.0", "128", "0.6", "1.5", "3–4 / 7–8"),
    10: ("1,820", "9.6", "298", "0.5", "2.0", "9–16 / 24–35"),
    100: ("18,200", "89.6", "1,812", "2.5", "9.0", "114–133 / 262–374"),
}


def place(copy: int, index: int) -> str:
    """A distinct made-up place name for one copy of one place."""
    n = copy * len(PLACES) + index
    first, second = FIRST[n % len(FIRST)], SECOND[(n // len(FIRST)) % len(SECOND)]
    round_ = n // (len(FIRST) * len(SECOND))  # past 400 names, a number tells them apart
    return f"{first} {second} {round_ or ''}".strip()


def make_copy(text: str, copy: int) -> str:
    """A plan with its own header number and place names; copy 0 is the plan itself."""
    if copy == 0:
        return text
    for index, name in enumerate(PLACES):
        new = place(copy, index)
        text = text.replace(name, new).replace(name.upper(), new.upper())
    return re.sub(r"(?m)^(\s*Số:\s*)(\d*)", lambda m: f"{m.group(1)}{m.group(2)}{copy:03d}", text, count=1)


def build_corpus(folder: Path, scale: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(scale):
        for plan in sorted(PLANS.glob("*.txt")):
            name = plan.name if copy == 0 else f"{plan.stem}-ban-{copy:03d}.txt"
            (folder / name).write_text(make_copy(plan.read_text(encoding="utf-8"), copy), encoding="utf-8")


def warm_latency(data_dir: Path, questions: list[str]) -> tuple[float, float]:
    """p50 and p95 (ms) of answering the questions in one process that already answered once."""
    from hocvuso.settings import load_settings
    from knowledge.base import KnowledgeBase

    kb = KnowledgeBase.open(load_settings(data_dir=data_dir, embedding={"backend": "none"}))
    kb.ask(COLD_QUESTION)
    times = []
    for _ in range(WARM_ROUNDS):
        for question in questions:
            started = time.perf_counter()
            kb.ask(question)
            times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def measure(work: Path, scale: int, questions: list[str]) -> dict:
    corpus, data = work / f"corpus-{scale}x", work / f"data-{scale}x"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    build_corpus(corpus, scale)
    env = {"HOCVUSO_DATA_DIR": str(data), "HOCVUSO_EMBEDDING__BACKEND": "none", "HOCVUSO_LLM__BASE_URL": ""}
    ingest = [HOCVUSO, "ingest", "--quiet", str(corpus)]
    ingest_s, ingest_mb, _ = run(ingest, env)
    again_s, _, _ = run(ingest, env)
    extra = corpus / "them-mot-tai-lieu.txt"
    extra.write_text(make_copy((PLANS / "xa-nghia-trung.txt").read_text(encoding="utf-8"), 999), encoding="utf-8")
    add_s, add_mb, _ = run(ingest, env)
    cold_s, _, _ = run([HOCVUSO, "ask", COLD_QUESTION], env)
    p50, p95 = warm_latency(data, questions)
    indexed = index_file.documents(data / "index" / "lexical-none.sqlite")
    return {
        "scale": scale, "files": len(list(corpus.iterdir())) - 1,
        "chunks": sum(doc["chunks"] for doc in indexed.values()),
        "ingest_s": ingest_s, "ingest_mb": ingest_mb, "again_s": again_s, "add_s": add_s, "add_mb": add_mb,
        "cold_s": cold_s, "p50": p50, "p95": p95, "text_mb": sum(p.stat().st_size for p in corpus.iterdir()) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-scale"))
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()][:40]
    rows = []
    for scale in map(int, args.scales.split(",")):
        row = measure(args.work, scale, questions)
        rows.append(row)
        print(f"{scale}×: {json.dumps(row)}", file=sys.stderr, flush=True)
    print("| corpus | chunks | ingest | ingest peak RSS | re-ingest unchanged | add one document "
          "| cold `hocvuso ask` | warm p50 / p95 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        before = BEFORE.get(row["scale"], ("?",) * 6)
        print(
            f"| {row['scale']}× ({row['files']} tệp, {row['text_mb']:.1f} MB) | {row['chunks']:,} (trước {before[0]}) "
            f"| {row['ingest_s']:.1f} s (trước {before[1]} s) | {row['ingest_mb']:.0f} MB (trước {before[2]} MB) "
            f"| {row['again_s']:.1f} s (trước {before[3]} s) | {row['add_s']:.1f} s, {row['add_mb']:.0f} MB "
            f"| {row['cold_s']:.1f} s (trước {before[4]} s) "
            f"| {row['p50']:.0f} / {row['p95']:.0f} ms (trước {before[5]} ms) |"
        )


if __name__ == "__main__":
    main()
