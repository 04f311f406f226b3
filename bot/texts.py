"""Every text the assistant says, in one place, so channels and tests share the wording.

One voice: the assistant calls itself "Trợ lý" and speaks to "bà con", politely and plainly.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import Citation

WELCOME = (
    "Xin chào bà con! Trợ lý Bình dân học vụ số xin được giúp bà con:\n"
    "• trả lời câu hỏi về kỹ năng số và các kế hoạch triển khai phong trào, có dẫn nguồn;\n"
    "• làm bài trắc nghiệm ngắn để tự kiểm tra kỹ năng;\n"
    "• ghi nhận quá trình học làm minh chứng tham gia.\n"
    "Bà con cứ gõ câu hỏi, hoặc chọn một mục bên dưới.\n"
    "Lưu ý: Trợ lý chỉ lưu mã ẩn danh, không lưu tên hay số điện thoại của bà con. "
    "Bà con đừng gửi mật khẩu, mã OTP, mã PIN cho bất kỳ ai, kể cả Trợ lý."
)

HELP = (
    "Cách dùng Trợ lý:\n"
    "• Gõ câu hỏi bất kỳ, ví dụ: “Cách đặt mật khẩu an toàn?”; hỏi tiếp ngắn gọn cũng được, ví dụ: "
    "“còn ở Hà Tĩnh thì sao?”\n"
    "• Dưới mỗi câu trả lời, chọn 👍 hoặc 👎 để cho Trợ lý biết câu trả lời có giúp ích không\n"
    "• /tracnghiem – làm bài trắc nghiệm trộn nhiều chủ đề; /tracnghiem <chủ đề> – theo một chủ đề, "
    "ví dụ: /tracnghiem lừa đảo\n"
    "• /chude – xem các chủ đề theo từng khóa học\n"
    "• /ketqua – xem kết quả các bài đã làm\n"
    "• /chungnhan <tên> – nhận giấy chứng nhận cho bài đã đạt, ví dụ: /chungnhan Nguyễn Văn An\n"
    "• /donvi <tên đơn vị> – khai báo xã/phường, cơ quan, ví dụ: /donvi Xã Nghĩa Trung\n"
    "• /nhanthongbao – nhận thông báo của giảng viên gửi cho đơn vị mình; /tatthongbao – thôi nhận\n"
    "• /tieptuc – làm tiếp bài trắc nghiệm đang dở; /huy – hủy bài đang làm\n"
    "• /batdau – về màn hình chính; /huongdan – xem hướng dẫn này\n"
    "Không cần dấu gạch chéo, gõ không dấu cũng được: trac nghiem lua dao, chu de, ket qua, nhan thong bao, huy. "
    "Các lệnh /quiz, /help, /start vẫn dùng được."
)

ASK_PROMPT = (
    "Bà con cứ gõ câu hỏi, Trợ lý sẽ tìm trong bài học và các kế hoạch rồi trả lời kèm nguồn. Ví dụ:\n"
    "• VNeID mức 2 đăng ký ở đâu?\n"
    "• Làm sao nhận biết tin nhắn lừa đảo?\n"
    "• Kế hoạch của xã Nghĩa Trung giao nhiệm vụ gì?"
)

MENU_ASK = "Hỏi đáp"
MENU_QUIZ = "Làm bài trắc nghiệm"
MENU_TOPICS = "Chủ đề"
MENU_RESULTS = "Kết quả của tôi"
MENU_UNIT = "Khai báo đơn vị"

NO_TEXT = "Trợ lý chỉ đọc được tin nhắn chữ ạ. Bà con gõ /huongdan để xem cách dùng."
UNAVAILABLE = "Xin lỗi bà con, hệ thống đang bận hoặc gặp sự cố. Bà con vui lòng thử lại sau ít phút."
SLOW_DOWN = "Bà con gửi tin hơi nhanh ạ. Bà con chờ vài giây rồi gửi tiếp nhé."
STALE_BUTTON = "Nút này đã cũ nên không dùng được nữa. Bà con chọn lại giúp Trợ lý nhé."
NOT_FOUND = (
    "Trợ lý chưa tìm thấy thông tin này trong tài liệu của phong trào. "
    "Bà con thử hỏi cách khác, hoặc gõ /chude để xem các chủ đề có bài học."
)
CHOOSE = "Mời bà con chọn:"

TOPICS_HEADER = "Các chủ đề trắc nghiệm theo khóa học (gõ số để làm bài):"
OTHER_COURSE = "Chủ đề khác"
MIXED_TOPICS = "Trộn nhiều chủ đề"
NO_QUESTIONS = "Hiện chưa có câu hỏi trắc nghiệm nào. Bà con quay lại sau nhé."
QUIZ_ABANDON = "Bỏ bài đang làm"
QUIZ_CONTINUE = "Tiếp tục"
QUIZ_CANCELLED = "Đã hủy bài trắc nghiệm đang làm. Bà con gõ /tracnghiem khi muốn làm bài mới."
NO_OPEN_QUIZ = "Bà con không có bài trắc nghiệm nào đang làm. Gõ /tracnghiem để bắt đầu."
QUIZ_CLOSED = "Bài trắc nghiệm này đã kết thúc hoặc hết hạn. Bà con gõ /tracnghiem để làm bài mới."
ALREADY_ANSWERED = "Câu này bà con đã trả lời rồi."
CORRECT = "✅ Chính xác!"
RETRY_TOPIC = "Làm lại"
OTHER_TOPIC = "Chủ đề khác"

UNIT_PROMPT = "Bà con gõ /donvi kèm tên đơn vị (xã/phường, cơ quan), ví dụ: /donvi Xã Nghĩa Trung"
NO_RESULTS = "Bà con chưa hoàn thành bài trắc nghiệm nào. Gõ /tracnghiem để làm bài đầu tiên."

SOURCES = "Nguồn:"

# Ratings of answers: the buttons under an answer and what the assistant says once pressed.
RATE_UP = "👍 Hữu ích"
RATE_DOWN = "👎 Chưa hữu ích"
RATED_UP = "Cảm ơn bà con đã đánh giá. Trợ lý rất vui vì câu trả lời giúp được bà con."
RATED_DOWN = (
    "Cảm ơn bà con đã góp ý. Trợ lý đã ghi lại để cán bộ xem và bổ sung tài liệu. "
    "Bà con có thể hỏi lại bằng cách khác, nói rõ hơn điều cần biết."
)
RATED_ALREADY = "Bà con đã đánh giá câu trả lời này rồi, Trợ lý đã ghi nhận. Cảm ơn bà con."


def too_long(limit: int) -> str:
    """Reply to a message longer than ``limit`` characters."""
    return f"Tin nhắn dài quá (tối đa {limit} ký tự). Bà con vui lòng rút gọn rồi gửi lại nhé."


def unknown_command(name: str) -> str:
    """Reply to a slash command the assistant does not know."""
    return f"Trợ lý chưa hiểu lệnh /{name}. Bà con gõ /huongdan để xem các lệnh."


def unknown_topic(query: str) -> str:
    """Reply when no topic matches ``query``."""
    return f"Trợ lý không tìm thấy chủ đề “{query}”. {TOPICS_HEADER}"


def ambiguous_topic(query: str) -> str:
    """Reply when several topics match ``query``."""
    return f"Có vài chủ đề khớp với “{query}”. Bà con chọn một chủ đề nhé (gõ số):"


def quiz_intro(topic_name: str | None, total: int, needed: int) -> str:
    """The first line of a new attempt."""
    what = f"chủ đề “{topic_name}”" if topic_name else "trộn nhiều chủ đề"
    return (
        f"Bắt đầu bài trắc nghiệm {what}: {total} câu, đúng từ {needed} câu là đạt. "
        "Bà con trả lời bằng cách chọn số của đáp án. Gõ /huy để dừng."
    )


def quiz_question(index: int, total: int, topic_name: str, question: str, options: list[str]) -> str:
    """A question with its options numbered from 1 in the order shown."""
    lines = [f"Câu {index + 1}/{total} · {topic_name}", question, ""]
    lines += [f"{number}. {option}" for number, option in enumerate(options, start=1)]
    return "\n".join(lines)


def quiz_pending(count: int) -> str:
    """Said with the pending question when a message during a quiz is not an answer."""
    return (
        f"Bà con đang làm bài trắc nghiệm. Để trả lời, bà con chọn số của đáp án, từ 1 đến {count}. "
        "Muốn dừng bài thì gõ /huy. Câu đang chờ trả lời:"
    )


def quiz_resume_hint(index: int, total: int) -> str:
    """Added under an answer given in the middle of a quiz."""
    return f"(Bài trắc nghiệm vẫn chờ bà con ở câu {index + 1}/{total}: gõ /tieptuc để xem lại câu hỏi.)"


def quiz_in_progress(answered: int, total: int) -> str:
    """Asked when the user starts a quiz while another is open."""
    return (
        f"Bà con đang làm dở một bài trắc nghiệm (đã trả lời {answered}/{total} câu). "
        "Bà con muốn bỏ bài đó để làm bài mới, hay tiếp tục bài đang làm?"
    )


def option_out_of_range(count: int) -> str:
    """Reply to a typed choice that is not one of the options."""
    return f"Bà con chọn một số từ 1 đến {count} nhé."


def wrong_answer(number: int, option: str) -> str:
    """Feedback headline for a wrong answer, naming the correct option as shown."""
    return f"❌ Chưa đúng. Đáp án đúng là {number}. {option}"


def feedback(headline: str, explanation: str) -> str:
    """Immediate feedback: verdict and the explanation."""
    return f"{headline}\n{explanation}"


def quiz_result(score: int, total: int, passed: bool, needed: int) -> str:
    """The final score of an attempt."""
    percent = round(100 * score / total) if total else 0
    lines = [f"Hoàn thành bài trắc nghiệm: đúng {score}/{total} câu ({percent}%)."]
    if passed:
        lines.append("🎉 Chúc mừng bà con đã đạt! Gõ /chungnhan kèm tên để nhận giấy chứng nhận.")
    else:
        lines.append(
            f"Bà con chưa đạt (cần đúng ít nhất {needed}/{total} câu). "
            "Bà con xem lại bài học theo nguồn ở trên rồi làm lại nhé."
        )
    return "\n".join(lines)


def unit_registered(unit: str) -> str:
    """Confirmation of a registered unit that is in the deployment's list (or when there is no list)."""
    return f"Trợ lý đã ghi nhận đơn vị của bà con: {unit}. Kết quả học tập từ nay được tính cho đơn vị này."


