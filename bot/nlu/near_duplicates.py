"""Near-duplicate groups of training examples: a message and its rewrites ("pls" for "please", no
accents, one slipped letter, "lol" tacked on).

Used twice, with the same definition: bench/bench_bot.py's grouped cross-validation keeps a group in
one fold, and the intent classifier's neighbour-similarity feature (bot/nlu/tfidf_classifier.py)
leaves a training example's own group out, so that in training it looks the way a new message does.
Pure Python, no dependencies.
"""
from __future__ import annotations

import re
import unicodedata

# Texting shorthand folded into one form when grouping near-duplicates (never used as training text).
_SMS_WORDS = {"u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "plez": "please",
              "thx": "thanks", "thnx": "thanks", "ty": "thanks", "tx": "thanks", "porfa": "por favor",
              "porfavor": "por favor", "xfa": "por favor", "q": "que", "k": "que", "ke": "que", "toy": "estoy",
              "tonite": "tonight", "2nite": "tonight", "tmrw": "tomorrow", "tmr": "tomorrow", "2moro": "tomorrow",
              "mtg": "meeting", "mtgs": "meetings", "w": "with", "rn": "right now", "pa": "para", "x": "por",
              "b4": "before", "im": "i am", "ok": "okay", "yeah": "yes", "yea": "yes", "gonna": "going to",
              "wanna": "want to", "idk": "i do not know", "dont": "do not", "cant": "can not", "wont": "will not",
              "didnt": "did not", "doesnt": "does not", "isnt": "is not", "whats": "what is", "wheres": "where is",
              "thats": "that is", "its": "it is", "ive": "i have", "ill": "i will", "n": "no"}


# Words tacked on to make a "new" example ("tell me a joke lol", "what can you do exactly").
_PADDING = {"lol", "please", "por", "favor", "exactly", "signpost", "really", "haha", "jaja", "pues", "bro"}


def normalise_for_grouping(text: str) -> str:
    """Lowercase, no accents/punctuation/apostrophes, SMS shorthand spelled out, padding words dropped,
    ZIPs and letter runs folded."""
    t = unicodedata.normalize("NFKD", text.lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = re.sub(r"[’'`]", "", t)
    t = re.sub(r"\b\d{5}(?:-\d{4})?\b", " zip ", t)
    t = re.sub(r"[^a-z0-9 ]+", " ", t)
    words = [w2 for w in t.split() for w2 in _SMS_WORDS.get(w, w).split()]
    t = " ".join(w for w in words if w not in _PADDING) or " ".join(words)
    return re.sub(r"(.)\1+", r"\1", t)  # "nooo" = "no", "reallly" = "realy"


def _deletions(s: str, k: int) -> set:
    out, frontier = {s}, {s}
    for _ in range(k):
        frontier = {f[:i] + f[i + 1:] for f in frontier for i in range(len(f))}
        out |= frontier
    return out


def near_duplicate_groups(examples: list[tuple[str, str]]) -> list[int]:
    """A group id per (text, intent): the same normalised text (any intent), or, within an intent, one
    slipped letter apart (two for 12+ characters): a shared deletion variant (insertions, deletions,
    substitutions and swaps all leave one). Union-find, so chains of rewrites end up together."""
    parent = list(range(len(examples)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: dict = {}
    for i, (text, intent) in enumerate(examples):
        norm = normalise_for_grouping(text)
        keys = [("=", norm)] + [(intent, v) for v in _deletions(norm, 1 if len(norm) < 12 else 2)]
        for key in keys:
            j = seen.setdefault(key, i)
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return [find(i) for i in range(len(examples))]
