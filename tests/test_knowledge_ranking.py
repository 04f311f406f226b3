"""Ranking and answer choice on small hand-made documents: what counts beyond shared words.

Each test builds a lexical index over a few passages written for it, so the behaviour
under test (objectives, definitions, headings, places, lists) is the only thing that
separates the passages.
"""

from __future__ import annotations

from knowledge.answering import ExtractiveAnswerer
from knowledge.definitions import asked_subject, defined_subjects, defines
from knowledge.lexical import LexicalIndex
from knowledge.query import understand
from knowledge.ranking import heading_words, holds_heading, names_place, path_headings
from knowledge.records import Chunk
from knowledge.retrieval import Retriever


def expanded_words(question: str) -> tuple[str, ...]:
    """The folded words of a question once read (chat spellings and abbreviations written out)."""
    return understand(question).words


def chunk(doc_id: str, section: str, text: str, kind: str = "lesson", title: str = "", locality: str = "") -> Chunk:
    return Chunk(
        id=f"{doc_id}:{section}",
        doc_id=doc_id,
        kind=kind,
        title=title or doc_id,
        section=section,
        text=text,
        locality=locality,
        metadata={"issuer": f"Ủy ban nhân dân {locality}"} if locality else {},
    )


def retriever(*chunks: Chunk) -> Retriever:
    return Retriever(LexicalIndex.build(list(chunks)))


def sections(found) -> list[str]:
    return [f"{c.doc_id}:{c.section}" for c, _ in found]


PASSWORDS = "Mật khẩu mạnh và xác thực hai yếu tố"
PASSWORD_LESSON = [
    chunk("mat-khau", "Mục tiêu", "Mục tiêu\nHiểu xác thực hai yếu tố là gì và biết bật xác thực hai yếu tố.", title=PASSWORDS),
    chunk(
        "mat-khau",
        "Các bước > 4. Bật xác thực hai yếu tố",
        "4. Bật xác thực hai yếu tố\nXác thực hai yếu tố (còn gọi là xác minh hai bước) là khi đăng nhập, ngoài "
        "mật khẩu còn phải có thêm một bằng chứng thứ hai, ví dụ mã OTP gửi qua tin nhắn. Cách bật: vào phần Cài đặt "
        "của ứng dụng, tìm mục Bảo mật, chọn xác thực hai yếu tố rồi làm theo hướng dẫn trên màn hình.",
        title=PASSWORDS,
    ),
    chunk(
        "mat-khau",
        "Các bước > 5. Giữ mã dự phòng",
        "5. Giữ mã dự phòng\nKhi bật xác thực hai yếu tố, hãy cất kỹ mã dự phòng của xác thực hai yếu tố.",
        title=PASSWORDS,
    ),
]


def test_what_a_text_defines_and_what_a_question_asks():
    assert defined_subjects('"Bình dân học vụ số" là phong trào học tập.') == {("binh", "dan", "hoc", "vu", "so")}
    assert defined_subjects(PASSWORD_LESSON[1].text) == {("xac", "thuc", "hai", "yeu", "to"), ("xac", "minh", "hai", "buoc")}
    assert defined_subjects("Đó là cách làm hay. Khi cần thì hỏi cán bộ.") == set()
    assert asked_subject("cho minh hoi xac minh hai buoc la gi") == ("cho", "minh", "hoi", "xac", "minh", "hai", "buoc")
    assert asked_subject("Thế nào là mật khẩu mạnh vậy?") == ("mat", "khau", "manh")
    assert asked_subject("BDHVS là gì?") == ("binh", "dan", "hoc", "vu", "so")
    assert asked_subject("Kế hoạch này nói về nội dung gì?") is None
    assert defines({("xac", "minh", "hai", "buoc")}, asked_subject("cho minh hoi xac minh hai buoc la gi"))
    assert not defines({("hai", "buoc", "xac", "minh")}, asked_subject("xac minh hai buoc la gi"))


def test_a_definition_question_gets_the_defining_passage_not_the_objectives():
    kb = retriever(*PASSWORD_LESSON)
    for question in ("xac thuc hai yeu to la gi", "Xác thực hai yếu tố là gì?", "Thế nào là xác minh hai bước?"):
        found = kb.ranked(question, 3)
        assert sections(found)[0] == "mat-khau:Các bước > 4. Bật xác thực hai yếu tố", question
        answer = ExtractiveAnswerer().answer(question, kb)
        assert answer.found and "(còn gọi là xác minh hai bước) là khi đăng nhập" in answer.answer, question


def test_objectives_rank_last_and_are_never_the_answer():
    kb = retriever(*PASSWORD_LESSON)
    found = kb.ranked("bật xác thực hai yếu tố thế nào", 3)
    assert sections(found)[-1] == "mat-khau:Mục tiêu"
    # Even when they match best of all, the answer comes from another passage.
    only = retriever(PASSWORD_LESSON[0], PASSWORD_LESSON[2])
    answer = ExtractiveAnswerer().answer("hiểu xác thực hai yếu tố là gì", only)
    assert "Mục tiêu" not in answer.answer and "mã dự phòng" in answer.answer


