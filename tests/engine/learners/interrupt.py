def answer():
    raise KeyboardInterrupt
