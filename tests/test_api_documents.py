"""Browsing the ingested plans and lessons over HTTP: list, section tree, section text."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fixtures_api import client, ingested_dir, kb_settings, services  # noqa: F401


@pytest.fixture
def api_settings(kb_settings):  # noqa: F811
    return kb_settings


def walk(sections):
    for section in sections:
        yield section
        yield from walk(section["children"])


def test_lists_the_plans_and_lessons_with_metadata(client):  # noqa: F811
    documents = {doc["doc_id"]: doc for doc in client.get("/v1/documents").json()}
    kinds = [doc["kind"] for doc in documents.values()]
    assert kinds.count("plan") == 6 and kinds.count("lesson") >= 12
    plan = documents["xa-nghia-trung"]
    assert plan["locality"] == "xã Nghĩa Trung"
    assert plan["issuer"] == "Ủy ban nhân dân xã Nghĩa Trung"
    assert (plan["source"], plan["doc_type"], plan["short_name"]) == ("xa-nghia-trung.txt", "Kế hoạch", "Kế hoạch xã Nghĩa Trung")
    assert plan["chunks"] > 0


def test_document_has_a_section_tree_whose_paths_give_texts(client):  # noqa: F811
    document = client.get("/v1/documents/xa-nghia-trung").json()
    sections = list(walk(document["sections"]))
    criteria = next(s for s in sections if s["title"].startswith("III."))
    assert criteria["children"], "a Roman heading holds numbered subsections"
    child = criteria["children"][0]
    assert child["path"].startswith(criteria["path"])

    whole = client.get(f"/v1/documents/xa-nghia-trung/sections/{quote(criteria['path'], safe='')}")
    part = client.get(f"/v1/documents/xa-nghia-trung/sections/{quote(child['path'], safe='')}")
    assert whole.status_code == part.status_code == 200
    assert whole.json()["path"] == criteria["path"]
    # A section's text includes its subsections.
    assert part.json()["text"] in whole.json()["text"]
    assert len(whole.json()["text"]) > len(part.json()["text"])


@pytest.mark.parametrize("character", ["?", "/"])
def test_section_paths_with_url_characters_work_once_encoded(client, character):  # noqa: F811
    """Headings such as "VNeID là gì?" or "Nghị quyết 57-NQ/TW" are addressable."""
    found = [(doc["doc_id"], section["path"]) for doc in client.get("/v1/documents").json()
             for section in walk(client.get(f"/v1/documents/{doc['doc_id']}").json()["sections"])
             if character in section["path"]]
    assert found, f"the shipped documents have headings with {character!r}"
    doc_id, path = found[0]
    response = client.get(f"/v1/documents/{doc_id}/sections/{quote(path, safe='')}")
    assert response.status_code == 200, response.text
    assert response.json()["path"] == path and response.json()["text"]


def test_unknown_document_and_section_are_404_in_vietnamese(client):  # noqa: F811
    missing = client.get("/v1/documents/khong-co")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Không có văn bản mã “khong-co”.", "code": "document_not_found"}
    section = client.get("/v1/documents/xa-nghia-trung/sections/" + quote("IX. Không có", safe=""))
    assert section.status_code == 404 and section.json()["code"] == "section_not_found"
    assert client.get("/v1/documents/khong-co/sections/I.").json()["code"] == "document_not_found"
