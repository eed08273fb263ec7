"""The ``[clients]`` table of peerkit.toml: eligibility, required documents, plan reviews,
the goal-progress scale.  Every value is a setting because the NC sources do not fix it
(see docs/clients.md for the default and its source)."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_SCALE = ("no progress", "a little progress", "some progress", "good progress", "goal met")


@dataclass
class Settings:
    min_age: int = 18                      # NC peer support is an adult service
    require_service_order: bool = False    # False: only for clients with documents recorded
    plan_review_months: int = 12
    review_warn_days: int = 30
    progress_scale: tuple[str, ...] = DEFAULT_SCALE


def load(ws) -> Settings:
    from peerkit.validate import Fields

    f = Fields(ws.section("clients"), ws.path("peerkit.toml"), prefix="clients.")
    s = Settings(min_age=f.opt("min_age", int, 18),
                 require_service_order=f.opt("require_service_order", bool, False),
                 plan_review_months=f.opt("plan_review_months", int, 12),
                 review_warn_days=f.opt("review_warn_days", int, 30),
                 progress_scale=tuple(f.text_list("progress_scale")) or DEFAULT_SCALE)
    for key in ("min_age", "plan_review_months", "review_warn_days"):
        if getattr(s, key) < 0:
            f.fail(key, "must not be negative")
    if len(s.progress_scale) < 2:
        f.fail("progress_scale", "needs at least two labels (lowest first)")
    return s
