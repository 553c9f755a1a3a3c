"""Run the proofreader over the corpus of bad and clean drafts; print how well it does.

    python -m bench.proofread_corpus [--verbose]

Catch rate: bad drafts in which every expected rule was found, over all bad drafts.
False-alarm rate: clean drafts with any error-severity finding, over all clean drafts.
The corpus and what each draft expects: tests/data/proofread/ (expected.toml).
"""

from __future__ import annotations

import argparse
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from coffeechat.proofread import Finding, ProofreadContext, format_finding, proofread, warm_up

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "proofread"


@dataclass(frozen=True)
class Draft:
    name: str
    text: str
    context: ProofreadContext
    expected: tuple[str, ...]  # rule ids that must be found; empty for a clean draft


@dataclass
class Result:
    caught: list[str] = field(default_factory=list)
    missed: dict[str, list[str]] = field(default_factory=dict)  # name -> rules not found
    false_alarms: dict[str, list[Finding]] = field(default_factory=dict)
    clean_warnings: int = 0
    rule_counts: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    bad: int = 0
    clean: int = 0

    @property
    def catch_rate(self) -> float:
        return len(self.caught) / self.bad if self.bad else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / self.clean if self.clean else 0.0


def load(corpus: Path = CORPUS) -> tuple[list[Draft], list[Draft]]:
    """(bad drafts, clean drafts) as the manifest describes them."""
    manifest = tomllib.loads((corpus / "expected.toml").read_text(encoding="utf-8"))
    found = []
    for section in ("bad", "clean"):
        drafts = []
        for name, entry in sorted(manifest.get(section, {}).items()):
            context = ProofreadContext(
                kind=entry.get("kind") or None,
                names=tuple(entry.get("names", ())),
                recipient_name=entry.get("recipient_name", ""),
                referrer=entry.get("referrer", ""),
                words=tuple(entry.get("words", ())),
            )
            text = (corpus / section / name).read_text(encoding="utf-8")
            drafts.append(Draft(name, text, context, tuple(entry.get("rules", ()))))
        found.append(drafts)
    return found[0], found[1]


def run(corpus: Path = CORPUS) -> Result:
    bad, clean = load(corpus)
    result = Result(bad=len(bad), clean=len(clean))
    for draft in bad + clean:
        start = time.perf_counter()
        findings = proofread(draft.text, draft.context)
        result.seconds.append(time.perf_counter() - start)
        result.rule_counts.update(f"{f.rule} ({f.severity})" for f in findings)
        if draft in bad:
            missing = [r for r in draft.expected if r not in {f.rule for f in findings}]
            if missing:
                result.missed[draft.name] = missing
            else:
                result.caught.append(draft.name)
        else:
            errors = [f for f in findings if f.severity == "error"]
            if errors:
                result.false_alarms[draft.name] = errors
            result.clean_warnings += len(findings) - len(errors)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every finding")
    args = parser.parse_args()
    start = time.perf_counter()
    warm_up()
    warm = time.perf_counter() - start
    result = run()
    if args.verbose:
        bad, clean = load()
        for draft in bad + clean:
            for finding in proofread(draft.text, draft.context):
                print(format_finding(draft.name, finding))
    print(f"catch rate:       {len(result.caught)}/{result.bad} = {result.catch_rate:.1%}")
    for name, rules in result.missed.items():
        print(f"  missed in {name}: {', '.join(rules)}")
    print(
        f"false-alarm rate: {len(result.false_alarms)}/{result.clean} = "
        f"{result.false_alarm_rate:.1%}"
    )
    for name, findings in result.false_alarms.items():
        for finding in findings:
            print(f"  {format_finding(name, finding)}")
    print(f"warnings on clean drafts: {result.clean_warnings}")
    print("findings per rule (all drafts):")
    for rule, count in sorted(result.rule_counts.items()):
        print(f"  {rule:32} {count}")
    mean = sum(result.seconds) / len(result.seconds)
    print(f"warm-up (dictionary, proselint): {warm * 1000:.0f} ms")
    print(
        f"time per draft after warm-up: mean {mean * 1000:.1f} ms, "
        f"max {max(result.seconds) * 1000:.1f} ms over {len(result.seconds)} drafts"
    )


if __name__ == "__main__":
    main()
