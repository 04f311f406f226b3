"""Citations: what an official writes, short enough for a phone."""

from __future__ import annotations

import pytest

from knowledge.citations import citation, locate


@pytest.mark.parametrize(
    ("short_name", "section", "kind", "expected"),
    [
        (
            "Luật Giao dịch điện tử 2023",
            "Chương III > Mục 1 > Điều 35. Quyền đơn phương chấm dứt > 1. > a)",
            "plan",
            "Luật Giao dịch điện tử 2023, Điều 35, khoản 1, điểm a",
        ),
        ("Luật Căn cước 2023", "Chương II > Mục 1 > Điều 9. Thông tin", "plan", "Luật Căn cước 2023, Điều 9"),
        ("Nghị định 13/2023/NĐ-CP", "Điều 2. Giải thích từ ngữ > 3.", "plan", "Nghị định 13/2023/NĐ-CP, Điều 2, khoản 3"),
        ("Nghị định 13/2023/NĐ-CP", "Điều 2. Giải thích từ ngữ > 3. > đ)", "plan", "Nghị định 13/2023/NĐ-CP, Điều 2, khoản 3, điểm đ"),
        ("Nghị quyết 57-NQ/TW", "III- NHIỆM VỤ, GIẢI PHÁP > 1. Nâng cao nhận thức", "plan", "Nghị quyết 57-NQ/TW, mục III.1"),
        (
            "Kế hoạch tỉnh Nghệ An",
            "III. TIÊU CHÍ THI ĐUA > 1. Tiêu chí thi đua > b) Đối với Mặt trận > Có sáng kiến",
            "plan",
            "Kế hoạch tỉnh Nghệ An, mục III.1.b",
        ),
        (
            "Kế hoạch xã Nghĩa Trung",
            "III. TIÊU CHÍ THI ĐUA VÀ KHEN THƯỞNG > 1. Tiêu chí thi đua > 1.2. Đề nghị Mặt trận",
            "plan",
            "Kế hoạch xã Nghĩa Trung, mục III.1.2",
        ),
        ("Kế hoạch xã Nghĩa Trung", "Người ký", "plan", "Kế hoạch xã Nghĩa Trung, phần chữ ký"),
        ("Kế hoạch tỉnh Hà Tĩnh", "Phần mở đầu", "plan", "Kế hoạch tỉnh Hà Tĩnh, phần mở đầu"),
        ("Luật Viễn thông 2023", "Chương I", "plan", "Luật Viễn thông 2023, Chương I"),
        ("Tài khoản định danh điện tử VNeID", "Các bước > 1. Tải đúng ứng dụng VNeID", "lesson",
         "Tài khoản định danh điện tử VNeID, mục «1. Tải đúng ứng dụng VNeID»"),
        ("Kế hoạch tỉnh Đồng Tháp", "", "plan", "Kế hoạch tỉnh Đồng Tháp"),
    ],
)
def test_citation_format(short_name, section, kind, expected):
    assert citation(short_name, section, kind) == expected


def test_citations_are_short():
    long_path = "Chương II > Mục 3 > Điều 27. Cung cấp dịch vụ viễn thông cơ bản trên Internet và dịch vụ … > 2. > c)"
    text = citation("Luật Viễn thông 2023", long_path)
    assert text == "Luật Viễn thông 2023, Điều 27, khoản 2, điểm c" and len(text) < 60
    assert locate("I. MỤC ĐÍCH, YÊU CẦU > 1. Mục đích > Tăng cường sự lãnh đạo") == "mục I.1"
