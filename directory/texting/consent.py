"""Consent revoked in the person's own words ("stop texting me", "ya no me manden mensajes").

FCC 24-18: a person may revoke consent by any reasonable means, not only the carrier keywords.
People in recovery say "stop" all the time about other things ("i want to stop drinking", "stop,
i meant women only", "stop sending me to meetings in irvine"), and a false opt-out silences
someone who asked for help, so a phrase counts only when it is about our texts to them: a verb
of texting aimed at "me" or this number, our list, or the messages themselves. Measured on
tests/texting/consent_cases.yml and bot/tests/realdata_optouts.yml (opt-outs and look-alikes).
"""
from __future__ import annotations

import re
from typing import Optional

from directory.texting.crisis_lexicon import normalize

MAX_LENGTH = 200  # a longer text tells a story ("my ex won't stop texting me..."), not a request to us

_TEXTS = r"(?:texts?|txts?|txt msgs?|messages?|msgs?|sms|stuff|things|these|this|those|anything|nothing|spam)"
_TEXTING = r"(?:texting|txting|txtin|textin|messaging|msging|msgin|contacting|calling|spamming|bothering|hitting me up)"
_ME = r"(?:me|this (?:number|phone|#)|my (?:number|phone|cell|#))"
_LIST = r"(?:list|texts?|text list|texting list|mailing list|contact list|contacts|messages|system|database|program)"
_WHOSE = r"(?:your|ur|yalls?|the|this|these|that|you(?:r)? guys'?)"

_EN = [
    # stop / quit texting me, stop sending me texts (not "stop sending me to meetings")
    rf"\b(?:stop|quit|cease|enough) {_TEXTING} {_ME}\b",
    rf"\b(?:stop|quit|cease) (?:sending|send) (?:me )?(?:any ?more |more |all )?(?:of )?(?:your |these |those |this |the )?{_TEXTS}\b(?! (?:to|about)\b)",
    rf"\b(?:stop|quit|no more) {_TEXTING}\b$",
    # don't text me (again / anymore)
    rf"\b(?:dont|don't|do not|never|pls dont|please dont) (?:ever )?(?:text|txt|message|msg|contact|call|sms|bother|spam) {_ME}\b",
    rf"\b(?:dont|don't|do not|never) (?:ever )?(?:send|sent) (?:me|this number) (?:any ?more |more |any )?{_TEXTS}\b(?! (?:to|about)\b)",
    # take me off your list, remove my number, unsubscribe, opt me out
    rf"\b(?:take|remove|delete|drop|get|erase|scratch|cross) (?:me|my (?:number|phone(?: number)?|cell|#|info)|this (?:number|phone(?: number)?|#)) "
    rf"(?:off|from|out of)(?: of)? (?:{_WHOSE} )?{_LIST}\b",
    r"\b(?:take|get) me off (?:of )?(?:this|it|that|here)\W*$",
    r"\b(?:remove|delete|erase|lose) (?:my|this) (?:number|phone number|#|info)\b",
    r"\bun-?subscribe\b|\bunsub\b|\bopt (?:me )?out\b|\boptout\b|\bopt-out\b",
    # i don't want these texts, no more texts, cancel these texts
    r"\b(?:i )?(?:dont|don't|do not) want (?:to (?:get|receive) )?(?:any ?more |more |any |these |your |the |those |this )*"
    r"(?:texts?|txts?|messages?|msgs?|sms|text messages?)\b",
    r"\bno (?:more )?(?:texts?|txts?|messages?|msgs?|text messages?)(?: (?:please|pls|plz|thanks|thank you))?\W*$",
    r"^no more (?:texts?|txts?|messages?|msgs?|text messages?)\b",
    r"\bcancel (?:these |the |your |my |all |this )?(?:texts?|txts?|messages?|msgs?|subscription|text messages?)\b",
    # "wrong number" together with a stop word
    r"\bwrong (?:number|#|person)\b.*\b(?:stop|quit)\b|\b(?:stop|quit)\b.*\bwrong (?:number|#|person)\b",
]
_ES_SEND = (r"(?:manden|mandes|mande|mandar|envien|envies|envie|enviar|escriban|escribas|escriba|escribir|"
            r"texteen|textees|textee|textear|contacten|contactes|contacte|contactar|llamen|molesten|molestes)")
