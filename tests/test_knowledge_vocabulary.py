"""One test per entry of knowledge/vocabulary.yaml: each entry rewrites what it says it does.

Place and office short forms are not entries: they come from the documents' metadata,
tested here on documents made up for the test.
"""

from __future__ import annotations

import pytest
import yaml

from knowledge.lexical import LexicalIndex
from knowledge.query import ShortForms, rewrite
from knowledge.records import Chunk
from knowledge.textnorm import fold, nfc
from knowledge.vocabulary import VOCABULARY_FILE

DATA = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))


def written(question: str) -> str:
    return rewrite(question)[0]


@pytest.mark.parametrize(("typed", "meant"), sorted(DATA["chat"].items()))
def test_chat_spelling(typed, meant):
    result = written(f"cho hỏi {typed} nhé")
    assert result == " ".join(f"cho hỏi {meant or ''} nhé".split())


@pytest.mark.parametrize(("typed", "meant"), sorted(DATA["spellings"].items()))
def test_spelling_variant(typed, meant):
    assert written(f"người {typed} kế hoạch") == f"người {meant} kế hoạch"


@pytest.mark.parametrize(("short", "meant"), sorted(DATA["abbreviations"].items()))
def test_abbreviation(short, meant):
    # Typed in lower case, in capitals, and (for the documents' own) as the index expands it.
    assert written(f"về {short} nhé") == f"về {meant} nhé"
    assert written(f"về {short.upper()} nhé") == f"về {meant} nhé"


@pytest.mark.parametrize(("short", "meant"), sorted(DATA["capital_abbreviations"].items()))
def test_capital_abbreviation_only_in_capitals(short, meant):
    assert written(f"dùng {short} an toàn") == f"dùng {meant} an toàn"
    assert written(f"dùng {short.lower()} an toàn") == f"dùng {short.lower()} an toàn"


@pytest.mark.parametrize(("short", "entry"), sorted(DATA["contextual"].items()))
def test_contextual_short_form(short, entry):
    for before in entry["after"]:
        assert entry["means"] in written(f"{before} {short} rồi")
    assert written(f"{short} mới làm") == f"{entry['default']} mới làm"


@pytest.mark.parametrize(("everyday", "documents"), sorted(DATA["phrases"].items()))
def test_everyday_phrase(everyday, documents):
    # With and without diacritics, the documents' wording replaces the everyday one.
    assert written(f"hỏi {everyday} thế nào") == f"hỏi {documents} thế nào"
    assert written(f"hoi {fold(everyday)} the nao") == f"hoi {documents} the nao"


def test_entries_are_clean():
    for section in ("chat", "spellings", "abbreviations", "phrases"):
        for key, value in DATA[section].items():
            assert key == key.strip() and nfc(key) == key, (section, key)
            assert (value or "") == (value or "").strip() and nfc(value or "") == (value or ""), (section, key)


def place_chunk(doc_id: str, locality: str, issuer: str, title: str) -> Chunk:
    return Chunk(
        id=f"{doc_id}:0", doc_id=doc_id, kind="plan", title=title, section="Phần mở đầu",
        text=f"{issuer} ban hành kế hoạch.", locality=locality, metadata={"issuer": issuer},
    )


def test_place_and_office_short_forms_come_from_the_documents():
    chunks = [
        place_chunk("qt", "tỉnh Quảng Trị", "Ủy ban nhân dân tỉnh Quảng Trị", "Kế hoạch chuyển đổi số tỉnh Quảng Trị"),
        place_chunk("bt", "xã Bình Thạnh", "Ban Quản lý dự án xã Bình Thạnh", "Kế hoạch của xã Bình Thạnh"),
    ]
    forms = ShortForms(chunks)
    index = LexicalIndex.build(chunks)

    def known(token):
        return bool(index.idf(token))

    assert rewrite("kế hoạch của QT có mấy giai đoạn", forms, known)[0] == "kế hoạch của Quảng Trị có mấy giai đoạn"
    assert rewrite("xã BT ai ký", forms, known)[0] == "xã Bình Thạnh ai ký"
    assert rewrite("BQLDA xã BT làm gì", forms, known)[0].startswith("Ban Quản lý dự án")
    # Without such a document there is no such short form: today's places are not a list in code.
    assert rewrite("kế hoạch của NA", ShortForms(chunks), known)[0] == "kế hoạch của NA"
    # A lower-case word the corpus uses is never taken for a short form.
    assert rewrite("tỉnh qt", forms, known)[0] == "tỉnh Quảng Trị"
    assert rewrite("kế hoạch bt", forms, lambda token: token == "bt")[0] == "kế hoạch bt"
