"""The ``ask`` and ``eval`` commands and their JSON contract."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from fixtures_knowledge import corpus_dirs, kb_settings  # noqa: F401
from hocvuso.cli import main

SOURCE_FIELDS = {"doc_id", "title", "section", "kind", "text", "score", "citation"}


@pytest.fixture
def run(kb_settings, monkeypatch):
    """Run ``hocvuso`` on the test knowledge base."""
    monkeypatch.setenv("HOCVUSO_DATA_DIR", str(kb_settings.data_dir))
    monkeypatch.setenv("HOCVUSO_EMBEDDING__BACKEND", "none")
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_ask_prints_answer_and_citations(run):
    result = run("ask", "Xã Nghĩa Trung triển khai phong trào thi đua từ năm nào đến năm nào?")
    assert result.exit_code == 0
    assert "từ năm 2026 đến năm 2030" in result.output
    assert "Nguồn:" in result.output and "1. Kế hoạch xã Nghĩa Trung, mục V.1" in result.output


def test_ask_cites_each_section_once(run):
    question = "Nghị quyết 57-NQ/TW của Bộ Chính trị ban hành ngày nào và về vấn đề gì?"
    sources = json.loads(run("ask", "--json", question).output)["sources"]
    shown = [(s["title"], s["section"]) for s in sources[:3]]
    assert len(set(shown)) < len(shown)  # two passages of one section come back among the first

    output = run("ask", question).output
    cited = output.split("Nguồn:\n", 1)[1].strip().split("\n")
    assert [line.split(". ", 1)[0].strip() for line in cited] == ["1", "2", "3"]
    names = [line.split(". ", 1)[1] for line in cited]
    assert len(set(names)) == 3
    assert names[0] == sources[0]["citation"]


def test_ask_json_contract(run):
    result = run("ask", "--json", "nq57 ban hanh ngay nao")
    data = json.loads(result.output)
    assert set(data) == {"answer", "found", "sources", "category"}
    assert data["found"] is True and data["sources"]
    assert all(set(source) == SOURCE_FIELDS for source in data["sources"])
    assert [s["score"] for s in data["sources"]] == sorted((s["score"] for s in data["sources"]), reverse=True)
    refused = json.loads(run("ask", "--json", "Giá vàng hôm nay bao nhiêu?").output)
    assert refused["found"] is False and refused["answer"]


def test_ask_batch_json_one_object_per_line_with_id(run, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"id": "a1", "question": "Ai ký kế hoạch của tỉnh Nghệ An?", "expect_kind": "plan", "expect": [["Bùi Đình Long"]]}\n'
        "\n"
        '{"id": "a2", "question": "chào bạn", "expect_kind": "none", "expect": []}\n',
        encoding="utf-8",
    )
    lines = run("ask", "--batch", str(questions), "--json").output.strip().split("\n")
    rows = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == ["a1", "a2"]
    assert set(rows[0]) == {"id", "answer", "found", "sources", "category"}
    assert "Bùi Đình Long" in rows[0]["answer"] and rows[1]["found"] is False


def test_ask_needs_a_question(run):
    result = run("ask")
    assert result.exit_code == 2 and "Hãy nhập câu hỏi" in result.output


def test_ask_on_an_empty_store_says_to_ingest(tmp_path, monkeypatch):
    monkeypatch.setenv("HOCVUSO_DATA_DIR", str(tmp_path / "trong"))
    monkeypatch.setenv("HOCVUSO_EMBEDDING__BACKEND", "none")
    result = CliRunner().invoke(main, ["ask", "VNeID là gì?"])
    assert result.exit_code == 1 and "hocvuso ingest" in result.output


def test_eval_scores_a_question_file(run, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(item, ensure_ascii=False)
            for item in [
                {"id": "1", "question": "Ai ký kế hoạch của tỉnh Nghệ An?", "expect_kind": "plan",
                 "expect": [["Bùi Đình Long"]], "doc_hint": "Nghệ An"},
                {"id": "2", "question": "dong thap so ket giai doan 1 vao khi nao", "expect_kind": "plan",
                 "expect": [["Quý IV/2027"]], "doc_hint": "Đồng Tháp"},
                {"id": "3", "question": "Thời tiết Hà Tĩnh ngày mai thế nào?", "expect_kind": "none", "expect": []},
            ]
        ),
        encoding="utf-8",
    )
    report = json.loads(run("eval", str(questions), "--json").output)
    assert report["overall"]["hit5"] == 1.0 and report["overall"]["refuse"] == 1.0
    assert report["no_diacritics"]["questions"] == 1
    assert set(report) >= {"overall", "kind:plan", "kind:none", "no_diacritics", "with_diacritics"}
    table = run("eval", str(questions)).output
    assert "hit@5" in table and "Gõ không dấu" in table


def test_eval_without_file_and_without_default(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("eval")
    assert result.exit_code == 2 and "tệp câu hỏi" in result.output


def test_ask_explain_prints_every_stage_before_the_answer(run):
    output = run("ask", "--explain", "kh thi đua của ubnd tỉnh NA ai kí thế").output
    stages = ["1. Hiểu câu hỏi", "2–3. Tìm và xếp hạng", "4. Quyết định", "5. Soạn câu trả lời"]
    positions = [output.index(stage) for stage in stages]
    assert positions == sorted(positions)
    assert "NA → Nghệ An" in output and "kí → ký" in output
    assert "trả lời; tín hiệu:" in output
    assert "Người ký: Bùi Đình Long" in output
    refused = run("ask", "--explain", "chủ tịch ubnd tỉnh nghệ an hiện nay là ai").output
    assert "từ chối (holder)" in refused
