"""Read the return date out of an out-of-office reply, so the follow-up can wait for it.

The approach: find a phrase that announces a return or an end ("back on", "until", "bis
zum", "jusqu'au", "hasta el"...), then read the first date that starts within a few words of
it, in the language of the phrase. Numeric dates are month first only for English with
slashes ("3/4" is March 4 in an American message, 3 April elsewhere). Month and weekday names
come from the small tables below rather than from dateparser: seven languages' names are all
an auto-reply needs, and dateparser cost ~1 ms a date plus ~0.2 s to load a language, which
was a tenth of a first scan of a large mailbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email import policy
from email.message import Message
from email.parser import BytesParser
from functools import partial

from coffeechat.text import fold

_COMPAT = BytesParser(policy=policy.compat32)
MAX_AHEAD = timedelta(days=366)  # a date further out is more likely a misreading
_WINDOW = 70  # characters after a trigger phrase in which the date must lie

_TRIGGERS: tuple[tuple[str, str], ...] = (
    ("en", r"\b(?:back|return(?:ing|s)?|until|till|til|through|thru|to|after|in the office"
           r"|available(?: again)?|reachable(?: again)?)\b"),
    ("de", r"\b(?:bis(?: zum| einschlie(?:ß|ss)lich| inkl\.?)?|ab(?: dem)?|zurück(?: am)?"
           r"|wieder(?: am| ab)?)\b"),
    ("fr", r"(?:\bjusqu['’]au|\bjusqu['’]à|\bde retour|\bretour(?: le)?|\bà partir du|\bdès le)\b"),
    ("es", r"\b(?:hasta(?: el)?|regreso|regresar[ée]|volver[ée]|a partir del)\b"),
    ("it", r"\b(?:fino al|fino a|rientro|rientrer[òo]|torner[òo]|dal|a partire dal)\b"),
    ("nl", r"\b(?:tot en met|t/m|tot|terug(?: op)?|vanaf)\b"),
    ("pt", r"(?:\baté|\bretorno|\bregresso|\bvoltarei|\ba partir de)\b"),
)  # fmt: skip
_TRIGGER = re.compile(
    "|".join(f"(?P<{lang}>{pattern})" for lang, pattern in _TRIGGERS), re.IGNORECASE
)
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})([./-])(\d{1,2})(?:\2(\d{4}|\d{2})\b|\.?)(?!\d)")
_WORD = r"[^\W\d_]{3,}\.?"
_DAY = r"\d{1,2}(?:st|nd|rd|th|er|\.|º|ª)?"
# "3 March 2026", "3. März", "3 de marzo de 2026", "the 3rd of March"; and "March 3",
# "Mar. 3rd, 2026"; each with an optional weekday before it. Both orders are tried,
# because each can take the other's words: in "until March 9 with", the day-first form
# reads "March" as the weekday and "9 with" as the date.
_DAY_FIRST = rf"(?:the\s+)?{_DAY}\s+(?:of\s+|de\s+)?{_WORD}(?:\s+(?:de\s+)?\d{{4}})?"
_MONTH_FIRST = rf"{_WORD}\s+{_DAY}(?:,?\s+\d{{4}})?"
_NAMED = tuple(
    re.compile(rf"(?:{_WORD},?\s+)?(?P<rest>{form})(?!\w)", re.IGNORECASE)
    for form in (_DAY_FIRST, _MONTH_FIRST)
)
_WEEKDAYS = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "de": ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "pt": ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"),
}
_MONTHS = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"),
    "de": ("januar jänner", "februar", "märz maerz", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre setiembre", "octubre", "noviembre", "diciembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"),
}  # fmt: skip
_WEEKDAY_WORD = re.compile(r"[^\W\d_]+")
_DAY_NUMBER = re.compile(r"(?<!\d)\d{1,2}(?!\d)")
_YEAR_NUMBER = re.compile(r"(?<!\d)\d{4}(?!\d)")


def read_return_date(text: str, received: datetime) -> date | None:
    """The first return or end date announced in `text` that lies after `received`.

    `text` is the subject and body of an auto-reply. Returns None when no date can be read,
    or when the only dates are not after the day it was received (or more than a year later).
    """
    if not text:
        return None
    text = " ".join(text.split())[:20_000]
    today = received.date()
    for trigger in _TRIGGER.finditer(text):
        lang = trigger.lastgroup or "en"
        window = text[trigger.end() : trigger.end() + _WINDOW]
        found = _date_in(window, lang, received)
        if found is not None and today < found <= today + MAX_AHEAD:
            return found
    return None


def _date_in(window: str, lang: str, received: datetime) -> date | None:
    # Each form found, where it starts and how to read it; reading is left until needed.
    readings: list[tuple[int, Callable[[], date | None]]] = []
    if m := _ISO.search(window):
        readings.append((m.start(), partial(_safe_date, int(m[1]), int(m[2]), int(m[3]))))
    if m := _NUMERIC.search(window):
        readings.append((m.start(), partial(_numeric, m, lang, received)))
    for named in _NAMED:
        if m := named.search(window):
            readings.append((m.start(), partial(_read_named, m, lang, received)))
    if weekday := _weekday(window, lang):
        readings.append((weekday[0], partial(_next_weekday, received.date(), weekday[1])))
    # The date must start close to the trigger ("back in the office on Monday, March 3").
    for start, read in sorted(readings, key=lambda reading: reading[0]):
        if start > 35:
            break
        if (value := read()) is not None:
            return value
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _numeric(m: re.Match[str], lang: str, received: datetime) -> date | None:
    first, sep, second, year_text = int(m[1]), m[2], int(m[3]), m[4]
    month_first = lang == "en" and sep == "/" and first <= 12
    month, day = (first, second) if month_first else (second, first)
    if year_text:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        return _safe_date(year, month, day)
    return _next_occurrence(received.date(), month, day)


def _read_named(m: re.Match[str], lang: str, received: datetime) -> date | None:
    # Only the date proper: the optional leading word is meant for a weekday but may be any
    # word ("until"), and a weekday that disagrees with the date should not undo it.
    rest = m.group("rest")
    months = [n for w in _WEEKDAY_WORD.findall(rest) if (n := _month_number(w, lang))]
    day = _DAY_NUMBER.search(rest)
    if not months or day is None:
        return None
    if year := _YEAR_NUMBER.search(rest):
        return _safe_date(int(year.group(0)), months[0], int(day.group(0)))
    return _next_occurrence(received.date(), months[0], int(day.group(0)))


def _month_number(word: str, lang: str) -> int | None:
    """1-12 for a month's name or an abbreviation of it ("Mar", "Sept", "févr"), else None.

    An abbreviation is any start of three letters or more that only one month's name has,
    so "Jun" is June but the French "jui" (juin or juillet?) is nothing.
    """
    word = fold(word)
    if len(word) < 3:
        return None
    matches = {
        number
        for number, names in enumerate(_MONTHS.get(lang, ()), start=1)
        for name in names.split()
        if fold(name).startswith(word)
    }
    return matches.pop() if len(matches) == 1 else None


def _next_occurrence(today: date, month: int, day: int) -> date | None:
    """A day and month without a year: this year's, unless that is already past."""
    found = _safe_date(today.year, month, day)
    if found is not None and found < today:
        found = _safe_date(today.year + 1, month, day)
    return found


def _weekday(window: str, lang: str) -> tuple[int, int] | None:
    names = _WEEKDAYS.get(lang, ())
    for word in _WEEKDAY_WORD.finditer(window):
        lowered = word.group(0).lower()
        if lowered in names:
            return word.start(), names.index(lowered)
    return None


def _next_weekday(after: date, weekday: int) -> date:
    days = (weekday - after.weekday()) % 7 or 7
    return after + timedelta(days=days)


def message_text(full_message: bytes) -> str:
    """Subject and readable body of a message: the first text/plain part, else HTML text."""
    try:
        message = _COMPAT.parsebytes(bytes(full_message))
        parts = list(message.walk())
    except Exception:
        return ""
    from coffeechat.tracker.headers import parse_headers

    subject = parse_headers(bytes(full_message)).subject
    html = ""
    for part in parts:
        ctype = part.get_content_type()
        if ctype == "text/plain":
            return f"{subject}\n{_decode(part)}"
        if ctype == "text/html" and not html:
            html = re.sub(r"<[^>]*>", " ", _decode(part))
    return f"{subject}\n{html}"


def _decode(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return ""
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")
