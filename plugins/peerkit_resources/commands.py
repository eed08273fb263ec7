"""``peerkit resources``: the community resource directory (thin layer over directory.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

import peerkit_resources.model as model
import peerkit_resources.schedule as sched
import peerkit_resources.search as search
from peerkit.completion import format_names
from peerkit.context import current_plugins, pass_workspace
from peerkit.errors import UsageError
from peerkit.options import DATE, PAST_DATE, RESOURCE_ID, json_option, out_option
from peerkit.output import echo_table, emit_json, message


class _LazyDirectory:
    """``directory`` (writing, importing, exporting) is imported only by the commands that use
    it: 'resources search' must not pay for it (~65 ms)."""

    def __getattr__(self, name):
        import peerkit_resources.directory as real

        return getattr(real, name)


directory = _LazyDirectory()


def importers() -> dict:
    return {k: v for k, (_, v) in current_plugins().collect_named("resource_importers", "resource importer").items()}


def exporters() -> dict:
    return {k: v for k, (_, v) in current_plugins().collect_named("resource_exporters", "resource exporter").items()}


@click.group()
def resources():
    """Community resource directory: search, verify, import and export (Open Referral HSDS)."""


# ---------------------------------------------------------------------------- add / edit

def _record_options(f):
    opts = [
        click.option("--name", help="Service name (required for add)."),
        click.option("--organization", help="Organization that runs it."),
        click.option("--description"),
        click.option("--category", "categories", multiple=True,
                     help="Open Eligibility term or one of [resources] categories (repeatable)."),
        click.option("--address1", "address_1", help="Street address."),
        click.option("--address2", "address_2"),
        click.option("--city"), click.option("--state", help="Two-letter state, e.g. NC."),
        click.option("--zip", "postal_code", help="Postal code."),
        click.option("--country", help="ISO country code (default US)."),
        click.option("--county"),
        click.option("--phone", "phones", multiple=True, metavar="NUMBER[ (TYPE[: DESCRIPTION])]",
                     help="Phone, e.g. '919-555-0100 (voice: front desk)' (repeatable)."),
        click.option("--email"), click.option("--url"),
        click.option("--hours", "hours", multiple=True, metavar="TEXT",
                     help="Opening hours, e.g. 'MO-FR 09:00-17:00', '1SA 09:00-12:00', '24/7' (repeatable)."),
        click.option("--language", "languages", multiple=True, help="Language spoken (repeatable)."),
        click.option("--eligibility"), click.option("--fees", help="Fees in words."),
        click.option("--free/--not-free", "free", default=None, help="Whether it is free."),
        click.option("--accessibility"), click.option("--how-to-apply", "how_to_apply"),
        click.option("--notes", help="Notes for peers."),
        click.option("--status", type=click.Choice(model.STATUSES)),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _changes(ws, kw: dict, *, replace_lists: bool) -> dict:
    ch: dict = {}
    for key in ("name", "organization", "description", "county", "email", "url", "eligibility", "fees",
                "accessibility", "how_to_apply", "notes", "status"):
        if kw.get(key) is not None:
            ch[key] = kw[key]
    if kw.get("free") is not None:
        ch["free"] = kw["free"]
    if kw.get("categories"):
        ch["categories"] = directory.check_categories(ws, list(kw["categories"]))
    if kw.get("languages"):
        ch["languages"] = list(kw["languages"])
    if kw.get("phones"):
        from peerkit_resources.formats import parse_phones

        ch["phones"] = parse_phones("; ".join(kw["phones"]))
    if kw.get("hours"):
        try:
            ch["schedules"] = sched.parse_hours("; ".join(kw["hours"]))
        except ValueError as exc:
            raise UsageError(f"--hours: {exc}") from None
    addr = {k: kw.get(k) for k in ("address_1", "address_2", "city", "state", "postal_code", "country")
            if kw.get(k) is not None}
    if addr:
        ch["address"] = addr
    return ch


@resources.command(name="add")
@click.argument("slug", required=False, type=RESOURCE_ID)
@_record_options
@click.option("--verified-by", "verified_by", help="Who checked the details (default: the provider).")
@click.option("--from", "source", metavar="FILE", help="Read the record(s) from a TOML/JSON file, or - for stdin.")
@pass_workspace
def add_cmd(ws, slug, source, verified_by, **kw):
    """Add a resource (stamped as verified today).

    \b
    peerkit resources add --name "Eno Valley Food Pantry" --category "Food Pantry" \\
        --address1 "12 Mill St" --city Hillsborough --state NC --zip 27278 \\
        --phone "919-555-0142" --hours "TU,TH 10:00-14:00" --free
    """
    from peerkit import dates

    if source:
        from peerkit.inputs import read_records

        records, where = read_records(source, list_key="resources")
        added = []
        for i, data in enumerate(records, 1):
            label = where if len(records) == 1 else f"{where} (record {i})"
            rslug = data.pop("slug", None) if isinstance(data, dict) else None
            added.append(directory.add(ws, slug if len(records) == 1 and slug else rslug, data, label))
        message(f"Added {len(added)} resource(s): {', '.join(added)}")
        return
    if not kw.get("name"):
        raise click.UsageError("--name is required (or use --from FILE)")
    raw = _changes(ws, kw, replace_lists=True)
    if "address" in raw:
        raw["address"].setdefault("country", "US")
    raw["last_verified"] = dates.today()
    raw["verified_by"] = verified_by if verified_by is not None else ws.provider.get("name", "")
    new = directory.add(ws, slug, raw)
    message(f"Added resource {new} ({model.FOLDER}/{new}.toml).")


@resources.command(name="edit")
@click.argument("slug", type=RESOURCE_ID)
@_record_options
@click.option("--add-category", "add_categories", multiple=True, help="Add a category (repeatable).")
@click.option("--remove-category", "remove_categories", multiple=True, help="Remove a category (repeatable).")
@click.option("--add-phone", "add_phones", multiple=True, help="Add a phone (repeatable).")
@click.option("--add-hours", "add_hours", multiple=True, help="Add an hours row (repeatable).")
@pass_workspace
def edit_cmd(ws, slug, add_categories, remove_categories, add_phones, add_hours, **kw):
    """Change a resource with flags, or open it in $EDITOR when no flag is given.

    --category, --phone, --hours and --language replace the whole list; --add-* add to it.
    """
    changes = _changes(ws, kw, replace_lists=True)
    if not changes and not (add_categories or remove_categories or add_phones or add_hours):
        if not sys.stdin.isatty():
            raise click.UsageError("give a flag to change (see --help); $EDITOR needs a terminal")
        changed = directory.edit_interactively(ws, slug)
        message("Saved." if changed else "No change.")
        return
    current = model.load(ws, slug)
    if add_categories or remove_categories:
        cats = list(changes.get("categories", current.get("categories", [])))
        cats += [c for c in directory.check_categories(ws, list(add_categories)) if c not in cats]
        drop = {c.casefold() for c in remove_categories}
        changes["categories"] = [c for c in cats if c.casefold() not in drop]
    if add_phones:
        from peerkit_resources.formats import parse_phones

        changes["phones"] = list(changes.get("phones", current.get("phones", []))) + parse_phones("; ".join(add_phones))
    if add_hours:
        try:
            extra = sched.parse_hours("; ".join(add_hours))
        except ValueError as exc:
            raise UsageError(f"--add-hours: {exc}") from None
        changes["schedules"] = list(changes.get("schedules", current.get("schedules", []))) + extra
    if "address" in changes:
        changes["address"] = {**(current.get("address") or {"country": "US"}), **changes["address"]}
    directory.edit(ws, slug, changes)
    message(f"Updated resource {slug}.")


@resources.command(name="remove")
@click.argument("slug", type=RESOURCE_ID)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_workspace
def remove_cmd(ws, slug, yes):
    """Delete a resource record."""
    model.load(ws, slug)
    if not yes and not click.confirm(f"Remove {model.FOLDER}/{slug}.toml?", default=False, err=True):
        message("Nothing removed.")
        return
    directory.remove(ws, slug)
    message(f"Removed resource {slug}.")


# ---------------------------------------------------------------------------- show / list


def record_json(res: dict) -> dict:
    out = {"slug": res["slug"], **model.to_record(res)}
    out.setdefault("status", res.get("status", "active"))
    out["hours"] = sched.format_rows(res.get("schedules", []))
    return out


def record_text(res: dict) -> str:
    lines = [f"{res['name']}  [{res['slug']}]" + (f"  ({res['status']})" if res.get("status") != "active" else "")]
    if res.get("organization"):
        lines.append(f"  Organization: {res['organization']}")
    if res.get("categories"):
        lines.append(f"  Categories: {', '.join(res['categories'])}")
    a = res.get("address")
    if a:
        street = ", ".join(x for x in (a["address_1"], a.get("address_2")) if x)
        lines.append(f"  Address: {street}, {a['city']}, {a['state']} {a['postal_code']}")
    if res.get("county"):
        lines.append(f"  County: {res['county']}")
    for p in res.get("phones", []):
        extra = f" x{p['extension']}" if p.get("extension") else ""
        desc = f" - {p['description']}" if p.get("description") else ""
        lines.append(f"  Phone ({p.get('type', 'voice')}): {p['number']}{extra}{desc}")
    for r in res.get("schedules", []):
        lines.append(f"  Hours: {sched.format_row(r)}" + (f"  {r['description']}" if r.get("description") else ""))
    for label, key in (("Email", "email"), ("Web", "url"), ("Description", "description"),
                       ("Eligibility", "eligibility"), ("Fees", "fees"), ("Accessibility", "accessibility"),
                       ("How to apply", "how_to_apply"), ("Notes for peers", "notes")):
        if res.get(key):
            lines.append(f"  {label}: {res[key]}")
    if res.get("free"):
        lines.append("  Free: yes")
    if res.get("languages"):
        lines.append(f"  Languages: {', '.join(res['languages'])}")
    verified = res.get("last_verified")
    lines.append(f"  Last verified: {verified.isoformat() if verified else 'never'}"
                 + (f" by {res['verified_by']}" if res.get("verified_by") else ""))
    return "\n".join(lines)


@resources.command(name="show")
@click.argument("slug", type=RESOURCE_ID)
@json_option
@pass_workspace
def show_cmd(ws, slug, as_json):
    """Show one resource."""
    res = model.load(ws, slug)
    if as_json:
        emit_json(record_json(res))
    else:
        click.echo(record_text(res))


@resources.command(name="list")
@click.option("--category", help="Only this category (and the terms under it).")
@json_option
@pass_workspace
def list_cmd(ws, category, as_json):
    """List every resource (name, category, phone, last verified)."""
    search.check_filter_category(ws, category)
    q = search.Query(category=category, include_inactive=True)
    hits = search.search(search.load_index(ws).entries.values(), q)
    hits.sort(key=lambda h: (h.entry["name"].casefold(), h.entry["slug"]))
    if as_json:
        emit_json([{k: v for k, v in h.as_json().items() if k not in ("score", "why", "open")} for h in hits])
        return
    echo_table([(h.entry["slug"], h.entry["name"], ", ".join(h.entry["cats"][:2]), h.entry["phone"],
                 h.entry["city"], h.entry["verified"] or "never") for h in hits],
               ["slug", "name", "categories", "phone", "city", "verified"])


@resources.command(name="search")
@click.argument("words", nargs=-1)
@click.option("--category", help="Category (an Open Eligibility parent term includes the terms under it).")
@click.option("--county")
@click.option("--zip", "zip_code", help="ZIP code (or its first digits).")
@click.option("--language", help="Language name or code (es, Spanish).")
@click.option("--open-now", is_flag=True, help="Only what is open now.")
@click.option("--open-at", metavar="WHEN", help="Only what is open at 'mon 18:00', '18:00' or '2026-11-30 18:00'.")
@click.option("--free", is_flag=True, help="Only free services.")
@click.option("--all", "include_inactive", is_flag=True, help="Include inactive and defunct services.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Show at most N results.")
@json_option
@pass_workspace
def search_cmd(ws, words, category, county, zip_code, language, open_now, open_at, free, include_inactive,
               limit, as_json):
    """Search by words and filters, best matches first, each with why it matched.

    \b
    peerkit resources search food --county Orange --open-at "sat 10:00"
    peerkit resources search --category Housing --language es --json
    """
    from peerkit import dates

    if open_now and open_at:
        raise click.UsageError("give --open-now or --open-at, not both")
    search.check_filter_category(ws, category)
    when = None
    if open_now:
        when = dates.now()
    elif open_at:
        try:
            when = sched.parse_when(open_at, dates.today())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--open-at") from None
    q = search.Query(words=list(words), category=category, county=county, zip=zip_code, language=language,
                     at=when, free=free, include_inactive=include_inactive)
    hits = search.run_search(ws, q)
    if limit:
        hits = hits[:limit]
    if as_json:
        emit_json([h.as_json() for h in hits])
        return
    if not hits:
        message("No resource matches.")
        return
    echo_table([(h.entry["slug"], h.entry["name"], h.entry["phone"], h.entry["city"], "; ".join(h.why))
                for h in hits], ["slug", "name", "phone", "city", "why"])


# ---------------------------------------------------------------------------- verify / stale


@resources.command(name="verify")
@click.argument("slugs", nargs=-1, required=True, type=RESOURCE_ID)
@click.option("--by", "by", help="Who checked (default: the provider's name).")
@click.option("--date", "day", type=PAST_DATE, default="today", show_default=True,
              help="The day you checked them (not in the future).")
@pass_workspace
def verify_cmd(ws, slugs, by, day):
    """Stamp last_verified on resources you have just checked."""
    who = by if by is not None else ws.provider.get("name", "")
    directory.verify(ws, list(slugs), who, day)
    message(f"Verified {len(slugs)} resource(s) on {day.isoformat()}.")


@resources.command(name="stale")
@click.option("--days", type=click.IntRange(1), default=None,
              help="Not verified within this many days (default [resources] stale_days or 180).")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Pretend today is this day.")
@json_option
@pass_workspace
def stale_cmd(ws, days, as_of, as_json):
    """Resources not verified lately (exit 1 when there are any)."""
    from peerkit import dates

    days = days or directory.stale_days(ws)
    items = directory.stale(ws, as_of or dates.today(), days)
    if as_json:
        emit_json(items)
    elif items:
        echo_table([(i["slug"], i["name"], i["last_verified"] or "never", i["days"] if i["days"] is not None else "")
                    for i in items], ["slug", "name", "last verified", "days ago"])
    else:
        message(f"Every resource was verified within {days} days.")
    if items:
        click.get_current_context().exit(1)


# ---------------------------------------------------------------------------- import / export


@resources.command(name="import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "fmt", default=None, help="Force a format (default: detect). See 'resources formats'.",
              shell_complete=format_names("resource_importers", "resource importer"))
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@json_option
@pass_workspace
def import_cmd(ws, path, fmt, dry_run, as_json):
    """Import resources (HSDS JSON, HSDS CSV package 3.0/1.1, Ohana CSV, xlsx).

    Duplicates (same HSDS ids, same name and address, or a shared phone with a similar name)
    are merged, not doubled.  Nothing is written when any record is invalid.
    """
    report = directory.import_path(ws, path, fmt, importers(), dry_run=dry_run)
    if as_json:
        emit_json(report.as_json())
        return
    c = report.counts
    message(f"{'Would import' if dry_run else 'Imported'} {report.source} ({report.format}): "
            f"{c['organizations']} organizations, {c['services']} services, {c['locations']} locations "
            f"-> {c['records']} records: {len(report.added)} added, {len(report.merged)} merged, "
            f"{len(report.skipped)} skipped.")
    for m in report.merged:
        message(f"  merged {m['where']} into {m['into']} ({m['reason']})")
    for s in report.skipped:
        message(f"  skipped {s['where']}: {s['reason']}")


@resources.command(name="export")
@click.option("--format", "fmt", required=True, help="hsds-json, hsds-csv, xlsx, html (or a plugin's format).",
              shell_complete=format_names("resource_exporters", "resource exporter"))
@out_option
@pass_workspace
def export_cmd(ws, fmt, out):
    """Export the directory (HSDS validated against the bundled 3.0 schemas)."""
    path, n = directory.export(ws, fmt, exporters(), out)
    if path is not None:
        message(f"Wrote {n} resource(s) to {path}.")


@resources.command(name="formats")
@json_option
def formats_cmd(as_json):
    """List the import and export formats (built-in and from plugins)."""
    imp = {k: getattr(v, "description", "") for k, v in importers().items()}
    exp = {k: getattr(v, "description", "") for k, v in exporters().items()}
    if as_json:
        emit_json({"import": imp, "export": exp})
        return
    for title, table in (("Import", imp), ("Export", exp)):
        click.echo(f"{title}:")
        for k in sorted(table):
            click.echo(f"  {k:<10} {table[k]}")


@resources.command(name="categories")
@click.argument("word", required=False)
@pass_workspace
def categories_cmd(ws, word):
    """List Open Eligibility terms (and your [resources] categories), optionally matching WORD."""
    rows = search.taxonomy_rows()
    extra = [c for c in ws.section("resources").get("categories", []) if isinstance(c, str)]
    out = [(r["name"], r["parent_name"] or "-", r["id"]) for r in rows]
    out += [(c, "(agency)", "") for c in extra]
    if word:
        w = word.casefold()
        out = [r for r in out if w in r[0].casefold() or w in r[1].casefold()]
    seen, uniq = set(), []
    for r in out:
        if (r[0], r[1]) not in seen:
            seen.add((r[0], r[1]))
            uniq.append(r)
    echo_table(uniq, ["term", "under", "code"])


@resources.command(name="reindex")
@pass_workspace
def reindex_cmd(ws):
    """Rebuild resources/.index.sqlite (search checks it before every use anyway)."""
    with ws.lock():
        index = search.write_index(ws)
    message(f"Indexed {len(index.entries)} resource(s); {index.reparsed} read again.")
