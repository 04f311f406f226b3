"""The channel-agnostic assistant: one incoming message in, a few replies out.

Channels hand over an :class:`IncomingMessage` and send back the :class:`Reply`
list; they never see the database or the knowledge base. The raw user id is
turned into a pseudonym on entry and nothing else about the user is kept.
Participation is logged as evidence: questions asked, lessons read (an answer
citing a lesson) and units registered here; quiz events in the quiz engine.

Questions get the knowledge base's own text, so greetings, thanks, small talk and
out-of-scope questions keep the replies the knowledge base gives them (the same as
``hocvuso ask``); only an empty answer falls back to :data:`texts.NOT_FOUND`.

A question that follows up the user's previous one ("còn Hà Tĩnh thì sao?") is answered
as the combined question (:mod:`bot.followup`). A found answer is kept and carries 👍/👎
buttons (:mod:`bot.ratings`); quiz messages and scope replies carry none.

A free-text message while a quiz is open is read by one rule: it is answered as a
question only when it does not talk about the quiz itself ("câu này chọn cái nào",
see :func:`bot.commands.refers_to_quiz`) and the knowledge base answers it
(``found``); the answer then reminds the user of the pending question. Anything
else gets the pending question again with how to answer it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot import commands as cmd
from bot import announcements, ratings, texts, unanswered
from bot.certificates import CertificateError, Certificates
from bot.evidence import EvidenceError, EvidenceLog
from bot.followup import Followups
from bot.identity import pseudonym
from bot.messages import Button, Citation, IncomingMessage, Reply
from bot.quiz import (
    AttemptClosed,
    InvalidOption,
    NoQuestions,
    QuizEngine,
    QuizInProgress,
    StaleAnswer,
    pass_needed,
)
from bot.units import UnitCatalog, load_units, tidy_name
from hocvuso.db.models import User, utcnow
from knowledge.courses import Courses, load_courses
from knowledge.quizbank import QuizBank, Topic, load_bank
from knowledge.records import Answer
from knowledge.textnorm import nfc

log = logging.getLogger(__name__)

MAX_CITATIONS = 3


class AssistantUnavailable(Exception):
    """The knowledge base or the database failed; the channel apologises and keeps running."""


@dataclass
class Lookup:
    """A question's way through the knowledge base: what was asked, the answer, its rating id."""

    answer: Answer
    asked: str | None = None  # the combined question when the message was a follow-up
    answer_id: int | None = None  # set when the answer can be rated


