"""Pure parsing helpers: what a text message says about place, preferences, time and language.

No Rasa import here, so the helpers are unit-tested directly and reused by the NLU safety net.
"""
from __future__ import annotations

import re
from typing import Optional

from directory.texting.crisis_lexicon import detect_language, normalize  # noqa: F401  (the bot's language)

NEEDS = ("support_group", "sober_living", "housing", "transportation", "treatment")
# MENU numbers: 1 meetings, 2 sober living, 3 housing, 4 rides, 5 treatment.
MENU = {str(i + 1): code for i, code in enumerate(NEEDS)}

STATES = set("""AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV
NH NJ NM NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY""".split())
_STATE_RE = "|".join(sorted(STATES))

ZIP_RE = re.compile(r"(?<![\d-])(\d{5})(?:-\d{4})?(?![\d-])")
_STREET = (r"st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane|way|ct|court|pl|place|"
           r"pkwy|parkway|hwy|highway|cir|circle|ter|terrace|trl|trail|calle|avenida")
ADDRESS_RE = re.compile(
    rf"\b(\d{{1,6}}\s+(?:[nsew]\.?\s+)?[a-z0-9.'-]+(?:\s+[a-z0-9.'-]+){{0,3}}\s+(?:{_STREET})\b\.?"
    rf"(?:\s*,?\s+[a-z][a-z .'-]*?\s*,?\s*(?:{_STATE_RE})\b|\s*,\s*[a-z][a-z .'-]+)?(?:\s*\d{{5}})?)", re.I)
CITY_STATE_RE = re.compile(
    rf"\b([a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){{0,3}})\s*,\s*({_STATE_RE})\b\.?", re.I)
# "near Santa Ana CA" / "in kansas city mo" without the comma.
NEAR_CITY_STATE_RE = re.compile(
    rf"\b(?:near|in|around|by|cerca de|en)\s+([a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){{0,3}})\s+({_STATE_RE})\b\.?$", re.I)
_LEAD_WORDS = re.compile(r"^(?:.*\b(?:near|in|around|by|at|cerca de|en|por)\s+)", re.I)

# Known metro names people type without a state; the directory geocodes them.
KNOWN_PLACES = {
    "santa ana": "Santa Ana, CA", "orange county": "Santa Ana, CA", "oc": "Santa Ana, CA",
    "anaheim": "Anaheim, CA", "irvine": "Irvine, CA", "costa mesa": "Costa Mesa, CA",
    "garden grove": "Garden Grove, CA", "huntington beach": "Huntington Beach, CA",
    "miami": "Miami, FL", "hialeah": "Hialeah, FL", "little havana": "Miami, FL",
    "miami beach": "Miami Beach, FL", "kansas city": "Kansas City, MO", "kc": "Kansas City, MO",
    "kcmo": "Kansas City, MO", "independence": "Independence, MO", "hb": "Huntington Beach, CA",
}
_KNOWN_RE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in KNOWN_PLACES), key=len, reverse=True)) + r")\b")


# State codes that are everyday English or Spanish words: "gracias, me ayudo" is not "Gracias, ME".
# Typed in lower case they count only at the end of the message ("portland, me").
_STATE_WORDS = {"me", "de", "in", "or", "oh", "hi", "ok", "la", "pa", "ma", "mi", "al", "co", "id", "va", "ne"}


def _state_is_meant(m: re.Match, raw: str) -> bool:
    state = m.group(2)
    if state.lower() not in _STATE_WORDS or state.isupper() or m.group(1).strip().lower() in KNOWN_PLACES:
        return True
    return re.fullmatch(r"[\s.!?,]*(?:\d{5})?[\s.!?]*", raw[m.end():]) is not None


