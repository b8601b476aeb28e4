"""Importing clients through the page in a browser test: a CSV of clients, and the steps a
person takes on /clients/import. For any test that needs a firm with many clients made the
way a practice makes them (the end-to-end test imports 500)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

HEADER = "Client name,Business No.,Contact,E-mail,Phone,Address,Notes"


def clients_csv(path: Path, count: int, *, tag: str = "", extra: str = "") -> Path:
    """A CSV file (UTF-8 with a byte-order mark, as Excel saves "CSV UTF-8") of `count` new
    clients named "Imported Client <tag> <n>", with `extra` lines after them."""
    lines = [HEADER]
    for n in range(1, count + 1):
        lines.append(
            f"Imported Client {tag} {n:04d},{800_000_000 + n} RT0001,Owner {n},"
            f'owner{n}@client{n}.example,604-555-{n % 10_000:04d},"{n} Main St, Vancouver",'
        )
    text = "\n".join(lines) + "\n" + extra
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def open_import(page: Page) -> None:
    """From the client list, as a person gets there."""
    page.goto("/clients")
    expect(page.get_by_role("heading", name="Clients", level=1)).to_be_visible()
    page.get_by_role("link", name="Import from CSV").click()
    expect(page.get_by_role("heading", name="Import clients from CSV", level=1)).to_be_visible()


def upload_for_preview(page: Page, path: Path) -> None:
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="2. Check the preview")).to_be_visible()


def run_import(page: Page, *, skip_errors: bool = False, timeout_ms: float = 60_000) -> str:
    """Press Import (ticking "skip the rows with errors" first when asked) and return the
    summary once the import has finished."""
    if skip_errors:
        page.get_by_role(
            "checkbox", name="Import the other rows and skip the rows with errors"
        ).click()
    page.get_by_role("button", name="Import", exact=True).click()
    summary = page.locator("#client-import-summary")
    expect(summary).to_be_visible(timeout=timeout_ms)
    return summary.inner_text()


def import_clients_through_page(page: Page, path: Path, *, skip_errors: bool = False) -> str:
    """The whole flow for a signed-in staff member or admin; returns the summary, such as
    "500 clients created, 0 updated, 0 duplicates skipped, 0 rows with errors not imported."."""
    open_import(page)
    upload_for_preview(page, path)
    return run_import(page, skip_errors=skip_errors)
