"""The playback's drawing: an episode's numbers to lines of characters, with no screen."""

from __future__ import annotations

import math

import pytest

from torchlings.checkapi.episode import make_episode
from torchlings.tui.widgets.playback_art import (
    CART,
    draw_frame,
    rod_cells,
    stroke,
    torque_bar,
)


@pytest.mark.parametrize(("angle", "char"), [
    (0.0, "|"), (math.pi, "|"), (0.3, "|"), (-0.3, "|"),
    (math.pi / 2, "-"), (-math.pi / 2, "-"),
    (math.pi / 4, "/"), (-3 * math.pi / 4, "/"),  # the same line, drawn from either end
    (-math.pi / 4, "\\"), (3 * math.pi / 4, "\\"),
])
def test_a_stroke_is_the_character_nearest_its_angle(angle, char):
    assert stroke(angle) == char


def test_a_rod_straight_up_climbs_one_row_a_cell():
    assert rod_cells(5, 4, 0.0, 3) == [(5, 3), (5, 2), (5, 1)]


def test_a_level_rod_covers_twice_as_many_columns_as_its_length_in_rows():
    # A cell is about twice as tall as wide: 2 rows of length are 4 columns.
    assert rod_cells(5, 4, math.pi / 2, 2) == [(6, 4), (7, 4), (8, 4), (9, 4)]
    assert rod_cells(5, 4, -math.pi / 2, 2) == [(4, 4), (3, 4), (2, 4), (1, 4)]


@pytest.mark.parametrize("angle", [i * 0.37 for i in range(-9, 10)])
def test_a_rod_at_any_angle_has_no_gaps_and_no_doubled_cells(angle):
    cells = rod_cells(20, 10, angle, 4.5)
    assert len(set(cells)) == len(cells) and (20, 10) not in cells
    path = [(20, 10), *cells]
    for (c1, r1), (c2, r2) in zip(path, path[1:], strict=False):
        assert max(abs(c1 - c2), abs(r1 - r2)) == 1, (angle, path)


# --- whole frames --------------------------------------------------------------

def cartpole(x=0.0, theta=0.0, action=1, steps=3):
    observations = [[x, 0.0, theta, 0.0]] * (steps + 1)
    return make_episode("CartPole-v1", observations, [action] * steps, [1.0] * steps)


def pendulum(theta, torque=0.0):
    obs = [math.cos(theta), math.sin(theta), 0.0]
    return make_episode("Pendulum-v1", [obs, obs], [[torque]], [-2.5])


def find(lines, char):
    return [(line.index(char), row) for row, line in enumerate(lines) if char in line]


@pytest.mark.parametrize("size", [(40, 9), (36, 12), (80, 12), (12, 4), (5, 2), (1, 1)])
@pytest.mark.parametrize("episode", [cartpole(), pendulum(1.0, 1.0), make_episode(
    "Acrobot-v1", [[0.1] * 6], [1], [-1.0])], ids=["cartpole", "pendulum", "other"])
def test_every_frame_fills_exactly_the_space_it_is_given(episode, size):
    for frame in (0, 1, 99):
        lines = draw_frame(episode, frame, *size)
        assert len(lines) == size[1] and {len(line) for line in lines} == {size[0]}


def test_the_first_line_counts_steps_and_the_return_so_far():
    episode = make_episode("Pendulum-v1", [[1.0, 0.0, 0.0]] * 4, [[0.0]] * 3, [-1.0, -0.5, -2.0])
    assert draw_frame(episode, 0, 60, 9)[0].rstrip() == "step 0/3  return 0  Pendulum-v1"
    assert draw_frame(episode, 2, 60, 9)[0].startswith("step 2/3  return -1.5  ")
    assert draw_frame(episode, 3, 60, 9)[0].startswith("step 3/3 (end)  return -3.5  ")
    # Narrow: the environment's name goes first, the counters stay whole.
    assert draw_frame(episode, 3, 30, 9)[0].rstrip() == "step 3/3 (end)  return -3.5"


