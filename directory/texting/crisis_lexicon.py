"""The crisis lexicon: the one list of words that mean an overdose, suicide or danger happening now,
in English and Spanish, and the one text normaliser they are matched with.

Dependency-free and Python 3.10-compatible on purpose: the SMS gateway (the app's environment)
checks every text with it before anything else, so a crisis answer never depends on Rasa being
up; the bot's NLU pipeline and actions (Rasa's environment) use the same words, so the model can
never be the only thing between a person in crisis and 911/988. Patterns run on normalize()d
text with word boundaries ("overdose" matches "OVERDOSED!", "dose" alone does not). Erring
towards answering: a false alarm costs one extra text.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional


def normalize(text: str) -> str:
    """Lower case, accents stripped, curly quotes made straight, whitespace squeezed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


# By kind: what the bot answers depends on it. Ordered: overdose first, since "not breathing" also
# means danger but the overdose answer (911 + naloxone) is the right one.
OVERDOSE, SUICIDE, DANGER = "overdose", "suicide", "danger"
KINDS = (OVERDOSE, SUICIDE, DANGER)


_PATTERNS: dict[str, list[str]] = {
    OVERDOSE: [
        # Everyday words for an overdose or a body shutting down (training examples the net missed, 2026-11-26)
        r"\b(?:he|she|they|hes|shes|he's|she's|they're|theyre|someone|somebody|my (?:friend|son|daughter|brother|sister|mom|dad|husband|wife|bf|gf|boyfriend|girlfriend|cousin|roommate|baby|kid|homie))(?:'s| is| are| s)? (?:dying|going to die|gonna die)\b(?! to\b)|\b(?:se )?esta muriendo\b|\bse (?:nos )?(?:muere|va a morir)\b",
        r"\b(?:feel like|think) i'?m dying\b|\bsiento que me muero\b|\bno (?:esta|estas) respirando\b",
        r"\b(?:hes|shes|he's|she's|he is|she is|they're|theyre|they are) (?:turning |going |all )?(?:gray|grey|blue|purple)\b|\bse (?:puso|esta poniendo) (?:morad[oa]|azul|gris)\b|\besta morad[oa]\b",
        r"\b(?:is|'s|s|are|started|keeps) (?:seizing|having (?:a )?seizures?)\b|\bconvulsiona\w*\b",
        r"\bfoam\w* (?:at|from) the mouth\b|\bespuma (?:por|de|en) la boca\b|\bfell out after\b|\bsigue sin despertar\b",
        r"\bheart\w*(?:'s| is)? (?:racing|pounding)\b[^.?!]{0,40}\b(?:after|took|used|using|hit|line|stuff)\b|\b(?:after|took|used|using)\b[^.?!]{0,40}\bheart\w*(?:'s| is)? (?:racing|pounding)\b",
        r"\bo\.?d\.?(?:ing|ed|'d|'ing|in)?\b(?!\s*(?:meeting|mtg))",
        r"\bover ?dos(?:e|ed|ing|es)\b(?! (?:prevention|awareness|training|kits?|response)\b)",
        r"\bsobre ?dosis\b",
        r"\b(?:not|isn'?t|stopped|barely|can'?t|cant) breath(?:e|ing)\b",
        r"\bno (?:esta )?respira\b|\bdejo de respirar\b|\bno puede respirar\b",
        r"\b(?:won'?t|wont|will not|can'?t|cant|not) (?:wake(?: him| her| them)?(?: up)?|waking up|respond(?:ing)?)\b(?! to\b)",
        r"\b(?:he|she|they|hes|shes|him|her|friend|bf|gf|boyfriend|girlfriend|brother|sister|son|daughter|roommate|girl|guy|man|woman|baby)\b(?:'s| is| are)?[^.?!]{0,25}\bnot (?:moving|responding)\b(?! to\b)|\bno se mueve\b|\bunresponsive\b|\bpassed out\b|\bturning blue\b|\b(?:lips|face|skin) (?:are |is |r |turning |look(?:s|ing)? |went |going )?(?:blue|purple|gray|grey)\b",
        r"\bno (?:se )?despierta\b|\bno reacciona\b|\bno responde\b|\binconsciente\b|\blabios morados\b|\bse (?:esta )?poniendo azul\b",
        r"\btook (?:too many|a bunch of|all (?:my|the|of my)) (?:pills|xanax|percs?|oxys?|bars|meds|medications?|medicine)\b(?! (?:to|back)\b| (?:this|in the) (?:morning|am|evening)\b)",
        # Breathing that an overdose makes (fresh crisis batch, 2026-12-06)
        r"\b(?:he|she|they|hes|shes|he's|she's|they're|theyre|someone|somebody|friend|bf|gf|brother|sister|son|daughter|roommate)(?:'s| is| are| s)? (?:now )?(?:gasping|gurgling)\b|\bgasping for (?:air|breath)\b",
        r"\b(?:too much|bad batch of|laced with) (?:fent|fentanyl|dope|heroin)\b|\bfent(?:anyl)? in (?:it|the)\b",
        r"\bse paso (?:de|con) (?:la )?(?:droga|dosis|fentanilo|heroina)\b|\bse metio demasiad[oa]\b",
        r"\b(?:need|where can i get|give (?:him|her) |use) (?:narcan|naloxone)\b(?! training)|\bnecesito (?:narcan|naloxona)\b",
        # naloxone given now, or not working (real-data held-out set, 2026-12-06)
        r"\b(?:gave|giving|gived) (?:him|her|them|my \w+) (?:the |some )?(?:narcan|naloxone)\b|\ble (?:di|dimos|puse|pusimos) (?:narcan|naloxona)\b",
        r"\b(?:narcan|naloxone|naloxona)\b[^.?!]{0,30}\b(?:didn'?t work|not working|no funciono|no sirvio|no hace nada)\b|"
        r"\b(?:getting worse|not getting better) after\b",
        r"\bswallow(?:ed|s|ing)? (?:a bunch of |some |a lot of |all (?:of )?(?:the |my |her |his |mom'?s )?|too many |"
        r"a (?:whole )?bottle of )?(?:pills|meds|medications?|xanax|percs?|oxys?|tablets)\b|\btook a (?:whole )?bottle of\b",
        r"\bse (?:trago|tomo|comio) (?:unas |muchas |todas (?:las|mis|sus) |un frasco de )?(?:pastillas|pildoras)\b",
        # "me tome demasiadas pastillas" (real-data held-out set, 2026-12-06: the gateway's net missed it)
        r"\b(?:me |se |te )?(?:tome|tomo|trague|trago|tomaste|tomamos) (?:demasiad[oa]s?|muchisim[oa]s|un monton de|"
        r"un chingo de|bastantes) (?:pastillas|pildoras|pastas|medicinas|medicamentos|calmantes|xanax|percs?)\b",
        r"\bdemasiad[oa]s (?:pastillas|pildoras|pastas|calmantes)\b",
        r"\b(?:i )?(?:did|shot up|used|took|smoked|snorted) (?:way )?too much\b(?! (?:time|money)\b)",
    ],
    SUICIDE: [
        # Ways of saying it without "suicide" or "kill myself" (training examples the net missed, 2026-11-26)
        r"\b(?:thinking (?:about|of)|gonna|going to|ready to|want to|wanna|about to) end(?:ing)? it\b(?! with\b)|\bwant (?:it all|everything) to (?:end|stop)\b|\bdisappear forever\b|\bdesaparecer para siempre\b",
        r"\bi'?m (?:gonna|going to) jump\b(?! (?:in|on|into)\b)|\bjump off (?:the|a|this) (?:bridge|roof|building|overpass)\b|\baventar(?:me)? (?:del|de un|de una|de la) (?:puente|edificio|techo|azotea)\b",
        r"\b(?:quiero|voy a) quitar(?:me)? la vida\b|\bno quiero seguir viviendo\b|\bno (?:le )?veo (?:el )?sentido (?:a la vida|de vivir|a vivir)\b|\bmejor me muero\b|\bdon'?t see the point (?:of|in) (?:living|life|going on)\b",
        r"\bme (?:quiero|voy a) hacer dano\b|\blastimarme\b|\bme (?:quiero|voy a) cortar\b|\bcortarme\b|\bsuicidar(?:me|se)?\b|\bme (?:quero|kiero|qiero) matar\b",
        r"\bshoot my ?self\b|\b(?:pegarme|darme) un tiro\b|\bcan'?t take it anymore\b|\bi'?m done with (?:life|living)\b",
        r"\b(?:nobody|no one|noone) (?:would|will|is gonna|is going to) (?:even |really )?(?:care|miss me|notice)[^.?!]{0,20}\bif i(?:'m| was| were)? (?:died|die|dead|gone|disappeared|killed myself)\b|\b(?:nobody|no one) would miss me\b|\bnadie (?:me )?va a extranar(?:me)?\b|\bnadie me extranaria\b",
        r"\b(?:goodbye|suicide) (?:letter|note)s?\b(?! to (?:my |our |your |his |her |the )?(?:addiction|drugs?|alcohol|using|bottle|heroin|meth|dope|old))|\bcarta (?:de despedida|suicida)\b",
        r"\b(?:the |my )?(?:rope|noose) (?:is )?(?:ready|tied)\b|\bhang(?:ing)? my ?self\b|\b(?:soga|cuerda) (?:esta )?lista\b|\bahorcarme\b",
        r"\bno reason to (?:keep going|go on|keep living|wake up)\b|\bno (?:tengo|hay) (?:razon|razones|motivo|motivos) para (?:vivir|seguir)\b",
        r"\b(?:take|tomar|tomarme) (?:all|todas) (?:my|mis|las) (?:pills|pastillas)\b",
        r"\bno (?:para|deja) de sangrar\b|\b(?:won'?t|wont|doesn'?t|will not|can'?t|cant) stop (?:the )?bleeding\b|\bbleeding (?:a lot|so bad|everywhere)\b",
        r"\bsuicid(?:e|al|io|arme|a)\b(?! (?:prevention|survivors?|loss|awareness|bereavement)\b)",
        r"\bkill(?:ing)? my ?self\b|\bend(?:ing)? (?:it all|my life|my own life|things)\b|\btak(?:e|ing) my (?:own )?life\b",
        r"\b(?:want|wanna|going|gonna|ready) to die\b|\bwanna die\b|\bdon'?t want to (?:live|be alive|be here)(?: anymore)?\b",
        r"\bbetter off dead\b|\bno reason to live\b|\bcan'?t go on\b|\bhurt(?:ing)? my ?self\b|\bcut(?:ting)? my ?self\b",
        r"\bmatarme\b|\b(?:me (?:quiero|voy a|voy|quisiera)|quiero|voy a) matar(?:me)?\b(?! a)|\bme quiero morir\b|\bquiero morir(?:me)?\b|\bquitarme la vida\b|\bno quiero vivir\b|\bacabar con (?:todo|mi vida)\b",
        r"\bhacerme dano\b|\bno vale la pena vivir\b|\bmejor muert[oa]\b",
        # First-person forms of the ones above (fresh crisis batch, 2026-12-06)
        r"\bmejor me mato\b|\bme mato y ya\b|\bme (?:tome|trague) (?:todas (?:las|mis)|un frasco de) (?:pastillas|pildoras|medicinas)\b",
        r"\b(?:standing|sitting|out) on (?:the|a|this) (?:roof|ledge|bridge)\b|\b(?:parad[oa]|sentad[oa]) en (?:el|la|un|una) (?:techo|azotea|puente|orilla)\b",
        r"\b(?:have|got|made) a plan to (?:die|kill myself|end (?:it|my life))\b|\b(?:tengo|hice) un plan para (?:morir|matarme|suicidarme|quitarme la vida)\b",
    ],
    DANGER: [
        # Violence in everyday words (training examples the net missed, 2026-11-26)
        r"\b(?:my )?(?:husband|wife|bf|boyfriend|gf|girlfriend|partner|ex|dad|mom|father|mother|stepdad|brother|roommate|pimp|dealer|someone|somebody)(?:'s| is| are)? (?:hitting|beating|choking|attacking|hurting|threatening) me\b",
        r"\b(?:is|'s|s|are) (?:hitting|beating|choking|stabbing|attacking) (?:my|her|him|us|the kids)\b(?! (?:addiction|habit|record|cravings?|time|score|team)\b)",
        r"\b(?:choked|strangled|stabbed) me\b|\bme (?:ahorco|ahorca|estrangul\w*|apunal\w*|acuchill\w*)\b|\bme (?:quiere|quieren) pegar\b|\bme (?:esta|estan) lastimando\b",
        r"\b(?:scared|afraid|fear|terrified) for my life\b|\b(?:tengo miedo|temo) por mi vida\b|\b(?:said|says|saying|threaten\w*|scared|afraid|terrified)\b[^.?!]{0,15}\b(?:he|she|they|hes|shes)(?:'d|'ll| would| will| is gonna| is going to| gonna)? (?:kill|hurt|shoot|stab) me\b",
        r"\bthreatening (?:me|us)\b|\bbanging on (?:the|my) (?:door|window)s?\b|\b(?:'s|s|has|have) got a (?:gun|knife)\b|\b(?:trying to|tryna|about to) break in\b|\bbroke into my (?:place|house|apartment|room|home)\b|\bi'?m hiding (?:from (?:him|her|them)|in (?:the|a|my))\b|\blocked in the (?:bathroom|room|closet)\b|\bme encerre en el (?:bano|cuarto|closet)\b",
        r"\b(?:he|she|they|someone|somebody|my (?:bf|boyfriend|gf|girlfriend|husband|wife|partner|dealer|ex))(?:'s| is| are)? (?:going to|gonna|trying to|threatening to|about to) (?:kill|hurt|beat|shoot|stab)\b",
        r"\b(?:he|she|they|someone|somebody)(?:'s| is| are)? (?:hitting|beating|choking|attacking|following|hurting) me\b",
        r"\b(?:i'?m|i am|im) (?:not safe|in danger|being (?:hurt|abused|followed|attacked|trafficked))\b|\bnot safe (?:here|at home|right now)\b",
        r"\bthreaten\w* (?:to )?(?:hurt|kill|beat|shoot|stab)\b|\bwith a (?:gun|knife)\b|\bhas a (?:gun|knife)\b|\bpointing a gun\b|\bgun to my\b|\bbeing abused\b",
        r"\bme (?:va|quiere|quieren|van) a matar\b|\bme (?:quiere|quieren|amenaza con) matar\b|\bamenaz\w* (?:con )?(?:matarme|pegarme)\b|\bme (?:esta|estan) (?:pegando|golpeando|siguiendo|amenazando)\b",
        r"\bno estoy a salvo\b|\b(?:estoy|estamos) en peligro\b|\bme pega\b|\btiene un (?:arma|cuchillo|pistola)\b",
        r"\bcon (?:una |un )?(?:pistola|arma|cuchillo)\b|\bme amenaza(?:n|ndo)?\b",
    ],
}
_COMPILED = {kind: [re.compile(p) for p in pats] for kind, pats in _PATTERNS.items()}

