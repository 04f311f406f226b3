"""The deployment's units (xã, phường, cơ quan) and matching what people type to them.

The list lives in ``units.yaml`` of the knowledge directory::

    units:
      - Phường Vĩnh Phú
      - name: Xã Nghĩa Trung
        aliases: [UBND xã Nghĩa Trung]

People type a unit loosely: without diacritics, with or without "xã/phường/thị
trấn", with short forms ("p.", "tt", "tp"), in any case, sometimes followed by the
district or province. :meth:`UnitDirectory.resolve` compares names by their kind
(xã, phường...) and the rest of the name, so "phuong vinh phu", "P. Vĩnh Phú" and
"vĩnh phú" all mean "Phường Vĩnh Phú". A name outside the list is kept as typed and
reported as not listed, so a trainer can add it or correct it; with no list at all
nothing is flagged. Statistics group records by :meth:`UnitDirectory.key`, computed
when they are read, so records typed before a unit was listed join it once it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hocvuso.db.models import Unit
from knowledge.textnorm import fold, nfc

UNITS_FILE = "units.yaml"
MAX_UNIT_CHARS = 200  # the users.unit column

# Kinds of local units, by their folded spellings and short forms, longest first.
_KINDS = {
    "thi tran": "thi tran", "tt": "thi tran",
    "dac khu": "dac khu",
    "phuong": "phuong", "p": "phuong",
    "xa": "xa", "x": "xa",
    "thi xa": "thi xa", "tx": "thi xa",
    "quan": "quan", "q": "quan",
    "huyen": "huyen", "h": "huyen",
    "thanh pho": "thanh pho", "tp": "thanh pho",
    "tinh": "tinh",
}
# Words before the kind that do not change which unit is meant ("UBND xã ...").
_LEADING = ("uy ban nhan dan", "ubnd")
# Kinds that may follow a unit's name to say where it is ("..., tỉnh Nghệ An").
_PARENT_KINDS = {"huyen", "quan", "thi xa", "thanh pho", "tinh"}
# "p3", "q10": a short kind glued to a number.
_GLUED_NUMBER_RE = re.compile(r"^(p|q|x)(\d+)$")


class UnitListError(Exception):
    """The units file cannot be read (the message names the file, in Vietnamese)."""


@dataclass(frozen=True)
class _Name:
    """A unit name cut into its kind and the rest, kept with and without diacritics."""

    kind: str | None
    rest: str  # lower case, diacritics kept
    folded: str  # lower case, without diacritics

    @property
    def has_marks(self) -> bool:
        return self.rest != self.folded


@dataclass(frozen=True)
class UnitMatch:
    """What a typed unit name resolves to.

    ``name`` is the canonical unit when ``listed``, else the typed text tidied up;
    ``candidates`` lists the units a name without its kind could mean.
    """

    name: str
    listed: bool
    candidates: tuple[str, ...] = ()


@dataclass
class UnitDirectory:
    """The list of units and the matcher over it."""

    units: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # alias -> canonical unit

    def __post_init__(self):
        self._keys: dict[str, str] = {}  # stored unit -> key; statistics ask once per record
        self._names: list[tuple[_Name, str]] = []
        for unit in self.units:
            self._names.append((_parse(unit), unit))
        for alias, unit in self.aliases.items():
            self._names.append((_parse(alias), unit))

    @property
    def enabled(self) -> bool:
        """True when the deployment lists its units (only then are names flagged)."""
        return bool(self.units)

    def resolve(self, typed: str) -> UnitMatch:
        """The listed unit ``typed`` names, or ``typed`` tidied up and flagged as not listed."""
        tidy = tidy_name(typed)
        found: list[str] = []
        for reading in _readings(tidy):  # "Tịnh Biên" may also be "tỉnh Biên": try both
            if found := self._find(reading):
                break
        if len(found) == 1:
            return UnitMatch(found[0], True)
        return UnitMatch(tidy, False, tuple(found))

    def key(self, unit: str | None) -> str | None:
        """The grouping key of a stored unit: its canonical name, or its folded form when not listed."""
        if unit is None:
            return None
        if unit not in self._keys:
            match = self.resolve(unit)
            name = _parse(match.name)
            self._keys[unit] = match.name if match.listed else " ".join(p for p in (name.kind, name.folded) if p)
        return self._keys[unit]

    def display(self, unit: str | None) -> str | None:
        """The name to show for a stored unit: the canonical one when listed, else as stored."""
        if unit is None:
            return None
        match = self.resolve(unit)
        return match.name

    def _find(self, typed: _Name) -> list[str]:
        """The distinct units whose name matches ``typed`` (see the module docstring)."""
        if not typed.folded:
            return []
        found = self._candidates(typed)
        if not found:
            # "Vĩnh Phú, TP Thuận An": try the name without its trailing district or province.
            words = typed.folded.split()
            marked = typed.rest.split()
            for end in range(len(words) - 1, 0, -1):
                if _kind_at(words, end) in _PARENT_KINDS:
                    shorter = _Name(typed.kind, " ".join(marked[:end]), " ".join(words[:end]))
                    found = self._candidates(shorter)
                    if found:
                        break
        return found

    def _candidates(self, typed: _Name) -> list[str]:
        pairs = [
            (name, unit)
            for name, unit in self._names
            if name.folded == typed.folded and (typed.kind is None or name.kind in (None, typed.kind))
        ]
        if typed.has_marks and len({unit for _, unit in pairs}) > 1:
            # Typed with diacritics: "Vĩnh Phú" is not "Vĩnh Phụ" when both exist.
            exact = [(name, unit) for name, unit in pairs if name.rest == typed.rest]
            pairs = exact or pairs
        return list(dict.fromkeys(unit for _, unit in pairs))


class UnitExists(Exception):
    """The unit to add is already listed (``unit`` names it)."""

    def __init__(self, unit: str):
        super().__init__(unit)
        self.unit = unit


class UnitCatalog:
    """The deployment's units: those of ``units.yaml`` and those added through the admin API.

    The added ones live in the database, so every worker and bot sees them at once;
    :meth:`directory` reads them on each call (a unit is matched rarely: on /donvi
    and when statistics are computed).
    """

    def __init__(self, listed: UnitDirectory, db=None):
        self.listed = listed
        self.db = db

    def directory(self) -> UnitDirectory:
        """The current list: the file's units, then the added ones."""
        added = self._added()
        if not added:
            return self.listed
        aliases = dict(self.listed.aliases)
        for name, unit_aliases in added:
            aliases.update({tidy_name(alias): name for alias in unit_aliases})
        return UnitDirectory(list(dict.fromkeys(self.listed.units + [name for name, _ in added])), aliases)

    def entries(self) -> list[dict]:
        """Every listed unit with its aliases and where it comes from (``file`` or ``admin``)."""
        by_unit: dict[str, list[str]] = {}
        for alias, unit in self.listed.aliases.items():
            by_unit.setdefault(unit, []).append(alias)
        rows = [{"name": unit, "aliases": by_unit.get(unit, []), "source": "file"} for unit in self.listed.units]
        rows += [{"name": name, "aliases": list(aliases), "source": "admin"} for name, aliases in self._added()]
        return rows

    def add(self, name: str, aliases: list[str] | None = None) -> dict:
        """List a new unit; raise :class:`UnitExists` when ``name`` or an alias already names a listed one."""
        name = tidy_name(name)
        aliases = [alias for alias in dict.fromkeys(tidy_name(a) for a in aliases or []) if alias]
        current = self.directory()
        for candidate in [name, *aliases]:
            match = current.resolve(candidate)
            if match.listed or match.candidates:  # it would be read as a unit already listed
                raise UnitExists(match.name if match.listed else match.candidates[0])
        try:
            with self.db.session() as session:
                session.add(Unit(name=name, aliases=aliases))
        except IntegrityError:  # added meanwhile by another request
            raise UnitExists(name) from None
        return {"name": name, "aliases": aliases, "source": "admin"}

    def _added(self) -> list[tuple[str, list[str]]]:
        if self.db is None:
            return []
        with self.db.session() as session:
            rows = session.execute(select(Unit.name, Unit.aliases).order_by(Unit.id))
            return [(row.name, list(row.aliases or [])) for row in rows]


