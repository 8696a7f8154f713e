"""What the operator commands share on the terminal: the console and refusal printing."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from domain.application import Application
from domain.application_file import load_application_file
from domain.eligibility import ApplicationInvalid

console = Console()


def refuse(message: str) -> typer.Exit:
    """Print why nothing was done; the caller raises the returned exit (status 1)."""
    console.print(f"[red]未执行，未保存任何内容 (refused, nothing stored):[/red]\n{message}")
    return typer.Exit(1)


def load_application_or_exit(path: Path) -> Application:
    """The application in `path`, or every problem in it printed and exit status 1."""
    try:
        return load_application_file(path)
    except ApplicationInvalid as invalid:
        raise refuse(str(invalid)) from invalid