# A loss in the past, not an overdose now: "meeting for parents who lost a kid to od", "group for
# people who lost someone to an overdose", "perdi a mi hijo por una sobredosis". Taken out before the
# patterns run, so the rest of the message still counts ("lost my bf to an od and now she's not breathing").
_BEREAVEMENT = re.compile(
    r"\b(?:lost|perdi|perdimos|perdio|perdieron) (?:\w+ ){0,4}?(?:to|a|por|de) (?:an? |una |la )?"
    r"(?:o\.?d\.?|over ?dos(?:e|es)|sobre ?dosis)\b")


def without_bereavement(norm: str) -> str:
    """normalize()d text with past losses to an overdose taken out."""
    return _BEREAVEMENT.sub(" a loss ", norm)


# --- overdose as a topic: harm reduction, a past overdose, learning to respond -------------------
# GUIDE §5: a question about getting naloxone, test strips or other harm-reduction help, or a past
# overdose, is a request for a place, not a crisis. The words an overdose shares with such
# questions (overdose, od, sobredosis, narcan, naloxone, fentanyl) are taken out of the text when
# it asks for a place or speaks of the past, unless it also says the overdose is happening now;
# whatever else the message says still counts ("where can i get narcan, he's not breathing" is a
# crisis). Present participles ("overdosing", "od'ing") are never taken out.
_TOPIC_WORDS = re.compile(
    r"\b(?:over ?dos(?:e|ed|es)|o\.?d\.?(?:'?d|ed)?(?!'?(?:ing|in)\b)|sobre ?dosis|narcan|naloxone|naloxona|"
    r"fent(?:anyl)?|fentanilo)\b")
