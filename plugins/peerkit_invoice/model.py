"""The weekly invoice: periods, rates, lines, numbering, snapshots and the invoiced-notes index.

No CLI here (see commands.py).  Money is always ``Decimal``, rounded half-up to the cent
per line (``peerkit.money.to_cents``); totals are sums of the rounded lines, exactly what a
spreadsheet's ``=SUM`` of ``=ROUND(units*rate,2)`` cells shows.

Files (all under ``invoices/`` in the workspace, written only while holding the lock):

* ``invoices/<number>.toml`` -- the snapshot of one issued invoice: its period, lines,
  totals, the note ids it billed and ``status = "issued" | "void"``.  It never holds a
  secret (the tax ID and bank account are read from the keyring each time it is rendered).
* ``invoices/index.json`` -- a cache of every snapshot's number, period, status and note
  ids, so finding "already invoiced" notes reads one small file; its billed lines
  (``billed_lines``, what the billing adjustments of adjustments.py read) are kept beside it in
  ``invoices/.billed-lines-cache.json`` (six times its size, read only when adjustments are
  computed: issue 19), each entry with the size of the snapshot it was read from, so a line
  list that does not belong to the snapshot as it is now is never used (the adjustments then
  read the snapshot).  Each entry records the
  snapshot's size in bytes; when the folder's snapshot files and the index disagree (a
  file the index does not list, a listed file missing, a size that differs -- voiding a
  snapshot always changes its size), the index is rebuilt from the snapshots, which are
  the source of truth.  It is written atomically under the workspace lock right after
  the snapshot, in the same command, so it cannot go stale; a reader that finds it stale
  (after a copy, a restore or a pull) writes the rebuilt index if the workspace lock is free
  (``peerkit.notecache.write_after_read``).
* ``invoices/counter.toml`` -- the last number taken in each series (``"INV-2026" = 3``),
  written before the snapshot.  The next number is one more than the highest of the counter,
  the snapshots and the invoice numbers the audit log records as issued, so deleting a
  snapshot (or restoring an old backup of the folder) never lets a number be issued twice.
  ``peerkit audit verify`` reports an issued number whose snapshot is missing.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from peerkit import storage
from peerkit.errors import DataError, PeerkitError, UsageError
from peerkit.money import to_cents
from peerkit.validate import Fields

INVOICE_DIR = "invoices"
INDEX_NAME = "index.json"
INDEX_SCHEMA = 3   # 2: each entry also kept its billed lines; 3: they are in LINES_NAME
LINES_NAME = ".billed-lines-cache.json"
LINES_SCHEMA = 1
LEGACY_INDEX_NAMES = {"index.toml"}
COUNTER_NAME = "counter.toml"
COUNTER_HEADER = ("The last invoice number taken in each series (prefix-year).  peerkit never "
                  "issues a number\nat or below it again; do not lower it.")
DEFAULT_LOOKBACK_DAYS = 120
DEFAULT_ADJUSTMENT_LOOKBACK_DAYS = 366
PAY_SCHEDULES = ("weekly", "biweekly", "semimonthly")
SNAPSHOT_HEADER = ("An issued invoice (snapshot).  peerkit never reuses its number; do not edit.\n"
                   "Secrets (tax ID, bank account) are never stored here.")
INDEX_ABOUT = ("peerkit's index of the invoice snapshots in this folder (a cache: rebuilt from "
               "the snapshots whenever it does not match them; do not edit)")
_NUMBER_RE = re.compile(r"^(?P<prefix>.+)-(?P<year>\d{4})-(?P<seq>\d{4,})$")


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Rate:
    code: str
    modifier: str
    rate: Decimal
    start: dt.date


@dataclass
class Settings:
    """The invoice settings of one workspace ([billing] and [invoice] of peerkit.toml)."""

    prefix: str = "INV"
    week_start: str = "monday"
    pay_schedule: str = "biweekly"
    pay_anchor: dt.date | None = None
    pay_lag_days: int = 0
    late_lookback_days: int = DEFAULT_LOOKBACK_DAYS
    adjustment_lookback_days: int = DEFAULT_ADJUSTMENT_LOOKBACK_DAYS
    require_tax_id: bool = False
    rates: list[Rate] = field(default_factory=list)

    def rate_for(self, code: str, modifier: str, day: dt.date, where: str = "peerkit.toml") -> Decimal:
        """The rate of the latest entry for code+modifier whose ``from`` is on or before ``day``."""
        best: Rate | None = None
        for r in self.rates:
            if (r.code == code and r.modifier == modifier and r.start <= day
                    and (best is None or r.start > best.start)):
                best = r
        if best is None:
            mod = f" modifier {modifier!r}" if modifier else " (no modifier)"
            raise DataError(where, f"no rate for code {code}{mod} on {day.isoformat()}: add a "
                                   "[[billing.rates]] entry with that code, modifier, rate and a "
                                   "'from' date on or before it")
        return best.rate


def load_settings(ws) -> Settings:
    from peerkit.dates import WEEKDAYS
    from peerkit.records import id_problem

    path = ws.path("peerkit.toml")
    billing = ws.section("billing")
    f = Fields(billing, path, "billing.")
    s = Settings()
    s.prefix = f.opt("invoice_prefix", str, "INV")
    if id_problem(s.prefix) or len(s.prefix) > 20:
        f.fail("invoice_prefix", "may use only letters, digits, '.', '_' and '-' (at most 20)")
    s.week_start = f.opt("week_start", str, "monday").lower()
    if s.week_start not in WEEKDAYS:
        f.fail("week_start", f"must be one of {', '.join(WEEKDAYS)}")
    s.pay_schedule = f.choice("pay_schedule", PAY_SCHEDULES, "biweekly")
    s.pay_anchor = f.opt("pay_anchor", dt.date)
    if s.pay_schedule in ("weekly", "biweekly") and s.pay_anchor is None:
        f.fail("pay_anchor", f"is required for pay_schedule = {s.pay_schedule!r} (one known pay date)")
    seen = set()
    for r in f.table_list("rates"):
        rate = Rate(code=r.req("code", str), modifier=r.opt("modifier", str, ""),
                    rate=r.money("rate"), start=r.req("from", dt.date))
        key = (rate.code, rate.modifier, rate.start)
        if key in seen:
            r.fail("from", "another rate for the same code and modifier starts on the same day")
        seen.add(key)
        s.rates.append(rate)
    inv = Fields(ws.section("invoice"), path, "invoice.")
    s.pay_lag_days = inv.opt("pay_lag_days", int, 0)
    if s.pay_lag_days < 0:
        inv.fail("pay_lag_days", "must not be negative")
    s.late_lookback_days = inv.opt("late_lookback_days", int, DEFAULT_LOOKBACK_DAYS)
    if s.late_lookback_days < 0:
        inv.fail("late_lookback_days", "must not be negative")
    s.adjustment_lookback_days = inv.opt("adjustment_lookback_days", int,
                                         DEFAULT_ADJUSTMENT_LOOKBACK_DAYS)
    if s.adjustment_lookback_days < 0:
        inv.fail("adjustment_lookback_days", "must not be negative")
    s.require_tax_id = (inv.opt("require_tax_id", bool, False)
                        or f.opt("require_tax_id", bool, False))   # [invoice] or [billing]
    return s


def pay_date(settings: Settings, period_end: dt.date) -> dt.date:
    """The first pay date on or after ``period_end + pay_lag_days``.

    weekly / biweekly: ``pay_anchor`` plus a whole number of 7 / 14 days (before or after it);
    semimonthly: the 15th and the last day of each month.
    """
    due = period_end + dt.timedelta(days=settings.pay_lag_days)
    if settings.pay_schedule == "semimonthly":
        if due.day <= 15:
            return due.replace(day=15)
        nxt = (due.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return nxt - dt.timedelta(days=1)
    step = 7 if settings.pay_schedule == "weekly" else 14
    assert settings.pay_anchor is not None
    delta = (due - settings.pay_anchor).days
    k = -(-delta // step)  # ceiling division, works for dates before the anchor too
    return settings.pay_anchor + dt.timedelta(days=k * step)


# ----------------------------------------------------------------------------- the invoice


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, (float, bool)):
        raise PeerkitError(f"invoice line {what} must be a Decimal, int or string, never a float")
    try:
        d = Decimal(str(value))
    except Exception:  # noqa: BLE001
        raise PeerkitError(f"invoice line {what} is not a number") from None
    if not d.is_finite():
        raise PeerkitError(f"invoice line {what} is not a finite number")
    return d


def service_description(modifier: str) -> str:
    """``Peer support, individual`` or ``Peer support, group`` (modifier HQ): no PHI."""
    return f"Peer support, {'group' if modifier == 'HQ' else 'individual'}"


@dataclass
class InvoiceLine:
    """One line.  ``kind = "service"`` for billed notes; plugins add other kinds (mileage, fee).

    Service lines: ``units`` billed at ``rate``; ``minutes`` are the real minutes; ``notes``
    the note ids (several when notes are bundled per client, code and day).  Other lines:
    ``quantity`` at ``rate`` (miles at a per-mile rate), ``units`` 0.  ``amount`` is rounded
    half-up to the cent.

    Attributes:
        date: the day of the service or expense, or ``None``.
        kind: ``service`` (billed notes), or what a plugin chose (``mileage``, ``fee``...).
        client: the client id, or ``""``.
        code: the service code, e.g. ``H0038``.
        modifier: ``""`` or ``"HQ"``.
        description: the line's text ("Peer support, individual" / "Peer support, group" on
            service lines; a plugin's text on its own lines); never PHI.
        minutes: the real minutes of the notes (service lines).
        units: the billed units (service lines; 0 on others).
        quantity: a Decimal quantity on other lines (miles), else ``None``.
        rate: Decimal dollars per unit (or per quantity).
        amount: Decimal dollars, rounded half-up to the cent.
        notes: the note ids of a service line.
        late: a late note (from an earlier period) billed now.
        original_invoice: on a billing adjustment, the number of the issued invoice whose line
            it corrects (units and amount are the difference, negative when money is owed back);
            ``""`` on every other line.
    """

    date: dt.date | None
    kind: str = "service"
    client: str = ""
    code: str = ""
    modifier: str = ""
    description: str = ""
    minutes: int = 0
    units: int = 0
    quantity: Decimal | None = None
    rate: Decimal = Decimal("0")
    amount: Decimal = Decimal("0.00")
    notes: tuple[str, ...] = ()
    late: bool = False
    # Billing adjustments only: the issued invoice whose line this corrects.
    original_invoice: str = ""

    @property
    def note(self) -> str:
        """The first note id of the line, or ``""``."""
        return self.notes[0] if self.notes else ""

    @property
    def counts_units(self) -> bool:
        """Service lines and billing adjustments carry units (the totals add them up)."""
        return self.kind == "service" or bool(self.original_invoice)

    @property
    def formula_amount(self) -> Decimal:
        """What ``=ROUND(units*rate,2)`` (or quantity*rate) gives; equals ``amount`` unless a
        plugin set the amount by a rule of its own."""
        qty = Decimal(self.units) if self.counts_units else (self.quantity or Decimal(0))
        return to_cents(qty * self.rate)

    @property
    def label(self) -> str:
        """What the line is, for every format: its description, or for a service line of an
        older snapshot (stored without one) the service's name (``service_description``)."""
        if self.description or self.kind != "service":
            return self.description
        return service_description(self.modifier)

    def as_json(self) -> dict:
        """The line as in ``invoice --format json`` (money as strings)."""
        d: dict[str, Any] = {
            "date": self.date.isoformat() if self.date else None,
            "client": self.client, "code": self.code, "modifier": self.modifier,
            "minutes": self.minutes, "units": self.units, "rate": str(self.rate),
            "amount": str(to_cents(self.amount)), "note": self.note,
            "notes": list(self.notes), "late": self.late, "kind": self.kind,
            "description": self.label,
            "quantity": str(self.quantity) if self.quantity is not None else None,
        }
        if self.original_invoice:
            d["original_invoice"] = self.original_invoice
        return d

    def to_toml(self) -> dict:
        """The line as the invoice snapshot stores it."""
        d = self.as_json()
        d["date"] = self.date
        return {k: v for k, v in d.items() if v is not None and k != "note"}

    @classmethod
    def from_toml(cls, f: Fields) -> InvoiceLine:
        """A line read back from a snapshot's ``[[lines]]`` table."""
        qty = f.opt("quantity", str)
        return cls(date=f.opt("date", dt.date),
                   kind=f.opt("kind", str, "service"), client=f.opt("client", str, ""),
                   code=f.opt("code", str, ""), modifier=f.opt("modifier", str, ""),
                   description=f.opt("description", str, ""),
                   minutes=f.opt("minutes", int, 0), units=f.opt("units", int, 0),
                   quantity=Decimal(qty) if qty is not None else None,
                   rate=Decimal(f.req("rate", str)), amount=Decimal(f.req("amount", str)),
                   notes=tuple(f.text_list("notes")), late=f.opt("late", bool, False),
                   original_invoice=f.opt("original_invoice", str, ""))


