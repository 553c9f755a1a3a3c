import itertools

import pytest

from coffeechat.errors import StageError
from coffeechat.pipeline import (
    MAIN_PATH,
    TRANSITIONS,
    Stage,
    check_transition,
    is_later,
    parse_stage,
)

ALLOWED = [(current, target) for current, targets in TRANSITIONS.items() for target in targets]


@pytest.mark.parametrize(("current", "target"), ALLOWED, ids=lambda s: s.value)
def test_every_allowed_transition_passes(current: Stage, target: Stage) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Stage.MET, Stage.IDENTIFIED),
        (Stage.THANKED, Stage.CONTACTED),
        (Stage.KEEPING_IN_TOUCH, Stage.DRAFTED),
        (Stage.REPLIED, Stage.CONTACTED),
        (Stage.IDENTIFIED, Stage.THANKED),
        (Stage.IDENTIFIED, Stage.NO_RESPONSE),
        (Stage.BOUNCED, Stage.MET),
    ],
)
def test_refused_transition_names_the_allowed_ones(current: Stage, target: Stage) -> None:
    with pytest.raises(StageError) as caught:
        check_transition(current, target)
    message = str(caught.value)
    assert f"cannot move from {current.value} to {target.value}" in message
    for allowed in TRANSITIONS[current]:
        assert allowed.value in message


def test_same_stage_is_refused() -> None:
    with pytest.raises(StageError, match="already met"):
        check_transition(Stage.MET, Stage.MET)


def test_the_main_path_is_walkable_step_by_step() -> None:
    for current, target in itertools.pairwise(MAIN_PATH):
        check_transition(current, target)


def test_every_stage_is_reachable() -> None:
    reachable = {Stage.IDENTIFIED}
    for targets in TRANSITIONS.values():
        reachable |= targets
    assert reachable == set(Stage)


def test_parse_stage_lists_valid_names() -> None:
    assert parse_stage(" Keeping-In-Touch ") is Stage.KEEPING_IN_TOUCH
    with pytest.raises(StageError, match="choose one of: identified, drafted"):
        parse_stage("ghosted")


def test_is_later_never_moves_back() -> None:
    assert is_later(Stage.CONTACTED, Stage.REPLIED)
    assert not is_later(Stage.MET, Stage.REPLIED)
    assert is_later(Stage.NO_RESPONSE, Stage.REPLIED)
    assert not is_later(Stage.MET, Stage.BOUNCED)