def unit_unlisted(unit: str) -> str:
    """Confirmation of a unit that is not in the deployment's list: kept, and checked by the trainer."""
    return (
        f"Trợ lý đã ghi nhận đơn vị “{unit}”, nhưng tên này chưa có trong danh sách đơn vị "
        "nên sẽ được chuyển để giảng viên kiểm tra. Nếu gõ nhầm, bà con gõ lại /donvi kèm tên đầy đủ, "
        "ví dụ: /donvi Xã Nghĩa Trung"
    )


def unit_ambiguous(typed: str, candidates: list[str]) -> str:
    """Reply when a unit typed without its kind fits several listed units."""
    options = "; ".join(candidates)
    return (
        f"Có nhiều đơn vị tên “{typed}”: {options}. "
        f"Bà con gõ lại /donvi kèm tên đầy đủ, ví dụ: /donvi {candidates[0]}"
    )


def unit_current(unit: str | None) -> str:
    """Shown with the unit prompt: the unit registered now, if any."""
    return f"Đơn vị hiện tại của bà con: {unit}." if unit else "Bà con chưa khai báo đơn vị."


def results(rows: list[dict], unit: str | None, zone: str) -> str:
    """The user's recent completed attempts, newest first, times in ``zone``."""
    lines = ["Kết quả các bài gần đây của bà con:"]
    for row in rows:
        verdict = "đạt" if row["passed"] else "chưa đạt"
        name = row["topic_name"] or MIXED_TOPICS
        lines.append(f"• {format_time(row['completed_at'], zone)} – {name}: {row['score']}/{row['total']} ({verdict})")
    lines.append(unit_current(unit))
    return "\n".join(lines)