_HARM_REDUCTION = re.compile(
    r"\b(?:narcan|naloxone|naloxona|nasal spray|(?:fent(?:anyl)?|fentanilo|drug|test(?:ing)?) ?(?:test(?:ing)? )?strips?|"
    r"tiras?(?: reactivas)?(?: para (?:detectar|probar))?|syringes?|needles?|jeringas?|agujas?|sharps|"
    r"harm reduction|reduccion de danos|(?:over ?dose|o\.?d\.?|sobre ?dosis) (?:response|prevention|training|kits?|class(?:es)?|"
    r"education|rescue)|(?:prevencion|respuesta) (?:de|a) (?:la )?sobre ?dosis|reverse an? (?:over ?dose|od))\b")
_PLACE_CUES = re.compile(
    r"\b(?:where|wheres|where's|donde|near|nearby|around|close to|cerca|\d{5}|"
    r"(?:can|could|do|to|i|we|u|you|may|should|who|anyone|somewhere) (?:\w+ )?(?:get|pick up|find|buy|carry|keep|has|have|gives?|sells?)|"
    r"kits?|free|gratis|regalan|reparten|dan|consigo|conseguir|consigue|obtener|comprar|pharmac\w*|farmacia|vending|"
    r"class(?:es)?|clases?|curso|taller|training|train|learn|teach\w*|ensen\w*|aprender|how (?:to|do i) use|como (?:se )?usa\w*|"
    r"program\w*|services?|servicios?|supplies|suministros|exchange|intercambio|hours|horario|"
    r"prescription|receta|on site|allows?|in the house|at home|en (?:la )?casa|for (?:my|the|our) (?:house|home|car|work|workplace|job|"
    r"family|kit)|first aid|so it (?:dont|doesnt|don't|doesn't) happen|just in case|por si acaso|hands? out|gives? out)\b|"
    r"\b(?:in|en) (?!(?:the|my|a|an|his|her|this|that|el|la|mi|su|un|una|este|esta|ese|esa)\b)[a-z]{3,}")
