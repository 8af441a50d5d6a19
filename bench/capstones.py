"""Measure the capstone agents: per seed, does the solution reach the bar, in how long?

    python bench/capstones.py                       # every capstone, seeds 0-9
    python bench/capstones.py ppo_cartpole --seeds 20
    python bench/capstones.py dqn_cartpole --variants   # also the known variants

For each seed it prints the episodes and steps used, the mean of the last 20
returns when training stopped (at the bar, or when the budget ran out), the
best 20-episode mean on the way, and the wall time. The bars and budgets in
checks/09_agents/test_*_cartpole.py were chosen from these figures; run this
again after changing a capstone's hyperparameters. With --bar 1000 a run
never stops early, which shows how far a seed gets in the whole budget.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "runner"))

from torchlings.authoring.dev_check import load_variants  # noqa: E402
from torchlings.checkapi.testkit.gym import train_until_solved  # noqa: E402

# name -> (step budget, bar): the figures the checks use.
CAPSTONES = {
    "ppo_cartpole": (25_000, 195.0),
    "reinforce_baseline_cartpole": (40_000, 195.0),
    "dqn_cartpole": (10_000, 150.0),
}


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(label: str, module, seeds: list[int], budget: int, bar: float) -> None:
    print(f"\n{label}  (budget {budget} steps, bar {bar:g})")
    solved, start = 0, time.perf_counter()
    for seed in seeds:
        run = train_until_solved(module.train, seed=seed, max_steps=budget, bar=bar, series=None)
        solved += run.solved
        reached = ", ".join(f"{level:g} at {run.steps_to_reach(level) or '-'}"
                            for level in (100, 150, 195) if level <= bar)
        print(f"  {'solved' if run.solved else 'MISSED'}  {run.describe()}  {run.seconds:.1f} s wall, "
              f"{run.cpu_seconds:.1f} s CPU; 20-episode mean {reached} steps",
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
        budget, bar = CAPSTONES[name]
        budget, bar = args.budget or budget, args.bar or bar
        solution = REPO / "solutions" / "09_agents" / f"{name}.py"
        measure(f"{name}: solution", load_module(solution), seeds, budget, bar)
        if not args.variants:
            continue
        variants = load_variants(REPO / "tests" / "variants" / "09_agents" / f"{name}.toml",
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
                        budget, bar)


if __name__ == "__main__":
    main()
