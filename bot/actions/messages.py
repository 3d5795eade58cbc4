"""What the bot says, in English and Spanish, and how a listing fits in an SMS (pure functions)."""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional

SAMHSA = "1-800-662-4357"

NEED_LABEL = {
    "en": {"support_group": "Meetings", "sober_living": "Sober living", "housing": "Housing/shelter",
           "transportation": "Rides", "treatment": "Treatment"},
    "es": {"support_group": "Reuniones", "sober_living": "Vivienda sobria", "housing": "Vivienda/albergue",
           "transportation": "Transporte", "treatment": "Tratamiento"},
}

TEXT = {
    "en": {
        "menu": "Reply a number:\n1 Meetings\n2 Sober living\n3 Housing/shelter\n4 Rides\n5 Treatment/detox\nRESET starts over.",
        "ask_location": "Where are you? Send a ZIP code, a city and state (Santa Ana, CA) or an address.",
        "unknown_place": "I couldn't find '{place}'. Try a ZIP code.",
        "did_you_mean": "I couldn't find '{place}'. Did you mean {options}? Reply YES, or send the city or a ZIP code.",
        "when_unmatched": "Nothing starts {when} near {place}; the next ones:",
        "fellowship_unmatched": "No meetings listed as {fellowship} near {place}. Nearest meetings (fellowship not listed):",
        "both_unmatched": "No {fellowship} meetings listed near {place}, none {when}. Next (fellowship not listed):",
        "when_tonight": "tonight", "when_now": "in the next few hours", "when_today": "later today",
        "meets_next": "{meets}, next {day}",
        "unreachable": "Sorry, I can't reach the directory right now. Please try again in a few minutes, or call 211 (24/7). In a crisis call 911 or call/text 988.",
        "results_header": "{need} near {place}:",
        "widened_header": "Nothing within {r1} mi. Closest within {r2} mi:",
        "results_footer": "Reply {first}-{last} for details, MORE for more.",
        "results_footer_one": "Reply {first} for details.",
        "no_results": "I found no {need_lower}{filters} near {place}, even within {r2} mi. Call 211 for local help, or SAMHSA's free 24/7 helpline {samhsa}.",
        "no_results_filters": " Reply ANY to search without those filters.",
        "no_results_menu": " Text MENU to try something else.",
        "no_more": "That's all I have within {r} mi. Reply a number for details, or MENU. You can also call 211.",
        "nothing_to_show": "Tell me what you need and where first, e.g. 'NA meeting near 92701', or text MENU.",
        "prefs_intro": "To pick the best 3 for you:",
        "prefs_outro": "Reply in your words, or ANY.",
        "bad_number": "Reply a number from the list ({first}-{last}), MORE for more, or MENU.",
        "bad_number_none": "Text MENU for the options, or tell me what you need.",
        "offer_referral": "Want me to text you this and let them know you're coming? YES or NO",
        "referral_done": "Done. The details are on their way by text, and {name} will know you're coming (ref {code}). Text MENU if you need anything else.",
        "referral_failed": "Sorry, I couldn't send that right now. Their number is {phone}. Please try again later.",
        "referral_declined": "OK, I won't. Reply another number, MORE, or MENU.",
        "yes_nothing": "What can I help you find? Tell me what you need and where, or text MENU.",
        "no_nothing": "OK. Text MENU whenever you want.",
        "results_yes": "Reply a number from the list for details, MORE for more, or MENU.",
        "reset": "OK, starting over. What do you need, and where (ZIP or city)? Text MENU for options.",
        "overdose_line": ("Ask them about naloxone (Narcan) and test strips; pharmacies sell Narcan without a prescription. "
                          "Overdose: call 911, give naloxone, give rescue breaths."),
        "overdose_line_nothing": ("Pharmacies sell Narcan (naloxone) without a prescription. "
                                  "Overdose: call 911, give naloxone, give rescue breaths."),
        "mi": "mi",
        "unnamed": "(no name)",
        "beds_free": "{n} {unit} free",
        "full": "full now",
        "next_meeting": "next {label}",
        "open_until": "open till {end}",
        "opens": "opens {start}",
        "closed_today": "closed today",
        "open_24": "open 24 hours",
        "online": "online",
        "details_hours": "Today: {hours}",
        "details_next": "Next meeting: {label}",
        "details_opens": "Opens {label}",
        "details_capacity": "{n} of {max} {unit} free ({when})",
        "details_full": "No {unit} free ({when})",
        "updated_today": "updated today",
        "updated_days": "updated {n}d ago",
    },
    "es": {
        "menu": "Responde con un numero:\n1 Reuniones\n2 Vivienda sobria\n3 Vivienda/albergue\n4 Transporte\n5 Tratamiento/desintox\nRESET empieza de nuevo.",
        "ask_location": "¿Donde estas? Manda tu codigo postal, ciudad y estado (Miami, FL) o una direccion.",
        "unknown_place": "No encontre '{place}'. Prueba con un codigo postal.",
        "did_you_mean": "No encontre '{place}'. ¿Quisiste decir {options}? Responde SI, o manda la ciudad o el codigo postal.",
        "when_unmatched": "No empieza ninguna {when} cerca de {place}; las proximas:",
        "fellowship_unmatched": "No hay reuniones de {fellowship} cerca de {place}. Las mas cercanas (sin grupo indicado):",
        "both_unmatched": "Sin reuniones de {fellowship} cerca de {place}, ni {when}. Proximas (sin grupo indicado):",
        "when_tonight": "esta noche", "when_now": "en las proximas horas", "when_today": "hoy",
        "meets_next": "{meets}, prox. {day}",
        "unreachable": "Perdon, no puedo conectar con el directorio ahora. Intenta en unos minutos o llama al 211 (24/7). En crisis llama al 911 o llama/texto al 988.",
        "results_header": "{need} cerca de {place}:",
        "widened_header": "Nada a menos de {r1} mi. Lo mas cercano a {r2} mi:",
        "results_footer": "Responde {first}-{last} para detalles, MAS para ver mas.",
        "results_footer_one": "Responde {first} para detalles.",
        "no_results": "No encontre {need_lower}{filters} cerca de {place}, ni a {r2} mi. Llama al 211 para ayuda local, o a la linea gratis de SAMHSA 24/7: {samhsa} (en español).",
        "no_results_filters": " Responde CUALQUIERA para buscar sin esos filtros.",
        "no_results_menu": " Escribe MENU para buscar otra cosa.",
        "no_more": "Es todo lo que tengo a {r} mi. Responde un numero para detalles, o MENU. Tambien puedes llamar al 211.",
        "nothing_to_show": "Primero dime que necesitas y donde, por ejemplo 'reunion de AA cerca de 33125', o escribe MENU.",
        "prefs_intro": "Para darte las 3 mejores:",
        "prefs_outro": "Responde con tus palabras, o CUALQUIERA.",
        "bad_number": "Responde un numero de la lista ({first}-{last}), MAS para ver mas, o MENU.",
        "bad_number_none": "Escribe MENU para ver opciones, o dime que necesitas.",
        "offer_referral": "¿Te mando esto por texto y les aviso que vas? SI o NO",
        "referral_done": "Listo. Te llegan los datos por texto y {name} sabe que vas (ref {code}). Escribe MENU si necesitas algo mas.",
        "referral_failed": "Perdon, no pude enviarlo ahora. Su telefono es {phone}. Intenta mas tarde.",
        "referral_declined": "Esta bien, no lo hago. Responde otro numero, MAS o MENU.",
        "yes_nothing": "¿Que te ayudo a buscar? Dime que necesitas y donde, o escribe MENU.",
        "no_nothing": "Esta bien. Escribe MENU cuando quieras.",
        "results_yes": "Responde un numero de la lista para detalles, MAS para ver mas, o MENU.",
        "reset": "Listo, empezamos de nuevo. ¿Que necesitas y donde (codigo postal o ciudad)? Escribe MENU para opciones.",
        "overdose_line": ("Preguntales por naloxona (Narcan) y tiras de prueba; las farmacias venden Narcan sin receta. "
                          "Sobredosis: llama al 911, da naloxona, da respiracion de rescate."),
        "overdose_line_nothing": ("Las farmacias venden Narcan (naloxona) sin receta. "
                                  "Sobredosis: llama al 911, da naloxona, da respiracion de rescate."),
        "mi": "mi",
        "unnamed": "(sin nombre)",
        "beds_free": "{n} {unit} libres",
        "full": "lleno ahora",
        "next_meeting": "prox. {label}",
        "open_until": "abierto hasta {end}",
        "opens": "abre {start}",
        "closed_today": "cerrado hoy",
        "open_24": "abierto 24 horas",
        "online": "en linea",
        "details_hours": "Hoy: {hours}",
        "details_next": "Proxima reunion: {label}",
        "details_opens": "Abre {label}",
        "details_capacity": "{n} de {max} {unit} libres ({when})",
        "details_full": "Sin {unit} libres ({when})",
        "updated_today": "actualizado hoy",
        "updated_days": "actualizado hace {n}d",
    },
}