_PAST_OR_TOPIC = re.compile(
    r"\b(?:last (?:year|month|week|summer|winter|spring|fall|time)|(?:years?|months?|weeks?) ago|in the past|twice|"
    r"(?:\d+|two|three|many) times|a while back|ano pasado|mes pasado|semana pasada|hace (?:\w+ )?(?:anos|meses|semanas)|"
    r"after (?:my|his|her|their|an?) (?:over ?dose|od)|despues de (?:mi|su|una) sobre ?dosis|tuve una sobre ?dosis|"
    r"survived|survivors?|sobrevivi\w*|awareness|prevention|prevencion|grief|duelo|memorial|famil(?:y|ies|ia|ias)|"
    r"(?:group|meeting|grupo|junta|reunion)s? (?:for|para|de)|what to do if|que hacer si|if (?:someone|somebody|a person|anyone)|"
    r"si alguien|in case|por si)\b")
# Said now: whatever the topic words, an overdose happening now stays a crisis.
_NOW = re.compile(
    r"\b(?:right now|rn|ahorita|ahora mismo|en este momento|just|happening|please help|help (?:me|him|her|us|pls|please)|"
    r"ayuda\w*|auxilio|911|hurry|asap|fast|quick\w*|urgent\w*|rapido|emergency|emergencia|what do i do|que hago|"
    r"(?:is|are|'s|esta|estan) (?:having|teniendo)|tiene (?:una )?sobre ?dosis|"
    r"(?:gave|give|giving|gived|used|using) (?:him|her|them|it|my \w+)? ?(?:the )?(?:narcan|naloxone)|le (?:di|dimos|puse) (?:narcan|naloxona)|"
    r"getting worse|still not|sigue sin|no reacciona)\b|"
    r"\b(?:narcan|naloxone|naloxona|over ?dos\w*|sobre ?dosis|o\.?d\.?\w*)(?:\W+\w+){0,2}?\W+(?:now|ya)\b")


