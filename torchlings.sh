#!/bin/sh
# Set up torchlings from a clone and start it, or test it. Plain POSIX sh.
#
#   ./torchlings.sh start [OPTIONS]   make .venv (runtime deps only), write ./workspace
#                                     once, and open the course there
#   ./torchlings.sh test [PYTEST ARGS] make .venv with the dev tools, lint, run the tests
#   ./torchlings.sh COMMAND [ARGS]    any torchlings command, e.g. `./torchlings.sh list`,
#                                     once `start` has set things up
#
# Environment:
#   PYTHON           the Python to build on (default: python3; 3.11 or newer)
#   TORCH_SPEC       what to install when no torch >= 2.2 is there (default: torch==2.13.0)
#   TORCH_INDEX_URL  where to get it from. Unset, `start` on Linux without an NVIDIA
#                    driver takes the small CPU-only build from PyTorch's CPU index;
#                    otherwise pip's default index. Set it to choose, e.g.
#                    https://pypi.org/simple (the CUDA build on Linux) or
#                    https://download.pytorch.org/whl/cpu (CPU only)
#   PIP_INDEX_URL    honoured by pip itself, for every package
#   WORKSPACE        the learner's folder for `start` (default: workspace)
set -eu

cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
VENV=.venv
WORKSPACE=${WORKSPACE:-workspace}
CPU_INDEX=https://download.pytorch.org/whl/cpu
NVIDIA_PROC=${TORCHLINGS_NVIDIA_PROC:-/proc/driver/nvidia}  # a test points it elsewhere

say() { printf '%s\n' "torchlings: $*" >&2; }
fail() { say "$*"; exit 1; }

need_python() {
    command -v "$PYTHON" >/dev/null 2>&1 ||
        fail "$PYTHON was not found. Install Python 3.11 or newer, or set PYTHON=/path/to/python3."
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        fail "torchlings needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1)." \
             "Set PYTHON to a newer one."
}

# Exit status 0 when the given Python imports a torch of version 2.2 or newer.
has_torch() {
    "$1" - <<'EOF' 2>/dev/null
import sys
import torch
major, minor = (int(x) for x in torch.__version__.split("+")[0].split(".")[:2])
sys.exit((major, minor) < (2, 2))
EOF
}

make_venv() {
    [ -x "$VENV/bin/python" ] && return 0
    flags=""
    if has_torch "$PYTHON"; then
        # A torch already installed for this Python is kept, not downloaded again.
        say "using the PyTorch already installed for $PYTHON"
        flags="--system-site-packages"
    fi
    say "making a virtual environment in $VENV"
    # shellcheck disable=SC2086
    if ! "$PYTHON" -m venv $flags "$VENV"; then
        rm -rf "$VENV"
        fail "could not make a virtual environment. On Debian or Ubuntu install the venv" \
             "module first (sudo apt install python3-venv), then run this again."
    fi
}

has_nvidia_driver() {
    command -v nvidia-smi >/dev/null 2>&1 || [ -e "$NVIDIA_PROC" ]
}

# For `start`: on Linux with no NVIDIA driver, the CPU-only build (a few hundred MB)
# rather than pip's default, which there is the CUDA build (several GB). An index
# chosen by the learner (TORCH_INDEX_URL, PIP_INDEX_URL) is never overridden.
choose_torch_index() {
    if [ -n "${TORCH_INDEX_URL:-}" ] || [ -n "${PIP_INDEX_URL:-}" ]; then
        return 0
    fi
    [ "$(uname -s)" = Linux ] || return 0
    if has_nvidia_driver; then
        say "an NVIDIA driver is here: installing PyTorch with CUDA (several GB). For the" \
            "smaller CPU-only build instead: TORCH_INDEX_URL=$CPU_INDEX ./torchlings.sh start"
    else
        TORCH_INDEX_URL=$CPU_INDEX
        say "no NVIDIA driver found: installing the CPU-only PyTorch from $CPU_INDEX" \
            "(a few hundred MB). For the CUDA build instead: remove .venv, then" \
            "TORCH_INDEX_URL=https://pypi.org/simple ./torchlings.sh start"
    fi
}

ensure_torch() {
    has_torch "$VENV/bin/python" && return 0
    spec=${TORCH_SPEC:-torch==2.13.0}
    if [ "$1" = learner ]; then
        choose_torch_index
    fi
    say "installing $spec (the largest download; a minute or more on a slow line)"
    if [ -n "${TORCH_INDEX_URL:-}" ]; then
        "$VENV/bin/python" -m pip install --index-url "$TORCH_INDEX_URL" "$spec"
    else
        "$VENV/bin/python" -m pip install "$spec"
    fi
}

# install NAME EXTRAS: install the project once per version of pyproject.toml.
install() {
    stamp="$VENV/.torchlings-$1"
    want=$(cksum < pyproject.toml)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        return 0
    fi
    ensure_torch "$1"
    say "installing torchlings$2 and what it needs"
    "$VENV/bin/python" -m pip install -q -e ".$2"
    printf '%s\n' "$want" > "$stamp"
}

# After `start`: how to have `torchlings` itself, unless it already is on PATH.
say_how_to_run_it() {
    venv_bin=$(cd "$VENV/bin" && pwd)
    [ "$(command -v torchlings 2>/dev/null)" = "$venv_bin/torchlings" ] && return 0
    say "to type \`torchlings\` itself (as the README does), put it on your PATH in this" \
        "shell: export PATH=\"$venv_bin:\$PATH\" (add that line to ~/.bashrc or" \
        "~/.zshrc to keep it). Or write ./torchlings.sh instead: ./torchlings.sh list"
}

command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
    start)
        need_python
        make_venv
        install learner ""
        if [ ! -f "$WORKSPACE/exercises/info.toml" ]; then
            say "writing your workspace in ./$WORKSPACE (the exercises, without solutions)"
            "$VENV/bin/torchlings" init "$WORKSPACE" >/dev/null
        fi
        # Run from here, not from inside the workspace: the paths on screen are then the
        # ones to type in this shell (workspace/exercises/...).
        if [ "$WORKSPACE" != workspace ]; then
            TORCHLINGS_WORKSPACE=$(cd "$WORKSPACE" && pwd)
            export TORCHLINGS_WORKSPACE
        fi
        status=0
        "$VENV/bin/torchlings" "$@" || status=$?
        say_how_to_run_it
        exit "$status"
        ;;
    test)
        need_python
        make_venv
        install dev "[dev]"
        "$VENV/bin/ruff" check runner tests bench checks solutions
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    "" | -h | --help)
        cat >&2 <<'EOF'
usage: ./torchlings.sh start [torchlings options]   set up, then open the course in ./workspace
       ./torchlings.sh test [pytest arguments]     set up with the dev tools, then run the tests
       ./torchlings.sh COMMAND [arguments]         any torchlings command (list, hint, run ...)
EOF
        exit 2
        ;;
    *)
        [ -x "$VENV/bin/torchlings" ] ||
            fail "nothing is set up yet: run ./torchlings.sh start first."
        exec "$VENV/bin/torchlings" "$command" "$@"
        ;;
esac