def test_a_heading_counts_with_function_words_between_its_words_and_from_above():
    assert holds_heading(expanded_words("bdhvs thi ai dc tham gia"), heading_words("Ai tham gia?"))
    assert not holds_heading(expanded_words("ai muon tham gia"), heading_words("Ai tham gia?"))
    assert heading_words("Tóm tắt") == ()  # too short to point at one section
    assert path_headings("III. TIÊU CHÍ THI ĐUA > 1. Tiêu chí > c) Đối với các doanh nghiệp") == [
        ("tieu", "chi", "thi", "dua"),
        ("doi", "voi", "cac", "doanh", "nghiep"),
    ]
    same = "Mọi người, kể cả người cao tuổi, đều được tham gia."
    kb = retriever(chunk("bdhvs", "Ai tham gia?", same), chunk("bdhvs", "Tham gia", same))
    assert sections(kb.ranked("bdhvs thi ai dc tham gia", 2))[0] == "bdhvs:Ai tham gia?"

    kb = retriever(
        chunk("bdhvs", "Mục tiêu", "Mục tiêu\nBiết bình dân học vụ số là gì, ai tham gia và học ở đâu."),
        chunk("bdhvs", "Ai tham gia?", "Ai tham gia?\nMọi người đều có thể và nên tham gia: người cao tuổi, nông dân."),
        chunk("bdhvs", "Học ở đâu?", "Học ở đâu?\nHọc tại nhà văn hóa thôn; ai tham gia cũng được hướng dẫn tận tình."),
    )
    assert sections(kb.ranked("bdhvs thi ai dc tham gia", 3))[0] == "bdhvs:Ai tham gia?"

    plan = "Kế hoạch thi đua của tỉnh Đồng Tháp"
    kb = retriever(
        chunk("dt", "III. TIÊU CHÍ > 1. Tiêu chí thi đua > c) Đối với các doanh nghiệp",
              "c) Đối với các doanh nghiệp\n- Xây dựng tầm nhìn, chiến lược lâu dài, bền vững.", "plan", plan, "tỉnh Đồng Tháp"),
        chunk("dt", "VI. TỔ CHỨC THỰC HIỆN",
              "VI. TỔ CHỨC THỰC HIỆN\nTheo kế hoạch, doanh nghiệp tự đánh giá theo bộ tiêu chí chuyển đổi số.",
              "plan", plan, "tỉnh Đồng Tháp"),
    )
    found = kb.ranked("Theo kế hoạch của Đồng Tháp, tiêu chí thi đua với doanh nghiệp là gì?", 2)
    assert sections(found)[0].endswith("c) Đối với các doanh nghiệp")


def test_a_named_place_prefers_its_own_plan_and_a_much_better_passage_still_wins():
    text = "2. Trách nhiệm thực hiện\n- Sở Văn hóa, Thể thao và Du lịch: phối hợp tuyên truyền về công nghệ số."
    kb = retriever(
        chunk("ha-tinh", "V. > 2. Trách nhiệm thực hiện > đ) Sở Văn hóa, Thể thao và Du lịch", text, "plan",
              "Kế hoạch thi đua của tỉnh Hà Tĩnh", "tỉnh Hà Tĩnh"),
        chunk("nghe-an", "V. > 2. Trách nhiệm thực hiện", text, "plan", "Kế hoạch thi đua của tỉnh Nghệ An",
              "tỉnh Nghệ An"),
    )
    found = kb.ranked("nhiem vu cua so van hoa the thao va du lich trong phong trao thi dua cua nghe an", 2)
    assert [c.doc_id for c, _ in found] == ["nghe-an", "ha-tinh"]
    # "công nghệ an toàn" names no Nghệ An: in the corpus "nghệ" ends the word "công nghệ".
    index = kb.index
    assert names_place(expanded_words("Ở Nghệ An, sở nào phụ trách?"), ("nghe", "an"), index)
    assert names_place(expanded_words("tinh nghe an"), ("nghe", "an"), index)
    assert not names_place(expanded_words("ứng dụng công nghệ an toàn"), ("nghe", "an"), index)

    # Words of a lesson's title ("xử lý") do not outweigh a passage that matches the whole question.
    kb = retriever(
        chunk("lua-dao", "Các thủ đoạn", "Các thủ đoạn\n- Giả người thân: nhắn mượn tiền.", title="Nhận diện và xử lý lừa đảo"),
        chunk("ai", "Lưu ý an toàn", "Lưu ý an toàn\nKẻ gian dùng AI giả giọng người thân, gọi video xin chuyển tiền gấp."
              "\n- Cách xử lý: cúp máy, gọi lại số quen.", title="Dùng trí tuệ nhân tạo an toàn"),
    )
    question = "Có cuộc gọi video giả giọng người thân xin chuyển tiền gấp thì xử lý sao?"
    assert [c.doc_id for c, _ in kb.ranked(question, 2)] == ["ai", "lua-dao"]
    # The paragraph above a list introduces it: the answer brings the list.
    assert "cúp máy" in ExtractiveAnswerer().answer(question, kb).answer
