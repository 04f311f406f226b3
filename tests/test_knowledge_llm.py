"""The LLM answerer, with LangChain's fake chat models standing in for the endpoint."""

from __future__ import annotations

from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from fixtures_knowledge import corpus_dirs, kb, kb_settings  # noqa: F401
from knowledge.answering import NO_ANSWER, ExtractiveAnswerer, LLMAnswerer, make_answerer
from knowledge.base import KnowledgeBase


class RecordingChatModel(GenericFakeChatModel):
    """A fake chat model that also keeps the messages it was sent."""

    seen: list = []

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(messages)
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)


class BrokenChatModel(FakeListChatModel):
    """A chat model whose endpoint is down."""

    def _call(self, *args, **kwargs):
        raise ConnectionError("endpoint down")


def with_answerer(kb: KnowledgeBase, answerer) -> KnowledgeBase:
    return KnowledgeBase(kb.settings, kb._store, kb._index, answerer=answerer)


def test_llm_answer_is_grounded_in_the_retrieved_passages(kb):
    model = RecordingChatModel(messages=iter([AIMessage(content="Sở Khoa học và Công nghệ là đầu mối thẩm định hồ sơ.")]))
    model.seen = []
    llm_kb = with_answerer(kb, LLMAnswerer(chat_model=model))
    question = "Ở Nghệ An, cơ quan nào là đầu mối tiếp nhận, thẩm định hồ sơ đề nghị khen thưởng?"
    answer = llm_kb.ask(question)
    assert answer.found and answer.answer == "Sở Khoa học và Công nghệ là đầu mối thẩm định hồ sơ."
    # The same sources as the extractive answer: the citations do not depend on the model.
    assert [s.model_dump() for s in answer.sources] == [s.model_dump() for s in kb.ask(question).sources]
    system, human = model.seen[0]
    assert "Chỉ trả lời dựa trên các đoạn trích" in system.content
    assert question in human.content
    assert answer.sources[0].text in human.content and answer.sources[0].section in human.content


def test_llm_saying_the_passages_lack_the_answer_gives_found_false(kb):
    llm_kb = with_answerer(kb, LLMAnswerer(chat_model=FakeListChatModel(responses=[NO_ANSWER])))
    answer = llm_kb.ask("Ai ký kế hoạch của tỉnh Nghệ An?")
    assert not answer.found and answer.answer.startswith("Xin lỗi")


def test_out_of_scope_questions_never_reach_the_model(kb):
    model = FakeListChatModel(responses=["không được gọi"])
    llm_kb = with_answerer(kb, LLMAnswerer(chat_model=model))
    for question in ("chào bạn", "Giá vàng hôm nay bao nhiêu?", "Kế hoạch của tỉnh Cà Mau có mấy giai đoạn?"):
        assert not llm_kb.ask(question).found
    assert model.i == 0


def test_unreachable_model_falls_back_to_the_extractive_answer(kb):
    llm_kb = with_answerer(kb, LLMAnswerer(chat_model=BrokenChatModel(responses=["x"])))
    question = "Ai ký kế hoạch của tỉnh Nghệ An?"
    assert llm_kb.ask(question) == kb.ask(question)


def test_settings_choose_the_answerer(kb_settings):
    assert isinstance(make_answerer(kb_settings), ExtractiveAnswerer)
    llm_settings = kb_settings.model_copy(
        update={"llm": kb_settings.llm.model_copy(update={"base_url": "http://127.0.0.1:9/v1", "model": "m"})}
    )
    answerer = make_answerer(llm_settings)
    assert isinstance(answerer, LLMAnswerer)
    from langchain_openai import ChatOpenAI

    assert isinstance(answerer.chat_model, ChatOpenAI)  # built on first use, never called here