# Preference questions, one per attribute group, asked only when the group changes the top 3.
PREF_QUESTIONS = {
    "en": {"gender": "Women-only or men-only place?", "mat": "On MAT (suboxone, methadone)?",
           "cost": "Need it free or low cost?", "kids": "Kids with you?", "spanish": "Spanish-speaking?",
           "format": "Online or in person?"},
    "es": {"gender": "¿Solo mujeres u hombres?", "mat": "¿Tomas suboxone o metadona?",
           "cost": "¿Gratis o bajo costo?", "kids": "¿Vienen tus hijos?", "spanish": "¿Que hablen español?",
           "format": "¿En linea o en persona?"},
}

FILTER_WORDS = {
    "en": {"women": "women-only", "men": "men-only", "mat_friendly": "MAT-friendly", "free": "free",
           "sliding_scale": "low-cost", "insurance": "Medicaid/insurance", "families_with_children": "family",
           "youth": "youth", "veterans": "veterans'", "lgbtq": "LGBTQ+", "online": "online",
           "in_person": "in-person", "wheelchair": "wheelchair-accessible", "na": "NA", "aa": "AA",
           "al_anon": "Al-Anon", "smart_recovery": "SMART", "walk_in": "walk-in",
           "tonight": "tonight", "now": "open now", "today": "today", "es": "Spanish-speaking"},
    "es": {"women": "solo mujeres", "men": "solo hombres", "mat_friendly": "que acepte MAT", "free": "gratis",
           "sliding_scale": "bajo costo", "insurance": "con Medicaid/seguro", "families_with_children": "para familias",
           "youth": "para jovenes", "veterans": "para veteranos", "lgbtq": "LGBTQ+", "online": "en linea",
           "in_person": "en persona", "wheelchair": "con acceso en silla de ruedas", "na": "NA", "aa": "AA",
           "al_anon": "Al-Anon", "smart_recovery": "SMART", "walk_in": "sin cita",
           "tonight": "esta noche", "now": "abierto ahora", "today": "hoy", "es": "en español"},
}

