"""NLU component: the last word on crisis messages and SMS keywords, whatever the model said.

A crisis must never depend on the classifier alone (a missed one can cost a life), and MENU, RESET, MORE and list
numbers are commands people expect to work every time. Runs after the intent classifier and the
FallbackClassifier; sets the intent with confidence 1.0 only when a rule fires.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.actions import crisis, parsing


# The model's guess may be replaced by a keyword need or by `inform` only from these intents:
# never a yes/no, a list number, MORE, or the model's own crisis call.
NEED_OVERRIDABLE = {"inform", "nlu_fallback", "out_of_scope", "help"} | {f"find_{n}" for n in parsing.NEEDS}
INFORM_OVERRIDABLE = NEED_OVERRIDABLE | {"affirm", "deny", "greet", "goodbye", "thanks"}
YES_NO_FIRST = re.compile(r"(?:no|not|nah|nope|yes|yeah|yep|si|sí|ok|okay)\b", re.IGNORECASE)

# "not now", "no por ahora", "ahorita no", "not tonight thanks": a no that happens to name a time.
_TIME = r"(?:right now|now|rn|yet|today|tonight|ahora mismo|por ahora|ahorita|ahora|hoy|esta noche|todavia|aun)"
_THANKS = r"(?:\s*,?\s*(?:thanks|thank you|thx|gracias|pls|please|por favor))?"
NEGATED_TIME = re.compile(rf"(?:(?:no|not|nah|nope|naw|nel)[,.!]*\s+(?:{_TIME})|(?:{_TIME})\s+no){_THANKS}[.!]*")
# "is this free", "es gratis esto", "how much does it cost": asks about the service, gives no preference.
COST_QUESTION = re.compile(
    r"\b(?:is|does|will|would|do)\s+(?:this|it|that|texting|signpost|the service|i have to)\b.*"
    r"\b(?:free|cost\w*|pay|charge\w*|money)\b|\bhow much\b|\b(?:cuanto|cuesta|cobran?|tengo que pagar)\b|"
    r"\b(?:gratis|gratuito)\b.*\b(?:esto|eso)\b|\b(?:esto|eso|el servicio)\b.*\b(?:gratis|gratuito)\b")
# A preference said as "no X" / "que (no) sea X" ("no pets", "no stairs please", "que no sea religioso"):
# an answer to "anything else I should know?", not a no. Only things a place can have or lack.
_PREF_WORDS = (r"pets?|dogs?|cats?|animals?|stairs|steps|ids?|identificacion|curfews?|church|religio\w*|cristian\w*|"
               r"catolic\w*|drug test\w*|testing|pruebas?(?: de drogas)?|mascotas?|perros?|gatos?|escaleras|"
               r"toque de queda|iglesia|smoking|fumar|fees?|deposit\w*|wait ?list|lista de espera|gratis|"
               r"barat\w*|seguro|insurance|medi-?cal|medicaid|medicare|metadona|methadone|suboxone|mixt\w*|co-?ed|"
               r"bunk ?beds?|chores|roommates?")
_PREFERENCE = re.compile(
    rf"(?:(?:no|sin|not|without|nothing|nada de|que (?:no )?(?:sea|sean|tenga|tengan|acepte|acepten|permita|permitan))"
    rf" (?:\w+ )?(?:{_PREF_WORDS})|bilingual|bilingue)"
    r"(?: (?:stuff|allowed|required|needed|please|pls|plz|por favor|porfa|medico|thanks|gracias))?[.!]*")
# "i take methadone", "tomo suboxone": what they are on (a preference), not a request for treatment.
_ON_MEDICATION = re.compile(r"(?:i'?m |im |i am |i |ya )?(?:on|take|taking|use|using|tomo|uso|recibo|"
                            r"estoy (?:en|tomando|usando)(?: el programa de| tratamiento de)?) (?:\w+ )?"
                            r"(?:suboxone|subs|bupe|buprenorphine|buprenorfina|methadone|metadona|vivitrol|mat)"
                            r"(?: (?:now|ahora|already|ya|daily|diario))?[.!]*")

# A question about Signpost itself (who answers, bot or counselor, language, what it shares): the
# model's help stands even when it names a need word or a preference ("r u a counselor", "can i
# text in spanish", "do you tell my insurance", "is this a shelter hotline").
_ABOUT_SIGNPOST = re.compile(
    r"^(?:are|r) (?:you|u)\b|^(?:is|was) (?:this|it) (?:a|an|the)\b|"
    r"^(?:sirve|funciona) (?:solo |nomas |tambien )?(?:para|con)\b|\b(?:does|will|would|can) (?:this|it|signpost) (?:work|help)\b|"
    r"^(?:is|es) (?:this|it|esto) (?:only |just |solo )?(?:for|para)\b|\bwho (?:answers|reads|responds|am i (?:texting|talking))\b|"
    r"\bdo i (?:talk|text|speak) (?:to|with)\b|^(?:eres|es esto|esto es)\b|\bquien (?:contesta|me contesta|lee|responde)\b|"
    r"\b(?:do|will|would|does) (?:you|u|y'?all|you guys|signpost) (?:tell|share|report|sell|keep|store|give)\b|"
    r"\b(?:can|could) i (?:text|write|talk)\b[^.?!]{0,15}\b(?:spanish|espanol|english|ingles)\b|"
    r"\bpuedo (?:escribir|hablar)\b[^.?!]{0,15}\b(?:espanol|ingles)\b|"
    r"\b(?:do you|do u|hablas|habla usted|hablan)\b[^.?!]{0,10}\b(?:speak )?(?:spanish|espanol|english|ingles)\b")

# An errand that only mentions a need word is no request for that need: a job driving for a ride
# share, a promo code, a complaint about a landlord, a deposit back. The model's out_of_scope stands.
_ERRAND_ABOUT_A_NEED = re.compile(
    r"\b(?:(?:driver|driving|delivery) jobs?|jobs? (?:as a|driving)|(?:promo|discount|referral|ride ?share|uber|lyft) codes?|"
    r"complain\w*|(?:file|make|poner) (?:a |una )?(?:complaint|queja)|quejarme|deposit back|(?:get|want) my deposit|"
    r"refund|reembolso|devuelva\w* (?:el|mi) deposito)\b")

# How they found Signpost ("i got this number from my counselor"): not a request for a counselor.
_WHERE_THEY_GOT_US = re.compile(r"\b(?:got|have|found|gave me|give me|sent me) (?:this|your|the) (?:number|text line|line)\b|"
                                r"\b(?:me (?:dio|dieron|paso|pasaron|mando|mandaron)) (?:este|tu|su|el) numero\b")

# Words that add nothing to a place, a preference or a time ("near 92701 please", "women only").
FILLER = set("""a an the i im i'm me my to in at near around by close closer for only just please pls plz
thanks thx thank you area zip code city de en cerca del la el los las por favor porfa para solo mi
that and or y o also tambien is it be with w un una sea some any anywhere somewhere has have must should
needs tiene tienen ser change location address instead actually new cambia cambiar ubicacion
direccion mejor there here aqui ahi""".split())
# Time words as people type them ("rght now", "tonigth"): left out along with the time itself.
_TIME_WORDS = ("right", "tonight", "today", "ahora", "ahorita", "noche", "abierto", "abierta")

# Need keywords people misspell ("sober hosue", "shleter"): a token one slip away (swap, extra,
# missing or wrong letter) from one of these is read as the word. Only words of 5+ letters, so
# short everyday words ("rest", "rid") are never turned into needs.
_NEED_VOCAB = set("""meeting meetings meetin reunion reuniones juntas anonymous anonimos sponsor padrino recovery
sober living livings house houses homes housing oxford halfway sobria sobrias sobrio sobrios casas vivienda
residence transitional recuperacion shelter shelters homeless evicted eviction landlord albergue albergues
refugio desalojo desalojaron alquiler rides transportation transport transporte transit raite aventon
llevar detox rehab rehabs treatment tratamiento suboxone methadone metadona vivitrol outpatient inpatient
withdrawal withdrawals clinic clinica counseling counselor doctor desintoxicacion rehabilitacion""".split())


def _one_slip(a: str, b: str) -> bool:
    """True when a and b differ by exactly one insertion, deletion, substitution or adjacent swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def spell_fixed(text: str) -> str:
    """The message with misspelt need keywords replaced by the keyword (normalised text)."""
    words = []
    for word in crisis.normalize(text).split():
        core = word.strip(".,!?;:")
        if len(core) >= 5 and core not in _NEED_VOCAB:
            fixes = {v for v in _NEED_VOCAB if _one_slip(core, v)}
            if len(fixes) == 1:
                word = word.replace(core, fixes.pop())
        words.append(word)
    return " ".join(words)


