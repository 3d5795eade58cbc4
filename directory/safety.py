"""The gateway's crisis safety net (English and Spanish), checked before anything reaches the NLU.

A crisis answer must not depend on Rasa being up or on a model (GUIDE §5). Two lists are checked:
the phrases below, and the bot's own keyword net (bot/actions/crisis.py: dependency-free, the one
the NLU pipeline uses too), so that whatever the bot would call a crisis the gateway answers as one
even when Rasa is down; add new phrasings there. Phrases are matched on lower-cased, accent-free
text with word boundaries, so "overdose" matches "OVERDOSED!" but "dose" alone does not. Erring
towards answering: a false alarm costs one extra text.
"""
from __future__ import annotations

import re
import unicodedata

from bot.actions import crisis as bot_crisis
from bot.actions.parsing import detect_language

CRISIS_PHRASES = {
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
        r"suicidio", r"suicidarme", r"suicida", r"matarme", r"me voy a matar", r"me quiero matar", r"quitarme la vida",
        r"quiero morir(?:me)?", r"me quiero morir", r"no quiero vivir", r"hacerme dano", r"lastimarme",
        r"cortarme", r"estoy en peligro", r"me (?:esta|estan) (?:pegando|golpeando|atacando)",
        r"me va(?:n)? a (?:matar|lastimar)", r"emergencia",
    ],
}
_PATTERNS = {lang: re.compile(r"\b(?:" + "|".join(p) + r")\b") for lang, p in CRISIS_PHRASES.items()}

CRISIS_ANSWER = {
    "en": ("If someone may have overdosed or you are in danger, call 911 now. If you have naloxone "
           "(Narcan), use it. If you are thinking about suicide or are in crisis, call or text 988, "
           "free, 24/7. I'm still here: text me what you need when you're ready."),
    "es": ("Si alguien pudo haber tenido una sobredosis o usted está en peligro, llame al 911 ahora. "
           "Si tiene naloxona (Narcan), úsela. Si piensa en el suicidio o está en crisis, llame o "
           "envíe un texto al 988 (oprima 2 para español), gratis, 24/7. Sigo aquí: escríbame lo que "
           "necesite cuando esté listo."),
}


def fold(text: str) -> str:
    """Lower case, accents removed, curly quotes straightened, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(text.replace("\u2019", "'").split())


def crisis_language(text: str) -> str | None:
    """'en' or 'es' when the text reads as a crisis, else None."""
    folded = bot_crisis.without_bereavement(fold(text))  # "lost a kid to od" is a loss, not an overdose now
    for lang in ("es", "en"):  # Spanish first: 'suicidio' should answer in Spanish
        if _PATTERNS[lang].search(folded):
            return lang
    if bot_crisis.detect(text):
        return detect_language(text) or "en"
    return None
