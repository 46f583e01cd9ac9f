"""A refusal names what was refused in the clinic's words, for every action (it once showed "user.manage")."""

from sotchart.domain.errors import Forbidden
from sotchart.domain.roles import ACTION_WORDS, Action, Role
from sotchart.services.policy import Actor, require


def test_every_action_has_words_and_refusals_use_them() -> None:
    assert set(ACTION_WORDS) == set(Action)
    researcher = Actor(1, 1, Role.RESEARCHER, "r@x.test", "", scope="write")
    for action in (Action.USER_MANAGE, Action.VISIT_SIGN):
        try:
            require(researcher, action)
        except Forbidden as e:
            assert ACTION_WORDS[action] in e.detail and action.value not in e.detail, e.detail
        else:
            raise AssertionError(f"a researcher was allowed {action}")