# Keyword look-alikes that name no need: a treatment people have finished ("sober living after
# rehab" is not a request for rehab), Spanish "van a" (they will, not a van), sleeping at a bus stop.
_NOT_A_NEED = [
    (re.compile(r"\b(?:after|post|getting out of|get out of|got out of|leaving|done with|finished|finishing|"
                r"despues de(?:l| la)?|al salir de(?:l| la)?|saliendo de(?:l| la)?|sali de(?:l| la)?)\s+"
                r"(?:the |my |el |la |mi )?(?:detox|rehab|treatment|inpatient|residential|tratamiento|"
                r"rehabilitacion|desintox\w*|clinica|programa)\b"), " after a program "),
    (re.compile(r"\b(?:van|vamos) a\b"), " "),
    # a pet's doctor is a vet, not treatment ("necesito un doctor para mi perro")
    (re.compile(r"\b(?:doctor|dr|clinic|clinica|medicine|medicina|meds) (?:for|para) (?:my|mi|our|nuestro|nuestra|the|el|la) "
                r"(?:dog|cat|pet|puppy|perr\w*|gat\w*|mascota)\b"), " vet "),
    # a recipe, not a prescription: "receta de enchiladas" (but "receta de suboxone" is one)
    (re.compile(r"\brecetas? (?:de|para) (?!(?:suboxone|metadona|buprenorfina|naltrexona|medicina|medicamentos?|"
                r"pastillas|la clinica|el doctor)\b)\w+"), " "),
    (re.compile(r"\b((?:sleep|stay|liv)\w*) (?:at|in) (?:the |a )?(?:bus|train) (?:station|stop|depot)\b"), r"\1 outside"),
    # a landmark, not a ride: "sober living near the bus station"
    (re.compile(r"\b(?:near|by|close to|next to|cerca de(?:l| la)?) (?:the |a |la |el )?(?:bus|train|camion|autobus) ?"
                r"(?:station|stop|depot|line|estacion|parada|central)?\b"), " near a landmark "),
]

