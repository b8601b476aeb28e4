"""Settings read from the environment. The README lists every variable named here."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# bcrypt's work factor never goes below this, whatever the environment says.
MIN_BCRYPT_ROUNDS = 12


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


def _rate(name: str, default: str) -> str:
    """A rate limit in the `limits` package's notation ("600/minute;120/10 seconds"), or ""
    when the variable says "off"."""
    raw = os.environ.get(name, "").strip() or default
    if raw.lower() in {"off", "0", "none"}:
        return ""
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rate such as '600/minute', not {raw!r}") from exc
    return raw


def _rate_storage() -> str:
    """Where rate-limit counters live: memory for one worker, Redis when workers share one."""
    raw = os.environ.get("PORTAL_RATE_LIMIT_STORAGE", "").strip()
    raw = raw or os.environ.get("REFLEX_REDIS_URL", "").strip() or "memory://"
    if raw.split("://", 1)[0] not in {"memory", "redis", "rediss", "redis+unix"}:
        raise ValueError(
            f"PORTAL_RATE_LIMIT_STORAGE must be memory:// or a redis:// URL, not {raw!r}"
        )
    return raw


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _public_url() -> str:
    raw = os.environ.get("PORTAL_PUBLIC_URL", "").strip().rstrip("/")
    if not raw:
        return f"http://localhost:{os.environ.get('PORT', '').strip() or 3000}"
    if not raw.startswith(("http://", "https://")) or len(raw.split("://", 1)[1]) == 0:
        raise ValueError(
            f"PORTAL_PUBLIC_URL must be the portal's address, such as https://portal.example.com,"
            f" not {raw!r}"
        )
    return raw


def _passkey_origin(public_url: str) -> str:
    """Where the browser runs passkey ceremonies: scheme, host and port, no path."""
    raw = os.environ.get("PORTAL_ORIGIN", "").strip().rstrip("/")
    if not raw:
        parts = urlsplit(public_url)
        return f"{parts.scheme}://{parts.netloc}"
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path:
        raise ValueError(
            "PORTAL_ORIGIN must be a scheme and host such as https://portal.example.com,"
            f" not {raw!r}"
        )
    return raw


def _rp_id(origin: str) -> str:
    """The passkeys' relying party: the origin's host name, or a domain it belongs to."""
    host = urlsplit(origin).hostname or "localhost"
    raw = os.environ.get("PORTAL_RP_ID", "").strip().lower()
    if not raw:
        return host
    try:
        ipaddress.ip_address(raw)
        is_address = True
    except ValueError:
        is_address = False
    if is_address or "/" in raw or ":" in raw or not (host == raw or host.endswith("." + raw)):
        raise ValueError(
            f"PORTAL_RP_ID must be the host name of PORTAL_ORIGIN ({host}) or a domain it "
            f"belongs to, never an IP address; not {raw!r}"
        )
    return raw


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    document_dir: Path
    outbox_dir: Path
    max_upload_bytes: int
    session_idle_minutes: int
    session_max_hours: int
    cookie_secure: bool
    bcrypt_rounds: int
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_starttls: bool
    mail_from: str
    # Origins besides the app's own host that may open the websocket (a proxy's public URL).
    allowed_origins: frozenset[str]
    # Rate limits ("" = off), in the `limits` package's notation, and where they are counted.
    rate_limit_storage: str = "memory://"
    rate_events_session: str = ""
    rate_events_address: str = ""
    rate_progress_session: str = ""
    rate_http_session: str = ""
    rate_http_address: str = ""
    # How soon repeats of a refusal already on record reach its audit row (refusal_log).
    audit_flush_ms: int = 2000
    # Where people reach the portal, for the links in the emails it sends.
    public_url: str = "http://localhost:3000"
    # Passkeys (WebAuthn): the origin the browser must report, and the relying party ID.
    origin: str = "http://localhost:3000"
    rp_id: str = "localhost"
    # PORTAL_SECRET_KEY: the key that encrypts secrets at rest (portal/crypto.py); empty means
    # "generate one into the data folder". Never shown in a repr or a log.
    secret_key: str = field(default="", repr=False)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read once per process; a test that changes the environment clears the cache."""
    data_dir = Path(os.environ.get("PORTAL_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    default_db = f"sqlite:///{data_dir / 'portal.db'}"
    public_url = _public_url()
    origin = _passkey_origin(public_url)
    return Settings(
        database_url=os.environ.get("PORTAL_DATABASE_URL", "").strip() or default_db,
        data_dir=data_dir,
        document_dir=Path(os.environ.get("PORTAL_DOCUMENT_DIR", data_dir / "documents")).resolve(),
        outbox_dir=Path(os.environ.get("PORTAL_OUTBOX_DIR", data_dir / "outbox")).resolve(),
        max_upload_bytes=_int("PORTAL_MAX_UPLOAD_MB", 25, minimum=1) * 1024 * 1024,
        session_idle_minutes=_int("PORTAL_SESSION_IDLE_MINUTES", 30, minimum=1),
        session_max_hours=_int("PORTAL_SESSION_MAX_HOURS", 12, minimum=1),
        cookie_secure=_bool("PORTAL_COOKIE_SECURE", False),
        bcrypt_rounds=_int("PORTAL_BCRYPT_ROUNDS", MIN_BCRYPT_ROUNDS, minimum=MIN_BCRYPT_ROUNDS),
        smtp_host=os.environ.get("PORTAL_SMTP_HOST", "").strip(),
        smtp_port=_int("PORTAL_SMTP_PORT", 587, minimum=1),
        smtp_user=os.environ.get("PORTAL_SMTP_USER", ""),
        smtp_password=os.environ.get("PORTAL_SMTP_PASSWORD", ""),
        smtp_starttls=_bool("PORTAL_SMTP_STARTTLS", True),
        mail_from=os.environ.get("PORTAL_MAIL_FROM", "Bookkeeper Portal <no-reply@localhost>"),
        allowed_origins=frozenset(
            o.strip().rstrip("/")
            for o in os.environ.get("PORTAL_ALLOWED_ORIGINS", "").split(",")
            if o.strip()
        ),
        rate_limit_storage=_rate_storage(),
        rate_events_session=_rate("PORTAL_RATE_LIMIT_EVENTS_SESSION", "600/minute;120/10 seconds"),
        rate_events_address=_rate("PORTAL_RATE_LIMIT_EVENTS_ADDRESS", "6000/minute"),
        rate_progress_session=_rate("PORTAL_RATE_LIMIT_PROGRESS_SESSION", "3000/minute"),
        rate_http_session=_rate("PORTAL_RATE_LIMIT_HTTP_SESSION", "300/minute;60/10 seconds"),
        rate_http_address=_rate("PORTAL_RATE_LIMIT_HTTP_ADDRESS", "3000/minute"),
        audit_flush_ms=_int("PORTAL_AUDIT_FLUSH_MS", 2000, minimum=50),
        public_url=public_url,
        origin=origin,
        rp_id=_rp_id(origin),
        secret_key=os.environ.get("PORTAL_SECRET_KEY", "").strip(),
    )
