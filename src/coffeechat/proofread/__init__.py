"""Proofread an email draft: spelling, mechanics, placeholders, style and the seeds' etiquette.

`proofread(text, context)` returns findings sorted by position; line and column are
1-based in the text as given. The text may start with header lines ("Subject: ...") and a
blank line; only the subject's value is checked there. Lines quoted with ">" (and the
"On ... wrote:" block they follow) and the signature after a "-- " line (RFC 3676 §4.3)
are not checked.

| rule                  | severity          | when                                               |
| --------------------- | ----------------- | -------------------------------------------------- |
| spelling              | error             | a word in neither the dictionary, the bundled word |
|                       |                   | list (data/words.txt), nor the context's names and |
|                       |                   | words; "Mraia" when writing to Maria               |
| repeated-word         | error             | "the the" (not "had had", "that that")             |
| a-an                  | error             | "a informational", "an coffee", by sound: "an      |
|                       |                   | hour", "a university", "an MBA"; "a an student"    |
| sentence-capital      | error             | a sentence that starts with a lowercase letter     |
|                       |                   | (a misspelled one is left to spelling, whose fix   |
|                       |                   | is then capitalized: "teh" -> "The")               |
| lowercase-i           | error             | "i" as the pronoun ("I think i could", "i'm") in   |
|                       |                   | mid-sentence (not "i.e.", "(i)")                   |
| double-space          | warning           | two spaces between words                           |
| double-punctuation    | error; "!!", "??" | ",,", "..", ",." (not "...", "?!", "e.g.,")        |
|                       | a warning         |                                                    |
| placeholder           | error             | [Name], {{ x }}, {% %}, {x}, <Company>, TODO,      |
|                       |                   | FIXME, XXX, ___ (not <a@b.c>, <https://...>)       |
| greeting-without-name | error; warning    | when recipient_name is known. Error: "To whom it   |
|                       |                   | may concern", "Dear Sir or Madam"; warning: "Hi,", |
|                       |                   | "Hello there,", or someone else's name             |
| style                 | warning           | proselint's checks, less the noisy ones (style.py) |
| job-ask               | error             | outreach, follow-up: "are you hiring", "any        |
|                       |                   | openings", "refer me for the position"             |
| long-meeting-ask      | error             | outreach, follow-up: asks for more than 30 minutes |
| no-time-ask           | error (outreach); | outreach, follow-up: no concrete length of 30      |
|                       | warning           | minutes or less ("15 minutes", "half an hour")     |
|                       | (follow-up)       |                                                    |
| missing-referrer      | error             | outreach, follow-up: context.referrer is set but   |
|                       |                   | no part of the name is in the email                |
| too-long              | warning over 200  | outreach, follow-up: the body, greeting to         |
|                       | words; error over | sign-off, takes more than a minute to read         |
|                       | 300               |                                                    |
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from coffeechat.proofread import etiquette, mechanics, spelling, style
from coffeechat.proofread.document import Document, parse
from coffeechat.proofread.findings import (
    KINDS,
    Finding,
    ProofreadContext,
    Severity,
    findings_to_json,
    format_finding,
    has_errors,
)

__all__ = [
    "KINDS",
    "RULES",
    "Finding",
    "ProofreadContext",
    "Severity",
    "findings_to_json",
    "format_finding",
    "has_errors",
    "proofread",
    "warm_up",
]

Rule = Callable[[Document, ProofreadContext], Iterable[Finding]]

RULES: tuple[Rule, ...] = (
    spelling.check,
    mechanics.repeated_word,
    mechanics.a_an,
    mechanics.sentence_capital,
    mechanics.lowercase_i,
    mechanics.double_space,
    mechanics.double_punctuation,
    mechanics.placeholder,
    etiquette.greeting,
    etiquette.job_ask,
    etiquette.time_ask,
    etiquette.referrer,
    etiquette.length,
    style.check,
)

_DEFAULT = ProofreadContext()


def proofread(text: str, context: ProofreadContext = _DEFAULT) -> list[Finding]:
    """Every finding in `text`, sorted by position, errors before warnings at one spot."""
    doc = parse(text)
    findings = _one_fix_per_word({f for rule in RULES for f in rule(doc, context)})
    return sorted(findings, key=lambda f: (f.line, f.col, f.severity != "error", f.rule))


def _one_fix_per_word(findings: set[Finding]) -> set[Finding]:
    """A misspelling that starts a sentence is one finding, the spelling one, with its fix
    capitalized: "teh team" gave sentence-capital (suggestion: Teh) and spelling
    (suggestion: the), two fixes for one word and neither of them right. Without a
    spelling fix the sentence-capital finding stays: the capital is still missing."""

    def spot(f: Finding) -> tuple[int, int]:
        return f.line, f.col

    lowercase = {spot(f) for f in findings if f.rule == "sentence-capital"}
    both = lowercase & {spot(f) for f in findings if f.rule == "spelling" and f.suggestion}
    kept = set()
    for f in findings:
        if spot(f) in both and f.rule == "sentence-capital":
            continue
        if spot(f) in both and f.rule == "spelling":
            f = replace(f, suggestion=f.suggestion[0].upper() + f.suggestion[1:])
        kept.add(f)
    return kept


def warm_up() -> None:
    """Load the dictionary and compile proselint's checks ahead of the first draft."""
    spelling.warm_up()
    style.warm_up()
