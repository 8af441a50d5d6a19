import ctypes


def answer():
    return ctypes.string_at(0)
