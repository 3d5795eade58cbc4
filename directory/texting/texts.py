"""What the gateway says (English and Spanish), and how a text is read before anything else: the
carrier keywords (STOP, START, HELP), a language guess, cleaning, splitting at Twilio's 1,600 characters."""
from __future__ import annotations

import re


from directory.texting.crisis import fold

SMS_LIMIT = 1600  # Twilio's limit for one message body
MAX_TEXT = 1000  # longer texts are not sent to the NLU


# --- texts ----------------------------------------------------------------------------------
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ALTO", "PARAR"}
START_WORDS = {"START", "UNSTOP", "YES", "COMENZAR"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
SPANISH_KEYWORDS = {"ALTO", "PARAR", "AYUDA", "COMENZAR"}

TEXT = {
    "en": {
        "stop": "{program}: you are unsubscribed and will get no more messages. Reply START to resubscribe.",
        "start": "{program}: you are subscribed again. Text what you need, e.g. 'meeting near 97201'. Reply STOP to stop.",
        "help": ("{program} finds recovery support near you: meetings, sober living, housing, rides, "
                 "treatment. Text what you need and your ZIP. For help call 211; in crisis call or text "
                 "988, emergencies 911. Msg frequency varies. Msg & data rates may apply. Reply STOP to stop."),
        "fallback": ("Sorry, I'm slow right now. I'll text you back shortly. If you need help now, call 211. "
                     "In a crisis call or text 988, or 911 in an emergency."),
        "gave_up": ("Sorry, I couldn't answer your last message. Text MENU to start again, or call 211 (24/7). "
                    "In a crisis call or text 988, or 911 in an emergency."),
        "empty": "I got an empty message. Text what you need, e.g. 'meeting near 97201', or HELP.",
        "media": "I can only read text, not pictures or files. Text what you need, e.g. 'meeting near 97201'.",
        "too_long": "That message is too long for me. Tell me in a few words what you need, e.g. 'sober living in Portland'.",
        "outcome_1": "Glad you got connected. Text us any time you need something else.",
        "outcome_2": "Thanks for telling us. Text what you need and we'll look for another place, or call 211.",
        "outcome_3": "Tell me what you need: a meeting, sober living, housing, a ride or treatment, and your ZIP.",
        "follow_up": "{program}: Did you get connected with {name}? Reply 1 yes, 2 no, 3 I need something else.",
        "provider_accept": "{program}: {name} replied that they can take you. Call {phone} to plan your visit.",
        "provider_full": "{program}: {name} is full right now. Text us to find another place, or call 211.",
    },
    "es": {
        "stop": "{program}: se dio de baja y no recibirá más mensajes. Responda START para volver a suscribirse.",
        "start": "{program}: está suscrito otra vez. Escriba lo que necesita, p. ej. 'reunión cerca de 33130'. Responda ALTO para dejar de recibir.",
        "help": ("{program} encuentra apoyo para la recuperación cerca de usted: reuniones, vivienda sobria, "
                 "vivienda, transporte, tratamiento. Escriba lo que necesita y su código postal. Para ayuda "
                 "llame al 211; en crisis llame o escriba al 988, emergencias 911. La frecuencia de mensajes "
                 "varía. Pueden aplicarse tarifas de mensajes y datos. Responda ALTO para dejar de recibir."),
        "fallback": ("Perdón, estoy lento ahora. Le escribo pronto. Si necesita ayuda ya, llame al 211. "
                     "En crisis llame o escriba al 988, o al 911 en una emergencia."),
        "gave_up": ("Perdón, no pude contestar su último mensaje. Escriba MENU para empezar de nuevo, o llame al 211 "
                    "(24/7). En crisis llame o escriba al 988, o al 911 en una emergencia."),
        "empty": "Recibí un mensaje vacío. Escriba lo que necesita, p. ej. 'reunión cerca de 33130', o AYUDA.",
        "media": "Solo puedo leer texto, no fotos ni archivos. Escriba lo que necesita, p. ej. 'reunión cerca de 33130'.",
        "too_long": "Ese mensaje es muy largo para mí. Dígame en pocas palabras qué necesita, p. ej. 'vivienda sobria en Miami'.",
        "outcome_1": "Qué bueno que pudo conectarse. Escríbanos cuando necesite algo más.",
        "outcome_2": "Gracias por avisarnos. Escriba lo que necesita y buscaremos otro lugar, o llame al 211.",
        "outcome_3": "Dígame qué necesita: una reunión, vivienda sobria, vivienda, transporte o tratamiento, y su código postal.",
        "follow_up": "{program}: ¿Pudo conectarse con {name}? Responda 1 sí, 2 no, 3 necesito otra cosa.",
        "provider_accept": "{program}: {name} respondió que puede recibirle. Llame al {phone} para planear su visita.",
        "provider_full": "{program}: {name} está lleno ahora. Escríbanos para buscar otro lugar, o llame al 211.",
    },
}
PROVIDER_TEXT = {
    "accept": "{program}: thank you, referral {code} is marked accepted.",
    "full": "{program}: thank you, referral {code} is marked full.",
    "unknown": "{program}: no open referral {code} was sent to this number. Check the code and reply ACCEPT {code} or FULL {code}.",
}
SPANISH_HINTS = {"hola", "necesito", "busco", "ayuda", "reunion", "reuniones", "vivienda", "cerca", "donde",
                 "tratamiento", "transporte", "gracias", "quiero", "por", "favor", "estoy", "tengo", "buenas",
                 "buenos", "dias", "casa", "sobria"}
ENGLISH_HINTS = {"hi", "hello", "need", "meeting", "meetings", "housing", "near", "where", "treatment", "ride",
                 "thanks", "want", "please", "looking", "help", "sober", "living", "the", "a", "i"}


def text(key: str, language: str, **values) -> str:
    return TEXT.get(language, TEXT["en"])[key].format(**values)


def guess_language(message: str) -> str | None:
    words = set(re.findall(r"[a-z]+", fold(message)))
    es, en = len(words & SPANISH_HINTS), len(words & ENGLISH_HINTS)
    return "es" if es > en else "en" if en > es else None


def keyword(message: str) -> str:
    """The message as a carrier keyword would be read: one word, upper case, no punctuation."""
    return re.sub(r"[^A-Z]", "", fold(message).upper()) if len(message) <= 20 else ""


def clean(body: str) -> str:
    """Printable text only (control characters and stray NULs from junk become spaces), trimmed."""
    return " ".join("".join(c if c.isprintable() else " " for c in body).split())


def split_for_sms(message: str, limit: int = SMS_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word if possible."""
    pieces, rest = [], message.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max((window.rfind(sep) + len(sep) for sep in ("\n\n", "\n", ". ", "? ", "! ") if window.rfind(sep) > limit // 2),
                  default=0) or (window.rfind(" ") if window.rfind(" ") > limit // 2 else limit)
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return pieces + ([rest] if rest else [])
