"""What a search answers, shared by the API, the web page and (through the API) the bot.

- One result per weekly group: a group that meets Monday to Friday at the same place and hour
  is five listings in a Meeting Guide feed (and more when it also meets at other hours). Listings
  with the same name at the same place are one result with its days and times ("Mon-Fri 12:00 pm";
  "Daily 7:00 pm; Sat 10:00 am") and every occurrence's listing id; its own id is the listing
  that meets next (in the window asked for, if any), so the detail and the referral describe the
  meeting the result line points to. A page still holds `limit` results (more candidates are read
  when groups swallow them).
- Meetings asked for "now", "today" or "tonight" come soonest first (among the nearest
  TIME_POOL that fit), not nearest first.
- Honest fallbacks, flagged so that nobody reads them as matches: when no meeting starts in the
  window asked for, the next ones (`when_unmatched`); when no meeting of the fellowship asked
  for is listed within the radius but meetings that do not record their fellowship are, those
  (`fellowship_unmatched`).
"""
from __future__ import annotations

import datetime as dt
import math
import re
import weakref
from dataclasses import dataclass, field, replace
from functools import lru_cache

from directory.catalog import cards
from directory.catalog import schedules as sched
from directory.catalog.codes import FELLOWSHIP_ATTRIBUTES
from directory.catalog.search.nearby import search
from directory.catalog.search.query import SearchQuery
from directory.catalog.search.when import MEETING_CATEGORY, meeting_start

TIME_POOL = 40  # "tonight": the soonest of the nearest this many meetings that fit
MAX_CANDIDATES = 3000  # listings read at most to fill a page of groups
# Listings read per result wanted, before a database has told how many of its listings a group
# holds: a Meeting Guide feed lists a weekday group several times.
FIRST_READ_AHEAD = 3.0
READ_AHEAD_MARGIN = 1.2
# Listings per group seen lately, per database and kind of search: a directory of one listing a
# group reads a page and two more, a meeting feed's reads what its groups swallow. Only where a
# search starts: it still reads on until the page is full.
_listings_per_group: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@dataclass
class Group:
    """Listings of one weekly group: same name, same place, same start times."""
    hits: list = field(default_factory=list)
    cards: list = field(default_factory=list)

    @property
    def distance_km(self) -> float:
        return self.hits[0].distance_km

    def merged_card(self) -> dict:
        card = dict(self.cards[0])
        card["slots"] = list(dict.fromkeys(s for c in self.cards for s in c["slots"]))
        return card


@dataclass
class Answer:
    items: list[dict]
    has_more: bool
    total: int | None  # results (groups) within the radius, when the search looked that far
    searched_radius_km: float
    query: SearchQuery  # the query answered: a fallback's when one of the flags is set
    when_unmatched: bool = False  # nothing fits `when`: these are the next ones, soonest first
    fellowship_unmatched: bool = False  # none of that fellowship listed: meetings of unrecorded fellowship


def find(conn, query: SearchQuery, now: dt.datetime, base_url: str = "") -> Answer:
    """The page of results for `query` (a Core Connection or an ORM Session)."""
    variants = [(query, False, False)]
    meetings = query.category == MEETING_CATEGORY
    if query.when and meetings and not query.open_now:
        variants.append((replace(query, when=None), True, False))
    if query.fellowship:
        unknown = replace(query, fellowship=(), category=MEETING_CATEGORY,
                          without_attributes=tuple(dict.fromkeys(query.without_attributes + FELLOWSHIP_ATTRIBUTES)))
        variants.append((unknown, False, True))
        if query.when and not query.open_now:
            variants.append((replace(unknown, when=None), True, True))
    for variant, when_unmatched, fellowship_unmatched in variants:
        groups, complete, radius = _groups(conn, variant, now, by_start=bool(query.when) and not query.open_now)
        if groups:
            break
    else:  # nothing at all: say so plainly, no fallback flag
        variant, when_unmatched, fellowship_unmatched = query, False, False
    if query.when and not query.open_now and (variant.category == MEETING_CATEGORY):
        groups.sort(key=lambda g: (_start(g, variant.when, now), g.distance_km))
    end = query.offset + query.limit
    page = groups[query.offset:end]
    items = [_item(g, now, base_url, variant.when) for g in page]
    return Answer(items, len(groups) > end, len(groups) if complete else None, radius, variant,
                  when_unmatched, fellowship_unmatched)


