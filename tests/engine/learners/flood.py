"""Prints 100 MB while it is loaded, then answers correctly."""

import sys

_line = "x" * 999 + "\n"
for _ in range(100_000):
    sys.stdout.write(_line)


def answer():
    print("y" * 5_000_000)  # and a flood inside the test, which pytest captures
    return 42