_UNITS_ES = {"beds": "camas", "bed": "cama", "spots": "lugares", "spot": "lugar", "seats": "asientos",
             "rooms": "cuartos", "slots": "lugares", "units": "unidades"}
_DAYS_ES = {"Mon": "lun", "Tue": "mar", "Wed": "mie", "Thu": "jue", "Fri": "vie", "Sat": "sab", "Sun": "dom",
            "Today": "hoy", "Tonight": "esta noche", "Tomorrow": "manana"}


_SMS_SAFE = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                           "\u201d": '"', "\u2026": "...", "\u00a0": " "})


def sms_text(text: str) -> str:
    """Keep replies in the GSM-7 alphabet where we can: one curly quote makes the whole SMS UCS-2
    (70 characters a segment instead of 160)."""
    return (text or "").translate(_SMS_SAFE)


def t(key: str, lang: str = "en", **kw: Any) -> str:
    table = TEXT.get(lang) or TEXT["en"]
    return table.get(key, TEXT["en"][key]).format(**kw)


# --- a listing as the API may give it ------------------------------------------------------------
_TEXT_FIELDS = ("name", "organization", "address", "phone", "category", "hours_today", "url")


def _text(value: Any) -> Optional[str]:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value).strip() or None
    return None


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool) or value is None:
        return None
    try:
        n = float(value)
    except (TypeError, ValueError):
        return None
    return n if n == n and n not in (float("inf"), float("-inf")) else None