def test_the_pole_leans_the_way_its_angle_says():
    upright = draw_frame(cartpole(theta=0.0), 0, 40, 9)
    right = draw_frame(cartpole(theta=0.2), 0, 40, 9)
    left = draw_frame(cartpole(theta=-0.2), 0, 40, 9)
    (base, _), = find(upright[-3:-2], CART[0])
    top_upright, top_right, top_left = (find(frame, "|")[0][0] for frame in (upright, right, left))
    assert top_right > top_upright > top_left
    assert "pole +11.5°" in right[-1] and "pole -11.5°" in left[-1]
    assert base == find(right[-3:-2], CART[0])[0][0]  # the cart stays where x says


def test_the_cart_sits_where_its_position_says_and_the_arrow_shows_the_push():
    def cart_column(x):
        return draw_frame(cartpole(x=x), 0, 40, 9)[-3].index(CART)

    assert cart_column(-2.4) < cart_column(0.0) < cart_column(2.4)
    assert cart_column(-2.4) == 1 and cart_column(2.4) + len(CART) == 39  # inside the stops
    assert draw_frame(cartpole(action=1), 0, 40, 9)[-1].startswith("push →")
    assert draw_frame(cartpole(action=0), 0, 40, 9)[-1].startswith("← push")


def test_the_last_frame_says_how_the_episode_ended():
    assert draw_frame(cartpole(theta=0.25), 3, 40, 9)[-1].startswith("pole fell")
    assert draw_frame(cartpole(x=2.5), 3, 40, 9)[-1].startswith("off the track")
    assert draw_frame(cartpole(theta=0.05), 3, 40, 9)[-1].startswith("still up")


@pytest.mark.parametrize(("theta", "where"), [
    (0.0, "above"), (math.pi, "below"), (math.pi / 2, "left"), (-math.pi / 2, "right")])
def test_the_pendulum_rod_points_where_theta_says(theta, where):
    lines = draw_frame(pendulum(theta), 0, 41, 12)[:-1]  # the picture, not the words under it
    (pivot_col, pivot_row), = find(lines, "+")
    (bob_col, bob_row), = find(lines, "O")
    assert {
        "above": bob_col == pivot_col and bob_row < pivot_row,
        "below": bob_col == pivot_col and bob_row > pivot_row,
        "left": bob_row == pivot_row and bob_col < pivot_col,  # counterclockwise from upright
        "right": bob_row == pivot_row and bob_col > pivot_col,
    }[where], "\n".join(lines)


def test_the_torque_is_shown_with_its_size_and_direction():
    assert torque_bar(2.0, 4) == "↻ ····│████ ↺"  # counterclockwise, at the bound
    assert torque_bar(-1.0, 4) == "↻ ··██│···· ↺"
    assert torque_bar(0.0, 4) == "↻ ····│···· ↺"
    assert torque_bar(-9.0, 2) == "↻ ██│·· ↺"  # beyond the bound: full, not past it
    line = draw_frame(pendulum(0.3, torque=-1.25), 0, 60, 9)[-1]
    assert line.startswith("torque -1.25   ↻ ") and "17° from upright" in line


def test_an_environment_without_a_picture_is_shown_as_numbers():
    episode = make_episode("Acrobot-v1", [[0.5, -0.25]], [2], [-1.0])
    lines = draw_frame(episode, 0, 50, 6)
    assert "observation +0.50 -0.25" in lines[1] and "action +2.00" in lines[2]


def test_an_observation_of_another_size_is_shown_as_numbers_not_a_crash():
    episode = make_episode("CartPole-v1", [[0.5, -0.25]], [1], [1.0])
    lines = draw_frame(episode, 0, 50, 6)
    assert "observation +0.50 -0.25" in lines[1]


def test_numbers_far_out_of_range_still_draw():
    episode = make_episode("CartPole-v1", [[1e300, -1e300, 1e300, 0.0]], [1], [1e300])
    lines = draw_frame(episode, 0, 40, 9)
    assert len(lines) == 9 and CART in lines[-3]
