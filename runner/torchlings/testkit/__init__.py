"""Shared tools for checks (spies that watch a learner's training loop)."""