def _codes(value: Any) -> list:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []


def listing(raw: Any) -> Optional[dict]:
    """A search item or a service detail with every field the bot reads in the type it expects,
    whatever the API sent (a field absent, null, or of another type): None when it is no object.
    Fields the bot does not read pass through as they are."""
    if not isinstance(raw, dict):
        return None
    item = dict(raw)
    sid = raw.get("service_id")
    item["service_id"] = str(sid) if isinstance(sid, (str, int)) and not isinstance(sid, bool) and str(sid) else None
    for key in _TEXT_FIELDS:
        item[key] = _text(raw.get(key))
    for key in ("distance_km", "latitude", "longitude"):
        item[key] = _number(raw.get(key))
    item["attributes"], item["languages"] = _codes(raw.get("attributes")), _codes(raw.get("languages"))
    item["open_now"] = raw.get("open_now") if isinstance(raw.get("open_now"), bool) else None
    nm = raw.get("next_meeting")
    if isinstance(nm, str):
        nm = {"label": nm}
    item["next_meeting"] = dict(nm, label=_text(nm.get("label"))) if isinstance(nm, dict) else None
    cap = raw.get("capacity")
    if isinstance(cap, dict):
        available, maximum = _number(cap.get("available")), _number(cap.get("maximum"))
        item["capacity"] = dict(cap, available=None if available is None else int(available),
                                maximum=None if maximum is None else int(maximum),
                                unit=_text(cap.get("unit")), updated_at=_text(cap.get("updated_at")))
    else:
        item["capacity"] = None
    return item


def miles(km: Optional[float]) -> str:
    km = _number(km)
    if km is None:
        return "?"
    mi = km * 0.621371
    return f"{mi:.1f}" if mi < 10 else f"{mi:.0f}"


def _unit(unit: Optional[str], lang: str, n: int = 2) -> str:
    unit = unit or "beds"
    if n == 1 and unit.endswith("s"):
        unit = unit[:-1]
    return _UNITS_ES.get(unit, unit) if lang == "es" else unit


def _label_es(label: str) -> str:
    return " ".join(_DAYS_ES.get(w, w) for w in label.split())


def meeting_label(item: dict, lang: str) -> Optional[str]:
    nm = (listing(item) or {}).get("next_meeting")
    if not nm or not nm.get("label"):
        return None
    label = _label_es(nm["label"]) if lang == "es" else nm["label"]
    first, _, rest = label.partition(" ")
    return f"{first.lower()} {rest}" if first in ("Today", "Tomorrow", "Tonight", "hoy", "manana") else label


_DAY_RE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun|Daily)\b")
_DAYS_ES["Daily"] = "diario"
DAY_ORDER = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def meets_text(item: dict, lang: str) -> Optional[str]:
    """'Mon-Sat 11:00 am, next today' for one result that stands for a weekly group's listings."""
    meets = item.get("meets")
    occurrences = item.get("occurrences")
    if not isinstance(meets, str) or not meets or not isinstance(occurrences, list) or len(occurrences) < 2:
        return None
    label = meeting_label(item, lang)
    if ";" in meets:  # several start times: the days alone, and the next one in full
        days = [i for i, d in enumerate(DAY_ORDER) if any(isinstance(o, dict) and o.get("day") == d for o in occurrences)]
        meets = _day_ranges(days) if days else meets.split(" ")[0]
        when = label
    else:
        when = label.split(" ")[0] if label else None
    if lang == "es":
        meets = _DAY_RE.sub(lambda m: _DAYS_ES[m.group(1)], meets)
    return t("meets_next", lang, meets=meets, day=when) if when else meets