@dataclass
class Invoice:
    """The invoice passed to ``invoice_adjust`` hooks and to every format.

    Plugins may append lines with :meth:`add_line`, change or remove entries of ``lines``;
    ``total_units`` and ``total_amount`` are always recomputed from the lines.

    Attributes:
        number: the invoice number (``INV-2026-0001``); never reused.
        start: first day of the period.
        end: last day of the period.
        pay_date: the pay date this invoice falls on (``[billing] pay_schedule``).
        issued: the day it was issued, or ``None`` (a preview).
        status: ``preview``, ``issued`` or ``void``.
        provider: ``[provider]`` values (name, credentials); no secrets.
        agency: ``[agency]`` values (name, address).
        lines: the ``InvoiceLine`` list: service lines first, then the others.
        replaces: the number of the voided invoice this one replaces, or ``""``.
        replaced_by: the number of the invoice that replaced this one, or ``""``.
        tax_id_masked: the tax ID from the keyring, masked for display; never stored.
        bank_account_masked: the bank account from the keyring, masked; never stored.
    """

    number: str
    start: dt.date
    end: dt.date
    pay_date: dt.date
    issued: dt.date | None = None
    status: str = "preview"          # preview | issued | void
    provider: dict = field(default_factory=dict)   # name, credentials (no secrets)
    agency: dict = field(default_factory=dict)     # name, address
    lines: list[InvoiceLine] = field(default_factory=list)
    replaces: str = ""
    replaced_by: str = ""
    # Masked secrets, filled just before rendering, never stored in the snapshot.
    tax_id_masked: str = ""
    bank_account_masked: str = ""

    @property
    def total_units(self) -> int:
        """Units of the service lines plus (negative or positive) billing adjustments."""
        return sum(line.units for line in self.lines if line.counts_units)

    @property
    def total_amount(self) -> Decimal:
        """The sum of every line's amount (each rounded to the cent)."""
        return sum((to_cents(line.amount) for line in self.lines), Decimal("0.00"))

    @property
    def notes(self) -> list[str]:
        """Every note id this invoice bills (adjustment lines name notes billed before)."""
        return sorted({n for line in self.lines if not line.original_invoice for n in line.notes})

    @property
    def adjustment_lines(self) -> list[InvoiceLine]:
        """The billing adjustments of notes on earlier issued invoices (see docs/invoice.md)."""
        return [line for line in self.lines if line.original_invoice]

    @property
    def late_lines(self) -> list[InvoiceLine]:
        """The lines billing late notes of earlier periods."""
        return [line for line in self.lines if line.late]

    def add_line(self, *, description: str, quantity: Any = 1, rate: Any = None,
                 amount: Any = None, kind: str = "adjustment", date: dt.date | None = None,
                 client: str = "", code: str = "", modifier: str = "") -> InvoiceLine:
        """Add a non-service line: ``quantity`` at ``rate`` -> ``amount`` (rounded half-up).

        Give ``rate`` (amount = quantity * rate), or ``amount`` alone for a flat fee (the
        rate is then the amount and the quantity 1).  Numbers are Decimal, int or strings;
        floats are refused.  ``description`` must not hold PHI (no names).
        """
        if kind == "service":
            raise PeerkitError("add_line adds non-service lines; kind 'service' is reserved")
        if rate is None and amount is None:
            raise PeerkitError("add_line needs a rate or an amount")
        qty = _decimal(quantity, "quantity")
        if rate is None:
            if qty != 1:
                raise PeerkitError("add_line: give a rate when the quantity is not 1")
            amt = to_cents(_decimal(amount, "amount"))
            r = amt
        else:
            r = _decimal(rate, "rate")
            amt = to_cents(_decimal(amount, "amount")) if amount is not None else to_cents(qty * r)
        line = InvoiceLine(date=date, kind=kind, client=client, code=code, modifier=modifier,
                           description=description, quantity=qty, rate=r, amount=amt)
        self.lines.append(line)
        return line

    def sort_lines(self) -> None:
        """Service lines first, then by date, client, code and notes."""
        self.lines.sort(key=lambda ln: (ln.kind != "service", ln.date or dt.date.min,
                                        ln.client, ln.code, ln.modifier, ln.notes, ln.description))

    # ---- serialisation
    def as_json(self) -> dict:
        """The invoice as ``invoice --format json`` prints it (see docs/invoice.md)."""
        return {
            "number": self.number,
            "status": self.status,
            "issued": self.issued.isoformat() if self.issued else None,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "provider": {**self.provider,
                         **({"tax_id": self.tax_id_masked} if self.tax_id_masked else {}),
                         **({"bank_account": self.bank_account_masked}
                            if self.bank_account_masked else {})},
            "agency": dict(self.agency),
            "lines": [line.as_json() for line in self.lines],
            "total_units": self.total_units,
            "total_amount": str(self.total_amount),
            "late_lines": len(self.late_lines),
            "pay_date": self.pay_date.isoformat(),
            "replaces": self.replaces or None,
            "replaced_by": self.replaced_by or None,
        }

    def to_snapshot(self) -> dict:
        """The TOML snapshot: no secrets, money as strings."""
        d: dict[str, Any] = {
            "number": self.number, "status": self.status, "issued": self.issued,
            "start": self.start, "end": self.end, "pay_date": self.pay_date,
            "total_units": self.total_units, "total_amount": str(self.total_amount),
            "notes": self.notes,
            "provider": {k: v for k, v in self.provider.items() if isinstance(v, str)},
            "agency": {k: v for k, v in self.agency.items() if isinstance(v, str)},
            "lines": [line.to_toml() for line in self.lines],
        }
        if self.replaces:
            d["replaces"] = self.replaces
        if self.replaced_by:
            d["replaced_by"] = self.replaced_by
        return d

    @classmethod
    def from_snapshot(cls, data: dict, path: Path) -> Invoice:
        """An issued invoice read back from its snapshot ``invoices/<number>.toml``."""
        f = Fields(data, path)
        inv = cls(number=f.req("number", str), start=f.req("start", dt.date), end=f.req("end", dt.date),
                  pay_date=f.req("pay_date", dt.date), issued=f.opt("issued", dt.date),
                  status=f.choice("status", ("issued", "void"), "issued"),
                  provider=dict(f.opt("provider", dict, {})), agency=dict(f.opt("agency", dict, {})),
                  replaces=f.opt("replaces", str, ""), replaced_by=f.opt("replaced_by", str, ""))
        for lf in f.table_list("lines"):
            inv.lines.append(InvoiceLine.from_toml(lf))
        return inv


