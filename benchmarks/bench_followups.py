"""Follow-up questions: how often the rule fires, and what the combined question retrieves.

Ingests the shipped documents (lexical index) into a temporary data dir, then prints:

* on ``benchmarks/questions-followups.jsonl`` (a question, then a follow-up of it):
  how many follow-ups the rule recognises, and how often the first source is the expected
  document when the knowledge base is asked the combined question, next to asking the
  follow-up message alone (what the assistant did before);
* on the standalone questions of the development sets: how many the rule would wrongly take
  for a follow-up of a previous question (any of three).

Usage (from the repository root)::

    python benchmarks/bench_followups.py [--eval-dir ../shared/eval]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.followup import Followups  # noqa: E402
from hocvuso.settings import load_settings  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from knowledge.base import KnowledgeBase  # noqa: E402

PREVIOUS = ("Kế hoạch của tỉnh Nghệ An giao cơ quan nào chủ trì năm 2025?", "cách đăng ký tài khoản VNeID mức 2",
            "VNeID là gì?")


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(data_dir=data_dir, embedding={"backend": "none"}, llm={"base_url": ""})
        ingest_paths(settings, progress=False)
        kb = KnowledgeBase.open(settings)
        followups = Followups(10, [doc["locality"] for doc in kb.documents() if doc.get("locality")])

        pairs = _lines(ROOT / "benchmarks" / "questions-followups.jsonl")
        recognised = combined_hits = alone_hits = 0
        for pair in pairs:
            combined = followups.combine(pair["previous"], pair["question"])
            recognised += combined is not None
            for question, is_combined in ((combined or pair["question"], True), (pair["question"], False)):
                answer = kb.ask(question)
                hit = answer.found and bool(answer.sources) and answer.sources[0].doc_id == pair["expect_doc"]
                if is_combined:
                    combined_hits += hit
                else:
                    alone_hits += hit
            print(f"{pair['id']}: {pair['question']!r} -> {combined!r}")
        n = len(pairs)
        print(f"\nfollow-ups recognised: {recognised}/{n}")
        print(f"expected document first, combined question: {combined_hits}/{n}")
        print(f"expected document first, message alone:     {alone_hits}/{n}")

        files = [ROOT / "benchmarks" / name for name in ("questions-extra.jsonl", "questions-nearmiss.jsonl")]
        files += sorted(args.eval_dir.glob("questions*.jsonl")) if args.eval_dir.is_dir() else []
        standalone = [row["question"] for path in files for row in _lines(path)]
        wrong = [q for q in standalone if any(followups.combine(p, q) for p in PREVIOUS)]
        print(f"standalone questions taken for a follow-up: {len(wrong)}/{len(standalone)} "
              f"({', '.join(path.name for path in files)})")
        for question in wrong:
            print("  ", question)


if __name__ == "__main__":
    main()