_ES = [
    # ya no me manden mensajes / no me escriban mas / no me vuelvan a escribir (not "no me mandes a irvine")
    rf"\b(?:ya )?no me (?:vuelvan a |vuelvas a |vuelva a )?{_ES_SEND}\b"
    r"(?! (?:a|al|para|con|donde|en|lo|la|el|los|las|un|una|eso|esa|ese|solo|nomas|mas lejos)\b)",
    # dejen de mandarme mensajes / para de escribirme (not "mi ex no para de escribirme")
    r"(?<!\bno )\b(?:dejen|deja|dejan|paren|para|pare) de (?:mandar|enviar|escribir|textear|contactar|llamar|molestar)(?:me|nos)\b",
    r"(?<!\bno )\b(?:dejen|deja|paren|para|pare) de (?:mandar|enviar) (?:mensajes|textos|sms)\b",
    # borren mi numero, quitenme de la lista, saquenme de su lista, denme de baja
    r"\b(?:borren|borra|borre|eliminen|elimina|elimine|quiten|quita|quite|saquen|saca|saque) (?:mi|este) (?:numero|telefono|celular)\b",
    r"\b(?:quitenme|quitame|quiteme|saquenme|sacame|saqueme|borrenme|borrame|borreme|eliminenme|eliminame)"
    r" (?:de|del) (?:la |su |tu |esta |sus |este |el )?(?:lista|listado|sistema|programa|servicio|mensajes|textos)\b",
    r"\b(?:darme|denme|dame|deme|me quiero dar|me doy|quiero darme) de baja\b|\bcancelar (?:mi )?suscripcion\b",
    # no quiero (recibir) mas mensajes, ya basta de mensajes, cancelar mensajes
    r"\bno (?:quiero|deseo) (?:recibir |que me (?:manden|envien|escriban) )?(?:mas |ningun |ningunos |ningunas |estos |sus |los |tus )?"
    r"(?:mensajes|textos|sms|mensajitos)\b",
    r"\b(?:ya )?basta de (?:mensajes|textos|sms)\b",
    r"\bcancel(?:ar|en|a|e) (?:los |sus |estos |mis |todos los )?(?:mensajes|textos|sms)\b",
    r"\bno mas (?:mensajes|textos|sms)\b",
]
_COMPILED = {"en": [re.compile(p) for p in _EN], "es": [re.compile(p) for p in _ES]}

# Someone else's texting ("get him to stop texting me", "my ex won't stop texting me"), or a "no"
# before the stop ("don't stop texting me"): not a request to us.
_THIRD_PARTY = {"him", "her", "them", "he", "she", "they", "ex", "dealer", "people", "someone", "somebody",
                "everyone", "guy", "girl", "wont", "doesnt", "didnt", "cant", "never", "dont", "not", "would",
                "should", "could", "mom", "dad", "husband", "wife", "boyfriend", "girlfriend", "bf", "gf"}


def _folded(text: str) -> str:
    norm = normalize(text)
    norm = re.sub(r"[!?.,;:()\"*]+", " ", norm)
    return re.sub(r"\s+", " ", norm).strip()


def _aimed_at_us(norm: str, start: int) -> bool:
    before = norm[:start].split()
    if not before:
        return True
    prev = before[-1].replace("'", "")
    if prev in _THIRD_PARTY:
        return False
    if prev == "to":  # "i want you to stop texting me", "i want to unsubscribe" yes; "get him to stop texting me" no
        return len(before) < 2 or before[-2].replace("'", "") not in _THIRD_PARTY
    return True


def opt_out_language(text: str) -> Optional[str]:
    """'en' or 'es' when the text revokes consent to our texts in the person's words, else None."""
    if not text or len(text) > MAX_LENGTH:
        return None
    norm = _folded(text)
    for lang in ("es", "en"):
        for rx in _COMPILED[lang]:
            for m in rx.finditer(norm):
                if _aimed_at_us(norm, m.start()):
                    return lang
    return None


def is_opt_out(text: str) -> bool:
    return opt_out_language(text) is not None
