"""axe-core, through axe-playwright-python, on the page as the person sees it now.

The browser tests fail on any serious or critical violation. Minor and moderate ones are
reported by axe too, but they are matters of taste (a region landmark around a toast, say)
that a screen reader user would not be stopped by.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

BLOCKING = ("serious", "critical")

_AXE = Axe()


def blocking_violations(page: Page) -> list[str]:
    """One line per serious or critical violation: rule, impact, and the elements it hit."""
    results = _AXE.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        targets = "; ".join(
            f"{', '.join(map(str, node['target']))} {node.get('html', '')[:160]!r}"
            + "".join(f" [{check['message']}]" for check in node.get("any", [])[:1])
            for node in violation["nodes"][:5]
        )
        found.append(
            f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} "
            f"-- {targets}"
        )
    return found