class Assistant:
    """Answers messages from any channel: commands, quiz answers and questions."""

    def __init__(
        self,
        kb,
        db,
        settings,
        bank: QuizBank | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = utcnow,
        units: UnitCatalog | None = None,
        courses: Courses | None = None,
    ):
        self.kb = kb
        self.db = db
        self.settings = settings
        self.evidence = EvidenceLog(db)
        self.clock = clock
        bank = bank if bank is not None else load_bank(settings.knowledge_dir / "quizzes")
        courses = courses if courses is not None else load_courses(settings.knowledge_dir)
        self.units = units if units is not None else UnitCatalog(load_units(settings.knowledge_dir), db)
        self.quiz = QuizEngine(bank, db, self.evidence, settings.quiz, rng=rng, clock=clock, courses=courses)
        self._secret = settings.pseudonym_secret.get_secret_value()
        titles = {topic.id: topic.name for topic in bank.topics.values()}
        lessons = {topic.id: topic.lesson for topic in bank.topics.values()}
        self.certificates = Certificates(db, self.evidence, settings.quiz.pass_ratio, titles, courses, lessons)

    @cached_property
    def followups(self) -> Followups:
        """Follow-up rules, knowing the places the documents are about (read once, on the first question)."""
        try:
            places = [doc.get("locality", "") for doc in self.kb.documents()]
        except AttributeError:  # a knowledge base without a document list: provinces only
            places = []
        return Followups(self.settings.followup_minutes, [p for p in places if p])

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        """Answer one message; raise AssistantUnavailable when storage or retrieval fails."""
        text = nfc(msg.text or "").strip()
        if len(text) > self.settings.max_message_chars:
            return [Reply(texts.too_long(self.settings.max_message_chars))]
        command = cmd.parse_payload(msg.payload) if msg.payload else cmd.parse_text(text)
        if msg.payload and command.name == cmd.UNKNOWN:
            return [Reply(texts.STALE_BUTTON, buttons=_menu_buttons())]
        user = pseudonym(self._secret, msg.channel, msg.user_id)
        try:
            unit = self._touch_user(user, msg.channel)
            if command.name == cmd.SUBSCRIBE:
                return [Reply(announcements.opt_in(self.db, self._secret, user, msg.channel, msg.chat_id, unit))]
            if command.name == cmd.UNSUBSCRIBE:
                return [Reply(announcements.opt_out(self.db, user, msg.channel, msg.chat_id))]
            return self._dispatch(command, user, msg.channel, unit)
        except (SQLAlchemyError, EvidenceError) as exc:
            log.exception("storage error while handling a %s message", msg.channel)
            raise AssistantUnavailable("database unavailable") from exc

    def _dispatch(self, command: cmd.Command, user: str, channel: str, unit: str | None) -> list[Reply]:
        """Run ``command`` for ``user``."""
        name = command.name
        if name == cmd.START:
            return [Reply(texts.WELCOME, buttons=_menu_buttons())]
        if name == cmd.HELP:
            return [Reply(texts.HELP, buttons=_menu_buttons())]
        if name == cmd.ASK:
            return [Reply(texts.ASK_PROMPT)]
        if name == cmd.TOPICS:
            return [self._topics_reply(texts.TOPICS_HEADER)]
        if name == cmd.RESULTS:
            return [Reply(self._results_text(user, unit))]
        if name == cmd.UNIT:
            return self._register_unit(user, channel, unit, command.arg)
        if name == cmd.CANCEL:
            return self._cancel(user)
        if name == cmd.QUIZ:
            return self._start_quiz(user, channel, command.arg)
        if name == cmd.RESTART:
            self.quiz.abandon(user)
            return self._start_quiz(user, channel, command.arg)
        if name == cmd.RESUME:
            return self._resume(user)
        if name == cmd.ANSWER:
            return self._answer(user, command.attempt_id, command.option, command.position)
        if name == cmd.CHOICE:
            return self._typed_choice(user, command)
        if name == cmd.QUESTION:
            pending = self.quiz.current(user)
            if pending is not None:
                return self._during_quiz(user, channel, unit, command.arg, pending)
            return [self._ask(user, channel, unit, command.arg)]
        if name == cmd.CERTIFICATE:
            return self._certificate(user, command.arg)
        if name == cmd.RATE:
            return [self._rate(user, unit, command.answer_id, command.arg)]
        if name == cmd.EMPTY:
            return [Reply(texts.NO_TEXT)]
        return [Reply(texts.unknown_command(command.arg))]

    # Certificates

    def _certificate(self, user: str, name: str) -> list[Reply]:
        """Issue the certificate of the latest passed attempt, printed with ``name`` (asked for when missing),
        and the certificate of every course whose topics are now all passed."""
        latest = self.certificates.latest_pass(user)
        if latest is None:
            return [Reply(texts.CERTIFICATE_NONE)]
        attempt_id, topic = latest
        if not name:
            owned = self.certificates.owned_by(user)
            if any(view.attempt_id == attempt_id for view in owned):
                return [Reply(texts.certificate_list([self._certificate_line(view) for view in owned]))]
            return [Reply(texts.certificate_ask_name(self.certificates.topic_title(topic)))]
        try:
            views = [self.certificates.issue(user, attempt_id, name)]
            views += [self.certificates.issue_course(user, course.id, name)
                      for course in self.certificates.completed_courses(user)]
        except CertificateError as error:
            return [Reply(str(error))]
        return [self._certificate_reply(view) for view in views]

    def _certificate_reply(self, view) -> Reply:
        base = self.settings.api.public_url.rstrip("/")
        return Reply(texts.certificate_issued(
            view.display_name, view.topic_title, view.score, view.total, view.code,
            f"{base}/v1/certificates/{view.code}/pdf" if base else "", f"{base}/verify/{view.code}" if base else "",
            course=view.course is not None,
        ), certificate=view.code)

    def _certificate_line(self, view) -> str:
        base = self.settings.api.public_url.rstrip("/")
        where = f": {base}/verify/{view.code}" if base else ""
        return f"{view.topic_title}, {view.score}/{view.total}, mã {view.code}{where}"

    # Users and units

    def _touch_user(self, user: str, channel: str) -> str | None:
        """Create the user on first contact; return their registered unit."""
        with self.db.session() as session:
            found = session.execute(select(User.unit).where(User.pseudonym == user)).first()
        if found is not None:
            return found.unit
        try:
            with self.db.session() as session:
                session.add(User(pseudonym=user, channel=channel))
        except IntegrityError:
            pass  # a concurrent first message created the user: nothing more to do
        return None

    def _register_unit(self, user: str, channel: str, current: str | None, name: str) -> list[Reply]:
        """Set the user's unit (xã/phường, cơ quan) and log it as evidence.

        A name matching a listed unit is stored as the listed name; one outside the list
        is stored as typed (statistics flag it); one fitting several listed units is not
        stored, the user is asked to type it in full.
        """
        typed = tidy_name(name)
        if not typed:
            return [Reply(f"{texts.UNIT_PROMPT}\n{texts.unit_current(current)}")]
        directory = self.units.directory()
        match = directory.resolve(typed)
        if not match.listed and match.candidates:
            return [Reply(texts.unit_ambiguous(typed, list(match.candidates)))]
        unit = match.name
        with self.db.session() as session:
            row = session.scalar(select(User).where(User.pseudonym == user))
            row.unit = unit
            # Same transaction: the unit is never changed without its evidence event.
            self.evidence.append("unit_registered", user, channel, unit, {"unit": unit}, session=session)
        if directory.enabled and not match.listed:
            return [Reply(texts.unit_unlisted(unit))]
        return [Reply(texts.unit_registered(unit))]

    def _results_text(self, user: str, unit: str | None) -> str:
        rows = self.quiz.history(user)
        if not rows:
            return f"{texts.NO_RESULTS}\n{texts.unit_current(unit)}"
        return texts.results(rows, unit, self.settings.timezone)

    # Quiz

    def _topics_reply(self, header: str, topics: list[Topic] | None = None) -> Reply:
        """The topics grouped by course, numbered once, with one numbered button per topic.

        A topic in several courses is listed under each with the same number; the
        names are in the text only, so channels without buttons do not repeat them.
        """
        topics = list(self.quiz.bank.topics.values()) if topics is None else topics
        numbers: dict[str, int] = {}
        lines = [header]
        groups = self._by_course(topics)
        for title, members in groups:
            if title:
                lines.append(texts.course_heading(title))
            for topic in members:
                number = numbers.setdefault(topic.id, len(numbers) + 1)
                lines.append(texts.topic_line(number, topic.name, len(topic.question_ids)))
        buttons = [Button(str(n), cmd.quiz_start_payload(topic)) for topic, n in numbers.items()]
        if len(topics) > 1:
            mixed = len(numbers) + 1
            lines.append(texts.mixed_line(mixed, separate=any(title for title, _ in groups)))
            buttons.append(Button(str(mixed), cmd.quiz_start_payload(None)))
        return Reply("\n".join(lines), buttons=buttons)

    def _by_course(self, topics: list[Topic]) -> list[tuple[str, list[Topic]]]:
        """``topics`` under each course of their lesson; those in no course last ("" when no course has any)."""
        courses = self.quiz.courses.items
        groups = [
            (c.title, sorted((t for t in topics if t.lesson in c.lessons), key=lambda t, c=c: c.lessons.index(t.lesson)))
            for c in courses
        ]
        groups = [(title, members) for title, members in groups if members]
        placed = {t.id for _, members in groups for t in members}
        rest = [t for t in topics if t.id not in placed]
        if rest:
            groups.append((texts.OTHER_COURSE if groups else "", rest))
        return groups

    def _start_quiz(self, user: str, channel: str, query: str) -> list[Reply]:
        """Start a quiz on the topic named by ``query`` (mixed when empty)."""
        topic = None
        if query:
            found = cmd.match_topics(query, self.quiz.bank.topics.values())
            if not found:
                return [self._topics_reply(texts.unknown_topic(query))]
            if len(found) > 1:
                return [self._topics_reply(texts.ambiguous_topic(query), found)]
            topic = found[0].id
        try:
            view = self.quiz.start(user, channel, topic)
        except QuizInProgress:
            current = self.quiz.current(user)
            answered, total = (current["index"], current["total"]) if current else (0, 0)
            return [
                Reply(
                    texts.quiz_in_progress(answered, total),
                    buttons=[
                        Button(texts.QUIZ_ABANDON, cmd.quiz_restart_payload(topic)),
                        Button(texts.QUIZ_CONTINUE, cmd.QUIZ_RESUME_PAYLOAD),
                    ],
                )
            ]
        except NoQuestions:
            return [Reply(texts.NO_QUESTIONS)]
        topic_name = self.quiz.bank.topics[topic].name if topic else None
        needed = pass_needed(view["total"], self.settings.quiz.pass_ratio)
        return [Reply(texts.quiz_intro(topic_name, view["total"], needed)), _question_reply(view)]

    def _resume(self, user: str) -> list[Reply]:
        view = self.quiz.current(user)
        return [_question_reply(view)] if view else [Reply(texts.NO_OPEN_QUIZ)]

    def _cancel(self, user: str) -> list[Reply]:
        if self.quiz.current(user) is None:
            return [Reply(texts.NO_OPEN_QUIZ)]
        self.quiz.abandon(user)
        return [Reply(texts.QUIZ_CANCELLED)]

    def _typed_choice(self, user: str, command: cmd.Command) -> list[Reply]:
        """A typed "2" or "B": the answer to the open attempt's current question."""
        view = self.quiz.current(user)
        if view is None:
            return [Reply(texts.NO_OPEN_QUIZ)]
        return self._answer(user, view["attempt_id"], command.option, view["index"])

    def _answer(self, user: str, attempt_id: int, option: int, position: int | None) -> list[Reply]:
        """Record an answer; reply with feedback and then the next question or the result."""
        try:
            outcome = self.quiz.answer(user, attempt_id, option, position=position)
        except AttemptClosed:
            return [Reply(texts.QUIZ_CLOSED)]
        except StaleAnswer:
            view = self.quiz.current(user)
            return [Reply(texts.ALREADY_ANSWERED)] + ([_question_reply(view)] if view else [])
        except InvalidOption as exc:
            return [Reply(texts.option_out_of_range(exc.count))]
        citation = outcome["citation"]
        headline = (
            texts.CORRECT
            if outcome["correct"]
            else texts.wrong_answer(outcome["correct_option"] + 1, outcome["correct_text"])
        )
        replies = [
            Reply(
                texts.feedback(headline, outcome["explanation"]),
                citations=[Citation(citation["title"], citation["section"], citation["lesson"], "lesson")],
            )
        ]
        if outcome["next"]:
            replies.append(_question_reply(outcome["next"]))
        else:
            result = outcome["result"]
            needed = pass_needed(result["total"], self.settings.quiz.pass_ratio)
            replies.append(
                Reply(
                    texts.quiz_result(result["score"], result["total"], result["passed"], needed),
                    buttons=[
                        Button(texts.RETRY_TOPIC, cmd.quiz_start_payload(result["topic"])),
                        Button(texts.OTHER_TOPIC, cmd.menu_payload(cmd.TOPICS)),
                        Button(texts.MENU_RESULTS, cmd.menu_payload(cmd.RESULTS)),
                    ],
                )
            )
        return replies

    # Questions

    def _ask(self, user: str, channel: str, unit: str | None, question: str) -> Reply:
        """Answer a free-text question from the knowledge base, citing its sources; found answers can be rated."""
        return self._reply(self._lookup(user, channel, unit, question, rateable=True))

    def _during_quiz(self, user: str, channel: str, unit: str | None, text: str, pending: dict) -> list[Reply]:
        """A free-text message while a quiz is open (the rule is in the module docstring)."""
        if not cmd.refers_to_quiz(text):
            lookup = self._lookup(user, channel, unit, text, rateable=False)
            if _answered(lookup.answer):
                reply = self._reply(lookup)
                reply.text += "\n\n" + texts.quiz_resume_hint(pending["index"], pending["total"])
                return [reply]
        return [Reply(texts.quiz_pending(len(pending["options"]))), _question_reply(pending)]

    def _lookup(self, user: str, channel: str, unit: str | None, message: str, rateable: bool) -> Lookup:
        """Ask the knowledge base (a follow-up with its context) and log the question as evidence."""
        now = self.clock()
        with self.db.session() as session:
            previous = self.followups.previous(session, user, now)
        asked = self.followups.combine(previous, message) if previous else None
        question = asked or message
        try:
            answer = self.kb.ask(question)
        except Exception as exc:  # any retrieval or LLM failure: the user gets an apology
            log.exception("knowledge base error")
            raise AssistantUnavailable("knowledge base unavailable") from exc
        answered = _answered(answer)
        sources = answer.citations(MAX_CITATIONS) if answered else []
        # The question text is not logged: people type phone and ID numbers into
        # questions, and the evidence log can never be edited.
        documents = list(dict.fromkeys(s.doc_id for s in sources))
        lessons: dict[str, str] = {}
        for source in sources:
            if source.kind == "lesson":
                lessons.setdefault(source.doc_id, source.section)
        lookup = Lookup(answer, asked)
        with self.db.session() as session:  # the question and the lessons it read are logged together
            self.evidence.append(
                "question_asked", user, channel, unit, {"answered": answered, "sources": documents}, session=session
            )
            for lesson, section in lessons.items():
                self.evidence.append(
                    "lesson_read", user, channel, unit, {"lesson": lesson, "section": section}, session=session
                )
            if answer.category not in unanswered.SMALL_TALK:  # a real question: the context of a follow-up
                self.followups.remember(session, user, question, now)
            if unanswered.is_need(answer):  # not small talk: a need no document meets
                unanswered.record(session, user, channel, unit, question)
            if answered and rateable:
                lookup.answer_id = ratings.remember(session, user, channel, unit, question, answer).id
        return lookup

    @staticmethod
    def _reply(lookup: Lookup) -> Reply:
        """The answer's own text (a refusal or scope reply included) with its citations and rating buttons."""
        answer = lookup.answer
        sources = answer.citations(MAX_CITATIONS) if _answered(answer) else []
        citations = [Citation(s.title, s.section, s.doc_id, s.kind, s.citation) for s in sources]
        text = answer.answer.strip() or texts.NOT_FOUND
        if lookup.asked:
            text = f"{texts.followup_understood(lookup.asked)}\n{text}"
        buttons = []
        if lookup.answer_id is not None:
            buttons = [Button(texts.RATE_UP, cmd.rating_payload(lookup.answer_id, ratings.UP)),
                       Button(texts.RATE_DOWN, cmd.rating_payload(lookup.answer_id, ratings.DOWN))]
        return Reply(text, buttons=buttons, citations=citations)

    def _rate(self, user: str, unit: str | None, answer_id: int, rating: str) -> Reply:
        """A 👍/👎 button pressed under an answer: kept once per person and answer."""
        with self.db.session() as session:
            try:
                answer = ratings.find(session, answer_id=answer_id)
            except ratings.UnknownAnswer:
                return Reply(texts.STALE_BUTTON)
            if not ratings.rate(session, answer, user, unit, rating):
                return Reply(texts.RATED_ALREADY)
        return Reply(texts.RATED_UP if rating == ratings.UP else texts.RATED_DOWN)


def _answered(answer: Answer) -> bool:
    """True when the knowledge base found an answer (not a refusal, scope reply or empty text)."""
    return answer.found and bool(answer.answer.strip())


def _menu_buttons() -> list[Button]:
    """The main menu."""
    return [
        Button(texts.MENU_ASK, cmd.menu_payload(cmd.ASK)),
        Button(texts.MENU_QUIZ, cmd.quiz_start_payload(None)),
        Button(texts.MENU_TOPICS, cmd.menu_payload(cmd.TOPICS)),
        Button(texts.MENU_RESULTS, cmd.menu_payload(cmd.RESULTS)),
        Button(texts.MENU_UNIT, cmd.menu_payload(cmd.UNIT)),
    ]


def _question_reply(view: dict) -> Reply:
    """A quiz question with one answer button per option, labelled by its number."""
    buttons = [
        Button(str(number), cmd.answer_payload(view["attempt_id"], view["index"], number - 1))
        for number in range(1, len(view["options"]) + 1)
    ]
    text = texts.quiz_question(view["index"], view["total"], view["topic_name"], view["question"], view["options"])
    return Reply(text, buttons=buttons)