def topic_line(number: int, name: str, questions: int) -> str:
    """A topic as listed by /chude: the number to type, its name and its number of questions."""
    return f"{number}. {name} ({questions} câu)"


def mixed_line(number: int, separate: bool) -> str:
    """The last line of the /chude list: a quiz mixing every topic (set apart from the courses)."""
    return ("\n" if separate else "") + f"{number}. {MIXED_TOPICS}"


def course_heading(title: str) -> str:
    """A course's heading in the /chude list."""
    return f"\n{title}:"


def citation_text(citations: list[Citation]) -> str:
    """Citations as plain lines for channels without rich formatting."""
    lines = [SOURCES]
    for citation in citations:
        if citation.text:  # names document and place at once: "Luật Căn cước 2023, Điều 19"
            lines.append(f"• {citation.text}")
        else:
            lines.append(f"• {citation.title} › {citation.section}" if citation.section else f"• {citation.title}")
    return "\n".join(lines)


def choose_hint(count: int) -> str:
    """Shown under numbered options on channels without buttons."""
    return f"(Gõ số từ 1 đến {count} để chọn.)"


def format_time(moment: datetime, zone: str) -> str:
    """A UTC time in the local time zone ``zone``, e.g. 14/05/2025 09:30."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%d/%m/%Y %H:%M")


# Certificates

CERTIFICATE_NONE = (
    "Bà con chưa có bài trắc nghiệm nào đạt. Làm một bài (/tracnghiem) và trả lời đúng từ 80 % trở lên "
    "là nhận được giấy chứng nhận."
)


def certificate_ask_name(topic_title: str) -> str:
    """Asked before issuing: the name is printed on the certificate, and stored only there."""
    return (
        f"Bà con đã đạt bài trắc nghiệm «{topic_title}». Để nhận giấy chứng nhận, gõ /chungnhan kèm tên muốn "
        "in trên giấy, ví dụ: /chungnhan Nguyễn Văn An. Tên chỉ in trên giấy chứng nhận, không gắn với tài "
        "khoản trò chuyện."
    )


def certificate_issued(name: str, topic_title: str, score: int, total: int, code: str,
                       pdf_url: str, verify_url: str, course: bool = False) -> str:
    """The certificate's details with where to download and check it."""
    what = (f"hoàn thành khóa học «{topic_title}» (đạt cả {total} chủ đề)" if course
            else f"đạt bài trắc nghiệm «{topic_title}» ({score}/{total} câu đúng)")
    lines = [f"Giấy chứng nhận của {name}: {what}.", f"Mã xác minh: {code}"]
    if pdf_url:
        lines += [f"Tải giấy chứng nhận (PDF): {pdf_url}", f"Ai cũng kiểm tra được tại: {verify_url}"]
    else:
        lines.append("Cán bộ phụ trách kiểm tra được giấy chứng nhận bằng mã này trên trang kiểm tra của đơn vị.")
    return "\n".join(lines)


