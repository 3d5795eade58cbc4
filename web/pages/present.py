"""How listings read on the pages, imported ones included: the service's own name first and in
ordinary case, the organization's readable name, a category for every listing, "near <ZIP>" for a
place known only by its ZIP, where imported facts came from, and meeting times in words.

Pure functions over the search items and listing details (directory/catalog/views.py), plus
`describe`, which reads the few facts cards do not carry (source date, website) in one query.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import text

from directory.catalog import geocode
from directory.catalog.codes import ATTRIBUTES, CATEGORIES
from directory.sql import in_clause

OTHER_SERVICES = "Other services"
# Words kept in capitals when a name in capitals is put in ordinary case.
ACRONYMS = frozenset("""AA NA CA CMA AIDS HIV STD STI USA US FL CA KS MO NY DC DCF DOH WIC YMCA YWCA FIU FAU UM JCS
    NCH LGBT LGBTQ LGBTQ+ SMART MAT ADA VA VFW II III IV ESOL GED SNAP TANF ICE HUD CDC FQHC CPR EMS ER ID
    LLC PA PL MD NW NE SW SE DBA UCF UF FSU EEOC IRS SSA SSI SSDI SAMHSA ACA CHIP ABC""".split())
SMALL_WORDS = frozenset("a an and at by de del for in la las los of on or the to y with from".split())
FELLOWSHIPS = ("aa", "na", "al_anon", "smart_recovery")
# Where imported listings came from, by the prefix of their ids (directory/catalog/importers).
SOURCES = {"miami-211-hsds": "Miami 211", "samhsa": "SAMHSA FindTreatment"}
_MEETING_GUIDE_FEED = re.compile(r"^Meeting Guide feed \((?P<prefix>[^)]+)\)$")
_ZIP_AT_END = re.compile(r"\b(\d{5})(?:-\d{4})?$")


TITLES = {"ST": "St", "MT": "Mt", "DR": "Dr", "JR": "Jr", "SR": "Sr", "FT": "Ft", "MR": "Mr", "MRS": "Mrs", "MS": "Ms"}


def _piece_case(piece: str, first: bool) -> str:
    """One piece of a word (between hyphens and slashes), trailing punctuation included."""
    core = piece.strip("().,;:\"'")
    upper = core.upper()
    if not core or not core.replace("'", "").isalpha() and not re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?", upper):
        return piece.lower() if re.search(r"\.(ORG|COM|NET|GOV|EDU)$", upper) else piece
    if upper in TITLES:
        return piece.replace(core, TITLES[upper])
    if upper in ACRONYMS or re.fullmatch(r"(?:[A-Z]\.)+[A-Z]?", upper) or (len(core) <= 4 and not re.search("[AEIOUY]", upper)):
        return piece.upper()
    if not first and core.lower() in SMALL_WORDS:
        return piece.lower()
    return _apostrophe(piece)


def _word_case(word: str, first: bool) -> str:
    pieces = re.split(r"([-/])", word)
    return "".join(p if p in "-/" else _piece_case(p, first and i == 0) for i, p in enumerate(pieces))


def _apostrophe(word: str) -> str:
    """MATTHEW'S -> Matthew's, O'QUINN -> O'Quinn, (MIAMI) -> (Miami)."""
    parts = re.split(r"(')", word.lower())
    out = []
    for i, part in enumerate(parts):
        if i >= 2 and parts[i - 1] == "'" and part.rstrip(".,;:)") in ("s", "t", "ll", "re", "ve", "d"):
            out.append(part)
        else:
            out.append(re.sub(r"[a-z]", lambda m: m.group().upper(), part, count=1))
    return "".join(out)


def readable(name: str | None) -> str:
    """A name written in capitals ('SALVATION ARMY - MIAMI CENTRAL') in ordinary case ('Salvation
    Army - Miami Central'), acronyms kept; names in mixed case are left as their owners wrote them."""
    name = (name or "").strip()
    if not any(c.isalpha() for c in name) or any(c.islower() for c in name):
        return name
    words = name.split(" ")
    return " ".join(_word_case(w, i == 0 or words[i - 1] in ("-", "–")) for i, w in enumerate(words))


def service_title(name: str | None, location_name: str | None) -> tuple[str, str | None]:
    """(the service's own name, the site) for a result line. A 211 location is often named
    'ORGANIZATION - PROGRAM - SITE' with the service named after the site ('MIAMI CENTRAL'): then the
    program is the service's name and the site is said after it."""
    name = (name or "").strip()
    parts = [p.strip() for p in (location_name or "").split(" - ") if p.strip()]
    if len(parts) >= 3 and parts[-1].lower() == name.lower():
        return readable(" - ".join(parts[1:-1])), readable(parts[-1])
    return readable(name), None


def category_label(code: str | None) -> str:
    return CATEGORIES.get(code or "", OTHER_SERVICES)


def fellowship(attributes) -> str | None:
    return next((ATTRIBUTES[c][0] for c in FELLOWSHIPS if c in (attributes or ())), None)


def organization_label(organization: str | None, attributes=(), site_of_feed: str | None = None) -> str:
    """'Meeting Guide feed (mg-oc)' is the importer's placeholder, not a name: a meeting's
    organization reads as its fellowship and who lists it ('Alcoholics Anonymous · listed by oc-aa.org')."""
    organization = organization or ""
    if _MEETING_GUIDE_FEED.match(organization):
        group = fellowship(attributes) or "Recovery meeting"
        return f"{group} · listed by {site_of_feed}" if site_of_feed else group
    return readable(organization)


def zip_centre(address: str | None, latitude, longitude) -> str | None:
    """The ZIP when the place sits exactly on its ZIP's centre: the importer put it there because the
    source gave no coordinates (directory/catalog/importers/hsds_tables.py), so a distance to it
    would be false to the street."""
    m = _ZIP_AT_END.search((address or "").strip())
    if not m or latitude is None or longitude is None:
        return None
    place = geocode.zip_place(m.group(1))
    if place is None or abs(place.lat - latitude) > 1e-6 or abs(place.lon - longitude) > 1e-6:
        return None
    return m.group(1)


def meeting_when(item: dict) -> str | None:
    """'Meeting now', 'Starts 7:00 pm', 'Next meeting: Tomorrow 7:00 am' ('Closed now' reads like
    AA's 'closed meeting', so meetings never say it)."""
    if item.get("open_now"):
        return "Meeting now"
    nxt = item.get("next_meeting")
    if not nxt:
        return None
    label = nxt.get("label") or ""
    if label.startswith("Today "):
        return "Starts " + label[len("Today "):]
    return "Next meeting: " + label


def source_label(service_id: str, url: str | None = None) -> str | None:
    """Where an imported listing came from ('Miami 211', 'oc-aa.org'); None for Signpost's own."""
    prefix, sep, _ = (service_id or "").partition(":")
    if not sep:
        return None
    if prefix.startswith("mg-"):
        return _host(url) or "a Meeting Guide feed"
    return SOURCES.get(prefix, prefix.replace("-", " "))


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else "https://" + url).hostname or ""
    return host.removeprefix("www.") or None


