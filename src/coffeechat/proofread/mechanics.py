"""Rules about the mechanics of the text: repeats, articles, capitals, spacing, leftovers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from coffeechat.proofread.document import ABBREVIATIONS, Document
from coffeechat.proofread.findings import Finding, ProofreadContext

# "had had" and "that that" are often right ("I think that that works").
_REPEAT_OK = frozenset({"had", "that"})


def repeated_word(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    previous = None
    for token in doc.tokens:
        if (
            previous is not None
            and previous.in_subject == token.in_subject
            and not token.ignored
            and previous.text.lower() == token.text.lower()
            and token.text.lower() not in _REPEAT_OK
            and not _in_compound(doc, previous.start, token.end)  # "on on-call"
            and re.fullmatch(r"[ \t]*\r?\n?[ \t]*", doc.masked[previous.end : token.start])
        ):
            yield doc.finding(
                token.start,
                "repeated-word",
                "error",
                f"'{token.text}' is repeated",
                previous.text,
            )
        previous = token


def _in_compound(doc: Document, start: int, end: int) -> bool:
    return doc.text[start - 1 : start] == "-" or doc.text[end : end + 1] == "-"


# --- a / an: what matters is the sound of the next word, not its first letter ------------
# Vowel letters that sound like a consonant: "a university", "a one-time", "a European".
_VOWEL_LETTER_CONSONANT_SOUND = re.compile(
    r"(?:uni(?:t|on|que|vers|form|corn|lateral|fied|fy|fi|son|cycle|code|cod)"
    r"|us(?:e|u|a|ing|ur)|ut(?:il|op|ensil|er)|ur(?:an|in|e[at]|ol|ug)|ubiq|uk(?:ul|rain)|uvul"
    r"|eu|ewe|one(?![a-z])|ones(?![a-z])|once)",
    re.I,
)
# Consonant letters that are silent: "an hour", "an honest", "an heir".
_SILENT_H = re.compile(r"(?:hour|honest|honor|honour|heir)", re.I)
# Words said either way ("a/an herb", "a/an historic") are left alone.
_EITHER = re.compile(r"(?:herb|histor|hotel|homage)", re.I)
# Letters whose names start with a vowel sound, for initialisms: "an MBA", "an FAQ", "a UX".
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
_SAID_AS_WORDS = frozenset({"SQL", "NASA", "NATO", "UNESCO", "UNICEF", "OPEC", "FAANG"})
_ARTICLE = re.compile(r"\b(an?)[ \t]+([A-Za-z][\w']*(?:-[\w']+)*|\d+)", re.I)


def _vowel_sound(word: str) -> bool | None:
    """True, False, or None when the sound cannot be told from the spelling."""
    if word[0].isdigit():
        # "an 8-week course", "an 11-month", "an 18-year-old"; other numbers: a consonant.
        return word.startswith("8") or word in ("11", "18")
    if _EITHER.match(word):
        return None
    if word.isupper() and 1 < len(word) <= 6:
        # Spelled letter by letter (MBA, UCLA, NYU) unless it reads as a word (NASA, HIPAA).
        if word in _SAID_AS_WORDS or (len(word) >= 4 and word[1] in "AEIOU"):
            return None
        return word[0] in _VOWEL_SOUND_LETTERS
    if _SILENT_H.match(word):
        return True
    if _VOWEL_LETTER_CONSONANT_SOUND.match(word):
        return False
    return word[0].lower() in "aeiou"


def a_an(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    for start, end in _checked_regions(doc):
        for match in _ARTICLE.finditer(doc.masked, start, end):
            article, word = match.group(1), match.group(2)
            after = doc.masked[match.end(2) : match.end(2) + 1]
            if doc.is_ignored(match.start(2), match.end(2)) or after in ("/", "&"):
                continue
            # "Plan A or B", "grade A": a capital A in mid-sentence is the letter.
            if article == "A" and match.start() not in doc.sentence_starts:
                continue
            if word.lower() in ("a", "an"):
                if word.lower() != article.lower():  # "a a" is the repeated-word rule's
                    yield _two_articles(doc, match)
                continue
            vowel = _vowel_sound(word)
            if vowel is None:
                continue
            wanted = "an" if vowel else "a"
            if article.lower() != wanted:
                fixed = wanted.capitalize() if article[0].isupper() else wanted
                yield doc.finding(
                    match.start(),
                    "a-an",
                    "error",
                    f"use '{fixed}' before '{word}'",
                    f"{fixed} {word}",
                )


def _two_articles(doc: Document, match: re.Match[str]) -> Finding:
    """ "a an student": suggest the one article that fits the word after both."""
    article, second = match.group(1), match.group(2)
    following = _ARTICLE.match(doc.masked, match.start(2))
    vowel = _vowel_sound(following.group(2)) if following else None
    if following is None or vowel is None:
        fixed = second
    else:
        wanted = "an" if vowel else "a"
        wanted = wanted.capitalize() if article[0].isupper() else wanted
        fixed = f"{wanted} {following.group(2)}"
    return doc.finding(
        match.start(), "a-an", "error", f"two articles in a row: '{article} {second}'", fixed
    )


def _checked_regions(doc: Document) -> list[tuple[int, int]]:
    return ([doc.subject] if doc.subject else []) + [doc.body]


def sentence_capital(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    for token in doc.body_tokens():
        if token.start not in doc.sentence_starts or token.ignored:
            continue
        word = token.text
        if not word[0].islower() or any(c.isupper() for c in word):  # "iPhone", "eBay"
            continue
        yield doc.finding(
            token.start,
            "sentence-capital",
            "error",
            f"sentence starts with a lowercase '{word}'",
            word[0].upper() + word[1:],
        )


# "i", "i'm", "i've", "i’d": the pronoun; not "i.e.", "(i)", "i-th", "i18n" or "i" quoted.
_PRONOUN_I = re.compile(r"i(?:['’](?:m|ve|d|ll))?", re.I)


def lowercase_i(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    for token in doc.tokens:
        if token.ignored or token.start in doc.sentence_starts:  # sentence-capital's
            continue
        if not token.text.startswith("i") or not _PRONOUN_I.fullmatch(token.text):
            continue
        before = doc.masked[token.start - 1 : token.start]
        after = doc.masked[token.end : token.end + 2]
        if before in "(\"'‘“" or after[:1] in ")-\"'’”" or re.match(r"\.\w|\d", after):
            continue  # "(i)", "i-th", "i.e.", "i18n", the letter "i"
        yield doc.finding(
            token.start,
            "lowercase-i",
            "error",
            f"the pronoun is a capital I: '{token.text}'",
            "I" + token.text[1:],
        )


_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")


def double_space(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    for start, end in _checked_regions(doc):
        for match in _SPACES.finditer(doc.masked, start, end):
            if "\t" in match.group():
                continue  # tabs line up columns on purpose
            yield doc.finding(match.start(), "double-space", "warning", "two spaces in a row", " ")


_PUNCTUATION_RUN = re.compile(r"[.,;:!?]{2,}|…[.,;:]|[,;:]…")


def double_punctuation(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    for start, end in _checked_regions(doc):
        for match in _PUNCTUATION_RUN.finditer(doc.masked, start, end):
            run = match.group()
            if doc.is_ignored(match.start(), match.end()):
                continue
            if set(run) == {"."} and len(run) >= 3:
                continue  # an ellipsis
            if set(run) <= {"?", "!"}:
                if len(set(run)) == 2:
                    continue  # "?!" and "!?" say surprise on purpose
                yield doc.finding(
                    match.start(),
                    "double-punctuation",
                    "warning",
                    f"'{run}' reads as shouting in a professional email",
                    run[0],
                )
                continue
            after = doc.masked[match.end() : match.end() + 1]
            if run == "::" and after.isalnum():
                continue  # code, as in std::vector
            if (
                run.startswith(".")
                and run[1:2] in (",", ";", ":", "?", "!", ")")
                and (_after_abbreviation(doc, match.start()))
            ):
                continue  # "e.g.,", "Inc.,", "a.m.?"
            fixed = run[0] if run[0] not in ",;:" or run[-1] in ",;:" else run[-1]
            yield doc.finding(
                match.start(), "double-punctuation", "error", f"'{run}' in a row", fixed
            )


def _after_abbreviation(doc: Document, offset: int) -> bool:
    start = offset
    while start > 0 and (doc.masked[start - 1].isalpha() or doc.masked[start - 1] == "."):
        start -= 1
    word = doc.masked[start:offset]
    return "." in word or len(word) == 1 or word.lower() in ABBREVIATIONS


# --- placeholders left over from a template ----------------------------------------------
def placeholder(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    for start, end in doc.placeholders:
        yield doc.finding(
            start,
            "placeholder",
            "error",
            f"'{doc.text[start:end]}' looks like a placeholder left in the draft; fill it in or "
            f"remove it",
        )
