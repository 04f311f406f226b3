"""Cutting a long reply into messages a chat app accepts, on natural boundaries."""

from __future__ import annotations

from collections.abc import Callable

# Boundaries tried in order: paragraph, line, sentence, word.
_SEPARATORS = ("\n\n", "\n", ". ", " ")


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Split ``text`` into pieces whose ``size`` is at most ``limit``.

    Cuts between paragraphs when it can, then between lines, sentences and words;
    only a single word longer than the limit is cut in the middle. ``size`` lets a
    caller count what the chat app counts (e.g. the HTML-escaped length).
    """
    text = text.strip()
    if not text:
        return []
    if size(text) <= limit:
        return [text]
    return [piece for piece in _split(text, limit, size, 0) if piece]


def _split(text: str, limit: int, size: Callable[[str], int], level: int) -> list[str]:
    if size(text) <= limit:
        return [text.strip()]
    if level == len(_SEPARATORS):
        return _cut_hard(text, limit, size)
    separator = _SEPARATORS[level]
    # A sentence keeps its full stop: split ". " into "." (kept) and " " (joiner).
    kept = separator.rstrip()
    joiner = separator[len(kept):]
    parts = text.split(separator)
    parts = [part + kept for part in parts[:-1]] + parts[-1:]
    pieces: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{joiner}{part}" if current else part
        if size(candidate.strip()) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current.strip())
        if size(part.strip()) <= limit:
            current = part
        else:
            pieces.extend(_split(part, limit, size, level + 1))
            current = ""
    if current:
        pieces.append(current.strip())
    return pieces


def _cut_hard(text: str, limit: int, size: Callable[[str], int]) -> list[str]:
    pieces = []
    while text:
        end = min(len(text), limit)
        while end > 1 and size(text[:end]) > limit:
            end -= 1
        pieces.append(text[:end])
        text = text[end:]
    return pieces
