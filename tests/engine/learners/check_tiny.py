"""A tiny check for the engine's own tests: the learner's answer() must be 42."""


def test_answer(exercise):
    """answer() gives 42"""
    got = exercise.answer()
    assert got == 42, f"answer() returned {got!r}, not 42"
