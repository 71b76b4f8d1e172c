"""The `opening_hours` company fact: when a human adviser answers.

Format: day ranges and time ranges separated by `;`, e.g. `mon-fri 09:00-12:30,14:00-18:00; sat 10:00-12:00`.
Days are `mon tue wed thu fri sat sun` (French `lun mar mer jeu ven sam dim` too); a range may wrap
(`fri-mon`); times are 24-hour `HH:MM`, end after start. The shop's time zone is `COMPTOIR_TIMEZONE`
(default Europe/Paris). No fact, or an empty one: advisers answer at any time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from libs.common.settings import DEFAULT_TIMEZONE

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FRENCH = {"lun": "mon", "mar": "tue", "mer": "wed", "jeu": "thu", "ven": "fri", "sam": "sat", "dim": "sun"}
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


class HoursError(ValueError):
    pass


@dataclass(frozen=True)
class Hours:
    # weekday (0 = Monday) -> list of (start, end) as minutes since midnight
    slots: dict[int, list[tuple[int, int]]]

    def open_at(self, moment: datetime) -> bool:
        minute = moment.hour * 60 + moment.minute
        return any(start <= minute < end for start, end in self.slots.get(moment.weekday(), []))

    def next_open(self, moment: datetime) -> datetime | None:
        """The next moment (after `moment`) an adviser answers; None if the week has no slot."""
        if self.open_at(moment):
            return moment
        day0 = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        for offset in range(8):
            day = day0 + timedelta(days=offset)
            for start, _ in sorted(self.slots.get(day.weekday(), [])):
                candidate = day + timedelta(minutes=start)
                if candidate > moment:
                    return candidate
        return None


def _day(name: str) -> int:
    key = FRENCH.get(name.strip().lower()[:3], name.strip().lower()[:3])
    if key not in DAYS:
        raise HoursError(f"unknown day {name.strip()!r}")
    return DAYS.index(key)


def parse(text: str) -> Hours:
    slots: dict[int, list[tuple[int, int]]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        days_text, _, times_text = part.partition(" ")
        if not times_text.strip():
            raise HoursError(f"no hours after {days_text!r}")
        first, _, last = days_text.partition("-")
        start_day, end_day = _day(first), _day(last or first)
        days = [(start_day + i) % 7 for i in range((end_day - start_day) % 7 + 1)]
        for window in times_text.replace(" ", "").split(","):
            match = _TIME.match(window)
            if not match:
                raise HoursError(f"{window!r} is not HH:MM-HH:MM")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start or end > 24 * 60:
                raise HoursError(f"{window!r} ends before it starts")
            for day in days:
                slots.setdefault(day, []).append((start, end))
    if not slots:
        raise HoursError("no opening hours given")
    return Hours(slots)


def availability(text: str | None, now: datetime | None = None, *,
                 zone: ZoneInfo | None = None) -> tuple[bool, datetime | None]:
    """(an adviser answers now, when one will next) for the fact's text; always open without one.
    The hours are in the shop's time zone: `zone`, the platform settings' COMPTOIR_TIMEZONE."""
    if not text or not text.strip():
        return True, None
    try:
        hours = parse(text)
    except HoursError:
        return True, None  # an unreadable fact never hides the advisers (the console refuses saving one)
    zone = zone or ZoneInfo(DEFAULT_TIMEZONE)
    moment = (now or datetime.now(zone)).astimezone(zone)
    if hours.open_at(moment):
        return True, None
    return False, hours.next_open(moment)
