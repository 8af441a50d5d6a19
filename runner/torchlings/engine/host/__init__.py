"""The runner's side of a check: the engines, the worker client, outcomes."""
