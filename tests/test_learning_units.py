"""The unit list: matching what people type to a listed unit, flagging the others, loading the file."""

from __future__ import annotations

import pytest

from bot.units import UnitDirectory, UnitListError, load_units
from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR

UNITS = UnitDirectory(
    ["Phường Vĩnh Phú", "Xã Nghĩa Trung", "Thị trấn Nam Đàn", "Phường 3", "Phường Tịnh Biên", "Xã Tân Quan"],
    {"UBND xã Nghĩa Trung": "Xã Nghĩa Trung"},
)


@pytest.mark.parametrize(
    ("typed", "unit"),
    [
        ("phuong vinh phu", "Phường Vĩnh Phú"),
        ("Phường Vĩnh Phú", "Phường Vĩnh Phú"),
        ("PHƯỜNG VĨNH PHÚ", "Phường Vĩnh Phú"),
        ("vĩnh phú", "Phường Vĩnh Phú"),  # without its kind
        ("P. Vĩnh Phú", "Phường Vĩnh Phú"),
        ("p.vinh phu", "Phường Vĩnh Phú"),
        ("  p vinh   phu. ", "Phường Vĩnh Phú"),
        ("Vĩnh Phú, TP Thuận An", "Phường Vĩnh Phú"),  # followed by where it is
        ("xa nghia trung", "Xã Nghĩa Trung"),
        ("x. Nghĩa Trung", "Xã Nghĩa Trung"),
        ("Nghĩa Trung, tỉnh Nghệ An", "Xã Nghĩa Trung"),
        ("ubnd xa nghia trung", "Xã Nghĩa Trung"),
        ("UBND xã Nghĩa Trung", "Xã Nghĩa Trung"),  # an alias from the file
        ("tt nam dan", "Thị trấn Nam Đàn"),
        ("TT. Nam Đàn", "Thị trấn Nam Đàn"),
        ("thi tran nam dan", "Thị trấn Nam Đàn"),
        ("p3", "Phường 3"),
        ("Phường 03", "Phường 3"),
        ("tinh bien", "Phường Tịnh Biên"),  # "tỉnh" read as a kind first, then as part of the name
        ("xa tan quan", "Xã Tân Quan"),
    ],
)
def test_typed_names_resolve_to_the_listed_unit(typed, unit):
    match = UNITS.resolve(typed)

    assert (match.name, match.listed) == (unit, True)
    assert UNITS.key(typed) == unit


@pytest.mark.parametrize("typed", ["Xã Hưng Lộc", "phường vĩnh phước", "Trường THCS Nghĩa Trung", "xã Vĩnh Phú"])
def test_names_outside_the_list_are_kept_as_typed_and_not_listed(typed):
    match = UNITS.resolve(typed)

    assert (match.name, match.listed, match.candidates) == (typed, False, ())


def test_a_name_without_its_kind_that_fits_several_units_lists_them():
    units = UnitDirectory(["Phường Vĩnh Phú", "Xã Vĩnh Phú"])

    match = units.resolve("vinh phu")

    assert (match.listed, match.candidates) == (False, ("Phường Vĩnh Phú", "Xã Vĩnh Phú"))
    assert units.resolve("xã vĩnh phú").name == "Xã Vĩnh Phú"


def test_diacritics_decide_between_units_that_fold_alike():
    units = UnitDirectory(["Phường Vĩnh Phú", "Phường Vĩnh Phụ"])

    assert units.resolve("Phường Vĩnh Phụ").name == "Phường Vĩnh Phụ"
    assert units.resolve("p. vĩnh phú").name == "Phường Vĩnh Phú"
    assert units.resolve("phuong vinh phu").candidates == ("Phường Vĩnh Phú", "Phường Vĩnh Phụ")


def test_unlisted_spellings_of_one_name_share_a_key_and_nothing_is_flagged_without_a_list():
    empty = UnitDirectory()

    assert not empty.enabled and UNITS.enabled
    assert empty.key("Xã Hưng Lộc") == empty.key("xa hung loc") == empty.key("X. Hưng Lộc") == "xa hung loc"
    assert empty.key("Xã Hưng Lộc") != empty.key("Phường Hưng Lộc")
    assert empty.key(None) is None


def test_the_file_is_read_with_aliases_and_errors_are_named(tmp_path):
    (tmp_path / "units.yaml").write_text(
        "units:\n  - Phường Vĩnh Phú\n  - name: Xã Nghĩa Trung\n    aliases: [UBND Nghĩa Trung]\n", encoding="utf-8"
    )
    units = load_units(tmp_path)
    assert units.units == ["Phường Vĩnh Phú", "Xã Nghĩa Trung"]
    assert units.resolve("ubnd nghia trung").name == "Xã Nghĩa Trung"

    assert not load_units(tmp_path / "nothing").enabled
    for broken in ("units: [", "units: Phường Vĩnh Phú", "units:\n  - aliases: [x]\n"):
        (tmp_path / "units.yaml").write_text(broken, encoding="utf-8")
        with pytest.raises(UnitListError, match="units.yaml"):
            load_units(tmp_path)


def test_the_shipped_list_loads():
    units = load_units(PACKAGE_KNOWLEDGE_DIR)

    assert units.resolve("xa nghia trung").name == "Xã Nghĩa Trung"
    assert units.resolve("VPĐP NTM Hà Tĩnh").name == "Văn phòng Điều phối nông thôn mới tỉnh Hà Tĩnh"
