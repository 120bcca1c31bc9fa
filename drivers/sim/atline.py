"""Splitting an AT command line into commands (ITU-T V.250 section 5.2).

One line may carry several commands: basic ones run together (``ATE0V1``) and
extended ones separated by semicolons (``AT+CMEE=1;+CREG=2``). Pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Form(StrEnum):
    """The four shapes of an extended command."""

    EXEC = "exec"  # AT+CGMI
    READ = "read"  # AT+CMGF?
    TEST = "test"  # AT+CMGF=?
    SET = "set"  # AT+CMGF=0


@dataclass(frozen=True)
class Command:
    """One command of a command line: ``name`` upper-cased, ``args`` as typed."""

    name: str
    form: Form
    args: str = ""


class LineSyntaxError(ValueError):
    """The command line does not follow V.250 syntax."""


_EXTENDED_NAME = re.compile(r"[+^$%*#][A-Za-z0-9_!%\-.:/]+")
_BASIC = re.compile(r"(&?[A-Za-z])(\d*)")
_S_REGISTER = re.compile(r"[Ss](\d+)(=\d*|\?)")


def split_line(body: str) -> list[Command]:
    """The commands in ``body``, the part of a line after ``AT``."""
    commands: list[Command] = []
    position = 0
    while position < len(body):
        char = body[position]
        if char in " ;":
            position += 1
            continue
        if match := _EXTENDED_NAME.match(body, position):
            end = _unquoted_semicolon(body, match.end())
            commands.append(_extended(match.group().upper(), body[match.end() : end].strip()))
            position = end
        elif char in "Dd":
            commands.append(Command("D", Form.EXEC, body[position + 1 :]))
            position = len(body)
        elif match := _S_REGISTER.match(body, position):
            register, rest = match.groups()
            form = Form.READ if rest == "?" else Form.SET
            commands.append(Command(f"S{int(register)}", form, rest[1:]))
            position = match.end()
        elif match := _BASIC.match(body, position):
            letter, digits = match.groups()
            commands.append(Command(letter.upper(), Form.EXEC, digits))
            position = match.end()
        else:
            raise LineSyntaxError(f"unexpected {char!r} at {position}")
    return commands


def _unquoted_semicolon(body: str, start: int) -> int:
    quoted = False
    for index in range(start, len(body)):
        if body[index] == '"':
            quoted = not quoted
        elif body[index] == ";" and not quoted:
            return index
    return len(body)


def _extended(name: str, rest: str) -> Command:
    if rest == "":
        return Command(name, Form.EXEC)
    if rest == "?":
        return Command(name, Form.READ)
    if rest == "=?":
        return Command(name, Form.TEST)
    if rest.startswith("="):
        return Command(name, Form.SET, rest[1:])
    raise LineSyntaxError(f"{name}: unexpected {rest!r}")


def split_args(text: str) -> list[str | None]:
    """Comma-separated parameters with quotes removed; an omitted parameter is ``None``."""
    values: list[str | None] = []
    current: list[str] = []
    quoted = False
    seen_quote = False
    for char in text:
        if char == '"':
            quoted = not quoted
            seen_quote = True
        elif char == "," and not quoted:
            values.append(_finish(current, seen_quote))
            current, seen_quote = [], False
        else:
            current.append(char)
    if quoted:
        raise LineSyntaxError(f"unterminated string in {text!r}")
    values.append(_finish(current, seen_quote))
    return [] if values == [None] else values


def _finish(chars: list[str], seen_quote: bool) -> str | None:
    value = "".join(chars)
    if seen_quote:
        return value
    value = value.strip()
    return value or None