# ----------------------------------------------------------------------------- index


@dataclass
class IndexEntry:
    number: str
    status: str
    start: dt.date
    end: dt.date
    issued: dt.date | None
    notes: tuple[str, ...]
    size: int = 0
    # What billing adjustments read (adjustments.py): the service lines with notes and the
    # adjustment lines of the snapshot, so they need not parse the snapshot; None when its
    # lines could not be read (then adjustments read the snapshot and report its problem).
    lines: tuple[InvoiceLine, ...] | None = ()
    # Where the lines are when the entry came from index.json: LINES_NAME, read and parsed on
    # first use (``billed``), so a reader whose adjustments are kept (peerkit.derived) never
    # pays for five years of billed lines.
    lines_file: _LinesFile | None = field(default=None, repr=False, compare=False)

    def billed(self) -> tuple[InvoiceLine, ...] | None:
        """The billed lines (None when they cannot be read: adjustments then read the snapshot)."""
        if self.lines_file is not None:
            source, self.lines_file = self.lines_file, None
            raw = source.raw(self.number, self.size)
            try:
                self.lines = None if raw is None else tuple(_line_from_json(line, self.notes) for line in raw)
            except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError):
                self.lines = None
        return self.lines

    def to_toml(self) -> dict:
        return {"number": self.number, "status": self.status, "start": self.start, "end": self.end,
                "issued": self.issued, "notes": list(self.notes), "size": self.size}


