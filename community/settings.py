"""One settings class for every room: environment prefix ALYTUS_, `.env` supported.

Settings are built by `get_settings()` on first use, never at import time, so tests and the
command line can point ALYTUS_HOME somewhere else before anything reads it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["lt", "en"]


class Settings(BaseSettings):
    """Everything configurable; the defaults run the embedded stack with no accounts."""

    model_config = SettingsConfigDict(env_prefix="ALYTUS_", env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path("~/.alytus"),
        description="Folder for everything the embedded defaults write (database, indexes).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default: SQLite file alytus.db in ALYTUS_HOME. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Address members reach the web chat at; used in referral links.",
    )
    default_language: Language = Field(
        default="lt", description="Language of a member who has not chosen one yet."
    )
    privacy_notice_version: str = Field(
        default="2026-11", description="Version of the privacy notice consent is given to."
    )
    max_message_chars: int = Field(
        default=4000, description="Longer messages get a polite request to shorten them."
    )
    chat_rate_per_minute: int = Field(
        default=20,
        ge=1,
        description="Messages one member (a chat, a web session) may send a minute; more get "
        "a polite request to wait.",
    )
    chat_rate_per_address_per_minute: int = Field(
        default=120, ge=1, description="Web chat messages one network address may send a minute."
    )
    max_upload_mb: int = Field(
        default=20,
        ge=1,
        description="Largest file upload staff may send (knowledge base, "
        "prospect lists), in MB; bodies elsewhere are limited to 64 KB (chat) or 1 MB.",
    )
    telegram_bot_username: str | None = Field(
        default=None, description="Bot username, for t.me deep links in referral links."
    )
    host: str = Field(default="127.0.0.1", description="Address `alytus serve` binds to.")
    port: int = Field(default=8000, description="Port `alytus serve` listens on.")
    nlu_dir: Path | None = Field(
        default=None,
        description="Where the trained NLU model is cached (keyed by the training data's "
        "hash); default: nlu/ in ALYTUS_HOME.",
    )
    rasa_url: str | None = Field(
        default=None,
        description="A Rasa server (e.g. http://127.0.0.1:5005): NLU parses through its "
        "/model/parse, falling back to the embedded model when it is down.",
    )
    chroma_url: str | None = Field(
        default=None,
        description="Chroma server for the knowledge index, e.g. http://127.0.0.1:8001; "
        "default: a persistent Chroma folder in ALYTUS_HOME.",
    )
    kb_min_confidence: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Below this confidence the bot says it does not know and offers topics.",
    )
    llm_provider: Literal["openai", "ollama"] | None = Field(
        default=None,
        description="Optional LLM that writes knowledge answers from the retrieved passages: "
        "openai (any OpenAI-compatible endpoint) or ollama; unset: extractive answers.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="Base URL of the LLM endpoint, e.g. http://127.0.0.1:11434 for Ollama.",
    )
    llm_model: str | None = Field(default=None, description="Model name the LLM endpoint serves.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="API key for the OpenAI-compatible endpoint, if it needs one."
    )
    llm_timeout_seconds: float = Field(
        default=8.0,
        gt=0,
        description="An LLM answer slower than this is dropped for the extractive one.",
    )

    chain_url: str | None = Field(
        default=None,
        description="JSON-RPC node the reward ledger writes to (e.g. anvil at "
        "http://127.0.0.1:8545); unset: an embedded EVM in process, rebuilt from SQL on start.",
    )
    chain_private_key: SecretStr | None = Field(
        default=None,
        description="Hex private key of the account that deploys and writes the ledger "
        "contract on ALYTUS_CHAIN_URL.",
    )
    ledger_mode: Literal["batch", "merkle"] = Field(
        default="batch",
        description="How rewards go on chain: batch (each reward recorded) or merkle (one "
        "root per batch, each reward provable by its proof).",
    )
    ledger_batch_size: int = Field(
        default=200, gt=0, description="Rewards per ledger transaction (or per Merkle root)."
    )
    ledger_secret: SecretStr | None = Field(
        default=None,
        description="Server secret that derives members' pseudonymous chain addresses; "
        "unset: generated once into ALYTUS_HOME/secrets.",
    )
    passport_private_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 private key (PEM) that signs Alytus Passport QR tokens; unset: "
        "generated once into ALYTUS_HOME/secrets.",
    )

    smtp_url: SecretStr | None = Field(
        default=None,
        description="Mail server for campaign invitations, e.g. smtp://user:pass@host:587 "
        "(STARTTLS) or smtps://host:465; unset: campaigns cannot send email.",
    )
    mail_from: str = Field(
        default="Alytus Connect <connect@alytus.lt>",
        description="The From address of invitation emails.",
    )
    admin_session_secret: SecretStr | None = Field(
        default=None,
        description="Key that signs staff admin session cookies; unset: generated once into "
        "ALYTUS_HOME/secrets (a new one logs every staff member out).",
    )
    admin_session_hours: float = Field(
        default=8,
        gt=0,
        le=168,
        description="Hours a staff login lasts without activity; then it ends on the server.",
    )
    admin_session_max_hours: float = Field(
        default=24, gt=0, le=720, description="Hours a staff login lasts at most, even in use."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For is believed (JSON "
        'list, e.g. ["10.0.0.5"]); unset: the peer address is the client\'s.',
    )

    telegram_token: SecretStr | None = Field(
        default=None, description="Telegram bot token from @BotFather; unset: no Telegram."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token to "
        "POST /webhooks/telegram; the webhook refuses every request without it.",
    )
    telegram_api_base: str = Field(
        default="https://api.telegram.org",
        description="Bot API server (tests point it at a local server).",
    )
    telegram_rate_per_second: float = Field(
        default=30.0, gt=0, description="Broadcast messages a second to Telegram, overall."
    )
    telegram_chat_rate_per_second: float = Field(
        default=1.0, gt=0, description="Messages a second to one Telegram chat."
    )
    discord_token: SecretStr | None = Field(
        default=None, description="Discord bot token; unset: no Discord."
    )
    discord_api_base: str | None = Field(
        default=None,
        description="Discord HTTP API base (tests point it at a local server); unset: Discord's.",
    )
    discord_guild_id: int | None = Field(
        default=None, description="The Discord server whose roles follow members' levels."
    )
    discord_level_roles: dict[int, int] = Field(
        default_factory=dict,
        description='Level -> Discord role id, as JSON, e.g. {"2": 1234, "3": 5678}.',
    )
    messenger_verify_token: SecretStr | None = Field(
        default=None, description="Token Meta sends to verify GET /webhooks/messenger."
    )
    messenger_app_secret: SecretStr | None = Field(
        default=None,
        description="App secret that signs Messenger webhooks (X-Hub-Signature-256).",
    )
    messenger_page_token: SecretStr | None = Field(
        default=None, description="Page access token for the Messenger Send API."
    )
    messenger_api_base: str = Field(
        default="https://graph.facebook.com/v21.0",
        description="Graph API base for the Send API (tests point it at a local server).",
    )
    widget_origins: list[str] = Field(
        default_factory=list,
        description='Sites that may embed the chat widget, as JSON, e.g. ["https://alytus.lt"].',
    )
    quiet_hours: str = Field(
        default="21-9",
        description="Local hours (member's time zone) when broadcasts wait, e.g. 21-9.",
    )

    @property
    def home_dir(self) -> Path:
        """ALYTUS_HOME with ~ expanded; created on demand by the code that writes there."""
        return self.home.expanduser()

    @property
    def nlu_cache_dir(self) -> Path:
        return (self.nlu_dir or self.home_dir / "nlu").expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: explicit, or SQLite inside ALYTUS_HOME."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_dir / 'alytus.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