# Everyday phrasings of a need that carry none of parsing's keywords, rewritten to one that does
# (seen in the grouped cross-validation errors): getting somewhere is a ride whatever the destination ("how do i
# get to meetings", "gas $ to get to my IOP", "shuttle to rehab", "como llego a la junta"); having
# no home is housing ("living in my van", "on the street", "got put out", "warming center").
_DESTINATIONS = (r"meetings?|mtgs?|groups?|detox|rehab|treatment|clinic|program|iop|php|doctor|dr|appt|appointment|"
                 r"intake|court|sober \w+|shelter|hospital|dosing|methadone|suboxone|counsel\w*|\d{5}")
_NEED_PHRASES = [
    (re.compile(r"\b(?:how (?:do|can|will|would|should|am|do we|can we) (?:i|we)? ?(?:get|getting|go|gonna get)|"
                r"(?:help|trouble|problems?) (?:getting|going)|(?:need|have|got|gotta|trying|tryna) (?:to )?get) (?:to|from) (?:(?:my|the|a|an|mi|la|el|al) )?(?:\w+ )?"
                rf"(?:{_DESTINATIONS})\b|"
                r"\bshuttles?\b|\bgas(?:olina)? ?(?:\$|money|cards?|vouchers?|help|para|to get)|"
                r"\b(?:for|para|with|con|pay for|pagar) (?:la |the )?gas(?:olina)?\b|"
                r"\bpick (?:me|us|him|her) up\b|\b(?:train|metro) (?:ticket|pass|fare)s?\b|"
                r"\b(?:can'?t|cant|don'?t|dont|do not|no puedo) (?:drive|manejar)\b|"
                r"\bcomo (?:llego|llegamos|le hago para llegar|puedo llegar|voy a llegar)\b|"
                r"\bno tengo (?:como|en que) (?:llegar|ir(?:me)?)\b|\bsin (?:carro|coche|auto|ride|raite)\b|"
                # from a place to a destination ("from hialeah to my program"); bus fare in Spanish ("pasajes")
                r"\b(?:get|getting|go|going|ride|rides|me voy|ir) (?:from|de) (?:\w+ ){1,3}?(?:to|a|al) "
                rf"(?:(?:my|the|a|an|mi|la|el) )?(?:\w+ )?(?:{_DESTINATIONS}|clinica|junta|cita|programa)\b|"
                r"\bpasajes?\b|\bbus (?:tickets?|money)\b|\b(?:for|para) (?:the|el) (?:bus|camion|autobus)\b"),
     " ride "),
    (re.compile(r"\b(?:liv\w*|sleep\w*|stay\w*|vivo|viviendo|vivimos|duermo|dormimos|durmiendo) (?:in|en|out of) "
                r"(?:my|our|the|a|mi|nuestro|nuestra|el|la|un|una) (?:car|van|truck|tent|suv|carro|coche|camioneta|troca|carpa)\b|"
                r"\bon the streets?\b|\b(?:got|get|getting|been|was|were|are|is|putting|put) (?:me |us |them )?put out\b|"
                r"\bputting (?:me|us) out\b|\b(?:warming|cooling) (?:centers?|centres?|shelters?|stations?)\b|"
                r"\bwhere (?:can|could|do) (?:i|we) (?:stay|sleep|crash)\b|\bsin casa\b|\bsin hogar\b|"
                r"\bdonde (?:puedo|podemos|pueda) (?:dormir|quedarme|quedarnos|vivir)\b|\bno tengo (?:a )?donde ir\b|"
                r"\b(?:hotel|motel) vouchers?\b"),
     " shelter "),
    # A home among sober people, or one with sober-living rules, is sober living ("sober roommate
    # situation", "a place with accountability and drug tests", "vivir en un lugar sin drogas").
    # (sober people with a home word: "be around sober people tonight" is a support group, see data/nlu.yml)
    (re.compile(r"\bsober (?:roommates?|roomies?|environment|household)\b|"
                r"\b(?:liv\w*|stay\w*|hous\w*|homes?|place|room\w*|apartment|situation|vivir|casa|cuarto)\b[^.?!]{0,40}"
                r"\bsober (?:people|guys|women|men|community)\b|"
                r"\b(?:live|living|vivir|viva|stay|staying) (?:with|con|around|entre) (?:other |otros |otras |more )?"
                r"(?:sober|clean|people in recovery|gente (?:sobria|limpia|en recuperacion)|personas en recuperacion|"
                r"otr[oa]s en recuperacion)\b|"
                r"\b(?:place|house|home|somewhere|lugar|casa|cuarto)\b[^.?!]{0,40}"
                r"\b(?:accountability|(?<!no )(?<!without )drug test\w*|random (?:tests|uas?)|uas|sin (?:drogas|alcohol)|"
                r"drug[- ]free|libre de (?:drogas|alcohol)|limpio de drogas)\b"),
     " sober living "),
]


