"""Stages of a contact and the transitions between them: pure functions, no I/O.

The journey (DESIGN.md): identified → drafted → contacted → replied → scheduled → met →
thanked → keeping-in-touch, with the side exits declined, bounced and no-response.
"""

from __future__ import annotations

from enum import StrEnum

from coffeechat.errors import StageError
from coffeechat.text import did_you_mean


class Stage(StrEnum):
    IDENTIFIED = "identified"
    DRAFTED = "drafted"
    CONTACTED = "contacted"
    REPLIED = "replied"
    SCHEDULED = "scheduled"
    MET = "met"
    THANKED = "thanked"
    KEEPING_IN_TOUCH = "keeping-in-touch"
    DECLINED = "declined"
    BOUNCED = "bounced"
    NO_RESPONSE = "no-response"


MAIN_PATH: tuple[Stage, ...] = (
    Stage.IDENTIFIED,
    Stage.DRAFTED,
    Stage.CONTACTED,
    Stage.REPLIED,
    Stage.SCHEDULED,
    Stage.MET,
    Stage.THANKED,
    Stage.KEEPING_IN_TOUCH,
)
SIDE_EXITS: tuple[Stage, ...] = (Stage.DECLINED, Stage.BOUNCED, Stage.NO_RESPONSE)
# The stages that say the contact's latest meeting took place.
AFTER_MEETING = frozenset(MAIN_PATH[MAIN_PATH.index(Stage.MET) :])
# The stages at which the user has not written to the contact, as far as coffeechat knows.
NOT_WRITTEN_TO = frozenset(MAIN_PATH[: MAIN_PATH.index(Stage.CONTACTED)])

S = Stage
# Automatic transitions follow what the mailbox proves; they may skip steps (a reply can
# arrive before we saw the sent message, a meeting can be scheduled by phone). A stage
# never moves backwards automatically, except that a bounced or silent contact who
# writes back is revived. A cancelled meeting (`schedule --cancel`, a command) undoes the
# move to scheduled: the contact goes back to the stage they were at before it.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    S.IDENTIFIED: frozenset(
        {S.DRAFTED, S.CONTACTED, S.REPLIED, S.SCHEDULED, S.MET, S.DECLINED, S.BOUNCED}
    ),
    S.DRAFTED: frozenset({S.CONTACTED, S.REPLIED, S.SCHEDULED, S.MET, S.DECLINED, S.BOUNCED}),
    S.CONTACTED: frozenset({S.REPLIED, S.SCHEDULED, S.MET, S.DECLINED, S.BOUNCED, S.NO_RESPONSE}),
    S.REPLIED: frozenset({S.SCHEDULED, S.MET, S.DECLINED, S.BOUNCED}),
    S.SCHEDULED: frozenset(
        {S.MET, S.REPLIED, S.DECLINED, S.IDENTIFIED, S.DRAFTED, S.CONTACTED, S.KEEPING_IN_TOUCH}
    ),
    S.MET: frozenset({S.THANKED, S.KEEPING_IN_TOUCH}),
    S.THANKED: frozenset({S.KEEPING_IN_TOUCH}),
    S.KEEPING_IN_TOUCH: frozenset({S.SCHEDULED, S.MET}),
    S.DECLINED: frozenset({S.REPLIED, S.SCHEDULED}),
    S.BOUNCED: frozenset({S.DRAFTED, S.CONTACTED, S.REPLIED}),
    S.NO_RESPONSE: frozenset({S.DRAFTED, S.CONTACTED, S.REPLIED, S.SCHEDULED}),
}


def parse_stage(text: str) -> Stage:
    """The stage named by `text` ("No response" and "no_response" too), or a StageError
    with the closest name, or all of them."""
    try:
        return Stage("-".join(text.lower().replace("_", " ").split()))
    except ValueError:
        fix = did_you_mean(text, [stage.value for stage in Stage])
        raise StageError(f"unknown stage {text!r}; {fix}") from None


def can_move(current: Stage, target: Stage) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: Stage, target: Stage) -> None:
    """Raise StageError unless `current → target` is an allowed transition."""
    if current == target:
        raise StageError(f"the contact is already {current.value}")
    if not can_move(current, target):
        allowed = ", ".join(s.value for s in Stage if s in TRANSITIONS[current])
        raise StageError(
            f"cannot move from {current.value} to {target.value}; "
            f"from {current.value} a contact can move to: {allowed}"
        )


def is_later(current: Stage, target: Stage) -> bool:
    """True when `target` is further along the main path than `current`.

    Used by the tracker so that an old message seen late never moves a contact back.
    """
    if target in SIDE_EXITS or current in SIDE_EXITS:
        return can_move(current, target)
    return MAIN_PATH.index(target) > MAIN_PATH.index(current)
