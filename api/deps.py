"""Request dependencies as ``Annotated`` aliases, so routes read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.keys import KeyInfo, find_key
from api.metrics import Metrics
from bot.evidence import EvidenceLog
from bot.quiz import QuizEngine
from bot.units import UnitCatalog, UnitDirectory
from hocvuso.db import Database
from hocvuso.services import Services
from hocvuso.settings import Settings
from knowledge.base import KnowledgeBase
from knowledge.courses import load_courses
from knowledge.quizbank import load_bank

# Ids are database integers: bound them so absurd values get a 422, not a storage error.
MAX_ID = 2**31 - 1


def get_services(request: Request) -> Services:
    """The services the app was built with."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    """The application settings."""
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_metrics(request: Request) -> Metrics:
    """The app's own metrics registry."""
    return request.app.state.metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


# A sync dependency: opening the store the first time is slow, so it runs in the threadpool.
def get_kb(services: ServicesDep) -> KnowledgeBase:
    """The knowledge base."""
    return services.kb


KnowledgeDep = Annotated[KnowledgeBase, Depends(get_kb)]


def get_db(services: ServicesDep) -> Database:
    """The relational database."""
    return services.db


DatabaseDep = Annotated[Database, Depends(get_db)]


def build_quiz_engine(services: Services) -> QuizEngine:
    """A quiz engine on the bank and database the bots use, so attempts are shared."""
    settings = services.settings
    bank = load_bank(settings.knowledge_dir / "quizzes", settings.knowledge_dir / "lessons")
    courses = load_courses(settings.knowledge_dir)
    return QuizEngine(bank, services.db, EvidenceLog(services.db), settings.quiz, courses=courses)


def get_quiz(request: Request) -> QuizEngine:
    """The web quiz engine, built on first use."""
    state = request.app.state
    with state.quiz_lock:
        if state.quiz is None:
            state.quiz = build_quiz_engine(state.services)
        return state.quiz


QuizDep = Annotated[QuizEngine, Depends(get_quiz)]


def get_question_texts(quiz: QuizDep) -> dict[str, str]:
    """Question id -> question text, to label statistics."""
    return {question.id: question.question for question in quiz.bank.questions.values()}


QuestionTextsDep = Annotated[dict[str, str], Depends(get_question_texts)]


def get_question_labels(quiz: QuizDep) -> dict[str, str]:
    """Question id -> difficulty label (easy/medium/hard), to flag labels the answers contradict."""
    return {question.id: question.difficulty for question in quiz.bank.questions.values()}


QuestionLabelsDep = Annotated[dict[str, str], Depends(get_question_labels)]


def get_unit_catalog(services: ServicesDep) -> UnitCatalog:
    """The deployment's units: ``units.yaml`` and those added through the admin API."""
    return services.units


UnitCatalogDep = Annotated[UnitCatalog, Depends(get_unit_catalog)]


def get_units(catalog: UnitCatalogDep) -> UnitDirectory:
    """The current unit list, to match and group units."""
    return catalog.directory()


UnitsDep = Annotated[UnitDirectory, Depends(get_units)]


bearer = HTTPBearer(
    auto_error=False,
    description="Khóa API do quản trị viên cấp (`hocvuso keys add`), gửi dạng `Authorization: Bearer <khóa>`.",
)


def get_api_key(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)], db: DatabaseDep
) -> KeyInfo:
    """The active API key of the request, or 401."""
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "Cần khóa API: gửi tiêu đề Authorization: Bearer <khóa>.", "missing_key",
                       headers={"WWW-Authenticate": "Bearer"})
    key = find_key(db, credentials.credentials)
    if key is None:
        raise ApiError(401, "Khóa API không hợp lệ hoặc đã bị thu hồi.", "invalid_key",
                       headers={"WWW-Authenticate": "Bearer"})
    return key


ROLE_NAMES = {"trainer": "giảng viên (trainer)", "admin": "quản trị (admin)"}


def require_role(role: str):
    """A dependency that lets through keys allowed to act as ``role``, 403 for the others."""

    def check(key: Annotated[KeyInfo, Depends(get_api_key)]) -> KeyInfo:
        if not key.allows(role):
            raise ApiError(403, f"Chức năng này cần khóa API có vai trò {ROLE_NAMES[role]}.", "forbidden")
        return key

    return check


TrainerKey = Annotated[KeyInfo, Depends(require_role("trainer"))]
AdminKey = Annotated[KeyInfo, Depends(require_role("admin"))]
