"""The spelling rule: pyspellchecker's offline English dictionary, plus the draft's names.

What it skips, to keep false alarms rare: URLs, addresses, file names, words next to
digits, ALLCAPS acronyms, words with inner capitals (LinkedIn, iPhone), one-letter words,
list numerals ("(ii)"), and capitalized words in mid-sentence (proper nouns: people,
companies, places). A
capitalized word at the start of a sentence or in the subject is flagged only when it is
one edit away from a common word (so "Thnak" is caught but "Priya" is not), a common word
with its doubled letters moved ("Tommorow"), a swap of two letters of one of the
commonest three-letter words ("Teh"), or one edit away from a name the proofreader was
taught ("Mraia" when writing to Maria).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from coffeechat.proofread.document import Document, Token
from coffeechat.proofread.findings import Finding, ProofreadContext
from coffeechat.resources import data_file

COMMON = 2000  # a dictionary count above this marks a common word (about the top 12,000)
COMMONEST = 2_000_000  # "the", "you", "and", "was": about the 60 commonest short words
SUGGESTIBLE = 500  # distance-2 suggestions come from words counted above this (about 25,000)


@functools.cache
def _speller() -> Any:
    # Imported here: loading the dictionary takes a fifth of a second, paid once and only
    # by commands that proofread.
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1)


@functools.cache
def allowlist() -> frozenset[str]:
    """The bundled vocabulary (src/coffeechat/data/words.txt), lowercase."""
    lines = data_file("words.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


@functools.cache
def _by_length() -> dict[int, list[tuple[str, frozenset[str]]]]:
    """Common words grouped by length, for distance-2 suggestions without 200,000 edits."""
    groups: dict[int, list[tuple[str, frozenset[str]]]] = {}
    for word, count in _speller().word_frequency.dictionary.items():
        if count >= SUGGESTIBLE and word.isalpha():
            groups.setdefault(len(word), []).append((word, frozenset(word)))
    return groups


def warm_up() -> None:
    """Load the dictionary now rather than on the first draft (benchmarks call this)."""
    _speller()
    allowlist()
    _by_length()


def _count(word: str) -> int:
    return int(_speller().word_frequency.dictionary.get(word, 0))


def distance(a: str, b: str, limit: int = 2) -> int:
    """Optimal string alignment distance (edits with transpositions), capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


@functools.lru_cache(maxsize=4096)
def suggestions(word: str, *, far: bool = True) -> tuple[str, ...]:
    """Likely intended words, most common first; distance 1, then (if far) distance 2."""
    speller = _speller()
    near = speller.known(speller.edit_distance_1(word))
    if near or not far:
        return tuple(sorted(near, key=lambda w: (-_count(w), w)))
    letters = frozenset(word)
    found = []
    for length in range(len(word) - 2, len(word) + 3):
        for candidate, its_letters in _by_length().get(length, ()):
            # Each edit changes at most two letters of the letter set: a cheap filter.
            if len(letters ^ its_letters) <= 4 and distance(word, candidate) <= 2:
                found.append(candidate)
    return tuple(sorted(found, key=lambda w: (-_count(w), w)))


# Run-together words that split into two real words but are still mistakes.
RUN_TOGETHER = {
    "alot": "a lot", "aswell": "as well", "atleast": "at least", "eachother": "each other",
    "everytime": "every time", "incase": "in case", "infact": "in fact",
    "inspite": "in spite", "thankyou": "thank you", "noone": "no one",
}  # fmt: skip


def _in_dictionary(word: str, taught: frozenset[str]) -> bool:
    return word in taught or word in allowlist() or word in _speller()


def _known(word: str, taught: frozenset[str]) -> bool:
    lower = word.lower().replace("’", "'")
    if lower in RUN_TOGETHER:
        return False
    if _in_dictionary(lower, taught):
        return True
    folded = _fold(lower)
    if folded != lower:  # "résumé", "café", "naïve": the dictionary has them unaccented
        return _known(folded, taught)
    if lower.endswith("'s"):
        return _known(lower[:-2], taught)
    # The dictionary lacks many plurals of newer words ("timelines", "usernames").
    if len(lower) >= 5 and lower.endswith("s") and _in_dictionary(lower[:-1], taught):
        return not _near_common(lower, besides=lower[:-1])  # but "potatos" is "potatoes"
    return _compound(lower) and not _near_common(lower)


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _near_common(word: str, besides: str = "") -> bool:
    """One edit away from a common word: more likely a slip than a coinage."""
    return any(_count(s) >= COMMON for s in suggestions(word, far=False) if s != besides)


def _compound(word: str) -> bool:
    """Two common words written as one, as trades coin them: "timeboxing", "pushback".

    Both halves must be common words of three letters or more, and (see `_known`) the
    whole must not be one edit from a common word, so "pleasent" (plea + sent) and
    "fullfill" are still caught.
    """
    if len(word) < 8 or not word.isalpha():
        return False
    return any(
        _count(word[:i]) >= COMMON and _count(word[i:]) >= COMMON for i in range(3, len(word) - 2)
    )


