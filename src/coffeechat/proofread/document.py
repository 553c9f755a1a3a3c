"""A draft split into what the rules read: the subject, the body's prose, and what to skip.

The text is kept whole so that every offset is an offset in the text as the user gave it;
parts that are not the user's prose (header names and addresses, quoted lines, the
signature block) are blanked out in `masked` with spaces, newlines kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from coffeechat.proofread.findings import Finding, Severity

# Letters, with inner apostrophes for contractions and possessives ("don't", "Maria's").
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

# Header-ish lines the draft may start with (RFC 5322 §2.2 field names); folded
# continuation lines start with white space (RFC 5322 §2.2.3).
_HEADER = re.compile(
    r"(subject|to|from|cc|bcc|date|reply-to|in-reply-to|references)[ \t]*:[ \t]*", re.I
)
GREETING = re.compile(
    r"[ \t]*(?:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening)"
    r"|to whom it may concern)\b",
    re.I,
)
_SIGNOFF = re.compile(
    r"[ \t]*(?:best|best regards|best wishes|all the best|regards|kind regards|warm regards"
    r"|warmest regards|warmly|warm wishes|thanks|thank you|thanks again|thank you again"
    r"|thanks so much|thank you so much|many thanks|with thanks|with gratitude|gratefully"
    r"|cheers|sincerely|yours|yours sincerely|yours truly|respectfully|take care|talk soon"
    r"|speak soon|looking forward)[ \t]*[,.!]?[ \t]*",
    re.I,
)
# "On Tue, 3 Mar 2025, Maria <m@x.com> wrote:" introduces a quoted earlier message.
_ATTRIBUTION = re.compile(r"[ \t]*On .{4,200} wrote:[ \t]*")
_BULLET = re.compile(r"[ \t]*(?:[-*•–]|\d{1,2}[.)])[ \t]+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_GREETING_STOP = re.compile(r"[,!:;.—–\r]| - ")
_SENTENCE_END = re.compile(r"[.!?]['\"”’)\]]*\s")

# Spans that are not words to check: addresses and links (RFC 3986 Appendix C allows
# <...> around a URI in plain text), file names, handles.
_IGNORED = re.compile(
    r"(?:https?|ftp)://[^\s<>\"]+[^\s<>\".,;:!?)\]]"
    r"|(?:mailto:|www\.)[^\s<>\"]+[^\s<>\".,;:!?)\]]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[\w-]+\.)+(?:com|org|net|edu|gov|io|ai|co|dev|app|me|info|us|uk|ca|de|fr|eu|ly"
    r"|tech|xyz)\b(?:/[^\s<>\"]*[^\s<>\".,;:!?)\]])?"
    r"|\b[\w-]+\.(?:pdf|docx?|pptx?|xlsx?|csv|txt|md|png|jpe?g|gif|zip|ics)\b"
    r"|(?<![\w@])[@#][\w][\w.-]*\w",
    re.I,
)
# Leftovers of a template: the placeholder rule reports them, the other rules skip them.
PLACEHOLDER = re.compile(
    r"\[[ \t]*[A-Za-z][^\[\]\n]{0,48}\](?!\()"  # [Name], [Company]; not a Markdown link
    r"|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"  # jinja2
    r"|\{[ \t]*[A-Za-z_][\w .]{0,40}\}"  # {name}, str.format
    r"|<[ \t]*[A-Za-z][^<>\n@:]{0,40}>"  # <Company>, <your name>; not <a@b.c>, <https://...>
    r"|%\([a-z_]+\)[sd]"  # %(name)s
    r"|\b(?-i:TODO|FIXME|XXX|TKTK)\b"  # markers, in capitals only: "xxx" may be a word
    r"|_{3,}"  # a blank to fill in
    r"|\blorem ipsum\b",
    re.I,
)
_HTML_TAGS = frozenset({"br", "p", "b", "i", "u", "em", "strong", "div", "span", "a"})
_TITLES = frozenset({"mr", "mrs", "ms", "mx", "dr", "prof", "rev", "hon", "st"})
# fmt: off
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co", "corp",
    "approx", "dept", "univ", "est", "no", "cf", "al", "ave", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed",
    "thu", "thur", "thurs", "fri", "sat", "sun",
})
# fmt: on


@dataclass(frozen=True)
class Token:
    """A word of the subject or the body, by offset."""

    start: int
    end: int
    text: str
    in_subject: bool
    ignored: bool  # inside a URL, an address, a file name or a handle


@dataclass(frozen=True)
class Document:
    text: str
    masked: str
    line_starts: tuple[int, ...]
    subject: tuple[int, int] | None  # the subject's value
    body: tuple[int, int]  # from after the headers to the signature separator
    greeting: tuple[int, int] | None  # "Hi Maria" up to its first punctuation
    signoff: int | None  # where the sign-off line ("Best,") starts
    ignored: tuple[tuple[int, int], ...]  # links, addresses, file names, placeholders
    placeholders: tuple[tuple[int, int], ...]
    tokens: tuple[Token, ...]
    sentence_starts: frozenset[int]  # offsets of the first word of each body sentence
    item_starts: frozenset[int]  # offsets of the first word of list items

    def pos(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self.line_starts, offset) - 1
        return index + 1, offset - self.line_starts[index] + 1

    def finding(
        self,
        offset: int,
        rule: str,
        severity: Severity,
        message: str,
        suggestion: str = "",
    ) -> Finding:
        line, col = self.pos(offset)
        return Finding(line, col, rule, severity, message, suggestion)

    def is_ignored(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.ignored)

    def body_tokens(self) -> list[Token]:
        return [t for t in self.tokens if not t.in_subject]

    @property
    def prose_end(self) -> int:
        """Where the prose of the body ends: the sign-off, else the signature separator."""
        return self.signoff if self.signoff is not None else self.body[1]


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, the newline excluded; only "\\n" ends a line."""
    spans, start = [], 0
    for match in re.finditer("\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def parse(text: str) -> Document:
    lines = _lines(text)
    chars = list(text)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            if chars[i] not in "\r\n":
                chars[i] = " "

    subject: tuple[int, int] | None = None
    index = 0
    if lines and _HEADER.match(text, lines[0][0], lines[0][1]):
        while index < len(lines):
            start, end = lines[index]
            header = _HEADER.match(text, start, end)
            folded = index > 0 and text[start:end][:1] in (" ", "\t") and text[start:end].strip()
            if not header and not folded:
                break
            if header and header.group(1).lower() == "subject":
                subject = (header.end(), end)
                blank(start, header.end())
            elif not (folded and subject is not None and subject[1] == lines[index - 1][1]):
                blank(start, end)
            else:
                subject = (subject[0], end)
            index += 1
        if index < len(lines) and not text[lines[index][0] : lines[index][1]].strip():
            index += 1
    body_start = lines[index][0] if index < len(lines) else len(text)
    body_end = len(text)
    quoting = False
    for start, end in lines[index:]:
        line = text[start:end]
        # RFC 3676 §4.3: a line of "-- " starts the signature block (clients often drop the
        # trailing space).
        if line.rstrip("\r") in ("-- ", "--"):
            body_end = start
            blank(start, len(text))
            break
        if _ATTRIBUTION.fullmatch(line.rstrip("\r")):
            quoting = True
        if quoting or line.lstrip().startswith(">"):
            blank(start, end)
    masked = "".join(chars)

    greeting = _find_greeting(masked, lines, body_start, body_end)
    signoff = _find_signoff(masked, lines, body_start, body_end, greeting)
    links = [m.span() for m in _IGNORED.finditer(text)]
    placeholders = tuple(
        m.span()
        for region in ([subject] if subject else []) + [(body_start, body_end)]
        for m in PLACEHOLDER.finditer(masked, *region)
        if _is_placeholder(m.group(), m.span(), links)
    )
    ignored = tuple(sorted(links + list(placeholders)))
    tokens = _tokens(masked, subject, (body_start, body_end), ignored)
    starts, items = _sentence_starts(
        masked, [t for t in tokens if not t.in_subject], greeting, signoff
    )
    return Document(
        text=text,
        masked=masked,
        line_starts=tuple(s for s, _ in lines),
        subject=subject,
        body=(body_start, body_end),
        greeting=greeting,
        signoff=signoff,
        ignored=ignored,
        placeholders=placeholders,
        tokens=tuple(tokens),
        sentence_starts=frozenset(starts),
        item_starts=frozenset(items),
    )


def _is_placeholder(text: str, span: tuple[int, int], links: list[tuple[int, int]]) -> bool:
    if text.startswith("<") and text[1:-1].strip().lower().lstrip("/") in _HTML_TAGS:
        return False  # a stray HTML tag is not a template's blank
    inside_link = any(s <= span[0] and span[1] <= e for s, e in links)
    return not (inside_link and not text.startswith(("[", "{")))


def _find_greeting(
    masked: str, lines: list[tuple[int, int]], body_start: int, body_end: int
) -> tuple[int, int] | None:
    for start, end in lines:
        if start < body_start or start >= body_end or not masked[start:end].strip():
            continue
        match = GREETING.match(masked, start, end)
        if not match:
            return None
        stop = _GREETING_STOP.search(masked, match.end(), end)
        while stop and stop.group() == "." and _word_before(masked, stop.start()) in _TITLES:
            stop = _GREETING_STOP.search(masked, stop.end(), end)  # "Dear Ms. Okafor,"
        indent = len(masked[start:end]) - len(masked[start:end].lstrip())
        return start + indent, stop.start() if stop else end
    return None


def _word_before(text: str, offset: int) -> str:
    start = offset
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    return text[start:offset].lower()


def _find_signoff(
    masked: str,
    lines: list[tuple[int, int]],
    body_start: int,
    body_end: int,
    greeting: tuple[int, int] | None,
) -> int | None:
    found = None
    for start, end in lines:
        if start < body_start or start >= body_end:
            continue
        if greeting and start <= greeting[0]:
            continue
        if _SIGNOFF.fullmatch(masked, start, end):
            found = start
    return found


def _tokens(
    masked: str,
    subject: tuple[int, int] | None,
    body: tuple[int, int],
    ignored: tuple[tuple[int, int], ...],
) -> list[Token]:
    regions = ([(subject, True)] if subject else []) + [(body, False)]
    tokens = []
    for (start, end), in_subject in regions:
        for match in WORD.finditer(masked, start, end):
            s, e = match.span()
            hidden = any(a < e and s < b for a, b in ignored)
            tokens.append(Token(s, e, match.group(), in_subject, hidden))
    return tokens


def _sentence_starts(
    masked: str,
    tokens: list[Token],
    greeting: tuple[int, int] | None,
    signoff: int | None,
) -> tuple[set[int], set[int]]:
    """First words of sentences (by punctuation, paragraph and greeting) and of list items."""
    starts: set[int] = set()
    items: set[int] = set()
    previous: Token | None = None
    for token in tokens:
        if previous is None:
            starts.add(token.start)
            previous = token
            continue
        gap = masked[previous.end : token.start]
        line_start = previous.end + gap.rfind("\n") + 1
        after_greeting = greeting is not None and previous.end <= greeting[1] < token.start
        if "\n" in gap and _BULLET.match(masked, line_start, token.start):
            items.add(token.start)
        elif _BLANK_LINE.search(gap):
            if signoff is None or token.start < signoff:
                starts.add(token.start)
        elif (after_greeting and "\n" in gap) or (
            _SENTENCE_END.search(gap + " ") and not _continues(gap, previous)
        ):
            starts.add(token.start)
        previous = token
    return starts, items


def _continues(gap: str, previous: Token) -> bool:
    """True when the period after `previous` is an abbreviation's or an ellipsis."""
    stripped = gap.lstrip()
    if stripped.startswith(("..", "…")):
        return True
    if stripped[:1] in "?!" and stripped[1:2] in ("'", '"', "”", "’"):
        return True  # a quoted question goes on: “Who else should I ask?” is a good close
    if stripped.startswith("."):
        word = previous.text.lower()
        return len(word) == 1 or word in ABBREVIATIONS
    return False
