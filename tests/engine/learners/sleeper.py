"""Starts a grandchild that sleeps, then hangs: the timeout must kill both."""

import os
import time
from pathlib import Path


def answer():
    pid = os.fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    Path(__file__).with_suffix(".pid").write_text(str(pid))
    while True:
        time.sleep(0.05)
