"""What the bot says in a crisis. The words that mean one (and `detect`) are the crisis lexicon's,
shared with the SMS gateway: directory/texting/crisis_lexicon.py."""
from __future__ import annotations

from typing import Optional

from directory.texting.crisis_lexicon import (DANGER, KINDS, OVERDOSE, SUICIDE, crisis_language,  # noqa: F401
                                              detect, detect_language, harm_reduction_request, normalize,
                                              without_bereavement)

# Replies: each under 320 characters, so one SMS segment pair at most.
_REPLIES = {
    "en": {
        OVERDOSE: ("Possible overdose: call 911 now. Give naloxone (Narcan): 1 spray in a nostril, "
                   "rescue breaths, lay them on their side, 2nd dose after 2-3 min if no response. "
                   "Stay with them. Thoughts of suicide: call or text 988. Are you safe right now?"),
        SUICIDE: ("I'm glad you told me. Call or text 988 now (Suicide & Crisis Lifeline, free, 24/7). "
                  "In danger or someone overdosing: call 911; give naloxone (Narcan) if you have it. "
                  "Are you safe right now?"),
        DANGER: ("If you're in danger now, call 911. If you can't talk, text 911 where available. "
                 "Call or text 988 for support 24/7. Overdose: call 911 and give naloxone (Narcan). "
                 "Are you safe right now?"),
    },
    "es": {
        OVERDOSE: ("Posible sobredosis: llama al 911 ya. Da naloxona (Narcan): 1 spray en la nariz, "
                   "respiracion de rescate, de lado, 2a dosis en 2-3 min si no responde. Quedate con "
                   "la persona. Si piensas en el suicidio: llama o texto al 988. ¿Estas a salvo ahora?"),
        SUICIDE: ("Gracias por decirmelo. Llama o manda texto al 988 ahora (gratis, 24/7, marca 2 para "
                  "español). Si hay peligro o una sobredosis: llama al 911 y usa naloxona (Narcan). "
                  "¿Estas a salvo ahora?"),
        DANGER: ("Si estas en peligro ahora, llama al 911. Si no puedes hablar, manda texto al 911 "
                 "donde se pueda. Apoyo 24/7: llama o texto al 988 (marca 2). Sobredosis: 911 y "
                 "naloxona (Narcan). ¿Estas a salvo ahora?"),
    },
}
_SAFE = {
    "en": "I'm glad. I'm here whenever you want: text MENU to find a meeting, a bed or treatment. 988 is there 24/7 too.",
    "es": "Me alegra. Aqui estoy cuando quieras: escribe MENU para buscar reuniones, vivienda o tratamiento. El 988 esta 24/7.",
}
_UNSAFE = {
    "en": "Please call 911 now, or call or text 988 if you can. If someone isn't breathing, give naloxone and call 911. I'm still here.",
    "es": "Por favor llama al 911 ahora, o llama o manda texto al 988. Si alguien no respira, da naloxona y llama al 911. Sigo aqui.",
}


def reply(kind: Optional[str], lang: str = "en") -> str:
    """What to say at once for a crisis of this kind (danger when unknown)."""
    table = _REPLIES.get(lang, _REPLIES["en"])
    return table.get(kind or DANGER, table[DANGER])


def safe_reply(lang: str = "en") -> str:
    return _SAFE.get(lang, _SAFE["en"])


def unsafe_reply(lang: str = "en") -> str:
    return _UNSAFE.get(lang, _UNSAFE["en"])