def harm_reduction_request(text: str) -> bool:
    """A question about getting naloxone, test strips, syringe services or learning to respond (a
    request for a place), and no crisis: the bot answers it with places and what to do in an overdose."""
    norm = without_bereavement(normalize(text))
    asks = _PLACE_CUES.search(norm) or _PAST_OR_TOPIC.search(norm) or len(norm.split()) <= 4  # "fentanyl test strips"
    return bool(_HARM_REDUCTION.search(norm) and asks and not _NOW.search(norm)) and detect(text) is None


_SUPPLY_WORDS = re.compile(r"\b(?:narcan|naloxone|naloxona|fent(?:anyl)?|fentanilo)\b")


def _without_topic(norm: str) -> str:
    """Overdose words taken out of a place request or a past overdose, unless it is happening now.
    A place request loses only the supplies' names and its own phrases ("overdose training"): an
    overdose it also reports ("my friend overdosed, where can i get narcan") still counts."""
    if not _TOPIC_WORDS.search(norm) or _NOW.search(norm):
        return norm
    if _PAST_OR_TOPIC.search(norm):
        return _TOPIC_WORDS.sub(" topic ", norm)
    if _HARM_REDUCTION.search(norm) and _PLACE_CUES.search(norm):
        return _SUPPLY_WORDS.sub(" supplies ", _HARM_REDUCTION.sub(" harm reduction ", norm))
    return norm


