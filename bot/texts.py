"""Every text the assistant says, in one place, so channels and tests share the wording."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.messages import Citation

WELCOME = (
    "Xin chào! Mình là Trợ lý Bình dân học vụ số.\n"
    "Mình có thể:\n"
    "• trả lời câu hỏi về kỹ năng số và các kế hoạch triển khai phong trào, có dẫn nguồn;\n"
    "• cho bạn làm bài trắc nghiệm ngắn để tự kiểm tra kỹ năng;\n"
    "• ghi nhận quá trình học của bạn làm minh chứng tham gia.\n"
    "Bạn cứ gõ câu hỏi, hoặc chọn một mục bên dưới.\n"
    "Lưu ý: mình chỉ lưu mã ẩn danh của bạn, không lưu tên hay số điện thoại. "
    "Đừng gửi mật khẩu, mã OTP hay số tài khoản cho bất kỳ ai, kể cả cho mình."
)

HELP = (
    "Cách dùng trợ lý:\n"
    "• Gõ câu hỏi bất kỳ, ví dụ: “Cách đặt mật khẩu an toàn?”\n"
    "• /quiz – làm bài trắc nghiệm trộn nhiều chủ đề; /quiz <chủ đề> – theo chủ đề, ví dụ: /quiz lừa đảo\n"
    "• /chude – xem các chủ đề trắc nghiệm\n"
    "• /ketqua – xem kết quả các bài đã làm\n"
    "• /donvi <tên đơn vị> – đăng ký xã/phường, cơ quan của bạn, ví dụ: /donvi Xã Nghĩa Trung\n"
    "• /huy – hủy bài trắc nghiệm đang làm\n"
    "• /start – về màn hình chính\n"
    "Có thể gõ không dấu và không cần dấu gạch chéo: quiz lua dao, chu de, ket qua, huy."
)

ASK_PROMPT = (
    "Bạn cứ gõ câu hỏi, mình sẽ tìm trong bài học và các kế hoạch rồi trả lời kèm nguồn. Ví dụ:\n"
    "• VNeID mức 2 đăng ký ở đâu?\n"
    "• Làm sao nhận biết tin nhắn lừa đảo?\n"
    "• Kế hoạch của xã Nghĩa Trung giao nhiệm vụ gì?"
)

MENU_ASK = "Hỏi đáp"
MENU_QUIZ = "Làm bài trắc nghiệm"
MENU_TOPICS = "Chủ đề"
MENU_RESULTS = "Kết quả của tôi"
MENU_UNIT = "Đăng ký đơn vị"

NO_TEXT = "Mình chỉ đọc được tin nhắn chữ. Gõ /help để xem hướng dẫn."
UNAVAILABLE = "Xin lỗi, hệ thống đang bận hoặc gặp sự cố. Bạn vui lòng thử lại sau ít phút."
STALE_BUTTON = "Nút này đã cũ nên mình không dùng được nữa. Bạn chọn lại giúp mình nhé."
NOT_FOUND = (
    "Mình chưa tìm thấy thông tin này trong tài liệu của phong trào. "
    "Bạn thử hỏi cách khác, hoặc gõ /chude để xem các chủ đề có bài học."
)

TOPICS_HEADER = "Các chủ đề trắc nghiệm (chọn một chủ đề để làm bài):"
MIXED_TOPICS = "Trộn nhiều chủ đề"
NO_QUESTIONS = "Hiện chưa có câu hỏi trắc nghiệm nào. Bạn quay lại sau nhé."
QUIZ_ABANDON = "Bỏ bài đang làm"
QUIZ_CONTINUE = "Tiếp tục"
QUIZ_CANCELLED = "Đã hủy bài trắc nghiệm đang làm. Gõ /quiz khi bạn muốn làm bài mới."
NO_OPEN_QUIZ = "Bạn không có bài trắc nghiệm nào đang làm. Gõ /quiz để bắt đầu."
QUIZ_CLOSED = "Bài trắc nghiệm này đã kết thúc hoặc hết hạn. Gõ /quiz để làm bài mới."
ALREADY_ANSWERED = "Câu này bạn đã trả lời rồi."
CORRECT = "✅ Chính xác!"
RETRY_TOPIC = "Làm lại"
OTHER_TOPIC = "Chủ đề khác"

UNIT_PROMPT = "Bạn gõ /donvi kèm tên đơn vị (xã/phường, cơ quan), ví dụ: /donvi Xã Nghĩa Trung"
NO_RESULTS = "Bạn chưa hoàn thành bài trắc nghiệm nào. Gõ /quiz để làm bài đầu tiên."

SOURCES = "Nguồn:"


def too_long(limit: int) -> str:
    """Reply to a message longer than ``limit`` characters."""
    return f"Tin nhắn dài quá (tối đa {limit} ký tự). Bạn vui lòng rút gọn câu hỏi rồi gửi lại nhé."


def unknown_command(name: str) -> str:
    """Reply to a slash command the assistant does not know."""
    return f"Mình chưa hiểu lệnh /{name}. Gõ /help để xem các lệnh."


def unknown_topic(query: str) -> str:
    """Reply when no topic matches ``query``."""
    return f"Mình không tìm thấy chủ đề “{query}”. {TOPICS_HEADER}"


def ambiguous_topic(query: str) -> str:
    """Reply when several topics match ``query``."""
    return f"Có vài chủ đề khớp với “{query}”. Bạn chọn một chủ đề nhé:"


def quiz_intro(topic_name: str | None, total: int, needed: int) -> str:
    """The first line of a new attempt."""
    what = f"chủ đề “{topic_name}”" if topic_name else "trộn nhiều chủ đề"
    return (
        f"Bắt đầu bài trắc nghiệm {what}: {total} câu, đúng từ {needed} câu là đạt. "
        "Trả lời bằng cách chọn số của đáp án. Gõ /huy để dừng."
    )


def quiz_question(index: int, total: int, topic_name: str, question: str, options: list[str]) -> str:
    """A question with its options numbered from 1 in the order shown."""
    lines = [f"Câu {index + 1}/{total} · {topic_name}", question, ""]
    lines += [f"{number}. {option}" for number, option in enumerate(options, start=1)]
    return "\n".join(lines)


def quiz_in_progress(answered: int, total: int) -> str:
    """Asked when the user starts a quiz while another is open."""
    return (
        f"Bạn đang làm dở một bài trắc nghiệm (đã trả lời {answered}/{total} câu). "
        "Bạn muốn bỏ bài đó để làm bài mới, hay tiếp tục bài đang làm?"
    )


def option_out_of_range(count: int) -> str:
    """Reply to a typed choice that is not one of the options."""
    return f"Bạn chọn một số từ 1 đến {count} nhé."


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
        lines.append("🎉 Chúc mừng, bạn đã đạt!")
    else:
        lines.append(
            f"Bạn chưa đạt (cần đúng ít nhất {needed}/{total} câu). "
            "Hãy xem lại bài học theo nguồn ở trên rồi làm lại nhé."
        )
    return "\n".join(lines)


def unit_registered(unit: str) -> str:
    """Confirmation of a registered unit."""
    return f"Đã ghi nhận đơn vị của bạn: {unit}. Kết quả học tập từ nay được tính cho đơn vị này."


def unit_current(unit: str | None) -> str:
    """Shown with the unit prompt: the unit registered now, if any."""
    return f"Đơn vị hiện tại của bạn: {unit}." if unit else "Bạn chưa đăng ký đơn vị."


def results(rows: list[dict], unit: str | None, zone: str) -> str:
    """The user's recent completed attempts, newest first, times in ``zone``."""
    lines = ["Kết quả các bài gần đây của bạn:"]
    for row in rows:
        verdict = "đạt" if row["passed"] else "chưa đạt"
        name = row["topic_name"] or MIXED_TOPICS
        lines.append(f"• {format_time(row['completed_at'], zone)} – {name}: {row['score']}/{row['total']} ({verdict})")
    lines.append(unit_current(unit))
    return "\n".join(lines)


def topic_line(name: str, questions: int) -> str:
    """A topic as listed by /chude."""
    return f"• {name} ({questions} câu)"


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
