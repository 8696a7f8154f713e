"""What the operator commands share on the terminal: the console and refusal printing."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from typer.core import TyperGroup

from client.unreachable import EXIT_UNREACHABLE, unreachable_line
from domain.application import Application
from domain.application_file import ApplicationFile, read_application_file
from domain.eligibility import ApplicationInvalid
from domain.input_rules import refusals, refused_by_rules
from domain.settings import get_settings

console = Console()


class OperatorCommands(TyperGroup):
    """The commands of `starter.py` and `alliance-admin`: input the rules refuse, and a
    service that cannot be reached, end in a clear message and a non-zero status."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as invalid:
            if not refused_by_rules(invalid):
                raise
            raise refuse(refusal_lines(invalid)) from None
        except Exception as error:
            line = unreachable_line(error, get_settings())
            if line is None:
                raise
            typer.echo(line, err=True)
            raise typer.Exit(EXIT_UNREACHABLE) from None


def refuse(message: str) -> typer.Exit:
    """Print why nothing was done; the caller raises the returned exit (status 1)."""
    console.print(f"[red]未执行，未保存任何内容 (refused, nothing stored):[/red]\n{message}")
    return typer.Exit(1)


def refusal_lines(invalid: ValidationError) -> str:
    """One line per refused field, as `ApplicationInvalid` prints them."""
    return "\n".join(f"{r.field}: {r.zh} ({r.en})" for r in refusals(invalid))


def load_application_or_exit(path: Path) -> Application:
    """The application in `path`, or every problem in it printed and exit status 1."""
    return read_application_or_exit(path).application


def read_application_or_exit(path: Path) -> ApplicationFile:
    """The application in `path` and the material files it names, or every problem in
    them printed and exit status 1."""
    settings = get_settings()
    try:
        return read_application_file(path, settings.priority_sectors, settings.upload_max_mb)
    except ApplicationInvalid as invalid:
        raise refuse(str(invalid)) from invalid


def run_and_exit(command: Callable[[], Any]) -> None:
    """Run a command-line app, then leave without interpreter teardown.

    The Temporal client's Rust threads can outlive the event loop; when CPython finalises
    while one of them still holds a thread state, the process aborts ("PyGILState_Release
    ... finalizing", temporalio/sdk-python#300) after the command has already done its
    work, and the clerk sees a crash and a non-zero status. Flushing and `os._exit` with the
    command's own status avoids the teardown; nothing of ours needs it.
    """
    status = 0
    try:
        command()
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            status = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            status = 1
    except BaseException as error:
        from client.connection import TemporalConnectionSettingsInvalid
        from client.payload_codec import PayloadKeysInvalid
        from registry.schema_state import MIGRATE_FIRST, schema_missing

        if schema_missing(error):
            print(MIGRATE_FIRST, file=sys.stderr)
        elif isinstance(error, TemporalConnectionSettingsInvalid | PayloadKeysInvalid):
            print(error, file=sys.stderr)  # names the setting to change; no trace needed
        else:
            traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)
