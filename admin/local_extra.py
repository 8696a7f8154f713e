"""What only the one-machine stack, the demo and the tests use: the Temporal CLI dev server,
the time-skipping test server and the SMTP capture server. They come with the `local`
extra, not with the production image; without it these parts stop with a clear line."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

INSTALL_LOCAL = "install the local extra: pip install 'anshan-alliance[local]'"


class LocalExtraMissing(SystemExit):
    """A part of the local stack was asked for where the `local` extra is not installed."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found: {INSTALL_LOCAL}")


def local_binary(name: str) -> str:
    """A binary of the `local` extra (`temporal`, `temporal-test-server`): beside this
    Python, where pip puts it, or else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise LocalExtraMissing(f"the {name} binary")
    return found
