"""What the operator commands share on the terminal: the console, tables, times, refusals.

Imported by `alliance-admin --help`, so it imports only typer and rich at the top; what a
command needs (pydantic models, the registry, Temporal) is imported when that command runs.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from domain.shanghai_time import SHANGHAI

if TYPE_CHECKING:
    from pydantic import ValidationError

    from domain.application import Application
    from domain.application_file import ApplicationFile

console = Console()


class OperatorCommands(TyperGroup):
    """The commands of `starter.py` and `alliance-admin`: input the rules refuse, and a
    service that cannot be reached, end in a clear message and a non-zero status."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as error:
            from pydantic import ValidationError

            from client.unreachable import EXIT_UNREACHABLE, unreachable_line
            from domain.input_rules import refused_by_rules
            from domain.settings import get_settings

            if isinstance(error, ValidationError):
                if not refused_by_rules(error):
                    raise
                raise refuse(refusal_lines(error)) from None
            line = unreachable_line(error, get_settings())
            if line is None:
                raise
            typer.echo(line, err=True)
            raise typer.Exit(EXIT_UNREACHABLE) from None


class EnumValue:
    """Turns a typed value into a member of an enum imported only when a command runs: the
    enums live beside pydantic models that `--help` must not import. Use as a typer
    `parser`; a wrong value is refused with the values there are."""

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name

    def __call__(self, value: str | Enum) -> Enum:
        kind = getattr(importlib.import_module(self._module), self._name)
        if isinstance(value, kind):
            return value
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(member.value for member in kind)
            raise ValueError(f"'{value}' 不是可选值 (is not one of): {choices}") from None


def table(*headers: str) -> Table:
    """A table whose cells fold onto more lines instead of being cut at the terminal's
    width: an email subject or an address is read whole in an 80-column window."""
    shown = Table(show_lines=False)
    for header in headers:
        shown.add_column(header, overflow="fold")
    return shown


def beijing(moment: datetime | None) -> str:
    """An instant as people read it: Beijing time. The registry keeps UTC; SQLite returns
    it without a zone."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def refuse(message: str) -> typer.Exit:
    """Print why nothing was done; the caller raises the returned exit (status 1)."""
    console.print(f"[red]未执行，未保存任何内容 (refused, nothing stored):[/red]\n{message}")
    return typer.Exit(1)


def refusal_lines(invalid: ValidationError) -> str:
    """One line per refused field, as `ApplicationInvalid` prints them."""
    from domain.input_rules import refusals

    return "\n".join(f"{r.field}: {r.zh} ({r.en})" for r in refusals(invalid))


def load_application_or_exit(path: Path) -> Application:
    """The application in `path`, or every problem in it printed and exit status 1."""
    return read_application_or_exit(path).application


def read_application_or_exit(path: Path) -> ApplicationFile:
    """The application in `path` and the material files it names, or every problem in
    them printed and exit status 1."""
    from domain.application_file import read_application_file
    from domain.eligibility import ApplicationInvalid
    from domain.settings import get_settings

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
