"""Schedules read for many listings at once, as the (time zone, slots) each listing's card, detail
and the search's time filter need."""
from __future__ import annotations

from functools import lru_cache


from directory.catalog import schedules as sched
from directory.sql import as_date
from directory.sql import as_time
from directory.sql import fetch_rows
from directory.sql import in_clause


def load_slots(bind, sal_ids) -> dict[str, tuple[str | None, list[sched.Slot]]]:
    """Schedules of these service-at-locations (their own, or their service's), with the zone."""
    sal_ids = list(sal_ids)
    if not sal_ids:
        return {}
    sal_marks, params = in_clause("sal", sal_ids)
    return slots_of(bind, fetch_rows(
        bind, "SELECT sal.id, sal.service_id, l.timezone FROM service_at_location sal "
              f"JOIN location l ON l.id = sal.location_id WHERE sal.id IN ({sal_marks})", params))


_parse_byday = lru_cache(maxsize=1024)(sched.parse_byday)  # a few patterns ("MO,TU,WE,TH,FR") recur all the time


def slot_of_row(byday, opens_at, closes_at, valid_from, valid_to) -> sched.Slot:
    """A schedule row's Slot (the columns as fetch_rows gives them)."""
    return sched.Slot(_parse_byday(byday), as_time(opens_at), as_time(closes_at), as_date(valid_from),
                      as_date(valid_to))


def slots_of(bind, sal_rows, make_slot=slot_of_row) -> dict[str, tuple[str | None, list]]:
    """load_slots for (service_at_location id, service id, time zone) rows the caller already has.
    `make_slot(byday, opens_at, closes_at, valid_from, valid_to)` makes each slot (default: a Slot)."""
    return slots_from_rows(schedule_rows(bind, sal_rows), sal_rows, make_slot)


def schedule_rows(bind, sal_rows) -> list[tuple]:
    """The schedule rows slots_from_rows needs for (service_at_location id, service id, ...) rows."""
    if not sal_rows:
        return []
    sal_marks, params = in_clause("sal", [r[0] for r in sal_rows])
    service_marks, service_params = in_clause("svc", {r[1] for r in sal_rows})
    columns = "service_at_location_id, service_id, byday, opens_at, closes_at, valid_from, valid_to"
    # Two indexed halves: with OR (or "service_at_location_id IS NULL" in SQL), SQLite would read
    # the whole schedule table. The second half's rows tied to a place are skipped by slots_from_rows.
    return fetch_rows(bind, f"SELECT 1, {columns} FROM schedule WHERE service_at_location_id IN ({sal_marks}) "
                            f"UNION ALL SELECT 0, {columns} FROM schedule WHERE service_id IN ({service_marks})",
                      {**params, **service_params})


def slots_from_rows(rows, sal_rows, make_slot=slot_of_row) -> dict[str, tuple[str | None, list]]:
    """slots_of from schedule_rows already read: a place's own schedule, else its service's."""
    by_sal, by_service = {}, {}
    for own, sal_id, service_id, byday, opens_at, closes_at, valid_from, valid_to in rows:
        if sal_id and not own:
            continue
        slot = make_slot(byday, opens_at, closes_at, valid_from, valid_to)
        if sal_id:
            by_sal.setdefault(sal_id, []).append(slot)
        else:
            by_service.setdefault(service_id, []).append(slot)
    return {sal_id: (tz, by_sal.get(sal_id) or by_service.get(service_id, []))
            for sal_id, service_id, tz in sal_rows}
