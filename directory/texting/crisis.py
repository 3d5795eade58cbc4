"""The gateway's crisis answer: what a text that reads as a crisis gets at once, before anything
reaches the NLU (the words are in crisis_lexicon.py, shared with the bot)."""
from __future__ import annotations

from directory.texting.crisis_lexicon import crisis_language, normalize as fold  # noqa: F401

CRISIS_ANSWER = {
    "en": ("If someone may have overdosed or you are in danger, call 911 now. If you have naloxone "
           "(Narcan), use it. If you are thinking about suicide or are in crisis, call or text 988, "
           "free, 24/7. I'm still here: text me what you need when you're ready."),
    "es": ("Si alguien pudo haber tenido una sobredosis o usted está en peligro, llame al 911 ahora. "
           "Si tiene naloxona (Narcan), úsela. Si piensa en el suicidio o está en crisis, llame o "
           "envíe un texto al 988 (oprima 2 para español), gratis, 24/7. Sigo aquí: escríbame lo que "
           "necesite cuando esté listo."),
}
