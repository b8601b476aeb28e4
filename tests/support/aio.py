"""Running a coroutine to completion from synchronous test code.

Once a browser test has started Playwright's sync API, this thread keeps a running event loop
for the rest of the session, and a bare ``asyncio.run`` fails there. Such a call then runs in a
worker thread, carrying the caller's context along (Reflex keeps its registry in a context
variable).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_sync(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(context.run, asyncio.run, coro).result()