def parse_location(text: str) -> Optional[str]:
    """A place the directory can geocode: a ZIP, an address, 'City, ST' or a known city; else None."""
    raw = (text or "").strip()
    m = ADDRESS_RE.search(raw)
    if m:
        return _tidy(m.group(1))
    m = ZIP_RE.search(raw)
    if m:
        return m.group(1)
    m = CITY_STATE_RE.search(raw)
    if m and _state_is_meant(m, raw):
        city = _LEAD_WORDS.sub("", m.group(1)).strip()
        return f"{_title(city)}, {m.group(2).upper()}"
    m = NEAR_CITY_STATE_RE.search(raw)
    if m:
        return f"{_title(m.group(1))}, {m.group(2).upper()}"
    run = _place_run(raw)
    if run and len(run) > 1 and run[-1].upper() in STATES and run[-1] not in _STATE_WORDS:
        city = " ".join(run[:-1])  # 'kansas city ks aa meetings', 'kc mo meeting now'
        known = KNOWN_PLACES.get(city)
        if known and known.endswith(", " + run[-1].upper()):
            return known
        return f"{_title(city)}, {run[-1].upper()}"
    m = _KNOWN_RE.search(normalize(raw))
    if m and not (m.group(1) in ("oc", "kc", "hb") and len(raw) > 40):
        return KNOWN_PLACES[m.group(1)]
    if run:  # 'aa mtg santa ana', 'meeting in irvine': the directory knows its area's cities (and typos)
        return _title(" ".join(run))
    return None


# Words that say what someone wants, when or for whom: what is left of a request without them may be
# a place name ('aa mtg santa ana'). English and Spanish, as normalize() leaves them.
_NOT_PLACE = set("""
a an the any some one i im i'm ive i've me my mine we us our you your u he she they it its this that these those
need needs needed want wanna looking look find finding get go going gotta got have has is are was be there here
where wheres where's what whats how can could would will should do does did know tell show give send text please pls
plz thanks thank ok okay yes no hi hello hey help and or but so just also still really very too for to of with from
near nearby in at around by close closest nearest on about into within next area
meeting meetings mtg mtgs meetin group groups support aa na al anon alanon al-anon alateen narcotics alcoholics
cocaine anonymous smart recovery big book step study sponsor fellowship celebrate
tonight tonite 2nite today now rn asap right soon later tomorrow morning afternoon evening night noon week weekend
open start starts starting time am pm
women womens women's woman ladies men mens men's guys lgbtq gay online zoom virtual person in-person spanish english
sober living house home shelter housing ride rides bus treatment detox rehab bed beds free
necesito necesita necesitamos quiero busco buscando hay donde esta estoy vivo ir voy una un unas unos uno el la los
las lo de del en cerca por para con sin que y o mi mis tu su junta juntas reunion reuniones grupo grupos apoyo
alcoholicos narcoticos anonimos hoy ahora noche manana tarde mismo ya favor porfa mujeres hombres ayuda
husband wife son daughter mom dad mother father brother sister friend friends kid kids child children baby
boyfriend girlfriend family partner myself someone somebody dog pet car days day months years weeks sober clean
newcomer new first bring take drive walk attend join like love feel really good bad sorry hola buenas gracias
esposo esposa hijo hija mama papa hermano hermana amigo amiga familia nuevo primera dias meses
shot shots line lines pill pills program programs place places spot center centre clinic office info number phone
address cost money appointment intake list options stuff thing things work job school court probation parole dui
meds medication doctor anything something other another more less after before mas otro otros otra otras
espanol ingles linea recuperacion downtown uptown candlelight speaker speakers meet meets early young people people's
somewhere anywhere everywhere ahorita nar casa casas sobria sobrio cuarto personas gente vivir algo como transicion
conoces conoce conozco sabes sabe dime
""".split())
_WORD_RE = re.compile(r"[a-z][a-z'.-]*")
_PREPOSITIONS = {"in", "near", "around", "en"}  # also "cerca de", "close to"
# Words that name a meeting: a bare run beside one, at the start or the end of a message, is taken
# for a place ('aa mtg santa ana', 'costa mesa aa', 'need a meeting lees summit').
_MEETING_WORDS = {"meeting", "meetings", "mtg", "mtgs", "meetin", "aa", "na", "alanon", "al-anon", "anon", "alateen",
                  "junta", "juntas", "reunion", "reuniones", "group", "groups", "anonimos", "anonymous"}


