"""What every command handler needs: a registration table and parameter checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from drivers.sim.atline import Command, Form, LineSyntaxError, split_args
from drivers.sim.interpreter import BodyHandler, Failure, Handler, Interpreter
from drivers.sim.result_codes import ERROR, Final


class Table:
    """Handlers by command name (``+CMGF``, ``E``, ``+CMGS>`` for the text after a prompt)."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.bodies: dict[str, BodyHandler] = {}

    def on(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self.handlers[name] = handler
            return handler

        return register

    def on_body(self, name: str) -> Callable[[BodyHandler], BodyHandler]:
        """Register what handles the text typed after the ``> `` prompt of ``name``."""

        def register(handler: BodyHandler) -> BodyHandler:
            self.bodies[name] = handler
            return handler

        return register


def args(command: Command, error: Final = ERROR) -> list[str | None]:
    try:
        return split_args(command.args)
    except LineSyntaxError as exc:
        raise Failure(error) from exc


def integer(value: str | None, allowed: Iterable[int], error: Final = ERROR) -> int:
    """``value`` as an int that must be one of ``allowed``."""
    if value is None or not value.strip().isdigit():
        raise Failure(error)
    number = int(value)
    if number not in allowed:
        raise Failure(error)
    return number


def optional_integer(
    values: list[str | None], position: int, default: int, allowed: Iterable[int], error: Final
) -> int:
    if position >= len(values) or values[position] is None:
        return default
    return integer(values[position], allowed, error)


def settable_flag(
    interpreter: Interpreter, command: Command, name: str, allowed: range
) -> list[str]:
    """The common pattern of a command that sets, reads and lists one small number."""
    flags = interpreter.settings.flags
    if command.form is Form.TEST:
        return [f"{name}: ({allowed.start}-{allowed.stop - 1})"]
    if command.form is Form.READ:
        return [f"{name}: {flags.get(name, 0)}"]
    if command.form is Form.SET:
        values = args(command)
        flags[name] = integer(values[0] if values else None, allowed)
        return []
    raise Failure(ERROR)
