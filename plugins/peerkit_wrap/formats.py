"""Exports of a plan: HTML and Markdown through templates, xlsx with one sheet per section,
and the wallet crisis card.  Registered through the ``wrap_formats`` hook like any plugin's.

A format is ``render(plan, workspace)`` returning ``str`` (text: may go to stdout),
``bytes`` (a binary file), or an openpyxl ``Workbook`` (saved with
``peerkit.excel.save_workbook``: atomic, 0600, neutral properties).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import peerkit_wrap.model as model

if TYPE_CHECKING:  # pragma: no cover
    from peerkit.workspace import Workspace

PLAN_HTML = "wrap/plan.html.j2"
PLAN_MD = "wrap/plan.md.j2"
CARD_HTML = "wrap/card.html.j2"


def context(plan: model.Plan, ws: Workspace) -> dict[str, Any]:
    """What every template receives.

    ``plan``: the plan's data (every key present, see docs/wrap.md); ``client``: ``{id,
    name}``; ``generated``: today; ``review_due``: the next review date or None;
    ``agency``: the agency's name or "".
    """
    from peerkit.dates import today

    cfg = model.settings(ws)
    agency = ws.section("agency").get("name", "")
    return {
        "plan": plan.data,
        "client": {"id": plan.client_id, "name": plan.client_name},
        "generated": today(),
        "review_due": plan.review_due(cfg.review_months),
        "review_months": cfg.review_months,
        "agency": agency if isinstance(agency, str) else "",
        "on_call": _agency_text(ws, "on_call_phone"),
    }


def _agency_text(ws: Workspace, key: str) -> str:
    from peerkit.validate import Fields

    return Fields(ws.section("agency"), ws.path("peerkit.toml"), prefix="agency.").opt(key, str, "").strip()


TRADEMARK = ("WRAP and Wellness Recovery Action Plan are registered trademarks of Advocates for Human "
             "Potential, Inc.; this is not an official WRAP document.")


def with_notices(result, fmt: str, notices: list[str]):
    """The export with the confidentiality notices: at the top of text, on a "Notice" sheet
    of a workbook.  Bytes (a plugin's pdf, docx) are returned as they are: such a format
    puts ``peerkit.notices.notices_for(ws)`` in the file itself (docs/plugins.md)."""
    from peerkit.notices import add_to_text

    if isinstance(result, str):
        return add_to_text(result, fmt if fmt in ("html", "md") else "txt", notices)
    if hasattr(result, "create_sheet") and hasattr(result, "worksheets"):
        sheet = _Sheet(result, "Notice", ["Notice"], [120])
        for text in notices:
            sheet.add(text)
        sheet.finish()
    return result


def render_html(plan: model.Plan, ws: Workspace) -> str:
    from peerkit.templating import render

    return render(ws, PLAN_HTML, context(plan, ws), fmt="html")


def render_md(plan: model.Plan, ws: Workspace) -> str:
    from peerkit.templating import render

    return render(ws, PLAN_MD, context(plan, ws), fmt="md")


def render_card(plan: model.Plan, ws: Workspace) -> str:
    from peerkit.templating import render

    return render(ws, CARD_HTML, context(plan, ws), fmt="html")


# ------------------------------------------------------------------------------ xlsx

# Fixed sheet titles (never from user data), in workbook order.
SHEETS = (
    "About this plan", "Stay well", "Day to day", "Upsets", "Early signs", "Much worse",
    "Crisis plan", "Crisis supporters", "Crisis medications", "Crisis care places",
    "Crisis not involved", "Crisis tasks", "After a crisis", "Advance directive",
)
_SECTION_SHEETS = {"toolbox": "Stay well", "daily": "Day to day", "triggers": "Upsets",
                   "early_signs": "Early signs", "breaking_down": "Much worse",
                   "post_crisis": "After a crisis"}


class _Sheet:
    """A worksheet filled row by row: header row bold and frozen, text wrapped."""

    def __init__(self, wb, title: str, headers: list[str], widths: list[int]):
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        self.ws = wb.create_sheet(title)
        self.title = title
        self.row = 1
        self._wrap = Alignment(wrap_text=True, vertical="top")
        for col, (head, width) in enumerate(zip(headers, widths, strict=True), 1):
            cell = self.ws.cell(row=1, column=col, value=head)
            cell.font = Font(bold=True)
            self.ws.column_dimensions[get_column_letter(col)].width = width
        self.ws.freeze_panes = "A2"
        self.ncols = len(headers)

    def add(self, *values: Any) -> None:
        import datetime as dt

        from peerkit.excel import DATE_FORMAT, set_text

        self.row += 1
        for col, value in enumerate(values, 1):
            cell = self.ws.cell(row=self.row, column=col)
            cell.alignment = self._wrap
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                cell.value = value
                cell.number_format = DATE_FORMAT
            else:
                set_text(cell, value, f"sheet '{self.title}' row {self.row}")

    def finish(self) -> None:
        from openpyxl.utils import get_column_letter

        if self.row > 1:
            self.ws.auto_filter.ref = f"A1:{get_column_letter(self.ncols)}{self.row}"


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def render_xlsx(plan: model.Plan, ws: Workspace):
    """A workbook with each section on its own sheet (titles in ``SHEETS``)."""
    from openpyxl import Workbook

    d = plan.data
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the empty sheet a new workbook starts with
    _about_sheet(wb, plan, model.settings(ws))
    for key, _title, parts in model.TEXT_SECTIONS:
        _text_sheet(wb, d, key, parts)
    _crisis_sheets(wb, d["crisis"])
    _text_sheet(wb, d, "post_crisis", model.POST_CRISIS[2])
    _advance_directive_sheet(wb, d["advance_directive"])
    return wb


def _about_sheet(wb, plan: model.Plan, cfg: model.Settings) -> None:
    d = plan.data
    about = _Sheet(wb, "About this plan", ["Field", "Value"], [28, 70])
    about.add("Plan", "Wellness and crisis action plan (compatible with WRAP-style planning)")
    about.add("Client id", plan.client_id)
    about.add("Name", plan.client_name)
    about.add("Written", d["written"] or "")
    about.add("Last reviewed", d["reviewed"] or "")
    about.add("Next review due", plan.review_due(cfg.review_months) or "")
    for helper in d["helped_by"]:
        about.add("Helped by", helper)
    about.add("Trademark", TRADEMARK)
    about.finish()


def _text_sheet(wb, d: dict, key: str, parts: list[tuple[str, str]]) -> None:
    """A section of lists of text: one row an item, with the label of its part."""
    sheet = _Sheet(wb, _SECTION_SHEETS[key], ["Part", "Item"], [44, 80])
    for field, label in parts:
        for item in d[key][field]:
            sheet.add(label, item)
    sheet.finish()


def _crisis_sheets(wb, c: dict) -> None:
    """The crisis plan: its text, then one sheet for each kind of list (people, medications, ...)."""
    crisis = _Sheet(wb, "Crisis plan", ["Part", "Item"], [44, 80])
    for field, label in model.CRISIS_TEXT[:2]:
        for item in c[field]:
            crisis.add(label, item)
    if c["disputes"]:
        crisis.add("If my supporters disagree", c["disputes"])
    for field, label in model.TREATMENT_LISTS:
        for item in c["treatments"][field]:
            crisis.add(label, item)
    for field, label in model.CRISIS_TEXT[2:]:
        for item in c[field]:
            crisis.add(label, item)
    crisis.finish()

    people = _Sheet(wb, "Crisis supporters", ["Name", "Relationship", "Phone", "Role",
                                              "May make decisions for me"], [26, 18, 18, 40, 14])
    for s in c["supporters"]:
        people.add(s["name"], s["relationship"], s["phone"], s["role"], _yes(s["may_decide"]))
    people.finish()

    meds = _Sheet(wb, "Crisis medications", ["List", "Medication", "Dose", "Why"], [16, 30, 18, 60])
    for field, _label in model.MEDICATION_LISTS:
        for m in c["medications"][field]:
            meds.add(field.capitalize(), m["name"], m["dose"], m["why"])
    for allergy in c["medications"]["allergies"]:
        meds.add("Allergy", allergy, "", "")
    meds.finish()

    places = _Sheet(wb, "Crisis care places", ["List", "Place", "Phone", "Why"], [12, 36, 18, 60])
    for field, _label in model.FACILITY_LISTS:
        for f in c["facilities"][field]:
            places.add(field.capitalize(), f["name"], f["phone"], f["why"])
    places.finish()

    _rows_sheet(wb, "Crisis not involved", ["Name", "Reason"], [30, 70],
                [(p["name"], p["reason"]) for p in c["not_involved"]])
    _rows_sheet(wb, "Crisis tasks", ["Task", "Who"], [50, 40], [(t["task"], t["who"]) for t in c["tasks"]])


def _rows_sheet(wb, title: str, headers: list[str], widths: list[int], rows: list[tuple]) -> None:
    sheet = _Sheet(wb, title, headers, widths)
    for row in rows:
        sheet.add(*row)
    sheet.finish()


def _advance_directive_sheet(wb, ad: dict) -> None:
    pad = _Sheet(wb, "Advance directive", ["Field", "Value"], [40, 60])
    pad.add("Has a psychiatric advance directive", _yes(ad["exists"]))
    pad.add("Where the original is kept", ad["original_location"])
    pad.add("Registered with the NC registry", _yes(ad["registered"]))
    pad.add("Registry file number", ad["file_number"])
    pad.add("Health care agent", ad["agent"])
    if ad["notes"]:
        pad.add("Notes", ad["notes"])
    pad.finish()


def render_pdf(plan: model.Plan, ws: Workspace) -> bytes:
    """The whole plan (its HTML and print CSS) as a US-letter PDF; needs peerkit[pdf]."""
    from peerkit.notices import notices_for
    from peerkit.pdf import html_to_pdf

    return html_to_pdf(with_notices(render_html(plan, ws), "html", notices_for(ws)))


# The card's sides one per card-sized page (front, then back) instead of side by side on a sheet.
CARD_PAGES = """
.howto { display: none; }
.card { display: block; width: auto; border: none; }
.side { width: auto; min-height: 0; break-after: page; }
.side:last-child { break-after: auto; }
.side + .side { border-left: none; }
"""


def render_card_pdf(plan: model.Plan, ws: Workspace) -> bytes:
    """The crisis card as a PDF of ID-1 card-sized pages (85.6 x 53.98 mm, crop marks in a
    3 mm bleed): the front, then the back; a long plan continues on a further card page."""
    from peerkit.notices import notices_for
    from peerkit.pdf import CARD, html_to_pdf

    return html_to_pdf(with_notices(render_card(plan, ws), "html", notices_for(ws)), page=CARD + CARD_PAGES)


def builtin_formats() -> dict:
    return {"html": render_html, "md": render_md, "xlsx": render_xlsx, "pdf": render_pdf}


def available(plugins=None) -> dict:
    """``{name: (plugin, render)}`` from every plugin's ``wrap_formats`` hook."""
    from peerkit.context import current_plugins

    return (plugins or current_plugins()).collect_named("wrap_formats", "wrap format")