def tidy_name(typed: str) -> str:
    """``typed`` in NFC with single spaces and without surrounding punctuation, at most 200 characters."""
    return " ".join(nfc(typed).split()).strip(" .,;:-–")[:MAX_UNIT_CHARS]


def load_units(knowledge_dir: Path) -> UnitDirectory:
    """Read ``units.yaml`` of ``knowledge_dir``; no file means no list (nothing is flagged)."""
    path = Path(knowledge_dir) / UNITS_FILE
    if not path.is_file():
        return UnitDirectory()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UnitListError(f"{path.name}: không đọc được danh sách đơn vị: {exc}") from exc
    entries = raw.get("units") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise UnitListError(f"{path.name}: cần khóa 'units' là một danh sách tên đơn vị")
    units: list[str] = []
    aliases: dict[str, str] = {}
    for position, entry in enumerate(entries, start=1):
        if isinstance(entry, str):
            entry = {"name": entry}
        name = tidy_name(str(entry.get("name") or "")) if isinstance(entry, dict) else ""
        if not name:
            raise UnitListError(f"{path.name}: mục thứ {position} không có tên đơn vị ('name')")
        units.append(name)
        for alias in entry.get("aliases") or []:
            aliases[tidy_name(str(alias))] = name
    return UnitDirectory(list(dict.fromkeys(units)), aliases)


def _parse(name: str) -> _Name:
    """Cut ``name`` into kind and rest: "P. Vĩnh Phú" -> ("phuong", "vĩnh phú", "vinh phu")."""
    return _readings(name)[0]


def _readings(name: str) -> list[_Name]:
    """The ways to read ``name``: with its first words taken as a kind, then as part of the name."""
    marked = re.sub(r"[.,;:()\-–/]+", " ", nfc(name).lower()).split()
    folded = [fold(word) for word in marked]
    for leading in _LEADING:
        size = len(leading.split())
        if folded[:size] == leading.split() and len(folded) > size:
            marked, folded = marked[size:], folded[size:]
            break
    readings = []
    if folded and (glued := _GLUED_NUMBER_RE.match(folded[0])):
        readings.append(_name(_KINDS[glued.group(1)], [glued.group(2)] + marked[1:], [glued.group(2)] + folded[1:]))
    elif (size := _kind_words(folded)) and len(folded) > size:
        readings.append(_name(_kind_at(folded, 0), marked[size:], folded[size:]))
    readings.append(_name(None, marked, folded))
    return readings


def _name(kind: str | None, marked: list[str], folded: list[str]) -> _Name:
    # "Phường 03" is "Phường 3".
    def number(word: str) -> str:
        return (word.lstrip("0") or "0") if word.isdigit() else word

    return _Name(kind, " ".join(map(number, marked)), " ".join(map(number, folded)))


def _kind_words(words: list[str]) -> int:
    """How many words at the start of ``words`` name a kind (0 when none)."""
    for size in (2, 1):
        if len(words) >= size and " ".join(words[:size]) in _KINDS:
            return size
    return 0


def _kind_at(words: list[str], start: int) -> str | None:
    """The kind named by the words from ``start``, if any."""
    size = _kind_words(words[start:])
    return _KINDS[" ".join(words[start : start + size])] if size else None