def _day_ranges(days: list[int]) -> str:
    """[0, 1, 2, 3, 4] -> 'Mon-Fri'; [0, 2, 4] -> 'Mon, Wed, Fri'; all seven -> 'Daily'."""
    if len(days) == 7:
        return "Daily"
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ", ".join(f"{DAY_ORDER[r[0]]}-{DAY_ORDER[r[-1]]}" if len(r) >= 3 else ", ".join(DAY_ORDER[d] for d in r)
                     for r in runs)


def unmatched_header(fellowship_unmatched: bool, when_unmatched: bool, fellowships: list, when: Optional[str],
                     place: str, lang: str) -> Optional[str]:
    """What the results stand for when nothing fit: 'Nothing starts tonight near Santa Ana, CA; the next ones:'."""
    when_words = t(f"when_{when}", lang) if when in ("tonight", "now", "today") else ""
    fellowship = "/".join(fellowships) if fellowships else ""
    if fellowship_unmatched and when_unmatched and fellowship and when_words:
        return t("both_unmatched", lang, fellowship=fellowship, place=place, when=when_words)
    if fellowship_unmatched and fellowship:
        return t("fellowship_unmatched", lang, fellowship=fellowship, place=place)
    if when_unmatched and when_words:
        return t("when_unmatched", lang, when=when_words, place=place)
    return None


def _hours_end(hours: str) -> Optional[str]:
    parts = re.split(r"\s*[–-]\s*", hours or "")
    return parts[-1] if len(parts) == 2 else None


def fact(item: dict, need: Optional[str], lang: str, days: bool = True) -> str:
    """The one thing that matters most about a listing for this need, short. `days`: a weekly
    group's days ('Mon, Wed, Fri 12:00 pm, next today') where it has them."""
    item = listing(item) or {}
    cap = item.get("capacity") or None
    label = meeting_label(item, lang)
    hours = item.get("hours_today")
    facts: list[str] = []
    capacity_text = None
    if cap and cap.get("available") is not None:
        n = int(cap["available"])
        capacity_text = t("beds_free", lang, n=n, unit=_unit(cap.get("unit"), lang, n)) if n > 0 else t("full", lang)
    hours_text = None
    if item.get("open_now") and hours and "24" in hours:
        hours_text = t("open_24", lang)
    elif item.get("open_now") and hours and _hours_end(hours):
        hours_text = t("open_until", lang, end=_hours_end(hours))
    elif hours and item.get("open_now") is False and _hours_end(hours):
        hours_text = t("opens", lang, start=re.split(r"\s*[–-]\s*", hours)[0])
    if need == "support_group":
        order = [meets_text(item, lang) if days else None, t("next_meeting", lang, label=label) if label else None, hours_text,
                 capacity_text]
    elif need in ("sober_living", "housing"):
        order = [capacity_text, hours_text, t("next_meeting", lang, label=label) if label else None]
    else:
        order = [hours_text, capacity_text, t("next_meeting", lang, label=label) if label else None]
    facts = [f for f in order if f]
    if not facts and "online" in (item.get("attributes") or []):
        facts = [t("online", lang)]
    if not facts and item.get("phone"):
        facts = [item["phone"]]
    return facts[0] if facts else ""


def _short(name: str, limit: int = 34) -> str:
    name = (name or "").strip()
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "."


def result_lines(items: Iterable[dict], need: Optional[str], lang: str, start: int = 1,
                 name_limit: int = 34, days: bool = True) -> list[str]:
    lines = []
    for i, raw in enumerate(items, start=start):
        item = listing(raw) or {}
        f = fact(item, need, lang, days)
        name = item.get("name") or item.get("organization") or t("unnamed", lang)
        line = f"{i}. {_short(name, name_limit)} - {miles(item.get('distance_km'))} {t('mi', lang)}"
        lines.append(f"{line}, {f}" if f else line)
    return lines


