"""The Workload page: staff and admins only (the allowlist gives a bookkeeper neither the
page nor its events, so nothing here ever reaches a bookkeeper's browser)."""

from __future__ import annotations

import reflex as rx

from portal.services import workload
from portal.services.workload import PersonLoad, Series, TableRow, TimeChart
from state.page import PageMixin
from state.session import SessionState


def people_height(people: list[PersonLoad]) -> int:
    """The open-steps chart's height in pixels: a bar per person."""
    return max(160, 70 + 36 * len(people))


class WorkloadState(PageMixin, SessionState):
    today: str = ""
    # Open steps per person, by due state.
    people: list[PersonLoad] = []
    people_height: int = 160
    open_total: int = 0
    people_summary: str = ""
    # Time per week, by person and by client.
    weeks: str = ""
    person_series: list[Series] = []
    person_points: list[dict[str, str | float]] = []
    person_columns: list[str] = []
    person_rows: list[TableRow] = []
    person_summary: str = ""
    client_series: list[Series] = []
    client_points: list[dict[str, str | float]] = []
    client_columns: list[str] = []
    client_rows: list[TableRow] = []
    client_summary: str = ""
    # Filings due per month, by status.
    months: str = ""
    filing_points: list[dict[str, str | int]] = []
    filing_rows: list[TableRow] = []
    filing_total: int = 0
    filing_summary: str = ""

    @rx.event
    def load(self):
        shown = self._load(workload.workload)
        if shown is None:
            return
        self.today = shown.today
        self.people = shown.people
        self.people_height = people_height(shown.people)
        self.open_total = shown.open_total
        self.people_summary = shown.open_summary
        self.weeks = shown.weeks
        self._show_time("person", shown.by_person)
        self._show_time("client", shown.by_client)
        self.months = shown.filings.period
        self.filing_points = shown.filings.points
        self.filing_rows = shown.filings.rows
        self.filing_total = shown.filings.total
        self.filing_summary = shown.filings.summary

    def _show_time(self, by: str, chart: TimeChart) -> None:
        setattr(self, f"{by}_series", chart.series)
        setattr(self, f"{by}_points", chart.points)
        setattr(self, f"{by}_columns", chart.columns)
        setattr(self, f"{by}_rows", chart.rows)
        setattr(self, f"{by}_summary", chart.summary)