def detect(text: str) -> Optional[str]:
    """The crisis kind a message is about ('overdose', 'suicide', 'danger'), or None."""
    norm = _without_topic(without_bereavement(normalize(text)))
    for kind in KINDS:
        if any(p.search(norm) for p in _COMPILED[kind]):
            return kind
    return None


# By language: more phrases the gateway answers at once, whatever the kind.
PHRASES_BY_LANGUAGE = {
    "en": [
        r"overdos\w*(?! (?:prevention|awareness|training|kits?|response)\b)", r"o\.?d\.?(?:'d|'?ing|'?ed)", r"took too (?:many|much)", r"not breathing",
        r"(?:can'?t|cannot|can not) breathe?", r"stopped breathing", r"won'?t wake up", r"not waking up",
        r"unresponsive", r"turning blue", r"lips (?:are )?blue", r"need narcan", r"need naloxone",
        r"kill(?:ing)? myself", r"suicid\w*(?! (?:prevention|survivors?|loss|awareness|bereavement)\b)", r"end(?:ing)? my life", r"take my (?:own )?life",
        r"want(?:ed)? to die", r"wanna die", r"better off dead", r"hurt(?:ing)? myself", r"self[- ]?harm",
        r"cut(?:ting)? myself", r"no reason to live", r"(?:i'?m|i am) in danger", r"going to (?:hurt|kill) me",
        r"(?:he|she|they|someone)'?s? (?:is )?(?:hurting|beating|attacking) me", r"being (?:attacked|abused)",
        r"emergency",
    ],
    "es": [
        r"sobredosis", r"no respira", r"no puede respirar", r"no puedo respirar", r"dejo de respirar",
        r"no despierta", r"se puso (?:azul|morado)", r"necesito narcan", r"necesito naloxona",
        r"(?:me |se )?(?:tome|tomo|trague) (?:demasiad[oa]s|muchisimas|un monton de) (?:pastillas|pildoras|pastas|medicinas|calmantes)",
        r"suicidio", r"suicidarme", r"suicida", r"matarme", r"me voy a matar", r"me quiero matar", r"quitarme la vida",
        r"quiero morir(?:me)?", r"me quiero morir", r"no quiero vivir", r"hacerme dano", r"lastimarme",
        r"cortarme", r"estoy en peligro", r"me (?:esta|estan) (?:pegando|golpeando|atacando)",
        r"me va(?:n)? a (?:matar|lastimar)", r"emergencia",
    ],
}
_BY_LANGUAGE = {lang: re.compile(r"\b(?:" + "|".join(p) + r")\b") for lang, p in PHRASES_BY_LANGUAGE.items()}


