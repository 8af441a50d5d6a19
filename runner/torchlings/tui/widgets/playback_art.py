"""Drawing one moment of a recorded episode as lines of characters: pure functions, no I/O.

The playback widget calls `draw_frame` for the frame it shows; everything here
is arithmetic on the episode's numbers, so it is tested without a screen.

A terminal cell is about twice as tall as it is wide (ASPECT), so a line at an
angle moves ASPECT columns for every row it climbs; the stroke's character
(`| / \\ -`) is the one nearest its angle. Angles are measured from straight
up, clockwise on the screen, the way a learner reads a leaning pole.

CartPole-v1 observations are (cart position, cart velocity, pole angle, pole
angular velocity); action 0 pushes the cart left, 1 right. Pendulum-v1
observations are (cos theta, sin theta, angular velocity), theta 0 upright and
growing counterclockwise; the action is the torque in [-2, 2], positive
counterclockwise.
"""

from __future__ import annotations

import math

from torchlings.checkapi.episode import Episode

ASPECT = 2.0
CART_TRACK = 2.4  # CartPole-v1 ends an episode when the cart passes +-2.4
POLE_LIMIT = math.radians(12)  # and when the pole leans further than this
CART = "▐█████▌"
MAX_TORQUE = 2.0  # Pendulum-v1's bound
# Real time: CartPole-v1 moves 0.02 s a step, Pendulum-v1 0.05 s.
SECONDS_PER_STEP = {"CartPole": 0.02, "Pendulum": 0.05}


def family(env_id: str) -> str:
    """'CartPole', 'Pendulum', or '' for an environment drawn as numbers only."""
    name = env_id.rsplit("/", 1)[-1].split("-v", 1)[0]
    return name if name in SECONDS_PER_STEP else ""


def seconds_per_step(env_id: str) -> float:
    return SECONDS_PER_STEP.get(family(env_id), 0.05)


def stroke(angle: float) -> str:
    """The character for a line leaning `angle` radians clockwise from straight up."""
    lean = math.remainder(angle, math.pi)  # a line and its reverse look the same: (-pi/2, pi/2]
    if abs(lean) < math.pi / 8:
        return "|"
    if abs(lean) > 3 * math.pi / 8:
        return "-"
    return "/" if lean > 0 else "\\"


def _cell(value: float) -> int:
    return math.floor(value + 0.5)  # halves always up: a rod drawn the same on both sides


def rod_cells(col: int, row: int, angle: float, length: float) -> list[tuple[int, int]]:
    """The cells of a rod from the cell (col, row), `length` rows long, leaning `angle`.

    One cell per step along its longer axis (rows for a steep rod, columns for a
    flat one), so it has neither gaps nor doubled cells; the start is left out.
    """
    end_col = col + math.sin(angle) * ASPECT * length
    end_row = row - math.cos(angle) * length
    steps = max(abs(_cell(end_col) - col), abs(_cell(end_row) - row))
    return [(_cell(col + (end_col - col) * i / steps), _cell(row + (end_row - row) * i / steps))
            for i in range(1, steps + 1)]


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [[" "] * width for _ in range(height)]

    def put(self, col: int, row: int, text: str) -> None:
        for offset, char in enumerate(text):
            if 0 <= col + offset < self.width and 0 <= row < self.height:
                self.rows[row][col + offset] = char

    def lines(self) -> list[str]:
        return ["".join(row) for row in self.rows]


def return_so_far(episode: Episode, frame: int) -> float:
    return sum(episode.rewards[:frame])


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def header(episode: Episode, frame: int, width: int) -> str:
    """'step 57/200  return -302.4  Pendulum-v1': what fits, the environment's name last."""
    step = f"step {frame}/{episode.steps}" + (" (end)" if frame >= last_frame(episode) else "")
    total = f"return {_number(return_so_far(episode, frame))}"
    return _fit([step, total, episode.env_id], width, gap="  ")


def last_frame(episode: Episode) -> int:
    return len(episode.observations) - 1


def _fit(parts: list[str], width: int, gap: str = "   ") -> str:
    """As many of `parts` as fit in `width`, in order, `gap` apart."""
    line = ""
    for part in parts:
        candidate = f"{line}{gap}{part}" if line else part
        if len(candidate) > width:
            break
        line = candidate
    return line


