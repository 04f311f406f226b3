"""The ``hocvuso`` command line speaks Vietnamese, Click's own texts included."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hocvuso.cli import main

ENGLISH = ["Usage:", "Options:", "Commands:", "[required]", "Show this message", "Error:",
           "is not a valid", "is not in the range", "No such option", "Missing option"]


def run(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="hocvuso")


def assert_no_english(text: str) -> None:
    assert not [phrase for phrase in ENGLISH if phrase in text], text


def test_hocvuso_alone_prints_the_help_and_succeeds():
    result = run()
    assert result.exit_code == 0
    assert "Cách dùng: hocvuso" in result.output
    assert "Tùy chọn:" in result.output and "Lệnh:" in result.output
    assert "Lỗi" not in result.output
    assert_no_english(result.output)


def test_a_group_alone_prints_its_help_and_succeeds():
    result = run("evidence")
    assert result.exit_code == 0
    assert "Cách dùng: hocvuso evidence" in result.output and "verify" in result.output
    assert_no_english(result.output)


def test_help_pages_mark_required_options_in_vietnamese():
    result = run("keys", "add", "--help")
    assert result.exit_code == 0
    assert "[bắt buộc]" in result.output
    assert_no_english(result.output)


@pytest.mark.parametrize("args, expected", [
    (["serve", "--port", "abc"], "'abc' không phải là một số hợp lệ"),
    (["serve", "--port", "0"], "0 nằm ngoài khoảng"),
    (["keys", "add", "--role", "x", "--name", "A"], "không thuộc các lựa chọn"),
    (["keys", "add", "--name", "A"], "Thiếu tùy chọn '--role'"),
    (["stats", "--top", "3"], "Không có tùy chọn '--top'. (Có phải ý là:"),
    (["khong-co-lenh"], "Không có lệnh 'khong-co-lenh'"),
])
def test_usage_errors_are_vietnamese_with_exit_code_2(args, expected):
    result = run(*args)
    assert result.exit_code == 2
    assert expected in result.output
    assert "Cách dùng: hocvuso" in result.output
    assert_no_english(result.output)
