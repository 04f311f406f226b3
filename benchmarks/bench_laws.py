"""Legal corpus benchmark: ingest quality and answers on Vietnamese legal texts, next to plain BM25.

Ingests ``../shared/corpus/laws`` (four laws, a decree and NQ 57) into a temporary data
dir and prints, in one run:

* conservation: share of the sources' cleaned lines found in exactly one chunk;
* articles: how many "Điều n." headings open a section of their own;
* metadata read from each document (type, number, date, issuer, signer);
* scores on ``benchmarks/questions-laws.jsonl`` (hit@1, hit@5, MRR@10, answer_ok, refuse)
  for our pipeline and for a plain BM25 over 1000-character chunks (LangChain's
  RecursiveCharacterTextSplitter 1000/200, words lower-cased and folded, the top chunk
  as the answer, never refusing);
* warm per-question latency of our pipeline (p50/p95).

Usage (from the repository root)::

    python benchmarks/bench_laws.py [--corpus ../shared/corpus/laws] [--questions benchmarks/questions-laws.jsonl]
"""

from __future__ import annotations

import argparse
import math
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hocvuso.settings import load_settings  # noqa: E402
from ingest.chunking import chunk_document  # noqa: E402
from ingest.conservation import check  # noqa: E402
from ingest.pipeline import collect_files, ingest_paths, read_document  # noqa: E402
from knowledge.evaluation import load_questions, score  # noqa: E402
from knowledge.textnorm import fold  # noqa: E402

_ARTICLE_RE = re.compile(r"(?m)^Điều (\d+)\.")
METRICS = ("hit1", "hit5", "mrr10", "answer_ok", "refuse")


class PlainBM25:
    """Okapi BM25 (k1 1.2, b 0.75) over folded lower-case words: the baseline."""

    def __init__(self, passages: list[dict]):
        self.passages = passages
        self.docs = [Counter(self.tokens(p["text"])) for p in passages]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.average = sum(self.lengths) / len(self.lengths)
        frequency = Counter(term for doc in self.docs for term in doc)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}

    @staticmethod
    def tokens(text: str) -> list[str]:
        return re.findall(r"\w+", fold(text))

    def search(self, question: str, k: int = 10) -> list[dict]:
        terms = self.tokens(question)
        scores = []
        for doc, length in zip(self.docs, self.lengths):
            norm = 1.2 * (1 - 0.75 + 0.75 * length / self.average)
            scores.append(sum(self.idf.get(t, 0) * doc[t] * 2.2 / (doc[t] + norm) for t in terms if t in doc))
        best = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:k]
        return [self.passages[i] for i in best]


def baseline_passages(files: list[Path]) -> list[dict]:
    """1000-character chunks of each file, titled with the document title our ingest reads."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    passages = []
    for path in files:
        title = read_document(path).metadata["title"]
        for text in splitter.split_text(path.read_text(encoding="utf-8")):
            passages.append({"doc_id": path.stem, "title": title, "section": "", "kind": "plan", "text": text})
    return passages


def structure_report(files: list[Path]) -> None:
    """Conservation, articles as sections and metadata of every document."""
    lines = kept = ok = articles = own = 0
    print("| Tài liệu | Loại | Số, ký hiệu | Ngày | Cơ quan ban hành | Người ký | Dòng giữ đủ | Điều riêng mục |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in files:
        document = read_document(path)
        chunks = chunk_document(document)
        result = check(document.lines, chunks)
        lines, kept, ok = lines + result.lines, kept + result.kept, ok + result.ok
        headings = _ARTICLE_RE.findall(path.read_text(encoding="utf-8"))
        placed = sum(
            1
            for chunk in chunks
            for number in _ARTICLE_RE.findall(chunk.own_text())
            if f"Điều {number}." in chunk.section
        )
        articles, own = articles + len(headings), own + placed
        meta = document.metadata
        print(
            f"| {path.stem} | {meta['doc_type']} | {meta['number']} | {meta['date']} | {meta['issuer']} | "
            f"{meta['signer'] or '—'} | {result.kept}/{result.lines} | {placed}/{len(headings)} |"
        )
    print(
        f"\nBảo toàn: {kept}/{lines} dòng ({100 * kept / lines:.1f}%), {ok}/{len(files)} tài liệu trọn vẹn; "
        f"\"Điều n.\" là mục riêng: {own}/{articles}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "laws")
    parser.add_argument("--questions", type=Path, default=ROOT / "benchmarks" / "questions-laws.jsonl")
    args = parser.parse_args()
    files, missing = collect_files([args.corpus])
    if missing or not files:
        sys.exit(f"Không thấy kho văn bản {args.corpus}")
    questions = load_questions(args.questions)

    structure_report(files)

    from knowledge.base import KnowledgeBase

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), knowledge_dir=Path(tmp), embedding={"backend": "none"})
        started = time.perf_counter()
        report = ingest_paths(settings, files, progress=False)
        ingest_seconds = time.perf_counter() - started
        kb = KnowledgeBase.open(settings)
        kb.ask("luật căn cước có hiệu lực khi nào")  # warm up
        answers, times = [], []
        for item in questions:
            started = time.perf_counter()
            answers.append(kb.ask(item["question"]).model_dump())
            times.append(time.perf_counter() - started)
    ours = score(questions, answers)

    bm25 = PlainBM25(baseline_passages(files))
    baseline = []
    for item in questions:
        sources = bm25.search(item["question"])
        baseline.append({"answer": sources[0]["text"] if sources else "", "found": True, "sources": sources})
    plain = score(questions, baseline)

    print(f"Nạp {len(files)} văn bản thành {report.total_chunks} đoạn trong {ingest_seconds:.1f} giây; "
          f"{len(questions)} câu hỏi ({args.questions.name}).\n")
    print("| Hệ thống | Nhóm | Số câu | " + " | ".join(METRICS) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in METRICS) + " |")
    for name, result in (("hocvuso", ours), ("BM25 thuần, đoạn 1000 ký tự", plain)):
        for group in ("overall", "no_diacritics", "with_diacritics"):
            if group in result:
                row = result[group]
                cells = [f"{row[m]:.2f}" if m in row else "—" for m in METRICS]
                print(f"| {name} | {group} | {row['questions']} | " + " | ".join(cells) + " |")
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"\nĐộ trễ khi đã nạp (hocvuso): p50 {1000 * statistics.median(times):.1f} ms, p95 {1000 * p95:.1f} ms")


if __name__ == "__main__":
    main()