def invoice_dir(ws) -> Path:
    return ws.path(INVOICE_DIR)


def snapshot_path(ws, number: str) -> Path:
    from peerkit.records import check_id

    return invoice_dir(ws) / f"{check_id(number, 'invoice number')}.toml"


def _snapshot_files(ws) -> dict[str, Path]:
    folder = invoice_dir(ws)
    out: dict[str, Path] = {}
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return out
    for name in names:
        if name.endswith(".toml") and not name.startswith(".") and name not in LEGACY_INDEX_NAMES \
                and name != COUNTER_NAME:
            out[name[:-5]] = folder / name
    return out


def _entry_from_snapshot(path: Path, *, lines_since: dt.date | None = None) -> IndexEntry:
    """The index entry of one snapshot.  ``lines_since``: a snapshot whose period ended before
    that day gives only its root keys (lines None: the adjustments read the snapshot itself if
    they ever need that invoice); the file is read once either way."""
    size = path.stat().st_size  # before reading: a change while reading shows as a size mismatch
    text = storage.read_text(path)
    data = _snapshot_header(text, path) if lines_since is not None else None
    with_lines = data is None or not (isinstance(data.get("end"), dt.date) and data["end"] < lines_since)
    if with_lines:
        data = storage.parse_record(text, path)
    f = Fields(data, path)
    number = f.req("number", str)
    if number != path.stem:
        f.fail("number", f"must match the file name ({path.stem}.toml)")
    lines: tuple[InvoiceLine, ...] | None = None
    try:
        if with_lines:
            lines = billed_lines(InvoiceLine.from_toml(lf) for lf in f.table_list("lines"))
    except (DataError, ArithmeticError, ValueError):
        lines = None
    return IndexEntry(number=number, status=f.choice("status", ("issued", "void"), "issued"),
                      start=f.req("start", dt.date), end=f.req("end", dt.date),
                      issued=f.opt("issued", dt.date), notes=tuple(f.text_list("notes")),
                      size=size, lines=lines)


