"""The demo directory: fictional organisations, plainly marked "(demo)", at real places.

Deterministic: the same ids and content every time (dates are relative to the day of seeding so
that "verified 12 days ago" and "stale for 120 days" stay true). Three metro areas (Santa Ana /
Orange County CA, Miami FL, Kansas City MO), all five categories, hours (one past midnight),
meetings on several days, attributes, languages, bed vacancies and verified dates.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from directory.catalog.geocode import zip_place
from directory.catalog.index import reindex_services
from directory.catalog.models import Accessibility, Address, Language, Location, Organization, Phone, Schedule, Service, ServiceAtLocation
from directory.catalog.taxonomy import attribute_link, category_link, ensure_vocabulary, stable_id

ALL = "MO,TU,WE,TH,FR,SA,SU"
WEEKDAYS = "MO,TU,WE,TH,FR"

# (metro, zip, street, tz)
METROS = {
    "oc": ("America/Los_Angeles", "(714) 555-01{:02d}"),
    "mia": ("America/New_York", "(305) 555-01{:02d}"),
    "kc": ("America/Chicago", "(816) 555-01{:02d}"),
}

# Each listing: metro, zip, street, org, service, category, attributes, languages,
# schedules [(byday, opens, closes)], capacity (available, maximum) or None, verified days ago,
# extra fields.
LISTINGS = [
    # ---- Santa Ana / Orange County, CA
    ("oc", "92701", "401 W 1st St", "Harbor House Recovery (demo)", "Harbor House Women's Sober Living", "sober_living",
     ["women", "mat_friendly", "in_person"], ["en", "es"], [(ALL, "00:00", "00:00")], (2, 8), 12,
     {"eligibility": "Women 18+ in recovery; residents on buprenorphine or methadone welcome.",
      "application": "Call for a phone screen. Bring ID and a list of your medications.",
      "fees": "$175 a week; first week can be deferred.", "transport": "OCTA bus 55 stops at 1st & Broadway."}),
    ("oc", "92703", "1320 W 5th St", "Cornerstone Living (demo)", "Cornerstone Men's Recovery Residence", "sober_living",
     ["men", "in_person"], ["en"], [(ALL, "00:00", "00:00")], (0, 12), 40,
     {"eligibility": "Men 18+ with 14 days sober.", "application": "Interview required; call first.",
      "fees": "$160 a week."}),
    ("oc", "92701", "600 N Ross St", "Santa Ana Fellowship Hall (demo)", "Tuesday Night Women's Big Book (AA)", "support_group",
     ["women", "closed_meeting", "big_book", "aa", "in_person"], ["en"], [("TU,TH", "19:30", "20:30")], None, 5,
     {"eligibility": "Closed meeting for women with a desire to stop drinking."}),
    ("oc", "92701", "600 N Ross St", "Santa Ana Fellowship Hall (demo)", "Noches de Esperanza NA (Spanish)", "support_group",
     ["open_meeting", "na", "in_person", "beginners"], ["es"], [(ALL, "20:00", "21:00")], None, 20, {}),
    ("oc", "92704", "2100 S Bristol St", "Bristol SMART Group (demo)", "SMART Recovery Bristol", "support_group",
     ["open_meeting", "smart_recovery", "in_person", "mat_friendly"], ["en"], [("MO,WE", "18:00", "19:30")], None, 95, {}),
    ("oc", "92705", "1801 E 4th St", "Orange County Family Groups (demo)", "Al-Anon Saturday Morning", "support_group",
     ["al_anon", "open_meeting", "in_person"], ["en", "es"], [("SA", "10:00", "11:00")], None, 30, {}),
    ("oc", "92701", "505 E Central Ave", "Second Chance Shelter (demo)", "Second Chance Emergency Shelter", "housing",
     ["families_with_children", "wheelchair", "free", "walk_in"], ["en", "es"], [(ALL, "18:00", "07:00")], (5, 60), 3,
     {"eligibility": "Adults and families with children. Check-in from 6 pm.",
      "application": "Walk in from 6 pm; bring ID if you have it (not required).", "beds_unit": "beds"}),
    ("oc", "92706", "1000 W Santa Ana Blvd", "County Housing Navigation (demo)", "Rapid Rehousing Navigators", "housing",
     ["free", "veterans"], ["en", "es", "vi"], [(WEEKDAYS, "08:00", "17:00")], None, 60,
     {"application": "Bring ID, proof of income if any, and any eviction notice."}),
    ("oc", "92701", "1200 E 4th St", "RideWell Recovery Rides (demo)", "RideWell Rides to Treatment", "transportation",
     ["free", "wheelchair"], ["en", "es"], [(WEEKDAYS, "06:00", "20:00")], None, 8,
     {"application": "Call a day ahead to book a ride to treatment or a court date."}),
    ("oc", "92701", "1000 E Santa Ana Blvd", "Metro Bus Pass Program (demo)", "Free Bus Pass for People in Recovery", "transportation",
     ["free"], ["en", "es"], [(WEEKDAYS, "09:00", "16:00")], None, 100, {}),
    ("oc", "92705", "2701 N Main St", "Bright Path Treatment (demo)", "Bright Path Detox", "treatment",
     ["mat_friendly", "insurance", "walk_in", "wheelchair"], ["en", "es"], [(ALL, "00:00", "00:00")], (1, 16), 7,
     {"eligibility": "Adults 18+. Medi-Cal accepted.", "application": "Walk-in assessment 24/7. Bring ID and insurance card."}),
    ("oc", "92704", "3111 W 1st St", "Bright Path Treatment (demo)", "Bright Path MAT Clinic (Suboxone, Methadone)", "treatment",
     ["mat_friendly", "insurance", "sliding_scale"], ["en", "es"], [(WEEKDAYS, "06:00", "14:00"), ("SA", "07:00", "11:00")], None, 14, {}),
    ("oc", "92701", "820 N Main St", "Nightlight Drop-In (demo)", "Nightlight Late-Night Recovery Café", "support_group",
     ["open_meeting", "in_person", "lgbtq", "free"], ["en"], [("TH,FR,SA", "20:00", "02:00")], None, 10, {}),
    # ---- Miami, FL
    ("mia", "33125", "1000 NW 7th St", "Casa Luz Recovery (demo)", "Casa Luz Hogar de Mujeres", "sober_living",
     ["women", "mat_friendly", "families_with_children"], ["es", "en"], [(ALL, "00:00", "00:00")], (3, 10), 9,
     {"eligibility": "Mujeres en recuperación; se aceptan niños menores de 12.", "fees": "$150 por semana."}),
    ("mia", "33135", "1500 SW 8th St", "Calle Ocho Recovery Homes (demo)", "Oxford-style House Calle Ocho", "sober_living",
     ["men"], ["es", "en"], [(ALL, "00:00", "00:00")], (1, 8), 130, {}),
    ("mia", "33125", "1300 NW 17th Ave", "Little Havana Fellowship (demo)", "Grupo Nueva Vida (AA en español)", "support_group",
     ["open_meeting", "aa", "in_person"], ["es"], [(ALL, "19:00", "20:00")], None, 15, {}),
    ("mia", "33130", "100 SW 10th St", "Brickell Recovery Club (demo)", "Brickell NA Noon Meeting", "support_group",
     ["open_meeting", "na", "in_person", "online"], ["en"], [(WEEKDAYS, "12:00", "13:00")], None, 22, {}),
    ("mia", "33136", "1611 NW 12th Ave", "Miami Women in Recovery (demo)", "Women's SMART Recovery Miami", "support_group",
     ["women", "smart_recovery", "mat_friendly"], ["en", "es"], [("WE", "18:30", "20:00")], None, 45, {}),
    ("mia", "33142", "3000 NW 27th Ave", "Puerta Abierta Shelter (demo)", "Puerta Abierta Emergency Shelter", "housing",
     ["free", "walk_in", "families_with_children"], ["es", "en", "ht"], [(ALL, "17:00", "08:00")], (0, 40), 2, {}),
    ("mia", "33125", "1200 NW 7th St", "Little Havana Rides (demo)", "Rides to Recovery Miami", "transportation",
     ["free"], ["es", "en"], [(WEEKDAYS, "07:00", "19:00")], None, 33, {}),
    ("mia", "33136", "1550 NW 10th Ave", "Sunrise Health Center (demo)", "Sunrise Methadone & Buprenorphine Program", "treatment",
     ["mat_friendly", "insurance", "sliding_scale"], ["es", "en"], [(WEEKDAYS, "05:30", "13:00"), ("SA,SU", "07:00", "10:00")], None, 11, {}),
    ("mia", "33135", "2400 SW 8th St", "Sunrise Health Center (demo)", "Sunrise Intensive Outpatient (IOP)", "treatment",
     ["insurance", "sliding_scale"], ["es", "en"], [("MO,WE,TH", "18:00", "21:00")], None, 100, {}),
    # ---- Kansas City, MO
    ("kc", "64111", "3800 Main St", "Midtown Recovery Homes (demo)", "Midtown Oxford House", "sober_living",
     ["men", "mat_friendly"], ["en"], [(ALL, "00:00", "00:00")], (1, 9), 20, {}),
    ("kc", "64109", "3100 Troost Ave", "Hope Harbor KC (demo)", "Hope Harbor Women & Children", "sober_living",
     ["women", "families_with_children"], ["en"], [(ALL, "00:00", "00:00")], (0, 14), 6, {}),
    ("kc", "64111", "4000 Baltimore Ave", "Westport Fellowship (demo)", "Westport Speaker Meeting (AA)", "support_group",
     ["open_meeting", "speaker", "aa", "in_person", "wheelchair"], ["en"], [("FR", "20:00", "21:30"), ("SU", "18:00", "19:00")], None, 18, {}),
    ("kc", "64108", "2000 Grand Blvd", "Crossroads NA (demo)", "Crossroads Clean & Serene NA", "support_group",
     ["open_meeting", "na", "in_person"], ["en"], [(ALL, "21:00", "22:00")], None, 4, {}),
    ("kc", "64106", "1100 Main St", "KC Night Shelter (demo)", "KC Night Shelter", "housing",
     ["free", "walk_in", "pets_allowed"], ["en", "es"], [(ALL, "19:00", "07:00")], (12, 80), 1, {}),
    ("kc", "64127", "2500 Prospect Ave", "Eastside Rides (demo)", "Eastside Recovery Rides", "transportation",
     ["free", "wheelchair"], ["en"], [(WEEKDAYS, "07:00", "18:00")], None, 50, {}),
    ("kc", "64111", "4200 Main St", "Heartland Treatment (demo)", "Heartland Outpatient & MAT", "treatment",
     ["mat_friendly", "insurance", "sliding_scale"], ["en", "es"], [(WEEKDAYS, "08:00", "18:00")], None, 16, {}),
]


def _time(s: str) -> dt.time:
    return dt.time.fromisoformat(s)


def seed_demo(session, today: dt.date | None = None) -> dict:
    """Write (or rewrite) the demo directory. Returns counts."""
    today = today or dt.date.today()
    ensure_vocabulary(session)
    phone_n = {m: 0 for m in METROS}
    orgs: dict[str, Organization] = {}
    service_ids = []
    for (metro, zip_code, street, org_name, service_name, category, attrs, langs, slots, cap,
         verified_days, extra) in LISTINGS:
        tz, phone_fmt = METROS[metro]
        org_id = stable_id("demo-org", org_name)
        if org_id not in orgs:
            orgs[org_id] = session.merge(Organization(
                id=org_id, name=org_name, source="demo",
                description=f"{org_name} is a fictional organisation in Signpost's demo data.",
                website=None))
        place = zip_place(zip_code)
        # Offset within the ZIP, fixed per listing, so listings do not sit on one point.
        h = int(stable_id(service_name)[:8], 16)
        lat = round(place.lat + ((h % 200) - 100) / 20000, 6)
        lon = round(place.lon + (((h >> 8) % 200) - 100) / 20000, 6)
        service_id = stable_id("demo-service", service_name)
        location_id = stable_id("demo-location", org_name, street)
        sal_id = stable_id("demo-sal", service_name)
        phone_n[metro] += 1
        session.merge(Location(
            id=location_id, organization_id=org_id, location_type="physical",
            name=f"{org_name.replace(' (demo)', '')} – {street}", latitude=lat, longitude=lon, timezone=tz,
            transportation=extra.get("transport")))
        session.merge(Address(id=stable_id("demo-address", location_id), location_id=location_id,
                              address_1=street, city=place.label.split(",")[0], state_province=place.label.split(", ")[1][:2],
                              postal_code=zip_code, country="US"))
        if "wheelchair" in attrs:
            session.merge(Accessibility(id=stable_id("demo-access", location_id), location_id=location_id,
                                        description="Wheelchair accessible entrance and restroom"))
        capacity = {}
        if cap:
            capacity = dict(capacity_available=cap[0], capacity_maximum=cap[1],
                            capacity_unit=extra.get("beds_unit", "beds"),
                            capacity_updated_at=dt.datetime.combine(today, dt.time(8, 0)) - dt.timedelta(hours=verified_days % 30),
                            capacity_updated_by="peer.demo@signpost.example")
        session.merge(Service(
            id=service_id, organization_id=org_id, name=service_name, category=category, status="active",
            description=f"{service_name}. Demo listing: the organisation is fictional, the address is a real place.",
            eligibility_description=extra.get("eligibility"), application_process=extra.get("application"),
            fees_description=extra.get("fees") or ("Free" if "free" in attrs else None),
            assured_date=today - dt.timedelta(days=verified_days), assurer_email="peer.demo@signpost.example",
            **capacity))
        session.merge(ServiceAtLocation(id=sal_id, service_id=service_id, location_id=location_id))
        session.merge(Phone(id=stable_id("demo-phone", service_id), service_id=service_id,
                            number=phone_fmt.format(phone_n[metro]), type="voice"))
        for i, (byday, opens, closes) in enumerate(slots):
            session.merge(Schedule(id=stable_id("demo-schedule", service_id, str(i)), service_id=service_id,
                                   freq="WEEKLY", byday=byday, opens_at=_time(opens), closes_at=_time(closes),
                                   timezone=tz, attending_type="online" if "online" in attrs and "in_person" not in attrs else "in person"))
        for code in langs:
            session.merge(Language(id=stable_id("demo-language", service_id, code), service_id=service_id, code=code))
        session.merge(category_link(service_id, category))
        for code in attrs:
            session.merge(attribute_link(service_id, code))
        service_ids.append(service_id)
    session.flush()
    reindex_services(session, service_ids)
    return {"organizations": len(orgs), "services": len(service_ids)}


def has_data(session) -> bool:
    return (session.scalar(select(func.count()).select_from(Service)) or 0) > 0
