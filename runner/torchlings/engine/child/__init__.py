"""What runs inside the check process: start-up, sandbox, pytest plugin, loader."""
