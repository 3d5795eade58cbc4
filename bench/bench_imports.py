#!/usr/bin/env python
"""Import benchmark: writes the `## Imports` section of bench/RESULTS.md.

For each format and size it generates a realistic input (cached under bench/out/), imports it
through the real CLI into a fresh SQLite file and measures the whole command (start-up,
migrations, reading, checks, writing, search index) under /usr/bin/time -v
(bench_search.timed_command: wall, CPU = user + system over the process tree, peak memory = the
larger of time's peak RSS and the sampled sum over the command's processes). Formats:

  hsds-json      `import-hsds services.json`: one list of HSDS 3.0 service documents as our
                 export and the official service_full.json shape them (organization, phones,
                 schedules, languages, attributes with their taxonomy terms, service_at_locations
                 with the location, its address and accessibility, capacities on beds)
  211            `import-hsds FOLDER --source bench211`: the HSDS 1.x CSV layout of Open211 /
                 Miami 211 (integer ids, 12 files, free-text hours, a weekday per schedule row
                 (~2.8 a service), AIRS taxonomy codes (~6 a service), as in Miami)
  findtreatment  `import-findtreatment facilities.json`: SAMHSA FindTreatment locator rows
                 ({page, totalPages, recordCount, rows}, each with its `services` codes)

A record is one listing: a service (HSDS JSON, 211) or a facility (FindTreatment). Goal: <= 200 s
per million records of wall time on this 2-core machine, peak memory <= 2 GB. Places are around
real ZIP centroids weighted by urbanness (bench/synthetic.py).

    .venv/bin/python bench/bench_imports.py                           # all formats, 100,000 and 1,000,000
    .venv/bin/python bench/bench_imports.py --sizes 100000 --formats 211 --no-write
    BENCH_IMPORTS_ARGS="--sizes 100000" make bench-imports
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.results_file import write_section  # noqa: E402
from bench.bench_search import VENV_BIN, machine, timed_command  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Imports"
FORMATS = ("hsds-json", "211", "findtreatment")
GOAL_S_PER_MILLION = 200
MEMORY_GOAL_MB = 2048

CATEGORY_WEIGHTS = synthetic.REALISTIC_WEIGHTS
NOUNS = synthetic.NOUNS
ATTRIBUTE_CHOICES = synthetic.ATTRIBUTE_CHOICES
# AIRS codes as Miami 211 carries them: some map to our categories, most to none.
AIRS_BY_CATEGORY = {"support_group": ["PN-8100.0500", "PN-8100.0500-230"], "treatment": ["RX-8450.8000", "RX-1700.1700"],
                    "sober_living": ["RX-8500.8000"], "housing": ["BH-1800.8500", "BH-8600.6000"],
                    "transportation": ["BT-4500.6500", "BT-8300.1000"]}
AIRS_OTHER = [f"{a}-{b:04d}.{c:04d}" for a in ("NL", "LH", "PH", "TJ", "YF", "DF", "FT", "JR")
              for b in (1000, 2500, 6000) for c in (100, 1500, 3000, 4500, 8000)]  # 120 unmapped codes
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "ht": "Creole", "vi": "Vietnamese", "zh": "Chinese",
                  "ru": "Russian", "fr": "French", "pt": "Portuguese", "ar": "Arabic"}
HOURS = [("9:00am", "5:00pm"), ("8:30am", "4:30pm"), ("830am", "5:00pm"), ("8:00am", "5:00"), ("10:00am", "6:00pm"),
         ("9:00am", "12:00pm (Counter closes at 11:30 am)")]
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SAMHSA_TC = ["Substance use treatment", "Mental health treatment", "Detoxification",
             "Substance use treatment; Mental health treatment"]
SAMHSA_SET = ["Outpatient; Regular outpatient treatment", "Residential; Short-term residential",
              "Hospital inpatient; Outpatient", "Outpatient; Intensive outpatient treatment"]
SAMHSA_PAY = ["Medicaid; Private health insurance; Cash or self-payment", "Cash or self-payment",
              "Federal, or any government funding for substance abuse programs; Medicaid"]


def _uid(kind: int, i: int, seed: int) -> str:
    return f"{i:08x}-{kind:04x}-4000-8000-{seed:012x}"


def _places(n: int, seed: int):
    """(rng, i, zip, lat, lon, category) per listing, deterministic for n and seed."""
    zips, weights = synthetic.weighted_zips()
    rng = random.Random(seed)
    categories, cat_weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    picks = rng.choices(zips, weights=weights, k=n)
    cats = rng.choices(categories, weights=cat_weights, k=n)
    for i in range(n):
        z = picks[i]
        lat, lon = synthetic._jitter(rng, z, synthetic.JITTER_KM)
        yield rng, i, z, lat, lon, cats[i]


def _phone(rng) -> str:
    return f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def _street(rng) -> str:
    return f"{rng.randint(100, 9999)} {rng.choice(synthetic.STREETS)}"


# --- HSDS 3.0 JSON ----------------------------------------------------------------------------
def _term(code: str, taxonomy: str, seed: int) -> dict:
    return {"id": _uid(0xA, zlib.crc32(f"{taxonomy}:{code}".encode()) % 10 ** 8, seed), "code": code, "name": code.replace("_", " "),
            "description": code.replace("_", " "), "taxonomy": taxonomy, "taxonomy_id": taxonomy}


def hsds_json_documents(n: int, seed: int):
    """HSDS 3.0 service documents (service_full.json's shape, as our export writes them)."""
    now = "2026-11-01T08:00:00Z"
    org: dict = {}
    terms = {}
    for rng, i, z, lat, lon, category in _places(n, seed):
        if i % 3 == 0:  # an organization runs three services
            org = {"id": _uid(1, i // 3, seed), "name": f"{z.city} Community Services {i // 3}",
                   "description": f"Community services in {z.city}, {z.state}.",
                   "website": f"https://org{i // 3}.example.org", "email": f"info@org{i // 3}.example.org"}
        name = f"{z.city} {NOUNS[category]} {i}"
        service_id, location_id = _uid(2, i, seed), _uid(3, i, seed)
        street = _street(rng)
        attrs = [("signpost-category", category)] + [("signpost-attribute", a) for a in
                                                     rng.sample(ATTRIBUTE_CHOICES[category], k=rng.randint(0, 3))]
        langs = ["en"] + (["es"] if rng.random() < 0.25 else []) + (["vi"] if rng.random() < 0.05 else [])
        if category == "support_group":
            byday, opens, closes = rng.choice(["MO", "TU,TH", "WE", "FR", "SA,SU", "MO,WE,FR"]), "19:00:00", "20:00:00"
        elif category in ("housing", "sober_living"):
            byday, opens, closes = "MO,TU,WE,TH,FR,SA,SU", "00:00:00", "23:59:00"
        else:
            byday, opens, closes = "MO,TU,WE,TH,FR", "08:00:00", "17:00:00"
        attributes = []
        for k, (taxonomy, code) in enumerate(attrs):
            term = terms.get((taxonomy, code)) or terms.setdefault((taxonomy, code), _term(code, taxonomy, seed))
            attributes.append({"id": _uid(9, i * 4 + k, seed), "link_id": service_id, "link_type": "signpost",
                               "link_entity": "service", "taxonomy_term_id": term["id"], "taxonomy_term": term})
        doc = {
            "id": service_id, "organization_id": org["id"], "name": name,
            "description": f"{name}: {NOUNS[category].lower()} for people in recovery in {z.city}.",
            "url": f"https://org{i // 3}.example.org/services/{i}", "status": "active" if rng.random() > 0.02 else "inactive",
            "fees_description": rng.choice(["Free", "Sliding scale", "Medicaid accepted", None]),
            "eligibility_description": rng.choice(["Adults 18+", "Anyone in recovery", None]),
            "assured_date": f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}",
            "assurer_email": "peer@bench.example", "last_modified": now,
            "organization": org,
            "phones": [{"id": _uid(6, i, seed), "service_id": service_id, "number": _phone(rng), "type": "voice",
                        "languages": []}],
            "schedules": [{"id": _uid(7, i, seed), "service_id": service_id, "freq": "WEEKLY", "byday": byday,
                           "opens_at": opens, "closes_at": closes, "attending_type": "in person",
                           "timezone_name": z.timezone}],
            "languages": [{"id": _uid(8, i * 4 + k, seed), "service_id": service_id, "code": code,
                           "name": LANGUAGE_NAMES[code]} for k, code in enumerate(langs)],
            "attributes": attributes,
            "service_at_locations": [{
                "id": _uid(4, i, seed), "service_id": service_id, "location_id": location_id,
                "location": {
                    "id": location_id, "location_type": "physical", "organization_id": org["id"],
                    "name": rng.choice(synthetic.MEETING_PLACES), "latitude": lat, "longitude": lon,
                    "timezone_name": z.timezone,
                    "addresses": [{"id": _uid(5, i, seed), "location_id": location_id, "address_1": street,
                                   "city": z.city, "state_province": z.state, "postal_code": z.code,
                                   "country": "US", "address_type": "physical"}],
                    "accessibility": [{"id": _uid(11, i, seed), "location_id": location_id,
                                       "description": "Wheelchair accessible"}] if rng.random() < 0.3 else [],
                }}],
        }
        if category in ("housing", "sober_living"):
            maximum = rng.randint(4, 60)
            doc["capacities"] = [{"id": _uid(12, i, seed), "available": rng.randint(0, min(8, maximum)),
                                  "maximum": maximum, "unit": {"id": "beds", "name": "beds"}, "updated": now}]
        yield doc


def write_hsds_json(folder: Path, n: int, seed: int) -> int:
    with (folder / "services.json").open("w", encoding="utf-8") as f:
        f.write("[\n")
        for k, doc in enumerate(hsds_json_documents(n, seed)):
            f.write((",\n" if k else "") + json.dumps(doc, separators=(",", ":")))
        f.write("\n]\n")
    return n


# --- the 211 (HSDS 1.x, Open211 / Miami) layout ------------------------------------------------
LEGACY_COLUMNS = {
    "organizations.csv": ["id", "name", "alternate_name", "description", "email", "url", "tax_status", "tax_id",
                          "year_incorporated", "legal_status"],
    "locations.csv": ["id", "organization_id", "name", "alternate_name", "description", "transportation",
                      "latitude", "longitude"],
    "services.csv": ["id", "organization_id", "program_id", "name", "alternate_name", "description", "url", "email",
                     "status", "interpretation_services", "application_process", "wait_time", "fees",
                     "accreditations", "licenses"],
    "services_at_location.csv": ["id", "service_id", "location_id", "description"],
    "physical_addresses.csv": ["id", "location_id", "organization_id", "attention", "address_1", "city", "region",
                               "state_province", "postal_code", "country", "address_2"],
    "phones.csv": ["id", "location_id", "service_id", "organization_id", "contact_id", "service_at_location_id",
                   "number", "extension", "type", "language", "description"],
    "regular_schedules.csv": ["id", "service_id", "location_id", "service_at_location_id", "weekday", "opens_at",
                              "closes_at", "original_text"],
    "services_taxonomy.csv": ["id", "service_id", "taxonomy_id", "taxonomy_detail"],
    "taxonomy.csv": ["id", "name", "parent_id", "parent_name", "vocabulary", "taxonomy_facet"],
    "languages.csv": ["id", "service_id", "location_id", "language"],
    "accessibility_for_disabilities.csv": ["id", "location_id", "accessibility", "details"],
    "eligibility.csv": ["id", "service_id", "eligibility"],
}


def write_211(folder: Path, n: int, seed: int) -> int:
    """Miami 211's shape: as many locations as services (a location id = its service's), one
    organization per ~4 services, schedules a row per weekday, ~6 taxonomy codes a service."""
    files = {name: (folder / name).open("w", newline="", encoding="utf-8") for name in LEGACY_COLUMNS}
    try:
        out = {name: csv.writer(f) for name, f in files.items()}
        for name, columns in LEGACY_COLUMNS.items():
            out[name].writerow(columns)
        codes = sorted({c for cs in AIRS_BY_CATEGORY.values() for c in cs} | set(AIRS_OTHER))
        for code in codes:
            out["taxonomy.csv"].writerow([code, f"Services {code}", code[:2], code[:2], "Open211 Miami - AIRS",
                                          "Service"])
        schedule_row = taxonomy_row = 0
        org_id = 0
        for rng, i, z, lat, lon, category in _places(n, seed):
            sid = i + 100
            if i % 4 == 0:
                org_id = sid
                out["organizations.csv"].writerow([org_id, f"{z.city.upper()} COMMUNITY SERVICES {i // 4}, INC.", "",
                                                   f"Community services in {z.city}.\\n\\nCall for help.", "",
                                                   f"www.org{i // 4}.example.org", "", "", "", ""])
            name = f"{z.city.upper()} {NOUNS[category].upper()} {i}"
            out["locations.csv"].writerow([sid, sid, name, "", f"{NOUNS[category]} in {z.city}.\\n\\n###MON###", "",
                                           lat if rng.random() > 0.05 else "", lon])
            out["services.csv"].writerow([sid, org_id, "", name, "", f"Help for people in recovery in {z.city}GÇÖs "
                                          "neighbourhoods.\\nWalk in or call.", f"www.org{i // 4}.example.org", "",
                                          "active", "", "Call to register", "", rng.choice(["Free", "Sliding scale",
                                                                                            ""]), "", ""])
            out["services_at_location.csv"].writerow([sid, sid, sid, ""])
            out["physical_addresses.csv"].writerow([sid, sid, "", "", _street(rng), z.city, "", f"{z.state} ",
                                                    z.code, "   ", ""])
            out["phones.csv"].writerow([sid, sid, sid, "", "", sid, _phone(rng) + (" x12" if rng.random() < 0.1 else ""),
                                        "", "", "", ""])
            opens, closes = rng.choice(HOURS)
            kind = rng.random()  # Miami: 2.8 schedule rows a service (weekdays; some none, some a few days)
            days = DAYS[:5] if kind < 0.45 else DAYS[:rng.randint(1, 7)] if kind < 0.6 else ()
            for day in days:
                schedule_row += 1
                out["regular_schedules.csv"].writerow(["", sid, "", "", day, opens, closes,
                                                       f"{opens}-{closes}, {days[0][:3]}-{days[-1][:3]}"])
            picked = [rng.choice(AIRS_BY_CATEGORY[category])] + rng.sample(AIRS_OTHER, k=rng.randint(3, 7))
            for code in picked:
                taxonomy_row += 1
                out["services_taxonomy.csv"].writerow([taxonomy_row, sid, code, ""])
            for language in ["English"] + (["Spanish"] if rng.random() < 0.6 else []) + \
                    (["Creole"] if rng.random() < 0.15 else []):
                out["languages.csv"].writerow([sid, sid, sid, language])
            out["accessibility_for_disabilities.csv"].writerow([sid, sid, rng.choice(["Handicap accessible", "", ""]),
                                                                ""])
            if rng.random() < 0.5:
                out["eligibility.csv"].writerow(["", sid, rng.choice(["Adults 18+", "Crime victims",
                                                                      "Residents of the county"])])
    finally:
        for f in files.values():
            f.close()
    return n


# --- SAMHSA FindTreatment --------------------------------------------------------------------
def facilities(n: int, seed: int):
    for rng, i, z, lat, lon, _category in _places(n, seed):
        kind = "SA" if rng.random() < 0.55 else "MH"
        services = [
            {"f1": "Type of Care", "f2": "TC", "f3": rng.choice(SAMHSA_TC)},
            {"f1": "Service Settings (e.g., Outpatient, Residential, Inpatient etc.)", "f2": "SET",
             "f3": rng.choice(SAMHSA_SET)},
            {"f1": "Payment/Insurance/Funding Accepted", "f2": "PAY", "f3": rng.choice(SAMHSA_PAY)},
            {"f1": "Age Groups Accepted", "f2": "AGE", "f3": rng.choice(["Adults; Seniors", "Young adults; Adults",
                                                                          "Children/Adolescents"])},
            {"f1": "Gender Accepted", "f2": "GN", "f3": rng.choice(["Female; Male", "Female", "Male"])},
            {"f1": "Treatment Approaches", "f2": "TAP", "f3": "Cognitive behavioral therapy; Relapse prevention; "
                                                             "Substance use counseling approach"},
            {"f1": "Facility Operation (e.g. Private, Public)", "f2": "FOP", "f3": "Private non-profit organization"},
            {"f1": "Ancillary Services", "f2": "AS", "f3": "Case management; Housing services; Self-help groups"},
        ]
        if rng.random() < 0.4:
            services.append({"f1": "Type of Opioid Treatment", "f2": "OT", "f3": "Accepts clients on opioid medication"})
        if rng.random() < 0.5:
            services.append({"f1": "Payment Assistance Available", "f2": "PYAS",
                             "f3": "Sliding fee scale (fee is based on income and other factors)"})
        if rng.random() < 0.3:
            services.append({"f1": "Special Programs/Groups Offered", "f2": "SG",
                             "f3": rng.choice(["Adult men", "Veterans", "Clients who identify as LGBTQ"])})
        if rng.random() < 0.6:
            services.append({"f1": "Language Services", "f2": "OL", "f3": rng.choice(["Spanish", "Spanish; Vietnamese"])})
        yield {"_irow": i + 1, "frid": f"{random.Random(i * 31 + seed).getrandbits(256):064x}",
               "name1": f"{z.city} Behavioral Health {i // 3}", "name2": f"{z.city} {rng.choice(['Recovery Center', 'Clinic', 'Counseling Services'])} {i}",
               "street1": _street(rng), "city": z.city, "street2": "", "state": z.state, "zip": z.code,
               "phone": _phone(rng), "typeFacility": kind, "intake1": _phone(rng) if rng.random() < 0.5 else None,
               "hotline1": _phone(rng) if rng.random() < 0.1 else None, "website": f"http://www.bh{i // 3}.example.org",
               "latitude": f"{lat:.7f}", "longitude": f"{lon:.7f}", "miles": round(rng.random() * 20, 2),
               "services": services}


def write_findtreatment(folder: Path, n: int, seed: int) -> int:
    with (folder / "facilities.json").open("w", encoding="utf-8") as f:
        f.write(f'{{"page": 1, "totalPages": 1, "recordCount": {n}, "rows": [\n')
        for k, row in enumerate(facilities(n, seed)):
            f.write((",\n" if k else "") + json.dumps(row, separators=(",", ":")))
        f.write("\n]}\n")
    return n


WRITERS = {"hsds-json": write_hsds_json, "211": write_211, "findtreatment": write_findtreatment}


def cached_input(fmt: str, n: int, seed: int, regenerate: bool = False) -> Path:
    """The generated input of a format, size and seed under bench/out/ (a folder), written when missing."""
    synthetic.OUT_DIR.mkdir(parents=True, exist_ok=True)
    folder = synthetic.OUT_DIR / f"imports-{fmt}-{n}-seed{seed}"
    if regenerate or not folder.is_dir():
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        WRITERS[fmt](partial, n, seed)
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return folder


def command(fmt: str, folder: Path) -> list[str]:
    flask = [str(VENV_BIN / "flask"), "--app", "web", "directory"]
    if fmt == "hsds-json":
        return flask + ["import-hsds", str(folder / "services.json")]
    if fmt == "211":
        return flask + ["import-hsds", str(folder), "--source", "bench211"]
    return flask + ["import-findtreatment", str(folder / "facilities.json")]


def measure(fmt: str, n: int, seed: int, regenerate: bool, env: dict | None = None) -> dict:
    t = time.perf_counter()
    cached = (synthetic.OUT_DIR / f"imports-{fmt}-{n}-seed{seed}").is_dir() and not regenerate
    folder = cached_input(fmt, n, seed, regenerate)
    write_s = None if cached else time.perf_counter() - t
    size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1024 ** 2
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with tempfile.TemporaryDirectory(dir=synthetic.OUT_DIR, prefix="import-") as tmp:
            out = timed_command(command(fmt, folder), Path(tmp) / "import.db", f"import of {fmt}")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {**out, "format": fmt, "n": n, "input_mb": size_mb, "input_write_s": write_s,
            "s_per_million": out["seconds"] / n * 1e6, "cpu_s_per_million": out["cpu_s"] / n * 1e6}


# --- RESULTS.md -------------------------------------------------------------------------------
def _yes(met: bool) -> str:
    return "yes" if met else "**no**"


def render(report: dict) -> str:
    m = report["machine"]
    lines = [SECTION, "",
             f"Run {report['started']} by `make bench-imports` (`bench/bench_imports.py`), "
             f"{report['minutes']:.1f} min in all.",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']:.0f} GB RAM, {m['os']}, Python {m['python']}, "
             f"SQLite {m['sqlite']}. The machine may be shared: the 1-minute load average before and after each "
             "import is in the table (2 cores: above ~2, other processes were competing for the CPU, and wall "
             "time is CPU plus waiting for it; read the CPU column first).",
             "",
             "Each format's input is generated (deterministic, seed "
             f"{report['seed']}, cached in bench/out/) in the shape of the real samples in ../shared/data and imported "
             "through the real CLI into a fresh SQLite file, under `/usr/bin/time -v` (the whole command: start-up, "
             "migrations, reading, checks, writing, search index). Peak memory: the larger of `time`'s peak RSS and "
             "the sum over the command's processes sampled every 0.5 s. A record is a listing: an HSDS service "
             "document (`import-hsds services.json`), a 211 service with its location, address, phone, weekday "
             "schedule rows, ~6 AIRS codes and languages (`import-hsds FOLDER`, HSDS 1.x CSV), a FindTreatment "
             "facility (`import-findtreatment facilities.json`).",
             "",
             "| format | records | input (MB) | wall (s) | CPU (s) | peak memory (MB) | s per million records (wall) "
             "| CPU s per million | search entries | load before / after | goal <= 200 s per million, <= 2 GB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["runs"]:
        met = r["s_per_million"] <= GOAL_S_PER_MILLION and r["peak_rss_mb"] <= MEMORY_GOAL_MB
        lines.append(f"| {r['format']} | {r['n']:,} | {r['input_mb']:,.0f} | {r['seconds']:.1f} | {r['cpu_s']:.1f} "
                     f"| {r['peak_rss_mb']:,.0f} | {r['s_per_million']:,.0f} | {r['cpu_s_per_million']:,.0f} "
                     f"| {r['search_entries']:,} | {r['load_before']:.1f} / {r['load_after']:.1f} | {_yes(met)} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--regenerate", action="store_true", help="write the inputs again")
    parser.add_argument("--no-write", action="store_true", help="print the section, leave RESULTS.md alone")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    t = time.perf_counter()
    report = {"started": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "seed": args.seed,
              "machine": machine(), "runs": []}
    for n in args.sizes:
        for fmt in args.formats:
            r = measure(fmt, n, args.seed, args.regenerate)
            report["runs"].append(r)
            if not args.quiet:
                print(f"{fmt} {n:,}: {r['seconds']:.1f} s wall, {r['cpu_s']:.1f} s CPU, {r['peak_rss_mb']:,.0f} MB, "
                      f"{r['s_per_million']:,.0f} s per million, {r['search_entries']:,} entries, load "
                      f"{r['load_before']:.1f}/{r['load_after']:.1f}", flush=True)
    report["minutes"] = (time.perf_counter() - t) / 60
    text = render(report)
    if args.no_write:
        if not args.quiet:
            print(text)
    else:
        write_section(text, SECTION, args.results)
    return report


if __name__ == "__main__":
    main()
