"""The knowledge base as a LangChain ``BaseRetriever``, for use in LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class KnowledgeRetriever(BaseRetriever):
    """Retrieves passages from a :class:`knowledge.base.KnowledgeBase` as LangChain documents."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kb: Any
    k: int = 5
    kind: str | None = None
    doc_id: str | None = None
    locality: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        sources = self.kb.search(
            query, k=self.k, kind=self.kind, doc_id=self.doc_id, locality=self.locality
        )
        return [
            Document(
                page_content=source.text,
                metadata={
                    "doc_id": source.doc_id,
                    "title": source.title,
                    "section": source.section,
                    "kind": source.kind,
                    "score": source.score,
                },
            )
            for source in sources
        ]