def _snapshot_header(text: str, path: Path) -> dict[str, Any] | None:
    """A snapshot's root keys (number, period, status, note ids): its text before the first
    table, which is all TOML lets root keys use.  None when that does not parse (a cut inside
    a value: a line of a multi-line string that starts with "[") or the file holds encrypted
    values (they need the whole record): then the whole text is parsed."""
    if storage.ENC_MARK in text:
        return None
    try:
        return storage.parse_toml(text.split("\n[", 1)[0], path)
    except DataError:
        return None


def billed_lines(lines: Iterable[InvoiceLine]) -> tuple[InvoiceLine, ...]:
    """The lines of an issued invoice that billing adjustments read: service lines with
    notes and adjustment lines (kept in the index, see ``index_text``)."""
    return tuple(line for line in lines
                 if (line.kind == "service" and line.notes) or line.original_invoice)


def _line_json(line: InvoiceLine, positions: dict[str, int]) -> dict:
    """A billed line as the index stores it.  Its note ids are stored as positions in the
    entry's ``notes`` (each id once in the file) when they are all there, else as ids."""
    d: dict[str, Any] = {
        "date": line.date.isoformat() if line.date else None, "kind": line.kind,
        "client": line.client,
        "code": line.code, "modifier": line.modifier, "rate": str(line.rate),
        "minutes": line.minutes, "units": line.units, "amount": str(line.amount)}
    if line.original_invoice:
        d["original_invoice"] = line.original_invoice
    if not line.original_invoice and all(n in positions for n in line.notes):
        d["at"] = [positions[n] for n in line.notes]
    else:
        d["ids"] = list(line.notes)
    return d