_RECOVERY_HOME = re.compile(r"\b(?:sober\w*|sobri\w*|recovery|recuperacion|clean|drug[- ]free|libre de drogas|"
                            r"after a program|transitional|transicion|house rules|structured|"
                            r"(?:nobody|no one|no body|nadie) (?:uses|drinks|using|drinking|usa|toma|consume)|"
                            r"donde no se (?:use|usa|tome|toma|consuma|consume))\b")


def keyword_text(text: str, fix_spelling: bool = True) -> str:
    """Normalised text with need look-alikes taken out (and misspelt need words fixed)."""
    fixed = spell_fixed(text) if fix_spelling else crisis.normalize(text)
    for rx, repl in _NOT_A_NEED + _NEED_PHRASES:
        fixed = rx.sub(repl, fixed)
    return re.sub(r"\s+", " ", fixed).strip()


# "gracias, me ayudo" / "gracias, de verdad" are not "City, ME" / "City, DE": these state codes are
# everyday words, so they count only when typed in capitals.
_STATE_WORDS = {"me", "de", "in", "or", "oh", "hi", "ok", "la", "pa", "ma", "mi", "al", "co", "id", "va", "ne"}


def place_in(text: str) -> Optional[str]:
    place = parsing.parse_location(text)
    m = re.fullmatch(r"(.+), ([A-Z]{2})", place or "")
    if m and m.group(2).lower() in _STATE_WORDS and not re.search(rf"\b{m.group(2)}\b", text) \
            and m.group(1).lower() not in parsing.KNOWN_PLACES:
        return None
    return place