def _place_run(raw: str) -> Optional[list[str]]:
    """A place name in a request, from the words left when the need, preference and filler words are
    taken out: the run of at most four words right after 'in', 'near', 'en', 'cerca de' ('meeting
    in irvine'), or, in a meeting request, the run at the start or the end of it beside a meeting
    word ('aa mtg santa ana', 'costa mesa aa'). Anything else is not guessed at."""
    norm = normalize(raw)
    if len(norm) > 120:
        return None
    needs = need_keywords(norm)
    if not needs:
        return None
    tokens = [tok.strip(".'") for tok in re.sub(r"([,?!;:])", r" \1 ", norm).split()]

    def placeish(word: str) -> bool:
        return bool(_WORD_RE.fullmatch(word)) and word not in _NOT_PLACE and not _ATTR_WORD_RE.fullmatch(word)

    runs = []  # (first index, last index + 1)
    i = 0
    while i < len(tokens):
        if placeish(tokens[i]):
            j = i
            while j < len(tokens) and placeish(tokens[j]):
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    found = []
    for a, b in runs:
        before = tokens[a - 1] if a else ""
        before2 = tokens[a - 2] if a > 1 else ""
        after = tokens[b] if b < len(tokens) else ""
        prepped = before in _PREPOSITIONS or (before, before2) in (("de", "cerca"), ("to", "close"))
        beside_meeting = "support_group" in needs and (
            (a == 0 and after in _MEETING_WORDS) or (b == len(tokens) and before in _MEETING_WORDS))
        if prepped or beside_meeting:
            found.append(tokens[a:b])
    if len(found) != 1 or len(found[0]) > 4 or len("".join(found[0])) < 3:
        return None
    if len(found[0]) == 1 and found[0][0].endswith(("ly", "ous", "ful", "ness", "less", "ed", "ing")):
        return None  # 'need a meeting badly': a word about the request, not a town
    return found[0]


def bare_place(text: str) -> Optional[str]:
    """The whole message as a place name, for a reply to 'What ZIP or city?' ('Santa Ana')."""
    t = re.sub(r"^(?:i'?m |i am |im |estoy |vivo )?(?:in|at|near|around|en|cerca de|por)\s+", "",
               (text or "").strip(), flags=re.I).strip(" .!?")
    if 2 <= len(t) <= 40 and re.fullmatch(r"[A-Za-zÀ-ÿ .,'-]+", t) and len(t.split()) <= 4:
        return _title(t)
    return None


