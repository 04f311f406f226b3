"""The vocabulary of questions, loaded from ``vocabulary.yaml``: chat spellings, spelling
variants, abbreviations, everyday wording and function words.

The YAML file is the single place to add a word; see its header for the rules. Here the
entries are only indexed for lookup: keys folded (``textnorm.fold``), replacements kept
as written (with diacritics) and also folded for the passage side of the index.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge.textnorm import fold, nfc

VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


def _load() -> dict:
    return yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))


_DATA = _load()

# Written replacements, by lower-case typed word (chat) or folded key (the others).
CHAT_SPELLINGS: dict[str, str] = {nfc(k).lower(): nfc(v or "") for k, v in _DATA["chat"].items()}
SPELLINGS: dict[str, str] = {nfc(k).lower(): nfc(v) for k, v in _DATA["spellings"].items()}
ABBREVIATION_WORDS: dict[str, str] = {fold(k): nfc(v) for k, v in _DATA["abbreviations"].items()}
CAPITAL_ABBREVIATION_WORDS: dict[str, str] = {k: nfc(v) for k, v in _DATA["capital_abbreviations"].items()}
CONTEXTUAL: dict[str, dict] = {
    fold(k): {"default": nfc(v["default"]), "means": nfc(v["means"]), "after": {fold(w) for w in v["after"]}}
    for k, v in _DATA["contextual"].items()
}
PHRASES: dict[tuple[str, ...], str] = {tuple(fold(k).split()): nfc(v) for k, v in _DATA["phrases"].items()}

# Folded forms, as the passage side of the index expands them ("CĐS" -> "chuyen doi so").
ABBREVIATIONS: dict[str, str] = {k: fold(v) for k, v in ABBREVIATION_WORDS.items()}
CAPITAL_ABBREVIATIONS: dict[str, str] = {k: fold(v) for k, v in CAPITAL_ABBREVIATION_WORDS.items()}

# Question and politeness words that carry no content, as typed with diacritics...
STOPWORDS = frozenset(nfc(_DATA["stopwords"]).split())
# ...and without: only the folded forms that no content word of the corpus shares.
FOLDED_STOPWORDS = frozenset(_DATA["folded_stopwords"].split())
