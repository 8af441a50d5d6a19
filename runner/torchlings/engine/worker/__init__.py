"""Processes that fork check children: the warm worker and the one-shot supervisor."""
