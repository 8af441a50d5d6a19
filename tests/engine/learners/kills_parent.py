"""Kills the process that started it: never obeyed by the runner itself."""

import os
import signal


def answer():
    os.kill(os.getppid(), signal.SIGKILL)
    return 42
