"""``peerkit certs``: credentials, continuing education, supervision and what is due."""
from __future__ import annotations

import click

from peerkit.context import pass_workspace
from peerkit.options import CREDENTIAL_ID, DATE, ID, PAST_DATE, as_of_option, json_option
from peerkit.output import echo_table, emit, emit_json, message, table
from peerkit_certs import model


@click.group()
def certs():
    """Certifications, licences, insurance, continuing education and supervision.

    \b
    peerkit certs add --preset nc-cpss --number NCCPSS-0000 --issued 2025-03-01
    peerkit certs ce add --date 2026-04-10 --hours 3 --category ethics --title "Ethics in peer work"
    peerkit certs supervision add --date 2026-11-05 --minutes 60 --supervisor "Pat Supervisor"
    peerkit certs status --ics deadlines.ics
    """


def _categories(specs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for spec in specs:
        name, sep, hours = spec.partition("=")
        if not sep or not name.strip() or not hours.strip():
            raise click.BadParameter("use CATEGORY=HOURS (for example ethics=3)", param_hint="--category")
        out[model.category_key(name)] = hours.strip()
    return out


@certs.command(name="add")
@click.argument("cred_id", required=False, type=ID)
@click.option("--preset", help="Start from a preset (see 'peerkit certs presets'): "
                               "nc-cpss, ga-cps, pa-cps, tx-mhps, tx-rsps.")
@click.option("--kind", type=click.Choice(model.KINDS), help="What it is (a preset sets certification).")
@click.option("--name", help="Its name (a preset sets one).")
@click.option("--number", help="Certificate, licence or policy number.")
@click.option("--issuer", help="Who issued it.")
@click.option("--issued", type=DATE, help="Date issued (or last renewed).")
@click.option("--expires", type=DATE, help="Last day it is valid (a preset computes it from --issued).")
@click.option("--renewal-hours", help="Continuing-education hours needed per renewal period.")
@click.option("--period-years", type=click.IntRange(1, 20), help="Length of the renewal period in years.")
@click.option("--category", "categories", multiple=True, metavar="NAME=HOURS",
              help="Minimum hours in a category, e.g. ethics=3 (repeatable).")
@click.option("--grace-days", type=click.IntRange(0, 365), help="Days after expiry a late renewal is accepted.")
@pass_workspace
def certs_add(ws, cred_id, preset, kind, name, number, issuer, issued, expires, renewal_hours,
              period_years, categories, grace_days):
    """Add a certification, licence, insurance policy, training or background check.

    \b
    peerkit certs add --preset nc-cpss --number NCCPSS-0000 --issued 2025-03-01
    peerkit certs add drivers-licence --kind licence --name "NC driver licence" --expires 2029-06-30
    """
    values = {"kind": kind, "name": name, "number": number, "issuer": issuer, "issued": issued,
              "expires": expires, "renewal_hours": renewal_hours, "period_years": period_years,
              "grace_days": grace_days}
    entry = model.build_credential(ws, cred_id=cred_id, preset=preset, values=values,
                                   categories=_categories(categories))
    if model.load(ws).get(entry["id"]):
        raise model.DataError(ws.rel(model.credentials_path(ws)),
                              f"a credential with id {entry['id']!r} already exists")

    def unique(creds):
        if sum(1 for c in creds.credentials if c.id == entry["id"]) > 1:
            raise model.DataError(ws.rel(model.credentials_path(ws)),
                                  f"a credential with id {entry['id']!r} already exists")

    model.append_entry(ws, "credential", entry, check=unique)
    exp = entry.get("expires")
    message(f"Added credential {entry['id']}" + (f" (expires {exp.isoformat()})." if exp else "."))


@certs.command(name="renew")
@click.argument("cred_id", type=ID)
@click.option("--date", "renewed", type=PAST_DATE, default="today", show_default=True,
              help="The day it was renewed (becomes 'issued'; not in the future).")
@click.option("--expires", type=DATE, default=None,
              help="The new last valid day (default: one renewal period after the old expiry).")
@click.option("--number", default=None, help="A new certificate, licence or policy number.")
@pass_workspace
def certs_renew(ws, cred_id, renewed, expires, number):
    """Record a renewal: 'issued' becomes the renewal day and 'expires' moves on.

    
    peerkit certs renew nc-cpss                       # 2027-03-31 -> 2029-03-31 (period_years = 2)
    peerkit certs renew auto-insurance --date 2027-01-10 --expires 2027-07-14 --number POL-0002

    An earlier 'renew_by' deadline belonged to the old period and is removed.
    """
    cred = model.load(ws).get(cred_id)
    if cred is None:
        raise model.DataError(ws.rel(model.credentials_path(ws)),
                              f"no credential with id {cred_id!r} (see 'peerkit certs list')")
    new_expiry = model.renewed_expiry(cred, expires)
    if new_expiry < renewed:
        raise click.BadParameter(f"{new_expiry.isoformat()} is before the renewal day", param_hint="--expires")
    saved = model.update_credential(ws, cred_id, {"issued": renewed, "expires": new_expiry,
                                                  "number": number}, remove=("renew_by", "retired"))
    message(f"Renewed credential {saved.id}: valid through {saved.expires.isoformat()}.")


@certs.command(name="edit")
@click.argument("cred_id", type=ID)
@click.option("--name", default=None, help="Its name.")
@click.option("--number", default=None, help="Certificate, licence or policy number.")
@click.option("--issuer", default=None, help="Who issued it.")
@click.option("--issued", type=DATE, default=None, help="Date issued (or last renewed).")
@click.option("--expires", type=DATE, default=None, help="Last day it is valid.")
@click.option("--renew-by", "renew_by", type=DATE, default=None, help="Renewal deadline, if before expiry.")
@click.option("--renewal-hours", default=None, help="Continuing-education hours needed per renewal period.")
@click.option("--period-years", type=click.IntRange(1, 20), default=None, help="Renewal period in years.")
@click.option("--category", "categories", multiple=True, metavar="NAME=HOURS",
              help="Minimum hours in a category, e.g. ethics=3 (repeatable).")
@click.option("--grace-days", type=click.IntRange(0, 365), default=None,
              help="Days after expiry a late renewal is accepted.")
@pass_workspace
def certs_edit(ws, cred_id, name, number, issuer, issued, expires, renew_by, renewal_hours, period_years,
               categories, grace_days):
    """Change fields of a credential (only those given; comments in the file are kept).

    
    peerkit certs edit drivers-licence --number 000000000001 --expires 2031-06-19
    peerkit certs edit nc-cpss --category ethics=3 --grace-days 30
    """
    changes = {"name": name, "number": number, "issuer": issuer, "issued": issued, "expires": expires,
               "renew_by": renew_by, "renewal_hours": renewal_hours, "period_years": period_years,
               "grace_days": grace_days}
    if renewal_hours is not None:
        changes["renewal_hours"] = _hours_option(renewal_hours, "--renewal-hours")
    cats = {k: _hours_option(v, "--category") for k, v in _categories(categories).items()}
    if all(v is None for v in changes.values()) and not cats:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    saved = model.update_credential(ws, cred_id, changes, categories=cats)
    message(f"Updated credential {saved.id}.")


def _hours_option(text: str, option: str):
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise click.BadParameter(f"{text!r} is not a number of hours (like 1.5)", param_hint=option) from None
    if not value.is_finite() or value < 0:
        raise click.BadParameter(f"{text!r} is not a number of hours (like 1.5)", param_hint=option)
    return value


@certs.command(name="retire")
@click.argument("cred_id", type=ID)
@click.option("--date", "day", type=DATE, default="today", show_default=True,
              help="From this day it is no longer held or needed.")
@pass_workspace
def certs_retire(ws, cred_id, day):
    """Retire a credential you no longer hold or need (a sold car's insurance): it stays in
    credentials.toml for the record (its CE entries too) but nothing about it is due any more.

    
    peerkit certs retire auto-insurance --date 2027-01-14
    """
    saved = model.update_credential(ws, cred_id, {"retired": day})
    message(f"Retired credential {saved.id} from {saved.retired.isoformat()}.")


@certs.command(name="list")
@as_of_option
@json_option
@pass_workspace
def certs_list(ws, as_of, as_json):
    """List credentials with their expiry and state."""
    from peerkit import dates
    from peerkit_certs.status import compute

    creds = model.load(ws)
    s = model.settings(ws)
    st = compute(creds, s, as_of or dates.today())
    emit(as_json, st.as_json()["credentials"], lambda: table(
        [(c.id, c.kind, c.name, c.number, c.expires, state, "" if days is None else days)
         for c, state, days in st.credentials],
        ["id", "kind", "name", "number", "expires", "state", "days left"]))


@certs.command(name="presets")
@json_option
@pass_workspace
def certs_presets(ws, as_json):
    """The renewal presets (built in, and [certs.presets.NAME] tables of peerkit.toml)."""
    presets = model.all_presets(model.settings(ws))
    if as_json:
        emit_json(presets)
        return
    rows = []
    for key, p in sorted(presets.items()):
        cats = ", ".join(f"{k} {v}" for k, v in (p.get("category_hours") or {}).items())
        rows.append((key, p.get("name", ""), p.get("period_years", ""), p.get("renewal_hours", ""), cats,
                     p.get("expiry_rule", "anniversary")))
    echo_table(rows, ["preset", "name", "years", "hours", "minimum per category", "expiry"])


@certs.command(name="status")
@click.option("--within", type=click.IntRange(0, 3650), default=None,
              help="Warn about what is due within this many days (default: [certs] warn_days, 90).")
@as_of_option
@json_option
@click.option("--ics", "ics_path", metavar="FILE", help="Also write an iCalendar file of the deadlines.")
@click.pass_context
def certs_status(ctx, within, as_of, as_json, ics_path):
    """What has lapsed, what lapses soon, CE hours against the renewal rule, missing supervision.

    Exit 1 when anything has lapsed or is due inside the window.
    """
    from peerkit import dates
    from peerkit.context import workspace_for
    from peerkit_certs.status import compute

    ws = workspace_for(ctx)
    creds = model.load(ws)
    s = model.settings(ws)
    day = as_of or dates.today()
    st = compute(creds, s, day, within)
    if ics_path:
        from pathlib import Path

        from peerkit.storage import display_path
        from peerkit_certs.ics import build_calendar, write_calendar

        owner = str(ws.provider.get("name", ""))
        data = build_calendar(st, owner=owner, alarm_days=s.alarm_days,
                              supervision_alarm_days=s.supervision_alarm_days)
        write_calendar(Path(ics_path), data)
        ws.audit("certs status --ics", records=[c.id for c in creds.credentials], output=ics_path)
        message(f"Wrote {display_path(ics_path)}.")
    if as_json:
        emit_json(st.as_json())
    else:
        click.echo(status_text(st))
    if st.needs_attention:
        ctx.exit(1)


def status_text(st) -> str:
    from peerkit_certs.model import fmt_hours

    lines = [f"Credentials as of {st.as_of.isoformat()} (window {st.within} days):"]
    if not st.credentials:
        lines.append("  none recorded (add one with 'peerkit certs add')")
    for c, state, days in st.credentials:
        exp = c.expires.isoformat() if c.expires else "no expiry"
        extra = "" if days is None else (f", {-days} days ago" if days < 0 else f", {days} days left")
        lines.append(f"  {c.id:<20} {c.kind:<16} {exp}  {state}{extra}")
    for p in st.ce:
        start = p.start.isoformat() if p.start else "the start"
        req = f" of {fmt_hours(p.required)}" if p.required is not None else ""
        lines.append(f"CE for {p.credential.id} since {start}: {fmt_hours(p.earned)}{req} h"
                     + (f", {fmt_hours(p.remaining)} h to go" if p.remaining > 0 else ""))
        for cat, row in p.category_rows().items():
            lines.append(f"  {cat}: {row['earned']} of {row['required']} h"
                         + (f", {row['remaining']} h to go" if row["remaining"] > 0 else ""))
    sup = st.supervision
    if sup.minimum > 0 and sup.since is not None:
        missing = sup.missing
        lines.append(f"Supervision (at least {sup.minimum} minutes a month): "
                     + (f"missing in {', '.join(missing)}" if missing else "every checked month met"))
        if sup.current:
            cur = sup.current
            lines.append(f"  {cur['month']} so far: {cur['minutes']} minutes"
                         + (f", {cur['remaining']} more by {cur['due'].isoformat()}" if cur["remaining"] else ""))
    if st.alerts:
        lines.append("Needs attention:")
        for a in st.alerts:
            due = a.due.isoformat() if a.due else "-"
            lines.append(f"  {a.severity:<7} {due:<10}  {a.subject:<20} {a.message}")
    else:
        lines.append("Nothing needs attention.")
    return "\n".join(lines)


# ------------------------------------------------------------------------ continuing education


@certs.group(name="ce")
def ce():
    """Continuing-education hours."""


@ce.command(name="add")
@click.option("--date", "day", type=PAST_DATE, required=True, help="Date of the training (not in the future).")
@click.option("--hours", required=True, help="Hours (decimals allowed, e.g. 1.5).")
@click.option("--category", default="general", show_default=True, help="Category, e.g. ethics.")
@click.option("--title", required=True, help="Title of the training.")
@click.option("--provider", default="", help="Who gave it.")
@click.option("--credential", "credential", type=CREDENTIAL_ID, default=None,
              help="Count it only for this credential (default: every credential with a renewal rule).")
@click.option("--certificate", default="", help="File name of the certificate of completion.")
@pass_workspace
def ce_add(ws, day, hours, category, title, provider, credential, certificate):
    """Log continuing-education hours."""
    data = {"date": day, "hours": hours, "category": category, "title": title, "provider": provider,
            "credential": credential, "certificate": certificate}
    data = {k: v for k, v in data.items() if v not in (None, "")}
    ids = {c.id for c in model.load(ws).credentials}
    entry = model.ce_from_fields(model.new_entry_fields(data, "ce"), ids)
    data["hours"] = entry.hours
    data["category"] = entry.category
    model.append_entry(ws, "ce", data)
    message(f"Logged {model.fmt_hours(entry.hours)} h of {entry.category} on {day.isoformat()}.")


@ce.command(name="list")
@json_option
@pass_workspace
def ce_list(ws, as_json):
    """List continuing-education entries."""
    entries = sorted(model.load(ws).ce, key=lambda e: e.date)
    emit(as_json, [e.as_json() for e in entries], lambda: table(
        [(e.date, model.fmt_hours(e.hours), e.category, e.title, e.provider, e.credential or "")
         for e in entries], ["date", "hours", "category", "title", "provider", "credential"]))


# ------------------------------------------------------------------------ supervision


@certs.group(name="supervision")
def supervision():
    """The supervision log."""


@supervision.command(name="add")
@click.option("--date", "day", type=PAST_DATE, required=True,
              help="Date of the supervision (not in the future).")
@click.option("--minutes", type=int, required=True, help="Length in minutes.")
@click.option("--kind", type=click.Choice(model.SUPERVISION_KINDS), default="individual", show_default=True)
@click.option("--supervisor", default="", help="Who supervised.")
@pass_workspace
def supervision_add(ws, day, minutes, kind, supervisor):
    """Log a supervision session."""
    data = {"date": day, "minutes": minutes, "kind": kind, "supervisor": supervisor}
    data = {k: v for k, v in data.items() if v not in (None, "")}
    model.supervision_from_fields(model.new_entry_fields(data, "supervision"))
    model.append_entry(ws, "supervision", data)
    message(f"Logged {minutes} minutes of {kind} supervision on {day.isoformat()}.")


@supervision.command(name="list")
@json_option
@pass_workspace
def supervision_list(ws, as_json):
    """List supervision sessions."""
    entries = sorted(model.load(ws).supervision, key=lambda e: e.date)
    emit(as_json, [e.as_json() for e in entries], lambda: table(
        [(e.date, e.minutes, e.kind, e.supervisor) for e in entries], ["date", "minutes", "kind", "supervisor"]))
