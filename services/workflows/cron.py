"""Cron expressions (5 fields, croniter) evaluated in the shop's time zone, daylight saving handled.

Spring forward: a time that does not exist that day (02:30 in Paris on the last Sunday of March)
fires at the first minute after the gap, once. Fall back: an expression with explicit hours fires
in the first of the two repeated hours only (as cronie does); one whose hour field is `*` fires in
both, since it asks for every hour.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from croniter import CroniterBadCronError, croniter

MAX_COUNTED_TICKS = 10_000


class CronInvalid(ValueError):
    pass


def check(expr: str) -> None:
    fields = expr.split()
    if len(fields) != 5:
        raise CronInvalid(f"cron {expr!r}: 5 fields expected (minute hour day month weekday), got {len(fields)}")
    if not croniter.is_valid(expr):
        raise CronInvalid(f"cron {expr!r} is not a valid expression")
    try:
        croniter(expr)
    except (CroniterBadCronError, ValueError) as exc:
        raise CronInvalid(f"cron {expr!r}: {exc}") from exc


def _second_occurrence(local: dt.datetime) -> bool:
    """True for a wall time that already happened an hour earlier (the repeated hour of fall back)."""
    first = local.replace(tzinfo=None).replace(tzinfo=local.tzinfo, fold=0)
    return first.utcoffset() != local.utcoffset()


def _iterate(expr: str, zone: ZoneInfo, after: dt.datetime) -> croniter:
    return croniter(expr, after.astimezone(zone))


def _accept(expr: str, local: dt.datetime) -> bool:
    return expr.split()[1] == "*" or not _second_occurrence(local)


def next_tick(expr: str, zone: ZoneInfo, after: dt.datetime) -> dt.datetime:
    """The first tick strictly after `after`, in UTC."""
    it = _iterate(expr, zone, after)
    while True:
        local: dt.datetime = it.get_next(dt.datetime)
        if _accept(expr, local):
            return local.astimezone(dt.UTC)


def due_ticks(expr: str, zone: ZoneInfo, after: dt.datetime, until: dt.datetime) -> tuple[dt.datetime | None, int]:
    """The latest tick in (after, until] and how many ticks that interval holds (counted up to a cap)."""
    latest: dt.datetime | None = None
    count = 0
    it = _iterate(expr, zone, after)
    while count < MAX_COUNTED_TICKS:
        local: dt.datetime = it.get_next(dt.datetime)
        tick = local.astimezone(dt.UTC)
        if tick > until:
            break
        if _accept(expr, local):
            latest, count = tick, count + 1
    if count >= MAX_COUNTED_TICKS:  # a long downtime of a frequent schedule: jump to the last tick
        back = croniter(expr, until.astimezone(zone)).get_prev(dt.datetime)
        latest = back.astimezone(dt.UTC)
    return latest, count
