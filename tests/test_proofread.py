"""The proofreader: each rule on small texts that hit it and that must not, and the corpus."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from coffeechat.proofread import (
    Finding,
    ProofreadContext,
    findings_to_json,
    format_finding,
    has_errors,
    proofread,
)

CORPUS = Path(__file__).parent / "data" / "proofread"

MARIA = ProofreadContext(
    kind="outreach",
    names=("Maria", "Lopez", "Northwind", "Alex", "Doe"),
    recipient_name="Maria Lopez",
)
GOOD_BODY = (
    "I'm a designer exploring product work, and I'd value hearing about your path at "
    "Northwind. Would you have 20 minutes for a call in the next few weeks? I'm looking for "
    "advice, not a job."
)


def email(body: str = GOOD_BODY, subject: str = "A question about your work") -> str:
    return f"Subject: {subject}\n\nHi Maria,\n\n{body}\n\nBest,\nAlex\n"


def found(text: str, context: ProofreadContext = MARIA, rule: str | None = None) -> list[Finding]:
    return [f for f in proofread(text, context) if rule is None or f.rule == rule]


def rules(text: str, context: ProofreadContext = MARIA) -> set[str]:
    return {f.rule for f in proofread(text, context)}


def test_a_good_email_has_no_findings() -> None:
    assert found(email()) == []


# --- the API ---------------------------------------------------------------------------
def test_format_finding_is_name_line_col_severity_rule_message() -> None:
    f = Finding(7, 3, "spelling", "error", "unknown word 'teh'", "the")
    assert format_finding("draft.txt", f) == (
        "draft.txt:7:3: error spelling unknown word 'teh' (suggestion: the)"
    )
    plain = Finding(1, 1, "too-long", "warning", "the body is 250 words")
    assert format_finding("-", plain) == "-:1:1: warning too-long the body is 250 words"


def test_positions_count_from_the_whole_text_including_the_subject() -> None:
    text = email(body="We met at the the meetup. Would you have 20 minutes? Not a job.")
    (f,) = found(text, rule="repeated-word")
    assert (f.line, f.col) == (5, 15)
    assert text.splitlines()[f.line - 1][f.col - 1 :].startswith("the meetup")


def test_findings_are_sorted_by_position() -> None:
    text = email(body="Teh first. i am here for 20 minutes,, see you.", subject="Quik question")
    positions = [(f.line, f.col) for f in found(text)]
    assert positions == sorted(positions)
    assert positions[0] == (1, 10)


def test_has_errors_and_json() -> None:
    warning = Finding(1, 1, "style", "warning", "cliché")
    error = Finding(2, 5, "placeholder", "error", "'[Name]' looks like a placeholder")
    assert not has_errors([warning])
    assert has_errors([warning, error])
    assert findings_to_json([error]) == [
        {
            "line": 2,
            "col": 5,
            "rule": "placeholder",
            "severity": "error",
            "message": "'[Name]' looks like a placeholder",
            "suggestion": "",
        }
    ]


def test_text_without_headers_is_all_body() -> None:
    (f,) = found("Hi Maria,\n\nThanks for teh call.\n", ProofreadContext())
    assert (f.line, f.col, f.rule, f.suggestion) == (3, 12, "spelling", "the")


# --- spelling --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typo", "fix"),
    [
        ("oppurtunity", "opportunity"),
        ("recieved", "received"),
        ("goverment", "government"),
        ("schedual", "schedule"),  # two edits away
        ("alot", "a lot"),  # two words run together
    ],
)
def test_spelling_catches_typos_and_suggests(typo: str, fix: str) -> None:
    (f,) = found(email(body=f"I {typo} it. {GOOD_BODY}"), rule="spelling")
    assert (f.severity, f.suggestion) == ("error", fix)


def test_spelling_checks_the_subject_and_sentence_starts() -> None:
    text = email(subject="Informational Intervew Request", body=f"Thnak you. {GOOD_BODY}")
    assert [f.suggestion for f in found(text, rule="spelling")] == ["Interview", "Thank"]


@pytest.mark.parametrize(
    ("sentence", "fix"),
    [
        ("Teh end.", "The"),  # a short word, but a swap of one of the commonest
        ("Yuo were kind.", "You"),
        ("Tommorow works.", "Tomorrow"),  # doubled letters misplaced: two edits away
        ("Reccomend a book?", "Recommend"),
    ],
)
def test_spelling_checks_capitalized_slips_at_sentence_starts(sentence: str, fix: str) -> None:
    (f,) = found(email(body=f"{GOOD_BODY} {sentence}"), rule="spelling")
    assert f.suggestion == fix


def test_spelling_leaves_short_and_unusual_names_at_sentence_starts_alone() -> None:
    # Each is one swap or two edits from a common word (Ari: air, Sunil: until).
    names = ["Wei", "Ana", "Raj", "Ari", "Teo", "Hye", "Sunil", "Ankit", "Rohit", "Daiki"]
    body = f"{GOOD_BODY} " + " ".join(f"{name} told me." for name in names)
    assert found(email(body=body), rule="spelling") == []


def test_spelling_catches_a_misspelled_name_of_the_context() -> None:
    text = email().replace("Hi Maria,", "Hi Mraia,")
    (f,) = found(text, rule="spelling")
    assert f.suggestion == "Maria"
    assert "greeting-without-name" not in rules(text)


@pytest.mark.parametrize(
    "sentence",
    [
        "See https://example.com/talks/design-systms and www.example.org/abot.",
        "Write to maria.lopz@example.com or find me as @alexdoe.",
        "I work with MLOps, PyTorch, OKRs and the NYC team.",  # acronyms, inner capitals
        "I met Priyanka Raghunathan and Tomasz at Fabrikam in Q3 2024.",  # proper nouns
        "Ngozi suggested it, and I've read Ngozi's blog.",  # a name at a sentence start
        "The onboarding roadmap for the fintech startup's LinkedIn webinar.",  # word list
        "I liked the timelines, the pushback and the walkthrough.",  # plurals, compounds
        "My résumé is in resume.pdf.",
        "Two things: (i) your path, (ii) your team and (iv) your advice.",
    ],
)
def test_spelling_leaves_alone_what_is_not_a_typo(sentence: str) -> None:
    assert found(email(body=f"{sentence} {GOOD_BODY}"), rule="spelling") == []


def test_spelling_learns_the_context_names_and_words() -> None:
    text = email(body=f"Zaphod at Kubrixa told me. {GOOD_BODY}".replace("Zaphod", "Zaphodd"))
    assert found(text, rule="spelling") == []  # capitalized in mid-sentence: a name
    lower = email(body=f"We use kubrixa daily. {GOOD_BODY}")
    assert [f.rule for f in found(lower, rule="spelling")] == ["spelling"]
    taught = ProofreadContext(kind="outreach", recipient_name="Maria Lopez", words=("Kubrixa",))
    assert found(lower, taught, rule="spelling") == []


# --- repeated-word ---------------------------------------------------------------------
def test_repeated_word_across_a_line_break() -> None:
    (f,) = found(email(body=f"I would love to\nto hear more. {GOOD_BODY}"), rule="repeated-word")
    assert (f.line, f.col, f.severity) == (6, 1, "error")


@pytest.mark.parametrize(
    "sentence",
    ["I think that that works.", "She had had enough.", "Your talk on on-call was great."],
)
def test_repeated_word_allows_real_repeats(sentence: str) -> None:
    assert "repeated-word" not in rules(email(body=f"{sentence} {GOOD_BODY}"))


# --- a-an ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("phrase", "fix"),
    [
        ("a informational interview", "an informational"),
        ("an coffee", "a coffee"),
        ("a hour", "an hour"),
        ("an university", "a university"),
        ("a MBA", "an MBA"),
        ("an European team", "a European"),
        ("an one-time favor", "a one-time"),
    ],
)
def test_a_an_by_sound(phrase: str, fix: str) -> None:
    (f,) = found(email(body=f"It was {phrase}. {GOOD_BODY}"), rule="a-an")
    assert (f.suggestion, f.severity) == (fix, "error")


@pytest.mark.parametrize(
    ("phrase", "fix"),
    [
        ("a an student", "a student"),
        ("an a informational", "an informational"),
    ],
)
def test_a_an_two_articles_in_a_row(phrase: str, fix: str) -> None:
    (f,) = found(email(body=f"It was {phrase}. {GOOD_BODY}"), rule="a-an")
    assert (f.message, f.suggestion) == (f"two articles in a row: '{phrase[:4].strip()}'", fix)


def test_a_an_leaves_a_repeated_article_to_the_repeated_word_rule() -> None:
    assert rules(email(body=f"It was a a chat. {GOOD_BODY}")) >= {"repeated-word"}
    assert "a-an" not in rules(email(body=f"It was a a chat. {GOOD_BODY}"))


@pytest.mark.parametrize(
    "phrase",
    [
        "an hour",
        "a university",
        "an MBA",
        "a UX role",
        "an honest answer",
        "a useful chat",
        "an 8-week course",
        "a one-on-one",
        "an unusual path",
        "a NASA project",
        "a historic day",
        "an historic day",
        "Plan A or plan B",
    ],
)
def test_a_an_leaves_right_articles_alone(phrase: str) -> None:
    assert "a-an" not in rules(email(body=f"It was {phrase}. {GOOD_BODY}"))


# --- sentence-capital ------------------------------------------------------------------
def test_sentence_capital_after_a_period_a_paragraph_and_the_greeting() -> None:
    text = "Hi Maria,\nmy name is Alex. i design things.\n\nthanks for reading.\n"
    got = [(f.line, f.col) for f in found(text, ProofreadContext(), rule="sentence-capital")]
    assert got == [(2, 1), (2, 18), (4, 1)]


def test_a_misspelling_at_a_sentence_start_is_one_finding_with_the_capitalized_fix() -> None:
    # Before, "teh team" gave sentence-capital (suggestion: Teh) and spelling (suggestion:
    # the): two fixes for one word, neither of them right.
    at_start = [
        (f.rule, f.suggestion)
        for f in found(email(body=f"teh team is new to me. {GOOD_BODY}"))
        if (f.line, f.col) == (5, 1)
    ]
    assert at_start == [("spelling", "The")]
    mid = found(email(body=f"I met teh team. {GOOD_BODY}"), rule="spelling")
    assert [f.suggestion for f in mid] == ["the"]


def test_an_unknown_word_with_no_fix_still_gets_its_capital() -> None:
    got = {f.rule for f in found(email(body=f"zzxqj is new to me. {GOOD_BODY}"))}
    assert {"spelling", "sentence-capital"} <= got


@pytest.mark.parametrize(
    "sentence",
    [
        "I am free after 4 p.m. tomorrow or e.g. Friday.",
        "We could meet at St. Paul's, or at Acme Inc. downtown.",
        "It went well... and then it rained.",
        "I use an iPhone. eBay is where I shop.",
        "I wrapped this line\nin the middle of a sentence.",
        "Questions:\n- how you started,\n- what you read.",
    ],
)
def test_sentence_capital_leaves_mid_sentence_words_alone(sentence: str) -> None:
    assert "sentence-capital" not in rules(email(body=f"{sentence} {GOOD_BODY}"))


@pytest.mark.parametrize(
    "sentence", ["I think i could learn.", "Since i'm new, i've read a lot.", "And i’d ask."]
)
def test_lowercase_i_as_a_pronoun(sentence: str) -> None:
    got = found(email(body=f"{GOOD_BODY} {sentence}"), rule="lowercase-i")
    assert got and all(f.severity == "error" and f.suggestion.startswith("I") for f in got)


@pytest.mark.parametrize(
    "sentence",
    [
        "I read the basics, i.e. the first chapter.",
        "Two things: (i) your path and (ii) your team.",
        'The i-th item, i18n, and the letter "i" in Wi-Fi.',
    ],
)
def test_lowercase_i_leaves_other_i_alone(sentence: str) -> None:
    assert "lowercase-i" not in rules(email(body=f"{GOOD_BODY} {sentence}"))


def test_lowercase_i_at_a_sentence_start_is_the_sentence_capital_rule() -> None:
    assert rules(email(body=f"{GOOD_BODY} i'm grateful.")) >= {"sentence-capital"}
    assert "lowercase-i" not in rules(email(body=f"{GOOD_BODY} i'm grateful."))


# --- double-space and double-punctuation -----------------------------------------------
def test_double_space_is_a_warning_between_words_only() -> None:
    (f,) = found(email(body=f"I am  here. {GOOD_BODY}"), rule="double-space")
    assert (f.severity, f.col) == ("warning", 5)
    assert "double-space" not in rules(email(body=f"    Indented. {GOOD_BODY}"))


@pytest.mark.parametrize(
    ("text", "severity"), [(",,", "error"), ("..", "error"), ("!!", "warning")]
)
def test_double_punctuation(text: str, severity: str) -> None:
    (f,) = found(email(body=f"Thanks{text} {GOOD_BODY}"), rule="double-punctuation")
    assert f.severity == severity


@pytest.mark.parametrize(
    "sentence",
    ["Well... maybe.", "Really?! Wow.", "Tools, e.g., Figma.", "We met at Acme Inc., in May."],
)
def test_double_punctuation_allows_ellipses_and_abbreviations(sentence: str) -> None:
    assert "double-punctuation" not in rules(email(body=f"{sentence} {GOOD_BODY}"))


# --- placeholder -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "leftover",
    ["[Company]", "{{ contact.name }}", "{% if x %}", "{first_name}", "<Company>", "TODO",
     "FIXME", "XXX", "___"],
)  # fmt: skip
def test_placeholders_are_errors(leftover: str) -> None:
    (f,) = found(email(body=f"I admire {leftover} a lot. {GOOD_BODY}"), rule="placeholder")
    assert f.severity == "error" and leftover in f.message


def test_placeholder_in_the_subject() -> None:
    (f,) = found(email(subject="Coffee with [Name]?"), rule="placeholder")
    assert (f.line, f.col) == (1, 22)


@pytest.mark.parametrize(
    "sentence",
    [
        "Write to <maria@example.com>.",
        "Slides at <https://example.com/slides>.",
        "It was a todo list.",
        "The score was 3 < 4 > 2.",
        "See [1] for details.",
    ],
)
def test_not_placeholders(sentence: str) -> None:
    assert "placeholder" not in rules(email(body=f"{sentence} {GOOD_BODY}"))


# --- greeting-without-name -------------------------------------------------------------
@pytest.mark.parametrize(
    ("greeting", "severity"),
    [
        ("To whom it may concern,", "error"),
        ("Dear Sir or Madam,", "error"),
        ("Hi,", "warning"),
        ("Hello there,", "warning"),
        ("Hi Sarah,", "warning"),
    ],
)
def test_greeting_without_the_name(greeting: str, severity: str) -> None:
    text = email().replace("Hi Maria,", greeting)
    (f,) = found(text, rule="greeting-without-name")
    assert (f.severity, f.line, f.col) == (severity, 3, 1)


@pytest.mark.parametrize(
    "greeting", ["Hi Maria,", "Dear Ms. Lopez,", "Dear Dr. Maria Lopez,", "Good morning Maria!"]
)
def test_greeting_with_the_name(greeting: str) -> None:
    assert "greeting-without-name" not in rules(email().replace("Hi Maria,", greeting))


def test_greeting_checked_only_when_the_recipient_is_known() -> None:
    text = email().replace("Hi Maria,", "To whom it may concern,")
    assert "greeting-without-name" not in rules(text, ProofreadContext(kind="outreach"))
    short = ProofreadContext(kind="outreach", recipient_name="Alexandra Doe")
    assert "greeting-without-name" not in rules(email().replace("Maria", "Alex"), short)


# --- job-ask ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "ask",
    [
        "Are you hiring this year?",
        "Is Northwind currently hiring designers?",
        "Do you have any openings on your team?",
        "Could you refer me for the designer position?",
        "I hope you can give me a job.",
        "Please consider me for an internship.",
        "Could you pass my resume along to the hiring manager?",
        "Do you have any internships available this summer?",
        "Are there internships open on your team?",
        "I would appreciate a referral for the analyst role.",
        "I'd love to be considered for your summer internship.",
        "I would love to interview for the analyst role on your team.",
        "Would you be able to refer me?",
        "Is there any chance of an internship with your team?",
    ],
)
def test_job_ask(ask: str) -> None:
    (f,) = found(email(body=f"{GOOD_BODY} {ask}"), rule="job-ask")
    assert f.severity == "error"


@pytest.mark.parametrize(
    "sentence",
    [
        "I'm looking for information and advice, not a job.",
        "I am not asking you to refer me for a position.",
        "What is the typical hiring process?",
        "How did you get your first job?",
        "Which internships open doors in this field?",
        "Thank you for any referral to people in your field.",
        "Would you be able to recommend me a book on the field?",
        "I would love to interview you for my career class.",
    ],
)
def test_not_a_job_ask(sentence: str) -> None:
    assert "job-ask" not in rules(email(body=f"{GOOD_BODY} {sentence}"))


def test_job_ask_only_for_asking_kinds() -> None:
    text = email(body=f"{GOOD_BODY} Are you hiring?")
    assert "job-ask" in rules(text, ProofreadContext(kind="follow-up"))
    assert "job-ask" not in rules(text, ProofreadContext(kind="thank-you"))
    assert "job-ask" not in rules(text, ProofreadContext())


# --- long-meeting-ask and no-time-ask --------------------------------------------------
@pytest.mark.parametrize(
    "ask",
    [
        "Would you have an hour to chat?",
        "Could you spare 45 minutes for a call?",
        "Could we book a 1 hour meeting?",
        "Would 30-45 minutes of your time work?",
        "Could we meet for an hour and a half?",
    ],
)
def test_long_meeting_ask(ask: str) -> None:
    (f,) = found(email(body=ask), rule="long-meeting-ask")
    assert f.severity == "error"
    assert "no-time-ask" not in rules(email(body=ask))


@pytest.mark.parametrize(
    "sentence",
    [
        "Would you have 20 minutes for a call?",
        "Would you have half an hour for a coffee?",
        "Could we talk for 15-20 minutes by phone?",
        "Would a 30 min call work?",
    ],
)
def test_short_asks_pass(sentence: str) -> None:
    assert not {"long-meeting-ask", "no-time-ask"} & rules(email(body=sentence))


def test_hours_that_are_not_an_ask() -> None:
    body = "I spent an hour reading your blog; my commute is 45 minutes. " + GOOD_BODY
    assert "long-meeting-ask" not in rules(email(body=body))


def test_no_time_ask_is_an_error_for_outreach_and_a_warning_for_a_follow_up() -> None:
    body = "Would you be open to a quick chat sometime? I'm after advice, not a job."
    (f,) = found(email(body=body), rule="no-time-ask")
    assert (f.severity, f.line, f.col) == ("error", 5, 1)
    follow_up = ProofreadContext(kind="follow-up", recipient_name="Maria Lopez")
    assert [f.severity for f in found(email(body=body), follow_up, rule="no-time-ask")] == [
        "warning"
    ]
    assert "no-time-ask" not in rules(email(body=body), ProofreadContext(kind="thank-you"))


# --- missing-referrer ------------------------------------------------------------------
def test_missing_referrer() -> None:
    context = ProofreadContext(kind="outreach", recipient_name="Maria Lopez", referrer="Sam Lee")
    (f,) = found(email(), context, rule="missing-referrer")
    assert (f.severity, f.line, f.col) == ("error", 5, 1)
    for mention in ("Sam Lee suggested I write.", "Sam suggested I write.", "Ask Dr. Lee."):
        assert "missing-referrer" not in rules(email(body=f"{mention} {GOOD_BODY}"), context)
    in_subject = email(subject="Sam Lee suggested I get in touch")
    assert "missing-referrer" not in rules(in_subject, context)
    assert "missing-referrer" not in rules(email())  # no referrer known


def test_a_shared_name_in_the_signature_or_greeting_is_not_the_referrer() -> None:
    # Alex Lee, referred by Sam Lee, signed "Alex Lee": the surname in the signature
    # passed for "mention who suggested you contact them", and the draft never did.
    context = ProofreadContext(kind="outreach", recipient_name="Maria Lee", referrer="Sam Lee")
    signed = f"Subject: A question\n\nHi Maria Lee,\n\n{GOOD_BODY}\n\nBest,\nAlex Lee\n"
    assert "missing-referrer" in rules(signed, context)
    mentioned = signed.replace(GOOD_BODY, f"Sam suggested I write. {GOOD_BODY}")
    assert "missing-referrer" not in rules(mentioned, context)


# --- too-long --------------------------------------------------------------------------
def test_too_long_warns_past_200_words_and_errs_past_300() -> None:
    ten_words = "I have been thinking about this for a while now. "
    assert len((ten_words * 10 + GOOD_BODY).split()) < 200
    assert "too-long" not in rules(email(body=ten_words * 10 + GOOD_BODY))
    (warn,) = found(email(body=ten_words * 20 + GOOD_BODY), rule="too-long")
    assert (warn.severity, warn.line, warn.col) == ("warning", 5, 20 * len(ten_words) + 1)
    (err,) = found(email(body=ten_words * 30 + GOOD_BODY), rule="too-long")
    assert err.severity == "error"


# --- style -----------------------------------------------------------------------------
def test_style_findings_come_from_proselint_as_warnings() -> None:
    text = email(body=f"At the end of the day, it is very unique. {GOOD_BODY}")
    style = found(text, rule="style")
    assert style and all(f.severity == "warning" for f in style)
    assert (style[0].line, style[0].col) == (5, 1)
    assert any("uncomparable" in f.message for f in style)


def test_style_skips_noisy_checks() -> None:
    text = email(body=f'I was very glad... "quoted" and my resume. {GOOD_BODY}')
    assert found(text, rule="style") == []


# --- what is not the user's prose ------------------------------------------------------
def test_quoted_text_and_signature_are_not_checked() -> None:
    text = (
        "Subject: Re: hello\n\nHi Maria,\n\nFollowing up. Would 20 minutes work?\n\nBest,\n"
        "Alex\n\nOn Tue, Mar 4, 2025 at 9:12 AM Alex <a@example.com> wrote:\n"
        "> i wrote teh [Name] draft  here\n-- \nAlex Doe | Senoir Desiner | TODO\n"
    )
    context = ProofreadContext(kind="follow-up", recipient_name="Maria Lopez")
    assert found(text, context) == []


# --- any text ------------------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("aAeE iI.,!?:;-_'\"<>[]{}%@/\n\t")) | st.characters(),
        max_size=300,
    ),
    st.sampled_from([None, "outreach", "follow-up", "thank-you"]),
)
@example("\ud800", None)  # a lone surrogate: proselint's regex engine takes UTF-8 only
def test_any_text_gives_findings_inside_the_text(text: str, kind: str | None) -> None:
    context = ProofreadContext(kind=kind, recipient_name="Maria Lopez", referrer="Sam Lee")
    lines = text.split("\n")
    for f in proofread(text, context):
        assert 1 <= f.line <= len(lines)
        assert 1 <= f.col <= len(lines[f.line - 1]) + 1
        assert f.severity in ("error", "warning")


def test_a_subject_line_alone() -> None:
    assert proofread("Subject: Hello") == []
    assert proofread("") == []


# --- the corpus ------------------------------------------------------------------------
def _bench_module() -> ModuleType:
    # Loaded by path: `bench` is not importable under a plain `pytest` (only the package is).
    path = Path(__file__).parent.parent / "bench" / "proofread_corpus.py"
    spec = importlib.util.spec_from_file_location("proofread_corpus", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def test_corpus_catch_rate_and_false_alarms() -> None:
    result = _bench_module().run(CORPUS)
    assert result.bad >= 30 and result.clean >= 30
    assert result.catch_rate >= 0.95, result.missed
    assert result.false_alarm_rate <= 0.05, result.false_alarms
