"""Which phrases expected by development questions are missing from the lessons?

Lesson edits can silently remove the wording a development question expects. This
script lists, for every question with ``expect_kind`` ``lesson`` or ``any``, each
``expect`` group none of whose phrases occurs in any lesson (compared NFC,
lower-cased, whitespace removed), and single alternatives that are gone.

Usage (from the repository root)::

    python benchmarks/lesson_phrases.py [questions.jsonl ...]

Default files: shared/eval/questions.jsonl and questions-chat.jsonl (found next to the
repository or above it) and benchmarks/questions-extra.jsonl (those that exist). Exit status 1 when a group is missing.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The shared sets sit next to the repository (../shared), or two levels up from a worktree.
SHARED = next((d / "shared" / "eval" for d in ROOT.parents if (d / "shared" / "eval").is_dir()), ROOT / "shared")
DEFAULT_FILES = [
    SHARED / "questions.jsonl",
    SHARED / "questions-chat.jsonl",
    ROOT / "benchmarks" / "questions-extra.jsonl",
]


def key(text: str) -> str:
    """NFC, lower case, no whitespace: the form phrases are compared in."""
    return "".join(unicodedata.normalize("NFC", text).lower().split())


def main(files: list[Path]) -> int:
    lesson_files = sorted((ROOT / "knowledge" / "lessons").glob("*.md"))
    lessons = "\n".join(key(p.read_text(encoding="utf-8")) for p in lesson_files)
    checked = missing_groups = 0
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            question = json.loads(line)
            if question.get("expect_kind") not in {"lesson", "any"}:
                continue
            for group in question.get("expect", []):
                checked += 1
                gone = [phrase for phrase in group if key(phrase) not in lessons]
                if len(gone) == len(group):
                    missing_groups += 1
                    print(f"{question['id']}\tthiếu cả nhóm\t{group}")
                elif gone:
                    print(f"{question['id']}\tthiếu một cách viết\t{gone}")
    print(f"{checked} nhóm cụm từ đã kiểm, {missing_groups} nhóm không còn trong bài học nào.")
    return 1 if missing_groups else 0


if __name__ == "__main__":
    given = [Path(arg) for arg in sys.argv[1:]]
    sys.exit(main(given or [p for p in DEFAULT_FILES if p.is_file()]))
