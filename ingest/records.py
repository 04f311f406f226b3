"""Records passed between the ingest stages: load -> clean -> structure -> chunk."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Section:
    """A heading of a document with its own paragraphs and its subsections."""

    label: str  # short form shown in section paths, e.g. "1. Tiêu chí thi đua"
    heading: str = ""  # the heading paragraph as written ("" for untitled parts)
    paragraphs: list[str] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    rank: int = 0  # depth of the heading style: Phần < Chương < Mục < Điều < I. < 1. < 1.1. < a) < "- heading"

    def walk(self, parents: tuple[str, ...] = ()):
        """Yield ``(path, section)`` for this section and every subsection, in order."""
        path = (*parents, self.label)
        yield path, self
        for child in self.children:
            yield from child.walk(path)


@dataclass
class Outline:
    """A document cut into its parts: header, title, sections, signature."""

    title: str
    sections: list[Section]
    header: list[str] = field(default_factory=list)  # lines above the title (issuer, number, date)
    preamble: list[str] = field(default_factory=list)  # grounds: "Căn cứ ...", "Thực hiện ..."
    signature: list[str] = field(default_factory=list)  # "TM. ỦY BAN NHÂN DÂN", ..., the name
    front_matter: dict = field(default_factory=dict)  # lessons' YAML header
    doc_type: str = ""  # from the type line: "Luật", "Nghị định", "Kế hoạch"...
    title_lines: list[str] = field(default_factory=list)  # the type line and the subject lines
    head: list[str] = field(default_factory=list)  # lines outside every section, opening the first passage


@dataclass
class Document:
    """A loaded, cleaned and structured document ready to be chunked."""

    doc_id: str
    kind: str  # "plan" (plans and legal texts) | "lesson"
    outline: Outline
    metadata: dict[str, str]  # title, short_name, doc_type, issuer, locality, number, date, signer, source...
    lines: list[str] = field(default_factory=list)  # the source's non-blank lines after cleaning