def draw_cartpole(obs: list[float], action: list[float] | None, width: int, height: int) -> list[str]:
    """The cart on its track with the pole at its angle, and a line saying which way it pushes."""
    canvas = Canvas(width, height)
    x, theta = obs[0], obs[2]
    track_row, body_row = height - 2, height - 3
    inner = max(1, width - 2 - len(CART))  # where the cart's left edge can go
    fraction = min(1.0, max(0.0, (x + CART_TRACK) / (2 * CART_TRACK)))
    left = 1 + round(fraction * inner)
    pivot = left + len(CART) // 2
    # To scale: the pole is 1 unit long and the track 2 * CART_TRACK, so a lean
    # moves its tip as far as the same distance of cart travel does on screen.
    to_scale = (width - 2) / (2 * CART_TRACK) / ASPECT
    char = stroke(theta)
    for col, row in rod_cells(pivot, body_row, theta, min(body_row, max(2.0, to_scale))):
        canvas.put(col, row, char)
    # The cart and the track over the pole: a pole fallen flat lies behind them.
    canvas.put(0, track_row, "|" + "─" * (width - 2) + "|")
    canvas.put(left + 1, track_row, "o")
    canvas.put(left + len(CART) - 2, track_row, "o")
    canvas.put(left, body_row, CART)
    if action is None:  # the state the last push led to
        push = ("off the track" if abs(x) > CART_TRACK
                else "pole fell" if abs(theta) > POLE_LIMIT else "still up")
    else:
        push = "push →" if action[0] >= 0.5 else "← push"
    canvas.put(0, height - 1, _fit([push, f"pole {math.degrees(theta):+.1f}°",
                                    f"cart {x:+.2f}"], width))
    return canvas.lines()


def torque_bar(torque: float, half: int) -> str:
    """'↻ ····│██·· ↺': the torque's size and direction, clockwise to the left."""
    share = min(1.0, abs(torque) / MAX_TORQUE)
    filled = round(share * half)
    if torque >= 0:
        left, right = "·" * half, "█" * filled + "·" * (half - filled)
    else:
        left, right = "·" * (half - filled) + "█" * filled, "·" * half
    return f"↻ {left}│{right} ↺"


def draw_pendulum(obs: list[float], action: list[float] | None, width: int,
                  height: int) -> list[str]:
    """The rod at its angle about the pivot (· marks upright), and the torque applied."""
    canvas = Canvas(width, height)
    theta = math.atan2(obs[1], obs[0])
    scene = height - 1
    length = max(1.0, min((scene - 1) / 2, (width / ASPECT) / 2 - 1))
    col, pivot_row = width // 2, (scene - 1) // 2
    canvas.put(col, _cell(pivot_row - length), "·")  # the goal: straight up
    angle = -theta  # counterclockwise theta is an anticlockwise lean on screen
    cells = rod_cells(col, pivot_row, angle, length)
    char = stroke(angle)
    for cell_col, cell_row in cells[:-1]:
        canvas.put(cell_col, cell_row, char)
    if cells:
        canvas.put(*cells[-1], "O")
    canvas.put(col, pivot_row, "+")
    upright = abs(math.degrees(theta))
    tilt = f"{upright:.0f}° from upright"
    if action is None:
        parts = [tilt]
    else:
        torque = action[0]
        bar = torque_bar(torque, max(2, min(6, (width - 18) // 2)))
        parts = [f"torque {torque:+.2f}", bar, tilt]
    canvas.put(0, height - 1, _fit(parts, width))
    return canvas.lines()


def draw_numbers(obs: list[float], action: list[float] | None, width: int,
                 height: int) -> list[str]:
    """An environment without a picture: its observation and action as numbers."""
    canvas = Canvas(width, height)
    canvas.put(0, 0, "observation " + " ".join(f"{v:+.2f}" for v in obs))
    if action is not None:
        canvas.put(0, 1, "action " + " ".join(f"{v:+.2f}" for v in action))
    return canvas.lines()


# Each picture and the observation size it reads; another size is shown as numbers.
DRAWERS = {"CartPole": (draw_cartpole, 4), "Pendulum": (draw_pendulum, 3)}


def draw_frame(episode: Episode, frame: int, width: int, height: int) -> list[str]:
    """Frame `frame` of the episode, as `height` lines of `width` characters.

    The first line counts steps and the return so far; the rest is the scene,
    whose last line says in words what the picture shows.
    """
    width, height = max(1, width), max(1, height)
    frame = min(max(0, frame), last_frame(episode))
    obs = episode.observations[frame]
    action = episode.actions[frame] if frame < episode.steps else None
    draw, size = DRAWERS.get(family(episode.env_id), (draw_numbers, len(obs)))
    if len(obs) != size:
        draw = draw_numbers
    top = Canvas(width, 1)
    top.put(0, 0, header(episode, frame, width))
    if height < 4:
        return top.lines() + [" " * width] * (height - 1)
    return top.lines() + draw(obs, action, width, height - 1)