def crisis_language(text: str) -> Optional[str]:
    """'en' or 'es' when the text reads as a crisis (either list), else None."""
    # "lost a kid to od" is a loss, "where can i get narcan near 92701" a request: not an overdose now
    folded = _without_topic(without_bereavement(normalize(text)))
    for lang in ("es", "en"):  # Spanish first: 'suicidio' should answer in Spanish
        if _BY_LANGUAGE[lang].search(folded):
            return lang
    if detect(text):
        return detect_language(text) or "en"
    return None


# Which language a short text is in (the bot replies in it; a crisis answer too).
_ES_WORDS = set("""necesito busco buscar quiero donde hay una un para por favor mi mis cerca reunion reuniones
vivienda casa cama dormir ayuda tratamiento transporte ningun ninguna hola gracias si esta estoy tengo como puedo
que de del los las el la con sin en hoy noche manana alguna algun mujeres hombres hijos desintoxicacion
metadona clinica albergue refugio viaje llevar aventon camion autobus pase desalojado desalojaron casero
renta alquiler sobrio sobria grupo grupos anonimos alcoholicos narcoticos estoy vivo me nos soy buenas buenos
dias tardes noches quisiera podrias puede cuales otra otro mas menos tambien pero porque cuando ahora
pastillas pildoras demasiadas demasiado naloxona jeringas tiras gratis consigo""".split())
_EN_WORDS = set("""i need a the for near me my is are any where can get find looking help with to in of and
meeting meetings house housing ride rides bus treatment detox tonight today please thanks thank you hi hello
hey what how want some place sleep bed shelter sober living evicted kicked out yes no ok okay""".split())


def detect_language(text: str, current: Optional[str] = None) -> Optional[str]:
    """'es' or 'en' when the message clearly is one; the current language when it is too short to tell."""
    raw = text or ""
    norm = normalize(raw)
    words = re.findall(r"[a-z']+", norm)
    es = sum(w in _ES_WORDS for w in words) + 2 * len(re.findall(r"[ñ¿¡áéíóú]", raw.lower()))
    en = sum(w in _EN_WORDS for w in words)
    if norm in ("si", "sí", "claro", "no gracias", "dale", "bueno", "vale", "hola", "gracias", "ayuda", "mas"):
        return "es"
    if es >= 2 and es > en:
        return "es"
    if es == 1 and en == 0 and len(words) <= 3 and words and words[0] in _ES_WORDS - {"no", "a", "me", "mi", "con", "de", "en", "la", "el", "un", "una", "para", "por", "si", "que"}:
        return "es"
    if en >= 2 and en > es:
        return "en"
    if en == 1 and es == 0 and len(words) <= 3 and words and words[0] in _EN_WORDS - {"no", "a", "me", "mi", "i", "ok", "okay", "yes"}:
        return "en"
    return current
