"""`coffeechat report`: the reply rate counts only replies to outreach the timeline shows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from coffeechat_fixtures import Workspace

DAY_0 = "2026-03-02T09:00:00+01:00"
DAY_2 = "2026-03-04T09:00:00+01:00"
DAY_5 = "2026-03-07T09:00:00+01:00"


@pytest.fixture
def people(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("COFFEECHAT_NOW", DAY_0)
    for name, address in (("Dana Lee", "dana@acme.example"), ("Sam Roe", "sam@beta.example")):
        assert workspace.run("add", name, "--email", address).exit_code == 0
    return workspace


def report(workspace: Workspace) -> dict[str, Any]:
    result = workspace.run("report", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rate(data: dict[str, Any]) -> tuple[int, int, float | None]:
    return data["replied"], data["contacted"], data["reply_rate"]


def test_a_meeting_scheduled_without_outreach_is_no_reply(people: Workspace) -> None:
    # Met Dana at a fair and scheduled by hand; wrote to Sam, who has not answered.
    assert people.run("schedule", "dana", "2026-03-10 15:00").exit_code == 0
    assert people.run("stage", "sam", "contacted").exit_code == 0
    data = report(people)
    assert rate(data) == (0, 1, 0.0)
    assert data["contacted"] == data["reached"]["contacted"]  # the table's "ever" column
    assert "Reply rate: 0% (0 of 1 contacted)" in people.run("report").output


def test_without_outreach_there_is_no_rate(people: Workspace) -> None:
    assert people.run("schedule", "dana", "2026-03-10 15:00").exit_code == 0
    assert rate(report(people)) == (0, 0, None)
    assert "Reply rate: — (0 of 0 contacted)" in people.run("report").output


def test_a_meeting_arranged_after_outreach_is_a_reply(
    people: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dana answered by phone: the user scheduled right after writing to her.
    for who in ("dana", "sam"):
        assert people.run("stage", who, "contacted").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", DAY_2)
    assert people.run("schedule", "dana", "2026-03-10 15:00").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", DAY_5)
    assert people.run("stage", "sam", "declined").exit_code == 0  # a no is an answer too
    data = report(people)
    assert rate(data) == (2, 2, 1.0)
    assert data["median_days_to_reply"] == 3.5


def test_only_answers_after_the_outreach_count(
    people: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Met Dana at a fair first; months later the user writes to her and hears nothing.
    assert people.run("schedule", "dana", "2026-03-03 15:00").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", DAY_5)
    assert people.run("met", "dana").exit_code == 0
    assert people.run("stage", "dana", "contacted", "--force").exit_code == 0
    data = report(people)
    assert rate(data) == (0, 1, 0.0)
    assert data["median_days_to_reply"] is None


def test_an_outreach_that_bounced_asked_nobody(people: Workspace) -> None:
    # The demo counted Ben's bounced outreach as "contacted, no reply": 2 of 4.
    for who in ("dana", "sam"):
        assert people.run("stage", who, "contacted").exit_code == 0
    assert people.run("stage", "sam", "bounced").exit_code == 0
    assert rate(report(people)) == (0, 1, 0.0)


@pytest.mark.parametrize(
    ("met", "thanked", "on_time"),
    [
        # `met` typed two days after the meeting of Monday 15:00-15:20: thanked 42 h after
        # typing it but 66 h after the conversation, which the agenda shows as late.
        (("met", "dana"), "2026-04-03T10:00:00+02:00", 0),
        # `met --when` names the start: the clock runs from the end, 15:20, as in the agenda.
        (("met", "dana", "--when", "2026-03-30 15:00"), "2026-04-01T15:10:00+02:00", 1),
    ],
)
def test_thank_you_on_time_counts_from_the_end_of_the_meeting_as_the_agenda_does(
    people: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    met: tuple[str, ...],
    thanked: str,
    on_time: int,
) -> None:
    assert people.run("schedule", "dana", "2026-03-30 15:00").exit_code == 0
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-04-01T16:00:00+02:00")
    assert people.run(*met).exit_code == 0
    agenda = json.loads(people.run("agenda", "--json").stdout)
    [due] = [row["due"] for row in agenda if row["kind"] == "thank-you"]
    assert due == "2026-04-01T15:20:00+02:00"  # 48 h after the meeting ended
    monkeypatch.setenv("COFFEECHAT_NOW", thanked)
    assert people.run("stage", "dana", "thanked").exit_code == 0
    data = report(people)
    assert (data["thank_yous"], data["thank_yous_on_time"]) == (1, on_time)
    assert on_time == (thanked <= due)  # the report and the agenda agree


def test_referrals_gained_and_written_to(people: Workspace) -> None:
    # Dana suggested Kim, Lou (a name alone) and Sam (a contact already); the user has
    # written to Kim and only drafted to Sam. Dana herself, referred by nobody, is none.
    referrals = ("Kim Kay <kim@k.example>", "Lou Lam", "sam@beta.example")
    met = people.run("met", "dana", *(f"--referral={r}" for r in referrals))
    assert met.exit_code == 0, met.output
    assert people.run("stage", "kim", "contacted").exit_code == 0
    assert people.run("stage", "sam", "drafted").exit_code == 0
    data = report(people)
    assert (data["referrals_gained"], data["referrals_written_to"]) == (3, 1)
    assert [tree["name"] for tree in data["referrals"]] == ["Dana Lee"]  # the tree stays
    assert "Referrals: 3 gained, 1 written to" in people.run("report").output


def test_a_stage_set_by_hand_past_contacted_proves_no_outreach(people: Workspace) -> None:
    # The mailbox's proof of an outreach never seen in Sent (a reply citing it, its bounce)
    # counts it as contacted (tests/test_journey_e2e.py); `coffeechat stage` does not.
    assert people.run("stage", "dana", "drafted").exit_code == 0
    assert people.run("stage", "dana", "replied").exit_code == 0
    data = report(people)
    assert rate(data) == (0, 0, None)
    assert data["reached"]["contacted"] == 0