def describe(bind, items: list[dict]) -> list[dict]:
    """The items with what the pages say about them: title, site, org_label, category_label,
    near_zip (placed at a ZIP centre), online, when (meetings), source and source_date (imported)."""
    ids = list(dict.fromkeys(i["service_id"] for i in items))
    facts = {}
    if ids:
        marks, params = in_clause("s", ids)
        facts = {r[0]: r[1:] for r in bind.execute(text(
            f"SELECT id, last_modified, url FROM service WHERE id IN ({marks})"), params)}
    feeds = _feed_sites(bind, {i["organization"] for i in items})
    for item in items:
        modified, url = facts.get(item["service_id"], (None, None))
        _describe(item, modified, url, feeds)
    return items


def describe_detail(bind, d: dict) -> dict:
    feeds = _feed_sites(bind, {d["organization"]})
    site = next((loc.get("name") for loc in d.get("locations", [])), None)
    first = (d.get("locations") or [{}])[0]
    d.setdefault("location_name", site)
    d.setdefault("online_url", first.get("online_url") if first.get("location_type") == "virtual" else None)
    return _describe(d, d.get("last_modified"), d.get("url"), feeds)


def _describe(item: dict, modified, url, feeds: dict) -> dict:
    item["title"], item["site"] = service_title(item.get("name"), item.get("location_name"))
    item["org_label"] = organization_label(item.get("organization"), item.get("attributes"),
                                           feeds.get(item.get("organization")))
    item["category_label"] = category_label(item.get("category"))
    item["online"] = bool(item.get("online_url")) and not item.get("address")
    item["near_zip"] = zip_centre(item.get("address"), item.get("latitude"), item.get("longitude"))
    item["when"] = meeting_when(item) if item.get("category") == "support_group" else None
    item["source"] = source_label(item["service_id"], url)
    item["source_date"] = modified
    return item


def _feed_sites(bind, organizations) -> dict[str, str]:
    """'Meeting Guide feed (mg-oc)' -> 'oc-aa.org': the site its meetings link to."""
    out = {}
    for name in organizations:
        m = _MEETING_GUIDE_FEED.match(name or "")
        if m:
            url = bind.execute(text("SELECT url FROM service WHERE id >= :lo AND id < :hi AND url IS NOT NULL "
                                    "LIMIT 1"), {"lo": m["prefix"] + ":", "hi": m["prefix"] + ";"}).scalar()
            host = _host(url)
            if host:
                out[name] = host
    return out