def _tidy(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip(" ,.")


def _title(s: str) -> str:
    return " ".join(w if w.isupper() and len(w) <= 3 else w.capitalize() for w in s.split())


# Preferences: attribute codes of the directory API (directory/catalog/codes.py) and the words for them.
_ATTRIBUTE_WORDS: dict[str, str] = {
    "women": r"wom[ae]n'?s?|female|ladies|lady|girls|mujer(?:es)?|femenin[oa]s?|chicas|damas",
    "men": r"(?<!wo)men|(?<!fe)male|guys|hombres?|masculin[oa]s?|varones",
    "lgbtq": r"lgbt\w*|gay|queer|trans|lesbian\w*|bisexual",
    "mat_friendly": (r"mat|moud|suboxone|subs|sub|bupe|buprenorphine|buprenorfina|methadone|metadona|"
                     r"vivitrol|naltrexone|naltrexona|sublocade|on meds|on my meds|medication assisted|"
                     r"con medicamento|tomo suboxone"),
    "wheelchair": r"wheel ?chair|accessible|silla de ruedas",
    "free": r"free|no cost|gratis|gratuit[oa]|sin costo|no money|can'?t pay|no tengo dinero|sin dinero",
    "sliding_scale": r"sliding scale|low cost|cheap|affordable|bajo costo|barat[oa]|economic[oa]",
    "insurance": r"insurance|medicaid|medi-?cal|medicare|seguro|obamacare|tricare",
    "online": r"online|zoom|virtual|en linea|por internet",
    "in_person": r"in person|in-person|presencial|en persona|face to face",
    "youth": r"teens?|teenagers?|youth|young (?:adult|people|person)|under 18|jovenes|adolescentes?",
    "families_with_children": (r"(?:my |with |w/ ?)(?:kids?|children|son|daughter|baby|babies|family)|"
                               r"families|family shelter|mis hij[oa]s|con (?:mis )?(?:hij[oa]s|ninos|bebe|familia)|"
                               r"familias?"),
    "veterans": r"veterans?|vets?|veteran[oa]s?",
    "na": r"na|narcotics anonymous|narcoticos anonimos",
    "aa": r"aa|alcoholics anonymous|alcoholicos anonimos|big book",
    "al_anon": r"al-? ?anon|alateen|nar-? ?anon",
    "smart_recovery": r"smart(?: recovery)?",
    "ca": r"cocaine anonymous|cocainomanos anonimos",
    "walk_in": r"walk-? ?ins?|no appointment|sin cita",
}
_ATTR_RE = {code: re.compile(rf"\b(?:{words})\b") for code, words in _ATTRIBUTE_WORDS.items()}
# Words that belong to one need only (no 'na' when someone says 'cama' etc. is handled by \b).
_MEETING_ONLY = {"na", "aa", "al_anon", "smart_recovery", "ca"}
# The fellowships among those codes, as the search API's `fellowship` parameter names them.
FELLOWSHIPS = {"aa": "AA", "na": "NA", "al_anon": "Al-Anon", "smart_recovery": "SMART", "ca": "CA"}
# A single word that is a preference ('womens', 'zoom'): not part of a place name.
_ATTR_WORD_RE = re.compile("|".join(f"(?:{words})" for words in _ATTRIBUTE_WORDS.values()))


def parse_attributes(text: str, need: Optional[str] = None) -> list[str]:
    """Attribute codes a message asks for, in a stable order."""
    norm = normalize(text)
    found = [code for code, rx in _ATTR_RE.items() if rx.search(norm)]
    if "women" in found and "men" in found and not re.search(r"\b(?:men|hombres?|male)\b.*\b(?:and|y|&)\b|\b(?:and|y|&)\b\s*(?:men|hombres?)", norm):
        found.remove("men")
    if need and need != "support_group":
        found = [c for c in found if c not in _MEETING_ONLY]
    if need == "treatment" and "mat_friendly" in found:
        # For treatment, 'suboxone' names the treatment itself: the MAT filter is what they want.
        pass
    # 'sub'/'subs' alone is ambiguous; keep it only beside a recovery word.
    if "mat_friendly" in found and not re.search(r"\b(?:mat|moud|suboxone|bupe|buprenorphine|buprenorfina|methadone|metadona|vivitrol|naltrexone|naltrexona|sublocade|meds|medication|medicamento)\b", norm):
        if not re.search(r"\b(?:on|take|takes|taking|allow|allows|ok with)\s+subs?\b", norm):
            found.remove("mat_friendly")
    return found


def parse_when(text: str) -> Optional[str]:
    """'now', 'today' or 'tonight' (the API's `when`), or None."""
    norm = normalize(text)
    if re.search(r"\b(?:tonight|tonite|2nite|this evening|esta noche|hoy en la noche|para hoy en la noche)\b", norm):
        return "tonight"
    if re.search(r"\b(?:right now|open now|rn|asap|now|ahora(?: mismo)?|ya mismo|urgente)\b", norm):
        return "now"
    if re.search(r"\b(?:today|hoy|this afternoon|esta tarde)\b", norm):
        return "today"
    return None


def parse_language_pref(text: str) -> Optional[str]:
    """'es' when the person asks for Spanish-speaking help."""
    norm = normalize(text)
    if re.search(r"\b(?:in spanish|spanish[- ]speaking|speaks? spanish|habl\w+ (?:en )?espanol|en espanol|hispan\w*|latin[oa]s?)\b", norm):
        return "es"
    return None


def parse_vacancy(text: str) -> bool:
    norm = normalize(text)
    return bool(re.search(r"\b(?:open beds?|beds? (?:open|available|free|tonight)|vacanc\w*|available beds?|"
                          r"bed tonight|a bed|camas? disponibles?|una cama|cama para (?:hoy|esta noche))\b", norm))


def parse_number(text: str) -> Optional[int]:
    """A list choice: '2', '#2', 'number 2', 'the 2nd one', 'el 2', 'la segunda'."""
    norm = normalize(text).strip(" .!?")
    m = re.fullmatch(r"(?:#|no\.?|num(?:ber|ero)?\.?|option|opcion|el|la|the|pick|choose)?\s*(\d{1,2})(?:st|nd|rd|th)?(?: one| please| pls| plz| por favor)?", norm)
    if m:
        return int(m.group(1))
    words = {"one": 1, "first": 1, "two": 2, "second": 2, "three": 3, "third": 3, "four": 4,
             "fourth": 4, "five": 5, "fifth": 5, "six": 6, "sixth": 6, "uno": 1, "primero": 1,
             "primera": 1, "dos": 2, "segundo": 2, "segunda": 2, "tres": 3, "tercero": 3,
             "tercera": 3, "cuatro": 4, "cuarto": 4, "cuarta": 4, "cinco": 5, "quinto": 5, "quinta": 5}
    m = re.fullmatch(r"(?:the |el |la |number |numero )?(\w+)(?: one| please| por favor)?", norm)
    if m and m.group(1) in words:
        return words[m.group(1)]
    return None


# Words that name one need unambiguously (EN + ES slang). Used by the NLU safety net when the
# model is unsure between a need and something else; see need_from_keywords for precedence.
_NEED_WORDS = {
    "support_group": (r"aa|na|cma|smart recovery|al-? ?anon|nar-? ?anon|alateen|12[- ]step|meetings?|mtgs?|meetin|"
                      r"reunion(?:es)?|juntas?|celebrate recovery|support groups?|grupos? de (?:apoyo|recuperacion|aa|na)|"
                      r"alcoholics anonymous|narcotics anonymous|cocaine anonymous|alcoholicos anonimos|narcoticos anonimos|"
                      r"big book|step study|sponsor|padrino"),
    "sober_living": (r"sober ?(?:living|livings|house|houses|home|homes|housing)|oxford(?: house| houses)?|half ?way houses?|"
                     r"3/4 houses?|three[- ]quarter houses?|recovery (?:residence|house|home|housing)|transitional (?:living|house)|"
                     r"casas? sobrias?|vivienda sobria|hogar sobrio|casas? de (?:recuperacion|transicion|medio camino|sobriedad)|"
                     r"vivienda de recuperacion"),
    "housing": (r"shelters?|homeless|evict\w*|kicked (?:me )?out|nowhere to (?:stay|go|sleep|live)|no place to (?:stay|sleep|live)|"
                r"place to (?:stay|sleep|live|crash)|somewhere to (?:stay|sleep|live|crash)|sleep(?:ing)? (?:in my car|outside|on the street)|"
                r"rent|landlord|housing|motel voucher|section 8|albergues?|refugio|desaloj\w*|donde (?:dormir|quedarme|vivir)|"
                r"lugar (?:para|donde) (?:dormir|quedarme|vivir)|renta|alquiler|vivienda|en la calle|un techo|me corrieron"),
    "transportation": (r"rides?|raite|aventon|lift|bus(?: pass| card| fare| ticket| tokens?)?|transport\w*|transit|uber|lyft|"
                       r"taxi|cab|gas (?:card|money)|pases? de (?:autobus|bus)|boletos? de (?:camion|bus|autobus)|pasaje|"
                       r"drive me|take me to|get me to|me lleve|lleven|llevar(?:me)?|no car|no tengo carro|"
                       # "van", not Spanish "van" (they go / will): "me van a dar", "se van", "van a llegar"
                       r"(?<!se )(?<!me )(?<!te )(?<!le )(?<!lo )(?<!la )(?<!no )(?<!ya )(?<!nos )(?<!les )(?<!que )"
                       r"vans?(?! (?:a|al|para|por|con)\b)|"
                       r"(?:a|no) way to (?:get|go)|a way to (?:treatment|the|my)|get there|getting there|como llegar|"
                       r"car got repo\w*"),
    "treatment": (r"detox|rehabs?|suboxone|subs|bupe|buprenorphine|methadone|metadona|vivitrol|iop|php|intensive outpatient|"
                  r"outpatient|inpatient|treatment|tratamiento|desintox\w*|rehabilitacion|clinica|withdraw\w*|dope ?sick|"
                  r"malilla|abstinencia|get clean|get off|quit (?:drinking|using|heroin|meth|pills|fent\w*)|"
                  r"stop (?:drinking|using)|dejar (?:de tomar|de usar|las drogas|la heroina|el fentanilo|el cristal)|"
                  r"counsel\w*|consejeria|terapia|doctor|dr|prescrib\w*|clinics?|medico|recet\w*"),
}
_NEED_RE = {need: re.compile(rf"\b(?:{words})\b") for need, words in _NEED_WORDS.items()}


_MEDICATION_RE = re.compile(r"\b(?:suboxone|subs|bupe|buprenorphine|methadone|metadona|vivitrol|mat|buprenorfina)\b")


def only_medication_words(text: str) -> bool:
    """True when the only treatment words are medication names (a preference, 'I'm on subs')."""
    norm = normalize(text)
    if not _MEDICATION_RE.search(norm):
        return False
    return not _NEED_RE["treatment"].search(_MEDICATION_RE.sub(" ", norm)) and need_keywords(text) <= {"treatment"}


def need_keywords(text: str) -> set:
    norm = normalize(text)
    return {need for need, rx in _NEED_RE.items() if rx.search(norm)}


def need_from_keywords(text: str) -> Optional[str]:
    """The one need a message names by keyword, or None when it names none or is ambiguous.
    The means beat the destination: a ride to detox is a ride, a sober house that takes suboxone
    is sober living, a meeting for people on methadone is a meeting."""
    found = need_keywords(text)
    if "transportation" in found:
        return "transportation"
    if "sober_living" in found:
        return "sober_living"
    if "support_group" in found and found <= {"support_group", "treatment"}:
        return "support_group"
    return next(iter(found)) if len(found) == 1 else None


def parse_command(text: str) -> Optional[str]:
    """SMS keywords that must work whatever the model thinks: 'menu', 'reset', 'more'."""
    norm = normalize(text).strip(" .!?")
    if re.fullmatch(r"menu|options|opciones|main menu|menu principal|show (?:me )?(?:the )?menu", norm):
        return "menu"
    if re.fullmatch(r"reset|restart|start over|empezar de nuevo|reiniciar|borrar todo|comenzar de nuevo|nueva busqueda|new search", norm):
        return "reset"
    if re.fullmatch(r"more|mas|more please|show more|more options|next|mas opciones|ver mas|otros|others|mas por favor|siguiente|any more|anymore", norm):
        return "more"
    return None


