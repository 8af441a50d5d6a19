"""Measure the capstone agents: per seed, does the solution reach the bar, in how long?

    python bench/capstones.py                       # every capstone, seeds 0-9
    python bench/capstones.py ppo_cartpole --seeds 20
    python bench/capstones.py dqn_cartpole --variants   # also the known variants

For each seed it prints the episodes and steps used, the mean of the last
returns when training stopped (at the bar, or when the budget ran out; 20
episodes for CartPole, 5 for Pendulum), the best such mean on the way, and the
wall time. The bars and budgets in checks/09_agents/test_*_cartpole.py and
checks/10_continuous/test_sac_pendulum.py were chosen from these figures; run
this again after changing a capstone's hyperparameters. With --bar 1000 a run
never stops early, which shows how far a seed gets in the whole budget.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))

from torchlings.authoring.dev_check import load_variants  # noqa: E402
from torchlings.checkapi.testkit.gym import train_until_solved  # noqa: E402


class Capstone(NamedTuple):
    """The figures a capstone's check uses, and where its solution lives."""

    budget: int  # environment steps per seed
    bar: float  # mean of the last `window` returns to reach
    chapter: str = "09_agents"
    env_id: str = "CartPole-v1"
    window: int = 20
    levels: tuple[float, ...] = (100, 150, 195)  # report when the mean first reached each


CAPSTONES = {
    "ppo_cartpole": Capstone(25_000, 195.0),
    "reinforce_baseline_cartpole": Capstone(40_000, 195.0),
    "dqn_cartpole": Capstone(10_000, 150.0),
    "sac_pendulum": Capstone(10_000, -250.0, "10_continuous", "Pendulum-v1", 5,
                             (-800, -400, -250, -200)),
}


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(label: str, module, seeds: list[int], capstone: Capstone) -> None:
    budget, bar, window = capstone.budget, capstone.bar, capstone.window
    print(f"\n{label}  (budget {budget} steps, bar {bar:g})")
    solved, start = 0, time.perf_counter()
    for seed in seeds:
        run = train_until_solved(module.train, seed=seed, max_steps=budget, bar=bar,
                                 window=window, series=None, env_id=capstone.env_id)
        solved += run.solved
        reached = ", ".join(f"{level:g} at {run.steps_to_reach(level) or '-'}"
                            for level in capstone.levels if level <= bar)
        print(f"  {'solved' if run.solved else 'MISSED'}  {run.describe()}  {run.seconds:.1f} s wall, "
              f"{run.cpu_seconds:.1f} s CPU; {window}-episode mean {reached} steps",
              flush=True)
    print(f"  {solved}/{len(seeds)} seeds solved, {time.perf_counter() - start:.1f} s in all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(CAPSTONES))
    parser.add_argument("--seeds", type=int, default=10, help="seeds 0 .. N-1")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, help="override the step budget")
    parser.add_argument("--bar", type=float, help="override the bar")
    parser.add_argument("--variants", action="store_true", help="also the known variants")
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    for name in args.names:
        capstone = CAPSTONES[name]
        capstone = capstone._replace(budget=args.budget or capstone.budget,
                                     bar=capstone.bar if args.bar is None else args.bar)
        solution = REPO / "solutions" / capstone.chapter / f"{name}.py"
        measure(f"{name}: solution", load_module(solution), seeds, capstone)
        if not args.variants:
            continue
        variants = load_variants(REPO / "tests" / "variants" / capstone.chapter / f"{name}.toml",
                                 solution.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as scratch:
            for index, variant in enumerate(variants):
                if variant.source is None:
                    print(f"\n{name}: {variant.kind} '{variant.label}' cannot be applied")
                    continue
                path = Path(scratch) / f"v{index}" / f"{name}.py"
                path.parent.mkdir()
                path.write_text(variant.source, encoding="utf-8")
                measure(f"{name}: {variant.kind} '{variant.label}'", load_module(path), seeds,
                        capstone)


if __name__ == "__main__":
    main()