def _groups(conn, query: SearchQuery, now: dt.datetime, by_start: bool) -> tuple[list[Group], bool, float]:
    """The groups among the nearest matches, nearest first: enough of them to fill the page (or
    the time pool), each complete (its listings are all at one distance, so a group is whole once
    a farther listing has been read). Also: whether every match within the radius was read."""
    wanted = query.offset + query.limit + 1
    if by_start:
        wanted = max(wanted, TIME_POOL)
    engine = conn.get_bind() if hasattr(conn, "get_bind") else conn.engine  # a Session's, or a Connection's
    seen = _listings_per_group.get(engine)
    if seen is None:
        seen = _listings_per_group[engine] = {}
    kind = (query.category, query.fellowship)
    per_group = seen.get(kind, FIRST_READ_AHEAD)
    fetch = min(MAX_CANDIDATES, max(wanted + 2, math.ceil(wanted * per_group * READ_AHEAD_MARGIN)))
    hits: list = []
    read: set[int] = set()
    by_entry: dict = {}
    circle = None
    while True:
        # Read on from where the last pass stopped: the nearest-first order is the same in every
        # pass (the circle always holds everything within it), so only the new hits' cards are read,
        # and the index is asked again only when the last pass's circle holds too few.
        result = search(conn, replace(query, offset=len(hits), limit=fetch - len(hits)), now, listing_ids=False,
                        circle=circle)
        circle = result.circle
        new = [h for h in result.hits if h.entry_id not in read]  # (an entry written meanwhile could shift one)
        read.update(h.entry_id for h in new)
        by_entry.update(cards.load(conn, new))
        hits += new
        groups = _collapse([h for h in hits if h.entry_id in by_entry], by_entry)
        complete = not result.has_more
        if complete or fetch >= MAX_CANDIDATES or not result.hits:
            break
        last = hits[-1].distance_km
        whole = sum(1 for g in groups if g.distance_km < last)
        if whole >= wanted:
            groups = [g for g in groups if g.distance_km < last]  # the last distance's may be partial
            break
        # The groups still missing, at the listings per group this search has seen so far (and at
        # least half again as many: growing slowly costs a circle per pass).
        missing = wanted - whole
        so_far = len(hits) / max(1, len(groups))  # listings per group in this search
        fetch = min(MAX_CANDIDATES, max(math.ceil(fetch * 1.5),
                                        len(hits) + math.ceil(missing * so_far * READ_AHEAD_MARGIN) + 2))
    if groups:
        listed = sum(len(g.hits) for g in groups)
        seen[kind] = (per_group + listed / len(groups)) / 2 if kind in seen else listed / len(groups)
    if by_start and len(groups) > wanted:  # the pool is the nearest `wanted`, however far the read went
        groups, complete = groups[:wanted], False
    return groups, complete and result.total is not None, result.searched_radius_km


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)  # names and addresses recur on every search of an area
def _squeeze(text: str | None) -> str:
    return _NOT_ALNUM.sub("", (text or "").lower())


def _key(hit, card: dict) -> tuple:
    place = _squeeze(card.get("address")) or (round(hit.latitude, 4), round(hit.longitude, 4))
    return card.get("category"), _squeeze(card.get("name")), place


def _collapse(hits, by_entry: dict) -> list[Group]:
    """Listings grouped by (category, name, place, start times), in the order of their first listing."""
    groups: dict[tuple, Group] = {}
    for h in hits:
        card = by_entry[h.entry_id]
        group = groups.setdefault(_key(h, card), Group())
        group.hits.append(h)
        group.cards.append(card)
    return list(groups.values())


def _start_of(card: dict, when: str | None, now: dt.datetime) -> dt.datetime:
    """When a card's listing next meets: inside `when`'s window if it does, else its next start."""
    start = meeting_start(when, cards.slot_info(card), now) if when else None
    if start is None:
        start = cards.next_start(card, now)
    return start or FAR_FUTURE


def _start(group: Group, when: str | None, now: dt.datetime) -> dt.datetime:
    return _start_of(group.merged_card(), when, now)


def _item(group: Group, now: dt.datetime, base_url: str, when: str | None = None) -> dict:
    if len(group.cards) > 1:  # the listing that meets next stands for the group
        first = min(range(len(group.cards)), key=lambda i: (_start_of(group.cards[i], when, now), i))
        group.cards.insert(0, group.cards.pop(first))
        group.hits.insert(0, group.hits.pop(first))
    card = group.merged_card()
    item = cards.item(card, group.hits[0], now, base_url)
    item["occurrences"] = occurrences(group)
    item["meets"] = meets_label(cards.slot_info(card)[1]) if card.get("category") == MEETING_CATEGORY else None
    return item


def occurrences(group: Group) -> list[dict]:
    """Each listing of the group with its weekday and start: [{service_id, day, time}], Monday first."""
    out = [(day, t, label, card["service_id"]) for card in group.cards for day, t, label in _starts_of(tuple(card["slots"]))]
    return [{"service_id": sid, "day": DAY_NAMES[day], "time": label}
            for day, _t, label, sid in sorted(dict.fromkeys(out), key=lambda o: (o[0], o[1]))]


@lru_cache(maxsize=8192)
def _starts_of(slot_texts: tuple[str, ...]) -> tuple[tuple[int, dt.time, str], ...]:
    """(weekday, opening time, its clock label) of each weekly start of these slots."""
    return tuple((day, slot.opens_at, sched.clock(slot.opens_at))
                 for slot in cards.slots_from_texts(slot_texts) if slot.opens_at is not None for day in slot.days)


def _days_text(days: set[int]) -> str:
    """{0, 1, 2, 3, 4} -> 'Mon-Fri'; {0, 2, 4} -> 'Mon, Wed, Fri'; all seven -> 'Daily'."""
    if len(days) == 7:
        return "Daily"
    runs, run = [], []
    for d in sorted(days):
        if run and d != run[-1] + 1:
            runs.append(run)
            run = []
        run.append(d)
    if run:
        runs.append(run)
    parts = []
    for r in runs:
        if len(r) >= 3:
            parts.append(f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}")
        else:
            parts.extend(DAY_NAMES[d] for d in r)
    return ", ".join(parts)


@lru_cache(maxsize=8192)  # a few thousand weekly patterns recur across a directory's groups
def meets_label(slots: tuple) -> str | None:
    """'Mon, Wed, Fri 12:00 pm'; 'Mon-Fri 7:00 am; Sat 9:00 am' (times in the meeting's zone)."""
    by_time: dict[dt.time, set[int]] = {}
    for slot in slots:
        if slot.opens_at is not None and not slot.all_day:
            by_time.setdefault(slot.opens_at, set()).update(slot.days)
    if not by_time:
        return None
    ordered = sorted(by_time.items(), key=lambda kv: (min(kv[1]) if kv[1] else 7, kv[0]))
    return "; ".join(f"{_days_text(days)} {sched.clock(t)}" for t, days in ordered if days)
