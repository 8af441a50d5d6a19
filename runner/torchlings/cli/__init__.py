"""The command line: Click commands, options, exit codes; no logic of its own.

`main` is here as well as in `commands`, so that a `torchlings` script installed
before the package had rooms (`torchlings.cli:main`) still starts after an upgrade.
"""

from torchlings.cli.commands import main

__all__ = ["main"]
