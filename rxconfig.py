"""Reflex configuration. The database URL and every other setting come from the environment
(see README.md and portal/settings.py); nothing secret lives here."""

import os

import reflex as rx
from reflex_base.plugins.sitemap import SitemapPlugin

from portal.settings import get_settings

_port = int(os.environ.get("PORT", "3000"))
_origins = [f"http://localhost:{_port}", f"http://127.0.0.1:{_port}"]
_origins += [o.strip() for o in os.environ.get("PORTAL_ALLOWED_ORIGINS", "").split(",") if o]

# Several workers behind the port (GRANIAN_WORKERS) share nothing in memory: each browser
# tab's state and the worker holding its socket must live in Redis (REFLEX_REDIS_URL), or a
# tab's next connection lands on a worker that has never heard of it.
_workers = os.environ.get("GRANIAN_WORKERS", "").strip()
if _workers.isdigit() and int(_workers) > 1 and not os.environ.get("REFLEX_REDIS_URL", "").strip():
    raise SystemExit(
        f"GRANIAN_WORKERS={_workers} needs REFLEX_REDIS_URL: several workers keep their state "
        "in Redis (see README.md, 'Deployment')."
    )

# With Redis, a worker keeps the lock on a tab's state, and the state itself in memory, for
# half the lock's expiry (5 s) after an event, so the tab's next click within that time
# reads no state from Redis and writes none back (the state is written when the hold ends).
# Without it every event paid a lock, a read and a write of the tab's pickled state: at 200
# busy sockets on 2 workers, p99 82-228 ms against 43-74 ms with it (benchmarks/plans.md).
# When another worker asks for the same tab's state (a reconnect that lands elsewhere, a
# push), the hold is broken at once and the state written first. REFLEX_OPLOCK_ENABLED=false
# turns it off.
if os.environ.get("REFLEX_REDIS_URL", "").strip():
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")

# A tab's server-side state lives as long as a session may sit idle, and no longer: it holds
# only what that tab may see, and nothing of it is useful once the session has ended.
_idle_minutes = get_settings().session_idle_minutes

config = rx.Config(
    app_name="portal",
    frontend_port=_port,
    backend_port=_port,
    telemetry_enabled=False,
    redis_token_expiration=_idle_minutes * 60,
    show_built_with_reflex=False,
    # Only the app's own origin may call the API or open the event socket with cookies.
    cors_allowed_origins=_origins,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium")
        ),
    ],
    disable_plugins=[SitemapPlugin],
)
