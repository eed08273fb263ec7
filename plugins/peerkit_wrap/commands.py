"""``peerkit wrap``: the person's wellness and crisis action plan (new, edit, show, export, check)."""
from __future__ import annotations

from collections.abc import Iterable

import click

from peerkit.context import pass_workspace
from peerkit.options import CLIENT_ID, json_option, out_option
from peerkit.output import emit, emit_json, message, resolves_out
from peerkit_wrap import model


class FormatChoice(click.Choice):
    """``--format`` choices read from the ``wrap_formats`` hook when first needed."""

    def __init__(self):
        super().__init__([], case_sensitive=True)

    @property
    def choices(self):
        from peerkit_wrap.formats import available

        try:
            return tuple(sorted(available()))
        except Exception:  # noqa: BLE001 - help must still print when a plugin is broken
            return ("html", "md", "xlsx")

    @choices.setter
    def choices(self, value):
        pass


def _format_names():
    from peerkit_wrap.formats import available

    return available()


@click.group()
def wrap():
    """The person's wellness and crisis action plan (compatible with WRAP-style planning).

    \b
    peerkit wrap new C001                 start a plan (a commented skeleton)
    peerkit wrap edit C001                open it in $EDITOR; saved only if valid
    peerkit wrap show C001 [--json]
    peerkit wrap export C001 --format html --out plan.html
    peerkit wrap export C001 --card --out card.html   a wallet crisis card
    peerkit wrap check [C001] [--json]    supporters' phones, review dates
    """


@wrap.command(name="new")
@click.argument("client_id", type=CLIENT_ID)
@pass_workspace
def wrap_new(ws, client_id):
    """Start a plan for CLIENT_ID: a skeleton whose comments explain each section.

    Refuses to overwrite an existing plan.
    """
    from peerkit.dates import today

    path = model.new_plan(ws, client_id, today())
    message(f"Created {ws.rel(path)}; fill it in with the person: peerkit wrap edit {client_id}")


@wrap.command(name="edit")
@click.argument("client_id", type=CLIENT_ID)
@pass_workspace
def wrap_edit(ws, client_id):
    """Open the plan in $EDITOR; it is saved only if the result is valid.

    When the edited text is invalid the file is kept exactly as it was and the error names
    the line and field.
    """
    changed, unknown = model.edit_plan(ws, client_id)
    for name in unknown:
        message(f"Warning: field '{name}' is not part of the plan and appears in no export (a typo?)")
    if changed:  # every field as written, unknown ones included
        from peerkit import storage
        from peerkit.identifiers import narrative_warnings

        path = model.plan_path(ws, client_id)
        for line in narrative_warnings(ws.rel(path), storage.read_toml(path)):
            message(line)
    message("Saved." if changed else "No change.")


@wrap.command(name="show")
@click.argument("client_id", type=CLIENT_ID)
@json_option
@pass_workspace
def wrap_show(ws, client_id, as_json):
    """Show a person's plan (the whole plan, section by section)."""
    plan = model.load_plan(ws, client_id)
    cfg = model.settings(ws)
    emit(as_json, {"client": plan.client_id, "file": ws.rel(plan.path),
                   "review_due": plan.review_due(cfg.review_months),
                   "unknown_fields": plan.unknown, "plan": plan.data},
         lambda: plan_text(plan, ws.rel(plan.path), cfg))


def plan_text(plan: model.Plan, rel: str, cfg: model.Settings) -> str:
    """The whole plan as plain text, section by section (``peerkit wrap show``)."""
    d = plan.data
    lines = _header_lines(plan, rel, cfg)
    for key, title, parts in model.TEXT_SECTIONS[:5]:
        _section(lines, title, [(label, d[key][field]) for field, label in parts])
    _section(lines, model.CRISIS_TITLE)
    _crisis_lines(lines, d["crisis"])
    key, title, parts = model.POST_CRISIS
    _section(lines, title, [(label, d[key][field]) for field, label in parts])
    _section(lines, model.ADVANCE_DIRECTIVE_TITLE)
    lines.extend(_advance_directive_lines(d["advance_directive"]))
    return "\n".join(lines)