def _line_from_json(item: dict, notes: tuple[str, ...]) -> InvoiceLine:
    """A billed line read back from the index (raises KeyError/TypeError/ValueError/
    IndexError/ArithmeticError when damaged: then the index is rebuilt)."""
    ids = tuple(notes[i] for i in item["at"]) if "at" in item else tuple(str(n) for n in item["ids"])
    original = str(item.get("original_invoice", ""))
    return InvoiceLine(
        date=_day(item["date"]) if item["date"] else None,
        kind=str(item["kind"]), client=str(item["client"]),
        code=str(item["code"]), modifier=str(item["modifier"]), rate=Decimal(item["rate"]),
        minutes=int(item["minutes"]), units=int(item["units"]), amount=Decimal(item["amount"]),
        notes=ids, original_invoice=original)


def index_text(entries) -> str:
    """The text of ``invoices/index.json`` for these entries (JSON: a cache, parsed ~40x faster
    than the same data in TOML)."""
    import json

    items = [{"number": e.number, "status": e.status, "start": e.start.isoformat(),
              "end": e.end.isoformat(), "issued": e.issued.isoformat() if e.issued else None,
              "size": e.size, "notes": list(e.notes)}
             for e in sorted(entries, key=lambda e: e.number)]
    return json.dumps({"about": INDEX_ABOUT, "schema": INDEX_SCHEMA, "invoices": items},
                      indent=1) + "\n"


def lines_text(entries) -> str:
    """The text of ``invoices/.billed-lines-cache.json``: each entry's billed lines (None when
    they cannot be read) with its snapshot's size; note ids as positions in its ``notes``."""
    import json

    items = {}
    for e in sorted(entries, key=lambda e: e.number):
        positions = {n: i for i, n in enumerate(e.notes)}
        billed = e.billed()
        items[e.number] = {"size": e.size, "lines": None if billed is None
                           else [_line_json(line, positions) for line in billed]}
    return json.dumps({"about": INDEX_ABOUT, "schema": LINES_SCHEMA, "invoices": items},
                      separators=(",", ":")) + "\n"


class _LinesFile:
    """``invoices/.billed-lines-cache.json``, read once, on the first entry's ``billed()``."""

    def __init__(self, path: Path):
        self.path = path
        self.items: dict | None = None

    def raw(self, number: str, size: int) -> list | None:
        """The stored lines of invoice ``number`` if they were read from a snapshot of ``size``
        bytes (its current size), else None."""
        if self.items is None:
            self.items = _read_lines(self.path)
        item = self.items.get(number)
        if not isinstance(item, dict) or item.get("size") != size:
            return None
        raw = item.get("lines")
        if not (isinstance(raw, list) and all(isinstance(x, dict) for x in raw)):
            return None
        return raw


def _read_lines(path: Path) -> dict:
    import json

    from peerkit.notecache import read_cache

    raw = read_cache(path)
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != LINES_SCHEMA or not isinstance(data.get("invoices"), dict):
        return {}
    items: dict = data["invoices"]
    return items


def _read_index(path: Path) -> dict[str, IndexEntry] | None:
    """The index's entries, or None when it is missing, unreadable or of another schema (then
    it is rebuilt)."""
    import json

    from peerkit.notecache import read_cache

    raw = read_cache(path)   # never through a link planted in the workspace
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        if data["schema"] != INDEX_SCHEMA:
            return None
        items = data["invoices"]
    except (ValueError, KeyError, TypeError, RecursionError):  # a cache: rebuilt
        return None
    lines = _LinesFile(path.with_name(LINES_NAME))
    entries: dict[str, IndexEntry] = {}
    try:
        for item in items:
            e = IndexEntry(number=str(item["number"]), status=str(item["status"]),
                           start=_day(item["start"]), end=_day(item["end"]),
                           issued=_day(item["issued"]) if item.get("issued") else None,
                           notes=tuple(str(n) for n in item["notes"]), size=int(item.get("size", -1)),
                           lines_file=lines)
            entries[e.number] = e
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError):
        return None
    return entries


