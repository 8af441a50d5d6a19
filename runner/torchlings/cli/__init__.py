"""The command line: Click commands, options, exit codes; no logic of its own."""