def _taught(context: ProofreadContext) -> frozenset[str]:
    words: set[str] = set()
    for phrase in (*context.names, context.recipient_name, context.referrer, *context.words):
        for part in phrase.replace("’", "'").replace("-", " ").split():
            part = part.strip(".,;:!?()\"'")
            if part:
                words.add(part.lower())
                words.add(f"{part.lower()}'s")
    return frozenset(words)


def _name_words(context: ProofreadContext) -> list[str]:
    """The context's names as written ("McKinsey", "Maria"), for spotting a misspelled one."""
    words = set()
    for phrase in (*context.names, context.recipient_name, context.referrer):
        for part in phrase.replace("-", " ").split():
            part = part.strip(".,;:!?()\"'")
            if len(part) >= 4 and part.isalpha():
                words.add(part[0].upper() + part[1:])
    return sorted(words)


def _shape(suggestion: str, like: str) -> str:
    return suggestion.capitalize() if like[:1].isupper() else suggestion


# A list numbered "(i)", "(ii)", "(iv)".
_ROMAN = re.compile(r"(?i:x{0,3}(?:ix|iv|v?i{0,3}))")


def _skip(doc: Document, token: Token) -> bool:
    text = doc.text
    before = text[token.start - 1] if token.start else " "
    after = text[token.end] if token.end < len(text) else " "
    word = token.text
    return (
        token.ignored
        or len(word) < 2
        or before.isdigit()
        or after.isdigit()
        or before in "_@#/\\"
        or after in "_/\\"
        or (word.isupper() and len(word) > 1)  # an acronym: MBA, UX, NYC
        or any(c.isupper() for c in word[1:])  # inner capitals: LinkedIn, iPhone, McKinsey
        or (before == "(" and after == ")" and _ROMAN.fullmatch(word) is not None)  # (ii)
    )


def check(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    taught = _taught(context)
    names = _name_words(context)
    tokens = list(doc.tokens)
    # A capitalized word also seen in mid-sentence is someone's name, wherever it stands.
    proper = {
        t.text
        for t in tokens
        if t.text[:1].isupper() and t.start not in doc.sentence_starts and not t.in_subject
    }
    for index, token in enumerate(tokens):
        if _skip(doc, token) or _known(token.text, taught):
            continue
        word = token.text.replace("’", "'")
        base = word[:-2] if word.lower().endswith("'s") else word
        if base[:1].isupper():
            near = [n for n in names if distance(base.lower(), n.lower(), 1) <= 1]
            if near:
                yield doc.finding(
                    token.start,
                    "spelling",
                    "error",
                    f"'{token.text}' looks like a misspelling of the name '{near[0]}'",
                    near[0],
                )
                continue
            if not _checkable_capital(doc, tokens, index, proper):
                continue
            slip = _capital_slip(base.lower())
            if slip:
                yield doc.finding(
                    token.start,
                    "spelling",
                    "error",
                    f"unknown word '{token.text}'",
                    _shape(slip, base),
                )
            continue
        lower = base.lower()
        best = RUN_TOGETHER.get(lower) or next(iter(suggestions(lower)), "")
        yield doc.finding(
            token.start,
            "spelling",
            "error",
            f"unknown word '{token.text}'",
            _shape(best, base),
        )


def _capital_slip(word: str) -> str | None:
    """The common word that a capitalized unknown `word` (lowercased) is a slip for, if any.

    Names start sentences too ("Sunil suggested..."), and many are an edit or two from a
    common word, so only the likeliest slips count.
    """
    if len(word) == 3:
        # Three-letter names abound (Wei, Ari: "air"); a swap of two letters of one of the
        # commonest words ("Teh", "Yuo", "Adn") is a slip.
        swaps = (word[1] + word[0] + word[2], word[0] + word[2] + word[1])
        return next((w for w in swaps if _count(w) >= COMMONEST), None)
    near = [s for s in suggestions(word, far=False) if _count(s) >= COMMON]
    if near:
        return near[0]
    # Two edits, but only a doubled letter moved ("Tommorow", "Reccomend"): a classic slip,
    # and no name we tried is a common word with its doubled letters moved.
    return next(
        (s for s in suggestions(word) if _count(s) >= COMMON and _squeeze(s) == _squeeze(word)),
        None,
    )


def _squeeze(word: str) -> str:
    """The word with each run of a repeated letter written once: "tommorow" -> "tomorow"."""
    return "".join(c for i, c in enumerate(word) if word[i - 1 : i] != c)


def _checkable_capital(doc: Document, tokens: list[Token], index: int, proper: set[str]) -> bool:
    """A capitalized unknown word is checked only where a common word could stand."""
    token = tokens[index]
    if token.text in proper or len(token.text) < 3 or token.text.lower().endswith("'s"):
        return False
    at_start = (
        token.in_subject or token.start in doc.sentence_starts or token.start in doc.item_starts
    )
    if not at_start:
        return False
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    # "Priya Raman suggested...": a run of capitalized words is a name.
    return not (
        following is not None
        and following.text[:1].isupper()
        and doc.text[token.end : following.start] == " "
        and not token.in_subject
    )
