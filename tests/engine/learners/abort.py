import os


def answer():
    os.abort()
