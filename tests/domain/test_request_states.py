"""The state table's rules that are more than "from which states": a scheduled erasure ends
only by running or with a recorded reason (SPEC §6), and staff actions' states are one table."""
import pytest

from dsar.domain.request_states import (
    STAFF_ACTIONS,
    TRANSITIONS,
    check_action,
    check_completion,
    staff_actions,
)
from dsar.errors import Conflict, ValidationError


@pytest.mark.parametrize("current", ["verified", "in_progress"])
def test_a_request_that_was_not_scheduled_completes_as_before(current):
    check_completion(current, "complied", erasure_ran=False, reason=None)


def test_a_scheduled_erasure_completes_by_running():
    check_completion("scheduled", "complied", erasure_ran=True, reason=None)
    check_completion("scheduled", "complied_in_part", erasure_ran=True, reason=None)


def test_a_scheduled_erasure_that_did_not_run_is_never_complied_in_whole():
    with pytest.raises(Conflict, match="cannot be complied with in whole") as caught:
        check_completion("scheduled", "complied", erasure_ran=False, reason="done by hand")
    assert caught.value.details["field"] == "outcome"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_closing_a_scheduled_erasure_in_part_needs_a_reason(reason):
    with pytest.raises(ValidationError) as caught:
        check_completion("scheduled", "complied_in_part", erasure_ran=False, reason=reason)
    assert caught.value.details["field"] == "reason"
    check_completion("scheduled", "complied_in_part", erasure_ran=False, reason="backup tapes cannot be erased")


def test_a_scheduled_erasure_can_be_denied_with_its_reason():
    assert "scheduled" in TRANSITIONS["deny"].sources and TRANSITIONS["deny"].needs_reason


def test_staff_actions_take_their_states_from_the_transitions():
    for name in ("verify", "approve", "pause", "resume", "complete", "deny", "cancel"):
        assert STAFF_ACTIONS[name] == TRANSITIONS[name].sources
    assert staff_actions("unverified") == ["verify", "deny", "cancel", "extend", "confirm_identifier"]
    assert "extend" not in staff_actions("scheduled") and "fulfil" not in staff_actions("scheduled")


def test_an_action_from_the_wrong_state_is_a_conflict_in_words():
    with pytest.raises(Conflict, match="cannot extend a request that is scheduled"):
        check_action("extend", "scheduled")
    check_action("extend", "paused")
