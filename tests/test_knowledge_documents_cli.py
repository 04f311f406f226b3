"""``hocvuso documents list|show``: the ingested documents and their whole text, by section."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from fixtures_knowledge import make_corpus
from hocvuso.cli import main
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR, load_settings
from ingest.pipeline import ingest_paths, read_document

LIST_FIELDS = ["doc_id", "source", "title", "doc_type", "number", "date", "issuer", "signer", "locality", "chunks"]
NQ57 = "nghi-quyet-57-nq-tw-2024"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run ``hocvuso`` on the plans, the shipped resolution and a lesson."""
    root = tmp_path_factory.mktemp("documents")
    make_corpus(root / "knowledge")
    shutil.copytree(PACKAGE_KNOWLEDGE_DIR / "laws", root / "knowledge" / "laws")
    settings = load_settings(data_dir=root / "data", knowledge_dir=root / "knowledge", embedding={"backend": "none"})
    assert ingest_paths(settings, progress=False).ok
    env = {"HOCVUSO_DATA_DIR": str(root / "data"), "HOCVUSO_KNOWLEDGE_DIR": str(root / "knowledge"),
           "HOCVUSO_EMBEDDING__BACKEND": "none"}

    def invoke(*args: str):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def test_list_json_gives_each_document_with_its_metadata(run):
    result = run("documents", "list", "--json")
    assert result.exit_code == 0
    documents = {doc["doc_id"]: doc for doc in json.loads(result.output)}
    assert all(list(doc) == LIST_FIELDS for doc in documents.values())
    nq = documents[NQ57]
    assert (nq["source"], nq["doc_type"], nq["number"], nq["date"]) == (f"{NQ57}.txt", "Nghị quyết", "57-NQ/TW", "22/12/2024")
    assert (nq["issuer"], nq["signer"], nq["locality"]) == ("Bộ Chính trị", "Tô Lâm", "")
    assert documents["tinh-nghe-an"]["locality"] == "tỉnh Nghệ An" and documents["tinh-nghe-an"]["chunks"] > 10


def test_list_as_a_table(run):
    result = run("documents", "list")
    assert result.exit_code == 0 and "tài liệu đã nạp" in result.output and NQ57 in result.output


def test_show_json_sections_hold_the_whole_document_in_reading_order(run):
    result = run("documents", "show", NQ57, "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["number"] == "57-NQ/TW" and data["sections"]
    assert all(set(section) == {"path", "text"} for section in data["sections"])
    paths = [section["path"] for section in data["sections"]]
    assert paths[0] == "Phần mở đầu" and paths[-1] == "Người ký"
    whole = "".join("".join(section["text"].split()) for section in data["sections"])
    lines = ["".join(line.split()) for line in read_document(PACKAGE_KNOWLEDGE_DIR / "laws" / f"{NQ57}.txt").lines]
    # Every line of the source, each once: the texts leave out the headings passages repeat.
    assert all(line in whole for line in lines)
    assert whole.count("I-QUANĐIỂMCHỈĐẠO") == 1
    assert len(whole) == len("".join(lines))


def test_show_as_text(run):
    result = run("documents", "show", "xa-nghia-trung")
    assert result.exit_code == 0
    assert "Người ký: Lường Đình Hải" in result.output and "## V. THỜI GIAN VÀ TRÁCH NHIỆM THỰC HIỆN" in result.output


def test_show_unknown_document_names_the_known_ones(run):
    result = run("documents", "show", "khong-co")
    assert result.exit_code != 0
    assert "Không có tài liệu mã “khong-co”" in result.output and "tinh-nghe-an" in result.output


def test_ask_json_sources_carry_their_citation(run):
    data = json.loads(run("ask", "--json", "nghị quyết 57 đặt mục tiêu gì đến năm 2045").output)
    assert data["sources"] and all(source["citation"] for source in data["sources"])
    assert any(source["citation"].startswith("Nghị quyết 57-NQ/TW, mục II") for source in data["sources"])


def test_help_is_vietnamese(run):
    assert "Xem các tài liệu đã nạp" in run("documents", "--help").output
    assert "toàn văn" in run("documents", "show", "--help").output