def certificate_list(lines: list[str]) -> str:
    """The user's certificates, one line each."""
    return "Giấy chứng nhận của bà con:\n" + "\n".join(f"• {line}" for line in lines)


def followup_understood(question: str) -> str:
    """The line before the answer to a follow-up: the whole question the assistant answered."""
    return f"(Trợ lý hiểu câu hỏi của bà con là: “{question}”)"


# Announcements

ANNOUNCE_PRIVATE_ONLY = (
    "Thông báo của giảng viên chỉ gửi được qua tin nhắn riêng với Trợ lý trên Telegram hoặc Zalo. "
    "Bà con nhắn riêng cho Trợ lý /nhanthongbao để đăng ký nhé."
)
ANNOUNCE_OPTED_OUT = "Trợ lý đã thôi gửi thông báo cho bà con. Khi muốn nhận lại, bà con gõ /nhanthongbao."
ANNOUNCE_NOT_SUBSCRIBED = "Bà con chưa đăng ký nhận thông báo nên không cần tắt ạ. Muốn nhận thì gõ /nhanthongbao."


def announce_opted_in(unit: str | None) -> str:
    """Confirmation of an opt-in; without a unit, how to register one (announcements go to a unit)."""
    if unit:
        return (f"Trợ lý đã ghi nhận: bà con sẽ nhận thông báo giảng viên gửi cho đơn vị {unit} qua tin nhắn này. "
                "Khi muốn thôi nhận, bà con gõ /tatthongbao.")
    return ("Trợ lý đã ghi nhận bà con muốn nhận thông báo. Thông báo gửi theo đơn vị, mà bà con chưa khai báo "
            "đơn vị: bà con gõ /donvi kèm tên đơn vị, ví dụ: /donvi Xã Nghĩa Trung. Gõ /tatthongbao để thôi nhận.")


def announcement(unit: str, body: str) -> str:
    """An announcement as the user receives it: who it is for, the trainer's text, how to stop them."""
    return (f"📢 Thông báo của giảng viên gửi bà con {unit}:\n\n{body}\n\n"
            "(Bà con nhận tin này vì đã đăng ký /nhanthongbao. Gõ /tatthongbao để thôi nhận.)")


def certificate_caption(code: str) -> str:
    """The caption of the certificate's PDF sent in chat."""
    return f"Giấy chứng nhận của bà con (mã xác minh {code}). Bà con lưu lại hoặc in ra để dùng khi cần."