def _header_lines(plan: model.Plan, rel: str, cfg: model.Settings) -> list[str]:
    """The title line, the plan's dates and who helped write it."""
    d = plan.data
    lines = [f"Wellness and crisis action plan: {plan.client_id}  {plan.client_name}  ({rel})"]
    due = plan.review_due(cfg.review_months)
    dates = [f"{label} {day.isoformat()}" for label, day in
             (("written", d["written"]), ("reviewed", d["reviewed"]), ("next review due", due)) if day]
    if dates:
        lines.append("  " + ", ".join(dates))
    if d["helped_by"]:
        lines.append("  Helped by: " + "; ".join(d["helped_by"]))
    return lines


def _section(lines: list[str], title: str, parts: Iterable[tuple[str, list[str]]] = ()) -> None:
    """A blank line, the section's title in capitals, then its non-empty parts."""
    lines.append("")
    lines.append(title.upper())
    for label, items in parts:
        _part(lines, label, items)


def _part(lines: list[str], label: str, items: list[str]) -> None:
    """``label:`` and one bulleted line an item; nothing when there are no items."""
    if items:
        lines.append(f"  {label}:")
        lines.extend(f"    - {_one_line(i)}" for i in items)


def _crisis_lines(lines: list[str], c: dict) -> None:
    """The crisis plan's parts, in the order the plan is written."""
    for field, label in model.CRISIS_TEXT[:2]:
        _part(lines, label, c[field])
    if c["supporters"]:
        lines.append("  People I want to help me:")
        lines.extend(_supporter(s) for s in c["supporters"])
    if c["disputes"]:
        _part(lines, "If my supporters disagree", [c["disputes"]])
    _part(lines, "People I do not want involved",
          [p["name"] + (f" ({p['reason']})" if p["reason"] else "") for p in c["not_involved"]])
    for field, label in model.MEDICATION_LISTS:
        _part(lines, label, [_med(m) for m in c["medications"][field]])
    _part(lines, "Allergies and reactions", c["medications"]["allergies"])
    for field, label in model.TREATMENT_LISTS:
        _part(lines, label, c["treatments"][field])
    for field, label in model.FACILITY_LISTS:
        _part(lines, label, [_facility(f) for f in c["facilities"][field]])
    for field, label in model.CRISIS_TEXT[2:6]:
        _part(lines, label, c[field])
    _part(lines, "Things I need others to take care of",
          [t["task"] + (f": {t['who']}" if t["who"] else "") for t in c["tasks"]])
    _part(lines, model.CRISIS_TEXT[6][1], c["inactive_when"])


def _supporter(s: dict) -> str:
    extra = ", ".join(x for x in (s["relationship"], s["phone"] or "NO PHONE", s["role"]) if x)
    decide = " (may make decisions for me)" if s["may_decide"] else ""
    return f"    - {s['name']}: {extra}{decide}"


def _facility(f: dict) -> str:
    return f["name"] + (f", {f['phone']}" if f["phone"] else "") + (f" ({f['why']})" if f["why"] else "")


def _advance_directive_lines(ad: dict) -> list[str]:
    if not ad["exists"]:
        return ["  None recorded."]
    lines = [f"  I have one. The original is kept: {ad['original_location'] or '(not written down)'}"]
    if ad["registered"]:
        reg = f", file number {ad['file_number']}" if ad["file_number"] else ""
        lines.append(f"  Registered with the NC Advance Health Care Directive Registry{reg}")
    if ad["agent"]:
        lines.append(f"  Health care agent: {ad['agent']}")
    return lines


def _one_line(text: str) -> str:
    return text.replace("\n", "\n      ")


def _med(m: dict) -> str:
    text = m["name"] + (f" {m['dose']}" if m["dose"] else "")
    return text + (f" ({m['why']})" if m["why"] else "")


@wrap.command(name="export")
@click.argument("client_id", type=CLIENT_ID)
@click.option("--format", "fmt", type=FormatChoice(), default=None,
              help="Output format (html, md, xlsx, pdf, or one a plugin adds). Default: from --out's "
                   "suffix, else html.")
@click.option("--card", is_flag=True, help="A wallet-sized crisis card (HTML to print and cut out, "
                                           "or --format pdf: card-sized pages).")
