"""The seeds' etiquette for asking a stranger for their time.

"Mention who suggested you contact them." "Ask for no more than 15 min." "Emphasize that
you are looking for information, not a job." And a greeting that names the person.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from coffeechat.models import first_name
from coffeechat.proofread.document import WORD, Document
from coffeechat.proofread.findings import Finding, ProofreadContext, Severity

ASKING_KINDS = ("outreach", "follow-up")
LONGEST_ASK = 30  # minutes; the seeds say 15-30
READ_IN_A_MINUTE = 200  # words; more is a warning
TOO_LONG = 300  # words; more is an error

_HONORIFICS = frozenset(
    ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "madam"]
)


def _name_parts(name: str) -> list[str]:
    parts = [p.strip(".,()\"'").lower() for p in name.replace("-", " ").split()]
    return [p for p in parts if len(p) >= 2 and p not in _HONORIFICS]


def _opening(doc: Document) -> int:
    """Where a finding about the whole email points: the first word after the greeting."""
    after = doc.greeting[1] if doc.greeting else doc.body[0]
    for token in doc.body_tokens():
        if token.start >= after:
            return token.start
    return doc.body[0]


# --- greeting --------------------------------------------------------------------------
_IMPERSONAL = re.compile(
    r"to whom it may concern|dear (?:sir|madam|sirs|sir or madam|sir/madam|madam or sir"
    r"|hiring manager|recruiter|team|friend|colleague)\b",
    re.I,
)
# fmt: off
_NOT_NAMES = frozenset({
    "hi", "hello", "hey", "hiya", "dear", "greetings", "good", "morning", "afternoon",
    "evening", "there", "all", "everyone", "team", "folks", "friend", "friends", "again",
    "and",
})
# fmt: on


def greeting(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    parts = _name_parts(context.recipient_name)
    if not parts:
        return
    if doc.greeting is None:
        first = _opening(doc)
        line_end = doc.masked.find("\n", first)
        line = doc.masked[first : line_end if line_end >= 0 else len(doc.masked)].lower()
        if not any(re.search(rf"\b{re.escape(p)}\b", line) for p in parts):
            yield doc.finding(
                first,
                "greeting-without-name",
                "warning",
                f"the email does not open with a greeting to {context.recipient_name}",
                f"Hi {first_name(context.recipient_name)},",
            )
        return
    start, end = doc.greeting
    text = doc.text[start:end]
    suggestion = f"Hi {first_name(context.recipient_name)},"
    impersonal = _IMPERSONAL.search(text)
    if impersonal:
        yield doc.finding(
            start,
            "greeting-without-name",
            "error",
            f"'{impersonal.group()}' is impersonal; greet {context.recipient_name} by name",
            suggestion,
        )
        return
    words = [w for w in WORD.findall(text) if w.lower().strip(".") not in _NOT_NAMES]
    words = [w for w in words if w.lower() not in _HONORIFICS]
    if any(_same_name(w.lower(), p) for w in words for p in parts):
        return
    if words:
        from coffeechat.proofread.spelling import distance

        if any(distance(w.lower(), p, 2) <= 2 for w in words for p in parts):
            return  # a misspelled name; the spelling rule says so with the right name
        yield doc.finding(
            start,
            "greeting-without-name",
            "warning",
            f"the greeting names {' '.join(words)}, but this email is to {context.recipient_name}",
            suggestion,
        )
        return
    yield doc.finding(
        start,
        "greeting-without-name",
        "warning",
        f"the greeting does not name {context.recipient_name}",
        suggestion,
    )


def _same_name(word: str, part: str) -> bool:
    """Equal, or a short form of it: "Alex" for "Alexandra", "Chris" for "Christopher"."""
    return word == part or (len(word) >= 3 and (part.startswith(word) or word.startswith(part)))


# --- durations ---------------------------------------------------------------------------
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10,
    "fifteen": 15, "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40,
    "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "couple of": 2, "a couple of": 2,
}  # fmt: skip
_NUMBER = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len)[::-1]) + ")"
_DURATION = re.compile(
    r"\b(?:(?P<half>half[ -](?:an[ -])?hour|a[ -]half[ -]hour)"
    r"|(?P<quarter>quarter[ -](?:of[ -]an[ -])?hour)"
    rf"|(?P<n1>{_NUMBER})(?:[ \t]*(?:-|–|to|or)[ \t]*(?P<n2>{_NUMBER}))?"
    r"[ \t-]?(?P<unit>minutes?|mins?|hours?|(?-i:hrs?|h))(?P<and_half>[ -]and[ -]a[ -]half)?)\b",
    re.I,
)


@dataclass(frozen=True)
class Duration:
    start: int
    end: int
    minutes: float


def durations(doc: Document) -> list[Duration]:
    found = []
    end = doc.prose_end
    for match in _DURATION.finditer(doc.masked, doc.body[0], end):
        if match.group("half"):
            minutes = 30.0
        elif match.group("quarter"):
            minutes = 15.0
        else:
            values = [_value(match.group(g)) for g in ("n1", "n2") if match.group(g)]
            minutes = max(values) * (60 if match.group("unit").lower().startswith("h") else 1)
            if match.group("and_half"):
                minutes += 30
        found.append(Duration(match.start(), match.end(), minutes))
    return found


def _value(text: str) -> float:
    text = re.sub(r"\s+", " ", text.lower())
    return _NUMBERS[text] if text in _NUMBERS else float(text)


_ASK_AFTER = re.compile(
    r"[ \t-]*(?:long[ \t]+)?(?:of your (?:time|day)|(?:phone |video |zoom |quick |short )?"
    r"(?:call|chat|meeting|conversation|coffee|zoom|talk|interview)|with you"
    r"|to (?:chat|talk|meet|speak|discuss|learn|hear|connect|catch up|pick your brain|ask))\b",
    re.I,
)
_ASK_BEFORE = re.compile(
    r"\b(?:spare|have|give|offer|find|set aside|block|book|grab|schedule|ask for|request"
    r"|borrow|take up|need|want|free for|available for|meet for|chat for|talk for"
    r"|speak for|call for)\W+(?:\w+\W+){0,3}$",
    re.I,
)
_REQUEST = re.compile(
    r"\?|\b(?:would|could|can|will|may|might) (?:you|we|i)\b|\bif you\b|\b(?:i'd|i would)"
    r" (?:love|like|appreciate)\b|\bhappy to\b|\bwilling\b|\blet me know\b|\bhoping\b",
    re.I,
)


def _sentence(doc: Document, start: int, end: int) -> tuple[int, int]:
    left = max(doc.masked.rfind(c, doc.body[0], start) for c in ".!?\n")
    stops = [i for i in (doc.masked.find(c, end) for c in ".!?\n") if i >= 0]
    return max(left + 1, doc.body[0]), min(stops, default=len(doc.masked)) + 1


def _is_ask(doc: Document, duration: Duration) -> bool:
    if _ASK_AFTER.match(doc.masked, duration.end):
        return True
    s, e = _sentence(doc, duration.start, duration.end)
    before = doc.masked[s : duration.start]
    return bool(_ASK_BEFORE.search(before) and _REQUEST.search(doc.masked[s:e]))


def time_ask(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    """long-meeting-ask and no-time-ask."""
    if context.kind not in ASKING_KINDS:
        return
    found = durations(doc)
    too_long = [d for d in found if d.minutes > LONGEST_ASK and _is_ask(doc, d)]
    for d in too_long:
        yield doc.finding(
            d.start,
            "long-meeting-ask",
            "error",
            f"'{doc.text[d.start : d.end]}' is a lot to ask of a stranger; ask for 15-30 minutes",
            "20 minutes",
        )
    if too_long or any(d.minutes <= LONGEST_ASK for d in found):
        return
    yield doc.finding(
        _opening(doc),
        "no-time-ask",
        "error" if context.kind == "outreach" else "warning",
        "the email does not say how long a meeting you ask for; ask for 15-30 minutes",
        "Would you have 20 minutes for a call?",
    )


# --- asking for a job ------------------------------------------------------------------
_ROLE = r"(?:job|position|role|internship|opening|interview|offer)s?"
_JOB_ASK = re.compile(
    r"\b(?:are|is)\s+(?:you|your\s+\w+|\w+)\s+(?:currently\s+|still\s+|now\s+)?hiring\b"
    r"|\bany\s+(?:current\s+|open\s+|available\s+|upcoming\s+)?(?:job\s+|internship\s+)?"
    r"(?:openings|vacancies|open\s+(?:positions|roles)|job\s+(?:opportunities|openings))"
    r"|\b(?:positions|roles|jobs|internships)\s+(?:available|open)\b(?!\s+(?:doors?|up)\b)"
    # "a referral for the analyst role": the seeds' "Asking for a job", put politely.
    rf"|\breferral\s+for\s+(?:a|an|the|this|that|your|any|one)\b[^.?!\n]{{0,30}}?\b{_ROLE}\b"
    rf"|\b(?:give|offer|find|get)\s+me\s+(?:a|an|any|the)\s+(?:\w+\s+)?{_ROLE}\b"
    r"|\bhire\s+me\b"
    rf"|\b(?:refer|recommend)\s+me\s+(?:for|to)\s+(?:a|an|the|any|your|this|that|one)\b"
    rf"[^.?!\n]{{0,30}}?\b(?:{_ROLE}|hiring|recruiters?|team)\b"
    r"|\b(?:could|can|would|will)\s+you\s+(?:please\s+)?(?:refer|recommend)\s+me\b"
    r"|\b(?:could|can|would|will)\s+you\s+be\s+(?:able|willing)\s+to\s+refer\s+me\b"
    rf"|\bbe\s+considered\s+for\s+(?:a|an|the|any|your|this|that)\s+(?:\w+\s+){{0,2}}{_ROLE}\b"
    rf"|\binterview\s+for\s+(?:a|an|the|any|your|this|that)\s+(?:\w+\s+){{0,2}}{_ROLE}\b"
    rf"|\bchance\s+(?:of|at|for)\s+(?:a|an|any)\s+(?:\w+\s+)?{_ROLE}\b"
    r"|\bput\s+in\s+a\s+(?:good\s+)?word\s+for\s+me\b"
    r"|\b(?:pass|forward|send|share)\s+my\s+(?:resume|résumé|cv|application)\s+"
    r"(?:along\s+|on\s+)?(?:to|with)\s+(?:the\s+|your\s+|a\s+)?(?:hiring|recruit|hr\b|manager)"
    rf"|\bconsider\s+me\s+for\s+(?:a|an|the|any)\s+(?:\w+\s+)?{_ROLE}\b"
    rf"|\bhelp\s+me\s+(?:get|land|find|secure)\s+(?:a|an)\s+(?:\w+\s+)?{_ROLE}\b"
    rf"|\b(?:looking\s+for|seeking|(?:would|'d)\s+(?:love|like)|want|hoping\s+for|"
    rf"apply(?:ing)?\s+for)\s+(?:a|an)\s+(?:\w+\s+)?{_ROLE}\s+"
    r"(?:(?:at|with)\s+\w+|(?:on|in)\s+(?:your|\w+'s)\b)",
    re.I,
)
_NEGATION = re.compile(r"\b(?:not|never|no)\b|n't\b", re.I)


def job_ask(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    if context.kind not in ASKING_KINDS:
        return
    for match in _JOB_ASK.finditer(doc.masked, doc.body[0], doc.prose_end):
        s, _ = _sentence(doc, match.start(), match.end())
        if _NEGATION.search(doc.masked[s : match.start()]):
            continue  # "I'm not asking you to hire me"
        phrase = " ".join(match.group().split())
        yield doc.finding(
            match.start(),
            "job-ask",
            "error",
            f"'{phrase}' asks for a job; an informational interview asks for information "
            f"and advice, not a job",
        )


# --- the referrer ------------------------------------------------------------------------
def referrer(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    if context.kind not in ASKING_KINDS or not context.referrer.strip():
        return
    parts = _name_parts(context.referrer)
    # The prose between the greeting and the sign-off: a surname the user or the recipient
    # shares with the referrer ("Best, Alex Lee" for Sam Lee) is not a mention of them.
    start = doc.greeting[1] if doc.greeting else doc.body[0]
    regions = [doc.masked[start : doc.prose_end]]
    if doc.subject:
        regions.append(doc.masked[doc.subject[0] : doc.subject[1]])
    text = " ".join(regions).lower().replace("’", "'")
    if any(re.search(rf"\b{re.escape(p)}\b", text) for p in parts):
        return
    yield doc.finding(
        _opening(doc),
        "missing-referrer",
        "error",
        f"say that {context.referrer} suggested you get in touch; a mutual contact is why a "
        f"stranger answers",
        f"{context.referrer} suggested I contact you.",
    )


# --- length ------------------------------------------------------------------------------
_COUNTED = re.compile(r"[\w'’]+(?:-[\w'’]+)*")


def length(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    if context.kind not in ASKING_KINDS:
        return
    start = doc.greeting[1] if doc.greeting else doc.body[0]
    words = list(_COUNTED.finditer(doc.masked, start, doc.prose_end))
    if len(words) <= READ_IN_A_MINUTE:
        return
    severity: Severity = "error" if len(words) > TOO_LONG else "warning"
    yield doc.finding(
        words[READ_IN_A_MINUTE].start(),
        "too-long",
        severity,
        f"the body is {len(words)} words; keep it under {READ_IN_A_MINUTE} so it reads in a "
        f"minute (this is word {READ_IN_A_MINUTE + 1})",
    )