def _leftover_words(text: str) -> set:
    """Words left once places, preferences, times and filler are taken out: what else it says."""
    norm = crisis.normalize(text)
    place = place_in(text)
    if place:
        for part in re.split(r"[ ,]+", crisis.normalize(place)):
            norm = re.sub(rf"\b{re.escape(part)}\b", " ", norm)
        norm = re.sub(r"\b(?:ca|fl|mo|ks)\b", " ", norm)
    for rx in parsing._ATTR_RE.values():  # the preference words themselves
        norm = rx.sub(" ", norm)
    norm = re.sub(rf"\b(?:{_TIME}|tonite|2nite|asap|this (?:evening|afternoon)|esta tarde|mismo|open|abiert[oa]s?)\b",
                  " ", norm)
    norm = re.sub(r"\b(?:in spanish|en espanol|spanish|espanol|bilingual|bilingue)\b", " ", norm)
    return {w for w in re.findall(r"[a-z'ñ]+", norm)
            if w not in FILLER and not any(_one_slip(w, t) for t in _TIME_WORDS)}


# Naloxone, test strips, syringe services, learning to respond (crisis_lexicon.harm_reduction_request,
# never a crisis now) are a request for a place: treatment listings. The model's own call may be
# crisis (the topic's words) or no need at all ("narcan 92801"); another need it named stands
# ("sober house that allows narcan on site").
HARM_REDUCTION_OVERRIDABLE = NEED_OVERRIDABLE | {"crisis", "greet", "goodbye", "thanks", "affirm"}
# The model's crisis call stands when the request also speaks of dying or harm the lexicon has no
# words for ("where's narcan, i don't care if i die"): the net only ever takes back an overdose-topic alarm.
_DISTRESS = re.compile(r"\b(?:die|dying|kill\w*|suicid\w*|hurt|harm (?:my|him|her)self|scared|afraid|terrified|"
                       r"give up|don'?t care|dont care|can'?t go on|alone|morir|muero|matar\w*|miedo|no me importa)\b")


def _harm_reduction_intent(text: str, model_intent: Optional[str]) -> Optional[str]:
    if model_intent not in HARM_REDUCTION_OVERRIDABLE or not crisis.harm_reduction_request(text):
        return None
    if model_intent == "crisis" and _DISTRESS.search(crisis.normalize(text)):
        return None
    model_need = model_intent[5:] if (model_intent or "").startswith("find_") else None
    keyword_need = parsing.need_from_keywords(keyword_text(text, fix_spelling=False))
    if (model_need or "treatment") != "treatment" or (keyword_need or "treatment") != "treatment":
        return None
    return "find_treatment"


