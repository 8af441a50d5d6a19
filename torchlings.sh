#!/bin/sh
# Set up torchlings from a clone and start it, or test it. Plain POSIX sh.
#
#   ./torchlings.sh start [OPTIONS]   make .venv (runtime deps only), write ./workspace
#                                     once, and open the course there
#   ./torchlings.sh test [PYTEST ARGS] make .venv with the dev tools, lint, run the tests
#
# Environment:
#   PYTHON           the Python to build on (default: python3; 3.11 or newer)
#   TORCH_SPEC       what to install when no torch >= 2.2 is there (default: torch==2.13.0)
#   TORCH_INDEX_URL  where to get it from, e.g. https://download.pytorch.org/whl/cpu
#                    for the small CPU-only build on Linux
#   PIP_INDEX_URL    honoured by pip itself, for every package
#   WORKSPACE        the learner's folder for `start` (default: workspace)
set -eu

cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
VENV=.venv
WORKSPACE=${WORKSPACE:-workspace}

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

ensure_torch() {
    has_torch "$VENV/bin/python" && return 0
    spec=${TORCH_SPEC:-torch==2.13.0}
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
    ensure_torch
    say "installing torchlings$2 and what it needs"
    "$VENV/bin/python" -m pip install -q -e ".$2"
    printf '%s\n' "$want" > "$stamp"
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
        venv_bin=$(cd "$VENV/bin" && pwd)
        cd "$WORKSPACE"
        exec "$venv_bin/torchlings" "$@"
        ;;
    test)
        need_python
        make_venv
        install dev "[dev]"
        "$VENV/bin/ruff" check runner tests bench checks solutions
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    *)
        cat >&2 <<'EOF'
usage: ./torchlings.sh start [torchlings options]   set up, then open the course in ./workspace
       ./torchlings.sh test [pytest arguments]     set up with the dev tools, then run the tests
EOF
        exit 2
        ;;
esac
