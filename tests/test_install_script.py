"""torchlings.sh: which PyTorch `start` installs, passing commands through, and what it
says at the end. A fake Python records what pip is asked for; nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

FAKE_PYTHON = r"""#!/bin/sh
# Stands in for python3 and for .venv/bin/python: logs, and makes what the script expects.
echo "python $*" >> "$FAKE_LOG"
case "$1" in
    -c) exit 0 ;;                      # the version check passes
    -) exit 1 ;;                       # no torch yet
esac
if [ "$1 $2" = "-m venv" ]; then
    for last; do :; done
    mkdir -p "$last/bin" && cp "$0" "$last/bin/python"
    exit 0
fi
if [ "$1 $2" = "-m pip" ] && [ "$5" = "-e" ]; then  # installing torchlings: its command
    printf '#!/bin/sh\necho "torchlings $*" >> "$FAKE_LOG"\n' > .venv/bin/torchlings
    printf 'if [ "$1" = init ]; then mkdir -p "$2/exercises"; touch "$2/exercises/info.toml"; fi\n' \
        >> .venv/bin/torchlings
    chmod +x .venv/bin/torchlings
fi
exit 0
"""


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    root = tmp_path / "clone"
    root.mkdir()
    for name in ("torchlings.sh", "pyproject.toml"):
        shutil.copy(REPO / name, root / name)
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(0o755)
    return root


def run_script(clone: Path, *args: str, gpu: bool = False, **env: str) -> tuple[int, str, str]:
    bin_dir = clone.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    if gpu:
        smi = bin_dir / "nvidia-smi"
        smi.write_text("#!/bin/sh\nexit 0\n")
        smi.chmod(0o755)
    log = clone.parent / "log"
    log.write_text("")
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(clone.parent),
        "PYTHON": str(clone.parent / "python3"), "FAKE_LOG": str(log),
        "TORCHLINGS_NVIDIA_PROC": str(clone.parent / "no-driver-here"), **env,
    }
    done = subprocess.run(["sh", str(clone / "torchlings.sh"), *args], cwd=clone,
                          capture_output=True, text=True, env=environment, timeout=60)
    return done.returncode, done.stderr, log.read_text()


def pip_installs(log: str) -> list[str]:
    return [line for line in log.splitlines() if "-m pip install" in line]


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="the CPU index is chosen on Linux")
def test_start_without_an_nvidia_driver_installs_the_cpu_build_and_says_so(clone):
    code, said, log = run_script(clone, "start")
    assert code == 0, said
    torch_install = pip_installs(log)[0]
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in torch_install
    assert "no NVIDIA driver found" in said and "TORCH_INDEX_URL=https://pypi.org/simple" in said
    # The course opens from the clone's root (paths on screen are typed from there).
    assert "torchlings init workspace" in log and log.rstrip().endswith("torchlings")
    # It ends by saying how to have `torchlings` itself.
    assert said.rstrip().endswith("./torchlings.sh list")
    assert f'export PATH="{clone}/.venv/bin:$PATH"' in said


@pytest.mark.skipif(os.uname().sysname != "Linux", reason="the CPU index is chosen on Linux")
def test_start_with_an_nvidia_driver_takes_the_default_index_and_names_the_other(clone):
    code, said, log = run_script(clone, "start", gpu=True)
    assert code == 0, said
    assert "--index-url" not in pip_installs(log)[0]
    assert "TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu" in said


@pytest.mark.parametrize("env", [{"PIP_INDEX_URL": "https://mirror.example/simple"},
                                 {"TORCH_INDEX_URL": "https://mine.example/simple"}])
def test_an_index_the_learner_chose_is_kept(clone, env):
    code, said, log = run_script(clone, "start", **env)
    assert code == 0, said
    install = pip_installs(log)[0]
    assert "download.pytorch.org" not in install and "no NVIDIA driver" not in said
    if "TORCH_INDEX_URL" in env:
        assert f"--index-url {env['TORCH_INDEX_URL']}" in install


def test_the_test_command_keeps_the_default_index(clone):
    _, _, log = run_script(clone, "test")  # stops at the missing ruff; the installs came first
    installs = pip_installs(log)
    assert installs and all("--index-url" not in line for line in installs)


def test_any_command_passes_through_once_set_up(clone):
    code, said, _ = run_script(clone, "list")
    assert code == 1 and "run ./torchlings.sh start first" in said
    run_script(clone, "start")
    code, said, log = run_script(clone, "list", "--json")
    assert code == 0, said
    assert log.strip() == "torchlings list --json"


def test_both_readmes_say_how_to_have_the_command_and_the_course_size():
    import re
    import tomllib

    from torchlings.learner.make_workspace import WORKSPACE_README

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for text in (readme, WORKSPACE_README):
        assert "PATH" in text and "./torchlings.sh list" in text and ".venv/bin" in text
    catalog = tomllib.loads((REPO / "exercises" / "info.toml").read_text(encoding="utf-8"))
    size = re.search(r"The course has (\d+) exercises", readme)
    assert size and int(size.group(1)) == len(catalog["exercises"])
    assert re.search(r"about \d+ to \d+ hours", readme)
    assert "TORCH_INDEX_URL=https://pypi.org/simple" in readme
