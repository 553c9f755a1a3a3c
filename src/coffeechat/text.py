"""Loose matching of words as people type them: case and accents aside.

Shared by the store (finding "Jose" when José is stored) and the tracker (reading "Marz"
or "fevrier" in an out-of-office), which must not depend on each other.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# Letters that NFKD leaves whole (they are not a base letter plus an accent), spelled as
# an English keyboard types them: "soren" finds Søren. casefold() already makes ß "ss".
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)


def fold(text: str) -> str:
    """Text for loose matching: case-folded, accents removed, ø/æ/ł... spelled plainly."""
    if text.isascii():
        # Nothing to decompose or spell plainly, and most names are ASCII: an import folds
        # 30,000 of them, at 1.5 µs each the long way and 0.1 µs this way.
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The one of `choices` that `word` most likely misspells, or None (difflib's 0.6)."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return close[0] if close else None


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """The fix for a value that is none of `choices`: the closest one, else all of them.

    Worded as `init --timezone` words it, for a message like "unknown stage 'replyed'; ..."
    """
    close = closest(fold(word), choices)
    return f'did you mean "{close}"?' if close else f"choose one of: {', '.join(choices)}"
