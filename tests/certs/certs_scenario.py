"""The certs test scenario (fictional), shared with tests/status."""
from __future__ import annotations

# As of 2026-11-25: a licence lapsed yesterday, insurance lapsing tomorrow, a certification
# with enough CE hours in total but short in ethics only, and no supervision in August 2026.
SCENARIO = """\
# Test credentials (fictional).

[[credential]]
id = "cpss"
kind = "certification"
name = "NC Certified Peer Support Specialist"
number = "NCCPSS-1234"
issuer = "NC Certified Peer Support Specialist Program"
issued = 2025-06-10
expires = 2027-06-30
period_years = 2
renewal_hours = 20
[credential.category_hours]
ethics = 3

[[credential]]
id = "drivers-licence"
kind = "licence"
name = "NC driver licence"
number = "000000000001"
issued = 2018-11-24
expires = 2026-11-24

[[credential]]
id = "car-insurance"
kind = "insurance"
name = "Auto insurance"
number = "POL-1"
issued = 2026-05-27
expires = 2026-11-26

[[ce]]
date = 2025-08-01
hours = 12
category = "recovery"
title = "Recovery-oriented practice"

[[ce]]
date = 2026-02-03
hours = 7
category = "wellness"
title = "Wellness planning"

[[ce]]
date = 2026-05-05
hours = 1
category = "ethics"
title = "Ethics refresher"
credential = "cpss"

[[ce]]
date = 2025-06-20
hours = 4
category = "ethics"
title = "Before the renewal period: does not count"
"""

MONTHS_WITH_SUPERVISION = ["2026-01-05", "2026-02-04", "2026-03-04", "2026-04-08", "2026-05-06",
                           "2026-06-03", "2026-07-08", "2026-09-09", "2026-10-07", "2026-11-04"]


def scenario_text() -> str:
    text = SCENARIO
    for day in MONTHS_WITH_SUPERVISION:
        text += f'\n[[supervision]]\ndate = {day}\nminutes = 60\nkind = "individual"\nsupervisor = "Pat Supervisor"\n'
    return text
