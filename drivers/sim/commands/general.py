"""V.250 basics, identity, SIM PIN and power (ITU-T V.250, 3GPP TS 27.007)."""

from __future__ import annotations

from drivers.sim.atline import Command, Form
from drivers.sim.commands.kit import Table, args, integer, settable_flag
from drivers.sim.interpreter import Failure, Interpreter
from drivers.sim.result_codes import ERROR, Final, cme
from drivers.sim.state import PinState, Settings

TABLE = Table()
on = TABLE.on

_S_REGISTERS = {0: 0, 3: 13, 4: 10, 5: 8, 6: 2, 7: 60, 8: 2, 10: 15}


@on("E", "V", "Q")
def _switch(m: Interpreter, c: Command) -> list[str]:
    value = integer(c.args or "0", (0, 1))
    if c.name == "E":
        m.settings.echo = bool(value)
    elif c.name == "V":
        m.settings.verbose = bool(value)
    return []


@on("Z", "&F")
def _reset(m: Interpreter, c: Command) -> list[str]:
    integer(c.args or "0", (0,))
    m.settings = Settings.power_up(m.personality)
    return []


@on("&W", "&C", "&D", "X", "L", "M", "H", "&V")
def _accepted(m: Interpreter, c: Command) -> list[str]:
    return []


@on("D", "A")
def _no_voice(m: Interpreter, c: Command) -> list[str]:
    raise Failure(Final("NO CARRIER"))


@on(*(f"S{number}" for number in _S_REGISTERS))
def _s_register(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.READ:
        return [f"{_S_REGISTERS[int(c.name[1:])]:03d}"]
    integer(c.args or "0", range(256))
    return []


@on("I")
def _info(m: Interpreter, c: Command) -> list[str]:
    return [line.format(imei=m.identity.imei) for line in m.personality.ati]


def _fixed(m: Interpreter, c: Command, value: str) -> list[str]:
    if c.form is Form.TEST:
        return []
    if c.form is not Form.EXEC:
        raise Failure(ERROR)
    return [value]


@on("+CGMI", "+GMI")
def _manufacturer(m: Interpreter, c: Command) -> list[str]:
    return _fixed(m, c, m.personality.manufacturer)


@on("+CGMM", "+GMM")
def _model(m: Interpreter, c: Command) -> list[str]:
    return _fixed(m, c, m.personality.model)


@on("+CGMR", "+GMR")
def _revision(m: Interpreter, c: Command) -> list[str]:
    return _fixed(m, c, m.personality.revision)


@on("+CGSN", "+GSN")
def _imei(m: Interpreter, c: Command) -> list[str]:
    return _fixed(m, c, m.identity.imei)


@on("+GCAP")
def _capabilities(m: Interpreter, c: Command) -> list[str]:
    return _fixed(m, c, "+GCAP: +CGSM")


@on("+CIMI")
def _imsi(m: Interpreter, c: Command) -> list[str]:
    require_sim(m)
    return _fixed(m, c, m.identity.imsi)


@on("+CNUM")
def _own_number(m: Interpreter, c: Command) -> list[str]:
    require_sim(m)
    kind = 145 if m.identity.number.startswith("+") else 129
    return _fixed(m, c, f'+CNUM: "","{m.identity.number}",{kind}')


@on("+CCID", "+QCCID", "^ICCID", "+ICCID")
def _iccid(m: Interpreter, c: Command) -> list[str]:
    if c.name != m.personality.iccid_command or c.form not in (Form.EXEC, Form.READ):
        raise Failure(Final(m.personality.unknown_command))
    return [m.personality.iccid_prefix + m.identity.iccid]


@on("+CMEE")
def _cmee(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CMEE: (0-2)"]
    if c.form is Form.READ:
        return [f"+CMEE: {m.settings.cmee}"]
    values = args(c)
    m.settings.cmee = integer(values[0] if values else "0", (0, 1, 2))
    return []


@on("+CLIP", "+CRC", "+CVHU", "+COLP", "+CLIR")
def _call_flags(m: Interpreter, c: Command) -> list[str]:
    return settable_flag(m, c, c.name, range(2))


@on("^CURC")
def _huawei_curc(m: Interpreter, c: Command) -> list[str]:
    if "^CURC" not in m.personality.vendor_switches:
        raise Failure(Final(m.personality.unknown_command))
    if c.form is Form.SET:
        values = args(c)
        m.settings.unsolicited_noise = bool(integer(values[0] if values else None, (0, 1)))
        return []
    if c.form is Form.READ:
        return [f"^CURC: {int(m.settings.unsolicited_noise)}"]
    return ["^CURC: (0-1)"]


def require_sim(m: Interpreter, error: Final | None = None) -> None:
    """Commands that read the SIM fail while it is locked: SIM PIN or PUK required."""
    if m.sim.pin_state is PinState.READY:
        return
    if error is not None:
        raise Failure(error)
    raise Failure(cme(11 if m.sim.pin_state is PinState.SIM_PIN else 12))


@on("+CPIN")
def _cpin(m: Interpreter, c: Command) -> list[str]:
    sim = m.sim
    if c.form is Form.TEST:
        return []
    if c.form is Form.READ:
        return [f"+CPIN: {sim.pin_state}"]
    if c.form is not Form.SET:
        raise Failure(ERROR)
    values = args(c)
    if sim.pin_state is PinState.READY:
        raise Failure(cme(3))
    code = values[0] if values else None
    if sim.pin_state is PinState.SIM_PIN and code == sim.pin:
        _unlocked(m)
    elif sim.pin_state is PinState.SIM_PUK and code == sim.puk and len(values) > 1:
        sim.pin = values[1] or sim.pin
        _unlocked(m)
    else:
        sim.pin_attempts -= 1
        if sim.pin_attempts <= 0:
            sim.pin_state = PinState.SIM_PUK
        raise Failure(cme(16))
    return []


def _unlocked(m: Interpreter) -> None:
    m.sim.pin_state = PinState.READY
    m.sim.pin_attempts = 3
    boot = m.personality.boot
    after_pin = [i for i, line in enumerate(boot) if line.startswith("+CPIN:")]
    if after_pin:
        m.urc(*(line for line in boot[after_pin[0] :]))


@on("+CFUN")
def _cfun(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CFUN: (0,1,4),(0-1)"]
    if c.form is Form.READ:
        return [f"+CFUN: {m.radio}"]
    if c.form is not Form.SET:
        raise Failure(ERROR)
    values = args(c)
    level = integer(values[0] if values else None, (0, 1, 4), cme(50))
    reset = integer(values[1], (0, 1), cme(50)) if len(values) > 1 and values[1] else 0
    if reset:
        m.reboot()
        return []
    was_registered = m.registered
    m.radio = level
    if was_registered != m.registered:
        m.registration_changed()
    return []
