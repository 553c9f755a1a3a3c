"""The records the proofreader works with: what it was told, and what it found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]
KINDS = ("outreach", "follow-up", "thank-you", "check-in", "invitation")


@dataclass(frozen=True)
class Finding:
    """One problem in a draft; `line` and `col` are 1-based positions in the text as given."""

    line: int
    col: int
    rule: str
    severity: Severity
    message: str
    suggestion: str = ""


@dataclass(frozen=True)
class ProofreadContext:
    """What the proofreader knows about the email beyond its text."""

    kind: str | None = None  # outreach | follow-up | thank-you | check-in | invitation | None
    names: tuple[str, ...] = ()  # the contact's name parts, company, the user's own name
    recipient_name: str = ""  # for the greeting check
    referrer: str = ""  # who referred the contact, when someone did
    words: tuple[str, ...] = ()  # the user's own word list ([proofread].words in the config)


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error (a draft with errors is not written without --force)."""
    return any(f.severity == "error" for f in findings)


def format_finding(name: str, f: Finding) -> str:
    """`NAME:LINE:COL: SEVERITY RULE message`, the shape compilers and editors understand."""
    line = f"{name}:{f.line}:{f.col}: {f.severity} {f.rule} {f.message}"
    return f"{line} (suggestion: {f.suggestion})" if f.suggestion else line


def findings_to_json(findings: Iterable[Finding]) -> list[dict[str, object]]:
    """Plain dicts with the keys line, col, rule, severity, message, suggestion."""
    return [asdict(f) for f in findings]