def rule_intent(text: str, model_intent: Optional[str] = None) -> Optional[str]:
    """The intent a keyword rule assigns to this message, or None to keep the model's."""
    if crisis.detect(text):
        return "crisis"
    command = parsing.parse_command(text)
    if command:
        return command
    harm_reduction = _harm_reduction_intent(text, model_intent)
    if harm_reduction:
        return harm_reduction
    stripped = (text or "").strip()
    if re.fullmatch(r"#?\s*\d{1,2}\.?", stripped):
        return "choose"
    if re.fullmatch(r"\d{5}(?:-\d{4})?", stripped):
        return "inform"
    norm = crisis.normalize(stripped)
    # "not now" / "no por ahora": a no, even when the model took the time word for an answer.
    if NEGATED_TIME.fullmatch(norm) and model_intent not in ("deny", "crisis", "choose", "more", "menu", "reset"):
        return "deny"
    # A question about Signpost is never a bare answer, even when the model is unsure (nlu_fallback):
    # "eres hombre o mujer" must not become a gender preference.
    if model_intent in ("help", "greet", "nlu_fallback") and (_ABOUT_SIGNPOST.search(norm) or _WHERE_THEY_GOT_US.search(norm)):
        return None
    if _PREFERENCE.fullmatch(norm) and model_intent in INFORM_OVERRIDABLE:
        return "inform"
    if _ON_MEDICATION.fullmatch(norm) and model_intent in INFORM_OVERRIDABLE:
        return "inform"
    if model_intent == "out_of_scope" and _ERRAND_ABOUT_A_NEED.search(norm):
        return None
    fixed = keyword_text(text)
    need = parsing.need_from_keywords(keyword_text(text, fix_spelling=False))
    fixed_need = parsing.need_from_keywords(fixed)
    model_need = model_intent[5:] if (model_intent or "").startswith("find_") else None
    # A misspelt keyword ("sober hosue", "sober livng near the clinic") never undoes the model's need.
    if model_need and fixed_need == model_need:
        return None
    if need is None and fixed_need and model_intent in ("inform", "nlu_fallback"):
        need = fixed_need
    # Housing words in a recovery setting ("vivienda para gente en recuperacion", "place to live after
    # a program") are what sober living is: the model's sober-living call stands over the housing keyword.
    if model_need == "sober_living" and need == "housing" and _RECOVERY_HOME.search(fixed):
        return None
    # "on methadone" answering a preference question is a preference, not a request for treatment.
    if need == "treatment" and parsing.only_medication_words(fixed) and not (model_intent or "").startswith("find_"):
        need = None
    if need and (model_intent in NEED_OVERRIDABLE
                 or (model_intent == "choose" and parsing.parse_number(text) is None
                     and not re.search(r"\b(?:number|numero|#|first|second|third|1st|2nd|3rd|primer\w*|segund\w*)\b", text.lower()))):
        return f"find_{need}"
    # A short message that only gives a place, a preference or a time ("tonight", "en miami").
    if (not need and (not parsing.need_keywords(fixed) or parsing.only_medication_words(fixed))
            and model_intent in INFORM_OVERRIDABLE and len(stripped.split()) <= 5):
        if COST_QUESTION.search(norm):
            return None
        leftover = _leftover_words(text)
        # The model's need (or out of scope) stands when the message says more than where/what kind
        # ("sober place in miami", "best pizza in kc").
        if (model_need or model_intent == "out_of_scope") and leftover:
            return None
        gives_place_or_preference = (place_in(text) or parsing.parse_attributes(text)
                                     or parsing.parse_language_pref(text))
        # A time alone ("tonight", "right now please"), not "i'm safe now" or "not now".
        gives_time = parsing.parse_when(text) and not leftover
        if gives_time and not gives_place_or_preference and model_intent in ("affirm", "deny") \
                and YES_NO_FIRST.match(stripped):
            return None
        if gives_place_or_preference or gives_time:
            return "inform"
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNet(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SafetyNet":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            model_intent = (message.get(INTENT) or {}).get("name")
            intent = rule_intent(message.get(TEXT) or "", model_intent)
            if not intent or intent == model_intent:
                continue
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + ranking,
                        add_to_output=True)
        return messages
