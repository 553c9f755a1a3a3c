"""The style rule: proselint's checks, as warnings, with positions in the draft.

proselint 0.16 has no one-call API for a string: `proselint.tools.LintFile(name, text)
.lint()` runs every registered check through the global `CheckRegistry`, which the command
line fills. We run the checks ourselves from `proselint.checks.__register__` instead, so
that nothing global changes, and we keep `LintFile` for its quotation spans (proselint does
not flag words inside quotes unless a check allows it).

Checks left out, and why: the ones our own rules already make (repeated words, TODO
markers, double spaces, "!!"), and the ones that are wrong for a plain-text email: it
asks for curly quotes, "…" for "...", "résumé" for "resume", and frowns on every "very".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from coffeechat.proofread.document import Document
from coffeechat.proofread.findings import Finding, ProofreadContext

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

LEFT_OUT = (
    "annotations",  # TODO and FIXME: the placeholder rule
    "lexical_illusions",  # "the the": the repeated-word rule
    "typography.punctuation.hyperbole",  # "!!": the double-punctuation rule
    "typography.punctuation.spacing",  # the double-space rule
    "typography.symbols.sentence_spacing",  # the double-space rule
    "typography.symbols.ellipsis",  # "..." is how plain text writes an ellipsis
    "typography.symbols.curly_quotes",  # plain-text mail has straight quotes
    "typography.diacritical_marks",  # "resume" is the usual American spelling
    "weasel_words.very",  # "very grateful" is fine in a thank-you
    "restricted",  # off in proselint's own defaults
)


@functools.cache
def _checks() -> tuple[Any, ...]:
    # Imported here: proselint's checks compile hundreds of patterns on first use.
    from proselint.checks import __register__

    return tuple(
        check
        for check in __register__
        if not any(check.matches_partial(prefix) for prefix in LEFT_OUT)
    )


def warm_up() -> None:
    """Compile every check's patterns now (the first lint takes about 0.1 s)."""
    from coffeechat.proofread.document import parse

    list(check(parse("Subject: Hello\n\nHi Sam,\n\nA note to warm up.\n"), ProofreadContext()))


def check(doc: Document, context: ProofreadContext) -> Iterator[Finding]:
    from proselint.tools import LintFile

    # LintFile pads the text with a newline at each end; its spans count that first one.
    # Its regex engine (re2) takes UTF-8 only, so a lone surrogate (text decoded with
    # surrogateescape) becomes U+FFFD: one character for one, the offsets stay true.
    lint_file = LintFile("draft", _LONE_SURROGATE.sub("\ufffd", doc.masked))
    content = lint_file.content
    seen: set[tuple[int, str]] = set()
    results = []
    for one in _checks():
        for result in one.check_with_flags(content):
            if not one.flags.allow_quotes and lint_file.is_quoted_pos(result.span[0]):
                continue
            start = result.span[0] - 1
            end = result.span[1] - 1
            if not _in_prose(doc, start) or doc.is_ignored(start, end):
                continue
            key = (start, result.message)
            if key in seen:
                continue
            seen.add(key)
            results.append((start, result))
    for start, result in sorted(results, key=lambda r: r[0]):
        yield doc.finding(
            start,
            "style",
            "warning",
            f"{result.message} [{result.check_path}]",
            result.replacements or "",
        )


def _in_prose(doc: Document, offset: int) -> bool:
    if doc.subject and doc.subject[0] <= offset < doc.subject[1]:
        return True
    return doc.body[0] <= offset < doc.prose_end
