import pytest

from interchange.core.priorities import Level, Priority, priority_for

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (H, H, Priority.P1),
        (H, M, Priority.P2),
        (M, H, Priority.P2),
        (H, L, Priority.P3),
        (M, M, Priority.P3),
        (L, H, Priority.P3),
        (M, L, Priority.P4),
        (L, M, Priority.P4),
        (L, L, Priority.P4),
    ],
)
def test_priority_follows_the_impact_urgency_table(impact, urgency, expected):
    assert priority_for(impact, urgency) == expected


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="'severe' is not a valid Level"):
        priority_for("severe", "high")