def _day(value) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


class Index:
    """Every issued invoice (from ``invoices/index.json``, validated against the snapshots)."""

    def __init__(self, entries: dict[str, IndexEntry], rebuilt: bool):
        self.entries = entries
        self.rebuilt = rebuilt

    @classmethod
    def load(cls, ws, *, lines_since: dt.date | None = None) -> Index:
        """The index, rebuilt from the snapshots when it is stale.  ``lines_since``: a reader
        that needs billed lines only of invoices whose period ended on or after that day (the
        adjustments' lookback) lets a rebuild read just the root keys of older snapshots."""
        files = _snapshot_files(ws)
        entries = _read_index(invoice_dir(ws) / INDEX_NAME)
        if entries is not None and set(entries) == set(files) and all(
                _size(p) == entries[n].size for n, p in files.items()) \
                and (not files or (invoice_dir(ws) / LINES_NAME).is_file()):
            return cls(entries, rebuilt=False)
        rebuilt = {n: _entry_from_snapshot(p, lines_since=lines_since) for n, p in sorted(files.items())}
        if files:  # stale after a copy, a restore or a pull: the next command reads one file
            from peerkit.notecache import write_after_read

            write_after_read(ws.root, invoice_dir(ws) / LINES_NAME,
                             lines_text(rebuilt.values()).encode("utf-8"))
            write_after_read(ws.root, invoice_dir(ws) / INDEX_NAME,
                             index_text(rebuilt.values()).encode("utf-8"))
        return cls(rebuilt, rebuilt=True)

    def save(self, ws) -> None:
        """Write index.json and its billed lines with the current snapshots' sizes (call under
        the lock).  The lines first: each is tied to its snapshot's size, so lines from before
        a change are never taken for the snapshot after it."""
        for number, e in self.entries.items():
            if e.billed() is None:   # not kept beside the index (or unreadable): the snapshot's
                with contextlib.suppress(PeerkitError, OSError):
                    e.lines = _entry_from_snapshot(snapshot_path(ws, number)).lines
        for number, e in self.entries.items():
            e.size = snapshot_path(ws, number).stat().st_size
        storage.atomic_write_text(invoice_dir(ws) / LINES_NAME, lines_text(self.entries.values()))
        storage.atomic_write_text(invoice_dir(ws) / INDEX_NAME, index_text(self.entries.values()))

    def active(self) -> list[IndexEntry]:
        return [e for e in self.entries.values() if e.status == "issued"]

    def invoiced_notes(self) -> set[str]:
        return {n for e in self.active() for n in e.notes}

    def for_period(self, start: dt.date, end: dt.date) -> IndexEntry | None:
        return next((e for e in self.active() if e.start == start and e.end == end), None)

    def overlapping(self, start: dt.date, end: dt.date) -> list[IndexEntry]:
        return [e for e in self.active() if e.start <= end and start <= e.end
                and not (e.start == start and e.end == end)]

    def covered(self, day: dt.date) -> bool:
        return any(e.start <= day <= e.end for e in self.active())

    def next_number(self, prefix: str, year: int, taken: Iterable[str] = ()) -> str:
        """One more than the highest number of the series among the snapshots and ``taken``
        (numbers known from the counter and the audit log: see ``numbers_taken``)."""
        seq = 0
        for number in (*self.entries, *taken):
            m = _NUMBER_RE.match(number)
            if m and m.group("prefix") == prefix and int(m.group("year")) == year:
                seq = max(seq, int(m.group("seq")))
        return f"{prefix}-{year}-{seq + 1:04d}"


# ----------------------------------------------------------------------------- numbering


def counter_path(ws) -> Path:
    return invoice_dir(ws) / COUNTER_NAME


def read_counter(ws) -> dict[str, int]:
    """``{"INV-2026": 3}``: the last sequence number taken in each series ({} without a file)."""
    path = counter_path(ws)
    if not path.exists():
        return {}
    f = Fields(storage.read_toml(path), path)
    last = f.opt("last", dict, {})
    out = {}
    for series, seq in last.items():
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            f.fail(f"last.{series}", "must be a whole number (the last invoice number taken)")
        out[str(series)] = seq
    return out


def audited_numbers(entries: Iterable[tuple[int, dict]]) -> dict[str, int]:
    """``{number: audit.log line}`` of every invoice the audit log records as issued."""
    out: dict[str, int] = {}
    for line, entry in entries:
        records = entry.get("records") or []
        if entry.get("command") == "invoice" and entry.get("action") in ("issued", "reissued") \
                and records and isinstance(records[0], str):
            out.setdefault(records[0], line)
    return out


def numbers_taken(ws) -> list[str]:
    """Numbers issued according to the counter file and the audit log (snapshots aside)."""
    from peerkit.audit import entries

    taken = [f"{series}-{seq:04d}" for series, seq in read_counter(ws).items() if seq > 0]
    return taken + list(audited_numbers(entries(ws)))


