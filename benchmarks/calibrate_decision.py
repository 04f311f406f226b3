"""Calibrate the answer/refuse threshold on all development sets together.

Runs every question of the sets through the knowledge base once with the coverage
threshold at 0 (only the mismatch signals refuse), keeps each question's coverage
signal and answer, then scores every threshold of a grid as if it had been set:
a question is answered when it was answered at 0 and its coverage reaches the
threshold. Prints answer_ok and refuse per set for each threshold, and the threshold
with the most questions right over all sets pooled (answerable questions answered
correctly + out-of-scope questions refused).

Usage (from the repository root)::

    python benchmarks/calibrate_decision.py [--data-dir DIR] [SET.jsonl ...]

Without ``--data-dir`` the shipped knowledge is ingested into a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The shared development sets sit next to the repository (../shared/eval), or next to
# the folder of worktrees.
SHARED_EVAL = next((p / "shared/eval" for p in ROOT.parents if (p / "shared/eval").is_dir()), ROOT / "shared/eval")
DEFAULT_SETS = [
    SHARED_EVAL / "questions.jsonl",
    SHARED_EVAL / "questions-chat.jsonl",
    ROOT / "benchmarks/questions-extra.jsonl",
    ROOT / "benchmarks/questions-nearmiss.jsonl",
]
GRID = [round(0.30 + 0.05 * i, 2) for i in range(11)]  # 0.30 ... 0.80


def open_kb(data_dir: Path | None):
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="hocvuso-calibrate-"))
        os.environ["HOCVUSO_DATA_DIR"] = str(data_dir)
        from hocvuso.settings import load_settings
        from ingest.pipeline import ingest_paths

        ingest_paths(load_settings(), None, progress=False)
    else:
        os.environ["HOCVUSO_DATA_DIR"] = str(data_dir)
    from hocvuso.settings import load_settings
    from knowledge.base import KnowledgeBase

    return KnowledgeBase.open(load_settings())


def observe(kb, questions: list[dict]) -> list[dict]:
    """Per question: answered at threshold 0, its coverage, whether the answer holds the expected text."""
    from knowledge import decision
    from knowledge.evaluation import contains_all

    decision.MIN_COVERAGE = 0.0
    rows = []
    for item in questions:
        trace: list = []
        answer = kb.ask(item["question"], trace=trace)
        decided = next((value for stage, value in trace if stage == "decide"), None)
        rows.append(
            {
                "none": item.get("expect_kind") == "none",
                "found": answer.found,
                "coverage": decided.signals.get("coverage", 0.0) if decided else 0.0,
                "ok": answer.found and contains_all(answer.answer, item.get("expect", [])),
            }
        )
    return rows


def score(rows: list[dict], threshold: float) -> tuple[int, int, int, int]:
    """(answered correctly, answerable, refused, out of scope) at a threshold."""
    ok = sum(r["ok"] and r["coverage"] >= threshold for r in rows if not r["none"])
    refused = sum(not (r["found"] and r["coverage"] >= threshold) for r in rows if r["none"])
    return ok, sum(not r["none"] for r in rows), refused, sum(r["none"] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()

    from knowledge.decision import MIN_COVERAGE
    from knowledge.evaluation import load_questions

    kb = open_kb(args.data_dir)
    observed = {path.name: observe(kb, load_questions(path)) for path in args.sets if path.exists()}
    names = list(observed)
    print("| threshold | " + " | ".join(f"{n} answer_ok / refuse" for n in names) + " | all right |")
    print("|---" * (len(names) + 2) + "|")
    best = None
    for threshold in GRID:
        cells, right, total = [], 0, 0
        for name in names:
            ok, answerable, refused, none = score(observed[name], threshold)
            cells.append(f"{ok / max(answerable, 1):.2f} / {refused / max(none, 1):.2f}")
            right, total = right + ok + refused, total + answerable + none
        mark = " ←" if threshold == MIN_COVERAGE else ""
        print(f"| {threshold:.2f}{mark} | " + " | ".join(cells) + f" | {right}/{total} |")
        if best is None or right >= best[1]:  # on a tie the higher threshold: a refusal is safer than a wrong answer
            best = (threshold, right)
    print(f"\nBest threshold over all sets: {best[0]:.2f} ({best[1]} questions right); in use: {MIN_COVERAGE:.2f}")


if __name__ == "__main__":
    main()