def results_message(items: list[dict], need: Optional[str], place: str, lang: str, start: int = 1,
                    widened: Optional[tuple[float, float]] = None, header: bool = True,
                    has_more: bool = True, intro: Optional[str] = None) -> str:
    """The list SMS. `intro` replaces the header when the results are not matches but the next
    best (unmatched_header)."""
    parts = []
    if header and intro:
        parts.append(intro)
    elif header:
        if widened:
            parts.append(t("widened_header", lang, r1=miles(widened[0]), r2=miles(widened[1])))
        else:
            parts.append(t("results_header", lang, need=NEED_LABEL.get(lang, NEED_LABEL["en"]).get(need, ""), place=place))
    last = start + len(items) - 1
    footer = (t("results_footer_one", lang, first=start) if last == start
              else t("results_footer", lang, first=start, last=last))
    if not has_more:
        footer = footer.split(",")[0].rstrip(".") + "."
    for name_limit, days in ((34, True), (26, True), (20, True), (20, False)):  # shorter before a third segment
        text = "\n".join(parts + result_lines(items, need, lang, start, name_limit, days) + [footer])
        if len(text) <= 320:
            break
    return text


def filters_text(attributes: Iterable[str], when: Optional[str], language: Optional[str], lang: str) -> str:
    words = FILTER_WORDS.get(lang, FILTER_WORDS["en"])
    picked = [words[a] for a in attributes if a in words]
    if when:
        picked.append(words.get(when, when))
    if language:
        picked.append(words.get(language, language))
    if not picked:
        return ""
    return " (" + ", ".join(picked) + ")"


def no_results_message(need: Optional[str], place: str, lang: str, radius_km: float, has_filters: bool,
                       filters: str = "") -> str:
    label = NEED_LABEL.get(lang, NEED_LABEL["en"]).get(need, "").lower()
    msg = t("no_results", lang, need_lower=label, filters=filters, place=place, r2=miles(radius_km), samhsa=SAMHSA)
    msg += t("no_results_filters", lang) if has_filters else t("no_results_menu", lang)
    return msg


def _ago(updated_at: Optional[str], today_iso: Optional[str], lang: str) -> str:
    if not updated_at or not today_iso:
        return t("updated_today", lang)
    from datetime import date
    try:
        d = (date.fromisoformat(today_iso[:10]) - date.fromisoformat(updated_at[:10])).days
    except ValueError:
        return t("updated_today", lang)
    return t("updated_today", lang) if d <= 0 else t("updated_days", lang, n=d)


def detail_message(item: dict, lang: str, today_iso: Optional[str] = None) -> str:
    """Name, place, phone and the facts, then the referral offer; trimmed to fit 320 chars."""
    item = listing(item) or {}
    name = item.get("name") or t("unnamed", lang)
    org = item.get("organization") or ""
    head = f"{name} ({org})" if org and org.lower() != name.lower() else name
    lines = [_short(head, 70), item.get("address") or "", item.get("phone") or ""]
    label = meeting_label(item, lang)
    if label and item.get("category") == "support_group":
        lines.append(t("details_next", lang, label=label))
    elif label and item.get("open_now") is False:
        lines.append(t("details_opens", lang, label=label))
    if item.get("hours_today"):
        lines.append(t("details_hours", lang, hours=item["hours_today"]))
    cap = item.get("capacity") or None
    if cap and cap.get("available") is not None:
        when = _ago(cap.get("updated_at"), today_iso, lang)
        n = int(cap["available"])
        unit = _unit(cap.get("unit"), lang, n)
        lines.append(t("details_capacity", lang, n=n, max=cap.get("maximum") or "?", unit=unit, when=when) if n > 0
                     else t("details_full", lang, unit=_unit(cap.get("unit"), lang), when=when))
    offer = t("offer_referral", lang)
    lines = [line for line in lines if line]
    while len("\n".join(lines + [offer])) > 320 and len(lines) > 3:
        lines.pop()
    return "\n".join(lines + [offer])