@resolves_out(_format_names, default="html",
              aliases={"htm": "html", "markdown": "md"},
              file_name=lambda p: f"wrap-{p['client_id']}{'-card' if p['card'] else ''}.{p['fmt']}")
@out_option
@click.option("--consent", "consent_id", metavar="ID", help="The client's consent this disclosure relies on "
              "(required when [agency] part2 = true).")
@click.option("--recipient", metavar="NAME", help="Who receives it (must be listed on the consent).")
@pass_workspace
def wrap_export(ws, client_id, fmt, card, out, consent_id, recipient):
    """Export a person's plan for them and their supporters.

    \b
    peerkit wrap export C001 --format html --out plan.html   print-ready, self-contained
    peerkit wrap export C001 --format md                     Markdown to stdout
    peerkit wrap export C001 --format xlsx                   wrap-C001.xlsx, a sheet per section
    peerkit wrap export C001 --card --out card.html          wallet crisis card

    HTML and Markdown go to stdout without --out; binary formats go to wrap-CLIENT.FORMAT.
    Every export is recorded in the workspace's audit log (ids and paths only).
    """
    from peerkit_wrap import formats

    if card and fmt not in (None, "html", "pdf"):
        raise click.UsageError("--card is HTML or pdf; choose --format html or pdf")
    from peerkit import notices

    plan = model.load_plan(ws, client_id)
    consent = notices.check_consent(ws, client_id, consent_id, recipient)
    if card:
        pdf = fmt == "pdf"
        result: object = formats.render_card_pdf(plan, ws) if pdf else formats.render_card(plan, ws)
        name, action = ("pdf" if pdf else "html"), ("card pdf" if pdf else "card")
    else:
        name = fmt or "html"
        found = formats.available()
        if name not in found:  # pragma: no cover - click checked it
            raise click.UsageError(f"unknown format {name!r}")
        result = found[name][1](plan, ws)
        action = f"format={name}"
    result = formats.with_notices(result, "html" if card and name != "pdf" else name, notices.notices_for(ws))
    written = _write(result, out, f"wrap-{client_id}{'-card' if card else ''}.{name}",
                     lambda p: ws.audit("wrap export", records=[client_id], output=p or "stdout",
                                        action=notices.audit_action(action, consent)))
    if written is not None:
        message(f"Wrote {written}")


def _write(result, out: str | None, default_name: str, audit):
    """Write a format's result; returns the path written, or None for stdout.
    ``audit(path)`` runs before the file takes its name (or before stdout is written)."""
    import io
    from pathlib import Path

    from peerkit.errors import PeerkitError
    from peerkit.output import write_output

    if hasattr(result, "save") and hasattr(result, "worksheets"):  # an openpyxl Workbook
        from peerkit.excel import neutral_properties, save_workbook

        if out == "-":
            neutral_properties(result)
            buf = io.BytesIO()
            result.save(buf)
            write_output("-", buf.getvalue(), audit=audit)
            return None
        return save_workbook(result, Path(out or default_name), before_replace=audit)
    if isinstance(result, str):
        return write_output(out, result, audit=audit)
    if isinstance(result, (bytes, bytearray)):
        return write_output(out, bytes(result), None if out == "-" else default_name, audit=audit)
    raise PeerkitError("the wrap format returned neither text, bytes nor a workbook "
                       "(a plugin error)")


@wrap.command(name="check")
@click.argument("client_id", type=CLIENT_ID, required=False)
@json_option
@pass_workspace
def wrap_check(ws, client_id, as_json):
    """Check plans: supporters with phone numbers, review dates, unknown fields.

    Checks one person's plan, or every plan in wrap/.  Exit 1 when an error is found
    (warnings such as a review due soon do not change the exit code).
    """
    from peerkit.dates import today

    findings = model.check_all(ws, today(), client_id)
    if as_json:
        emit_json([f.as_json() for f in findings])
    elif not findings:
        click.echo("No problems found." if client_id else
                   f"No problems found in {len(model.plan_files(ws))} plan(s).")
    else:
        for f in findings:
            due = f" (due {f.due.isoformat()})" if f.due else ""
            click.echo(f"{f.file}: {f.severity}: [{f.rule}] {f.message}{due}")
    if any(f.severity == "error" for f in findings):
        click.get_current_context().exit(1)
