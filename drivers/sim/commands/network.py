"""Registration, signal, operator and USSD (3GPP TS 27.007 sections 7 and 8)."""

from __future__ import annotations

from drivers.sim.atline import Command, Form
from drivers.sim.commands.general import require_sim
from drivers.sim.commands.kit import Table, args, integer, optional_integer
from drivers.sim.interpreter import Failure, Interpreter, UssdRequested
from drivers.sim.result_codes import ERROR, cme

TABLE = Table()
on = TABLE.on


@on("+CSQ")
def _csq(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CSQ: (0-31,99),(0-7,99)"]
    if c.form is not Form.EXEC:
        raise Failure(ERROR)
    quality = 0 if m.registered else 99
    return [f"+CSQ: {m.rssi},{quality}"]


@on("+CREG", "+CGREG", "+CEREG")
def _registration(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return [f"{c.name}: (0-2)"]
    urcs = m.settings.registration_urcs
    if c.form is Form.READ:
        n = urcs[c.name]
        return [f"{c.name}: {n},{m.registration_fields(c.name, n)}"]
    if c.form is not Form.SET:
        raise Failure(ERROR)
    values = args(c)
    urcs[c.name] = integer(values[0] if values else "0", (0, 1, 2))
    return []


_ACCESS_TECHNOLOGY = {"generic": 7, "sim800": 0, "huawei": 2, "quectel": 7}


@on("+COPS")
def _cops(m: Interpreter, c: Command) -> list[str]:
    ident = m.identity
    act = _ACCESS_TECHNOLOGY.get(m.personality.name, 7)
    names = (ident.operator, ident.operator.split()[0], ident.mcc_mnc)
    if c.form is Form.TEST:
        require_sim(m)
        return [f'+COPS: (2,"{names[0]}","{names[1]}","{names[2]}",{act}),,(0-4),(0-2)']
    if c.form is Form.READ:
        if not m.registered:
            return ["+COPS: 0"]
        fmt = m.settings.cops_format
        return [f'+COPS: 0,{fmt},"{names[fmt]}",{act}']
    if c.form is not Form.SET:
        raise Failure(ERROR)
    values = args(c)
    mode = integer(values[0] if values else None, range(5), cme(50))
    fmt = optional_integer(values, 1, m.settings.cops_format, range(3), cme(50))
    if mode in (1, 4) and (len(values) < 3 or values[2] not in names):
        raise Failure(cme(30) if mode == 1 else cme(50))
    m.settings.cops_format = fmt
    return []


@on("+CUSD")
def _cusd(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CUSD: (0-2)"]
    if c.form is Form.READ:
        return [f"+CUSD: {m.settings.cusd}"]
    if c.form is not Form.SET:
        raise Failure(ERROR)
    values = args(c)
    n = integer(values[0] if values else "0", (0, 1, 2))
    if n != 2:
        m.settings.cusd = n
    if len(values) > 1 and values[1]:
        require_sim(m)
        if not m.registered:
            raise Failure(cme(30))
        m.effect(UssdRequested(values[1]))
    return []