def write_counter(ws, number: str) -> None:
    """Raise the counter of ``number``'s series to it (never lowers it; call under the lock)."""
    m = _NUMBER_RE.match(number)
    if not m:
        return
    series, seq = f"{m.group('prefix')}-{m.group('year')}", int(m.group("seq"))
    counter = read_counter(ws)
    if counter.get(series, 0) >= seq:
        return
    counter[series] = seq
    storage.ensure_dir(invoice_dir(ws))
    storage.write_toml(counter_path(ws), {"last": dict(sorted(counter.items()))},
                       header=COUNTER_HEADER)


def number_problems(ws, entries: Iterable[tuple[int, dict]]) -> list[str]:
    """For ``audit verify``: issued numbers (audit log, counter) whose snapshot is missing."""
    from peerkit.audit import LOG_NAME

    files = _snapshot_files(ws)
    audited = audited_numbers(entries)
    problems = []
    for number, line in sorted(audited.items()):
        if number not in files:
            problems.append(f"{LOG_NAME}:{line}: invoice {number} was issued but its snapshot "
                            f"{INVOICE_DIR}/{number}.toml is missing (deleted, or an old backup "
                            "restored); its number is never issued again")
    for series, seq in sorted(read_counter(ws).items()):
        number = f"{series}-{seq:04d}"
        if seq > 0 and number not in files and number not in audited:
            problems.append(f"{INVOICE_DIR}/{COUNTER_NAME}: field 'last.{series}': invoice "
                            f"{number} was taken but its snapshot {INVOICE_DIR}/{number}.toml "
                            "is missing")
    return problems


def load_snapshot(ws, number: str) -> Invoice:
    path = snapshot_path(ws, number)
    return Invoice.from_snapshot(storage.read_toml(path), path)


# ----------------------------------------------------------------------------- building


def resolve_period(settings: Settings, week: str | None, date_from: dt.date | None,
                   date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    from peerkit.dates import parse_week

    if week and (date_from or date_to):
        raise UsageError("give either --week or --from/--to, not both")
    if date_from or date_to:
        if not (date_from and date_to):
            raise UsageError("--from and --to go together")
        if date_to < date_from:
            raise UsageError("--to is before --from")
        if (date_to - date_from).days > 366:
            raise UsageError("an invoice period is at most a year")
        return date_from, date_to
    try:
        return parse_week(week or "last", settings.week_start)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def fill_secrets(ws, inv: Invoice, settings: Settings, warn) -> None:
    """Masked tax ID and bank account from the keyring; '(not set)' with a warning when unset,
    or SecretError (exit 4) when ``[invoice] require_tax_id = true``."""
    from peerkit.errors import SecretError
    from peerkit.secrets import mask, resolve

    keyring_down = None   # a keyring that fails once fails for every secret: warn once
    for key, attr, label in (("tax_id", "tax_id_masked", "tax ID"),
                             ("bank_account", "bank_account_masked", "bank account")):
        ref = ws.provider.get(key)
        if not ref:
            if key == "tax_id" and settings.require_tax_id:
                raise SecretError("[provider] tax_id is not configured and [invoice] require_tax_id "
                                  "is true: add tax_id = \"keyring:tax-id\" and run "
                                  "'peerkit secret set tax-id'")
            name = key.replace("_", "-")
            if _secret_is_stored(name):
                warn(f"Warning: the keyring holds '{name}' but [provider] {key} does not refer to "
                     f"it -- the invoice shows the {label} as '(not set)'; add "
                     f"{key} = \"keyring:{name}\" to peerkit.toml")
            setattr(inv, attr, "(not set)")
            continue
        if not isinstance(ref, str):
            raise DataError(ws.rel(ws.path("peerkit.toml")), f"field 'provider.{key}': expected text "
                                                             "like \"keyring:NAME\"")
        if keyring_down is not None:
            setattr(inv, attr, "(not set)")
            continue
        try:
            value = resolve(ref, f"the invoice's {label}")
        except SecretError as exc:
            if key == "tax_id" and settings.require_tax_id:
                raise
            if "is not set" not in str(exc):
                keyring_down = exc
                warn(f"Warning: {exc} -- the invoice shows the tax ID and bank account as "
                     "'(not set)'")
            else:
                warn(f"Warning: {exc} -- the invoice shows the {label} as '(not set)'")
            setattr(inv, attr, "(not set)")
            continue
        setattr(inv, attr, mask(value))


def _secret_is_stored(name: str) -> bool:
    """The keyring holds a secret ``name`` (False when the keyring cannot be asked)."""
    from peerkit.secrets import get_secret

    try:
        return get_secret(name) is not None
    except PeerkitError:
        return False
