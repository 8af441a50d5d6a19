import sys

sys.exit(0)


def answer():
    return 42
