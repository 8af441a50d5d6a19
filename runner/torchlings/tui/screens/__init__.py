"""The screens, one per file: watch (the home), list, check all, confirm, help."""
