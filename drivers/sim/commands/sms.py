"""Short message service commands (3GPP TS 27.005), PDU and text mode, and delivery.

Besides the command handlers this module holds what the network calls when a
message or status report reaches the modem (:func:`deliver_sms`,
:func:`deliver_status_report`): store it or pass it straight to the host, as
+CNMI asks.
"""

from __future__ import annotations

from datetime import datetime

from drivers.errors import PduError
from drivers.pdu import Deliver, StatusReport, Submit, decode, encode_submit
from drivers.sim.atline import Command, Form
from drivers.sim.commands.general import require_sim
from drivers.sim.commands.kit import Table, args, integer, optional_integer, settable_flag
from drivers.sim.interpreter import Failure, Interpreter, PromptTarget, SlotsFreed
from drivers.sim.result_codes import ERROR, Final, cme, cms
from drivers.sim.state import PinState
from drivers.sim.storage import ALL, STAT_BY_TEXT, MessageStore, Stat

TABLE = Table()
on = TABLE.on

_READ_MEMORIES = ("SM", "ME", "SR")
_WRITE_MEMORIES = ("SM", "ME")
_CHARSETS = ("GSM", "IRA", "UCS2")


def _ready(m: Interpreter) -> None:
    require_sim(m, cms(311) if m.sim.pin_state is PinState.SIM_PIN else cms(316))


def _pdu_mode(m: Interpreter) -> bool:
    return m.settings.cmgf == 0


def _mode_error(m: Interpreter) -> Final:
    return cms(304) if _pdu_mode(m) else cms(305)


def _store(m: Interpreter, which: int) -> MessageStore:
    return m.sim.stores[m.settings.memories[which]]


def tpdu_length(pdu: str) -> int:
    """Octets after the SMSC field: the <length> of +CMGS, +CMGR, +CMT and +CDS."""
    return len(pdu) // 2 - 1 - int(pdu[:2], 16)


# -- settings ------------------------------------------------------------------


@on("+CMGF")
def _cmgf(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CMGF: (0,1)"]
    if c.form is Form.READ:
        return [f"+CMGF: {m.settings.cmgf}"]
    values = args(c)
    m.settings.cmgf = integer(values[0] if values else "0", (0, 1))
    return []


@on("+CSCS")
def _cscs(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CSCS: (" + ",".join(f'"{name}"' for name in _CHARSETS) + ")"]
    if c.form is Form.READ:
        return [f'+CSCS: "{m.settings.cscs}"']
    values = args(c)
    charset = (values[0] or "").upper() if values else ""
    if c.form is not Form.SET or charset not in _CHARSETS:
        raise Failure(cme(4))
    m.settings.cscs = charset
    return []


@on("+CSCA")
def _csca(m: Interpreter, c: Command) -> list[str]:
    _ready(m)
    if c.form is Form.TEST:
        return []
    if c.form is Form.READ:
        kind = 145 if m.sim.smsc.startswith("+") else 129
        return [f'+CSCA: "{m.sim.smsc}",{kind}']
    values = args(c)
    if c.form is not Form.SET or not values or not values[0]:
        raise Failure(cms(304))
    m.sim.smsc = values[0]
    return []


@on("+CSMP")
def _csmp(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return []
    if c.form is Form.READ:
        return ["+CSMP: " + ",".join(str(value) for value in m.settings.csmp)]
    values = args(c)
    current = m.settings.csmp
    fo, vp, pid, dcs = (
        optional_integer(values, i, current[i], range(256), cms(305)) for i in range(4)
    )
    m.settings.csmp = (fo, vp, pid, dcs)
    return []


@on("+CSMS")
def _csms(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return ["+CSMS: (0,1)"]
    if c.form is Form.READ:
        return [f"+CSMS: {m.settings.flags.get('+CSMS', 0)},1,1,1"]
    values = args(c)
    m.settings.flags["+CSMS"] = integer(values[0] if values else None, (0, 1))
    return ["+CSMS: 1,1,1"]


@on("+CNMA")
def _cnma(m: Interpreter, c: Command) -> list[str]:
    raise Failure(cms(340))


@on("+CSDH")
def _csdh(m: Interpreter, c: Command) -> list[str]:
    return settable_flag(m, c, "+CSDH", range(2))


@on("+CMMS")
def _cmms(m: Interpreter, c: Command) -> list[str]:
    return settable_flag(m, c, "+CMMS", range(3))


@on("+CPMS")
def _cpms(m: Interpreter, c: Command) -> list[str]:
    _ready(m)
    memories = m.settings.memories
    if c.form is Form.TEST:
        read = ",".join(f'"{name}"' for name in _READ_MEMORIES)
        write = ",".join(f'"{name}"' for name in _WRITE_MEMORIES)
        return [f"+CPMS: ({read}),({write}),({write})"]
    if c.form is Form.READ:
        stores = [(name, m.sim.stores[name]) for name in memories]
        return ["+CPMS: " + ",".join(f'"{n}",{s.used},{s.total}' for n, s in stores)]
    values = args(c)
    if c.form is not Form.SET or not values or len(values) > 3:
        raise Failure(cms(302))
    chosen = list(memories)
    for position, value in enumerate(values):
        allowed = _READ_MEMORIES if position == 0 else _WRITE_MEMORIES
        name = (value or "").upper()
        if name not in allowed:
            raise Failure(cms(302))
        chosen[position] = name
    m.settings.memories = chosen
    counts = [m.sim.stores[name] for name in chosen]
    return ["+CPMS: " + ",".join(f"{store.used},{store.total}" for store in counts)]


@on("+CNMI")
def _cnmi(m: Interpreter, c: Command) -> list[str]:
    if c.form is Form.TEST:
        return [m.personality.cnmi_test_reply()]
    if c.form is Form.READ:
        return ["+CNMI: " + ",".join(str(value) for value in m.settings.cnmi)]
    values = args(c)
    if c.form is not Form.SET or len(values) > 5:
        raise Failure(cms(303))
    supported = m.personality.cnmi_supported
    chosen = [optional_integer(values, i, 0, supported[i], cms(303)) for i in range(5)]
    mode, mt, bm, ds, bfr = chosen
    m.settings.cnmi = (mode, mt, bm, ds, bfr)
    held = m.settings.held_indications
    if mode != 0:
        if bfr == 0:
            for lines in held:
                m.urc(*lines)
        held.clear()
    return []


# -- sending -------------------------------------------------------------------


@on("+CMGS", "+CMGW")
def _prompt(m: Interpreter, c: Command) -> list[str]:
    _ready(m)
    if c.form is Form.TEST:
        return []
    writing = c.name == "+CMGW"
    if c.form is Form.EXEC and writing and not _pdu_mode(m):
        raise Failure(cms(305))
    if c.form is not Form.SET:
        raise Failure(_mode_error(m))
    values = args(c, _mode_error(m))
    if _pdu_mode(m):
        length = integer(values[0] if values else None, range(1, 176), cms(304))
        stat = optional_integer(values, 1, 2, range(4), cms(304)) if writing else 2
        m.prompt = PromptTarget(c.name, length=length, stat=stat)
        return []
    address = values[0] if values else None
    if not address:
        raise Failure(cms(305))
    stat_text = values[2] if writing and len(values) > 2 else None
    text_stat = STAT_BY_TEXT.get(stat_text or "STO UNSENT")
    if text_stat is None:
        raise Failure(cms(305))
    m.prompt = PromptTarget(c.name, address=address, stat=text_stat)
    return []


@TABLE.on_body("+CMGS")
def _send_body(m: Interpreter, target: PromptTarget, body: str) -> list[str]:
    pdu, decoded = _body_pdu(m, body, target, allow_deliver=False)
    if not isinstance(decoded, Submit):
        raise Failure(cms(304))
    _send(m, "+CMGS", pdu, decoded)
    return []


@TABLE.on_body("+CMGW")
def _write_body(m: Interpreter, target: PromptTarget, body: str) -> list[str]:
    pdu, _ = _body_pdu(m, body, target, allow_deliver=True)
    index = _store(m, 1).add(Stat(target.stat), pdu)
    if index is None:
        raise Failure(cms(322))
    return [f"+CMGW: {index}"]


def _encoded(pdu: str) -> Submit:
    """A PDU this simulator encoded, read as the network will read it."""
    submit = decode(pdu)
    assert isinstance(submit, Submit)
    return submit


def _body_pdu(
    m: Interpreter, body: str, target: PromptTarget, *, allow_deliver: bool
) -> tuple[str, Submit | Deliver]:
    """The PDU the host wrote after the prompt (built from the text in text mode), and
    what it decodes to."""
    if not _pdu_mode(m):
        text = _from_charset(m, body)
        srr = bool(m.settings.csmp[0] & 0x20)
        try:
            parts = encode_submit(target.address, text, request_status_report=srr)
        except PduError as exc:
            raise Failure(cms(305)) from exc
        if len(parts) != 1:
            raise Failure(cms(305))
        return parts[0].pdu, _encoded(parts[0].pdu)
    pdu = "".join(body.split()).upper()
    try:
        if len(pdu) < 4 or len(pdu) % 2 or tpdu_length(pdu) != target.length:
            raise Failure(cms(304))
        decoded = decode(pdu)
    except (ValueError, PduError) as exc:
        raise Failure(cms(304)) from exc
    if isinstance(decoded, Submit) or (allow_deliver and isinstance(decoded, Deliver)):
        return pdu, decoded
    raise Failure(cms(304))


def _send(m: Interpreter, reply: str, pdu: str, submit: Submit) -> None:
    if not m.registered:
        raise Failure(cms(331))
    if m.faults.cms_count > 0:
        m.faults.cms_count -= 1
        raise Failure(cms(m.faults.cms_code))
    m.begin_submit(reply, pdu, submit)


@on("+CMSS")
def _cmss(m: Interpreter, c: Command) -> list[str]:
    _ready(m)
    if c.form is Form.TEST:
        return []
    values = args(c, cms(321))
    store = _store(m, 1)
    index = integer(values[0] if values else None, range(1000), cms(321))
    entry = store.get(index)
    if entry is None:
        raise Failure(cms(321))
    stored = decode(entry.pdu)
    if not isinstance(stored, Submit):
        raise Failure(cms(302))
    pdu = entry.pdu
    if len(values) > 1 and values[1]:
        try:
            pdu = encode_submit(
                values[1], stored.text, request_status_report=stored.status_report_requested
            )[0].pdu
        except PduError as exc:
            raise Failure(_mode_error(m)) from exc
        stored = _encoded(pdu)
    _send(m, "+CMSS", pdu, stored)
    entry.stat = Stat.STO_SENT
    return []


# -- reading and deleting ----------------------------------------------------------


@on("+CMGL")
def _cmgl(m: Interpreter, c: Command) -> list[str]:
    _ready(m)
    if c.form is Form.TEST:
        if _pdu_mode(m):
            return ["+CMGL: (0-4)"]
        names = [*STAT_BY_TEXT, "ALL"]
        return ["+CMGL: (" + ",".join(f'"{name}"' for name in names) + ")"]
    values = args(c, _mode_error(m))
    wanted = _wanted_stat(m, values[0] if values else None)
    lines: list[str] = []
    for index, entry in _store(m, 0).items():
        if wanted in (ALL, entry.stat):
            lines += _render(m, entry.stat, entry.pdu, f"+CMGL: {index},")
            if entry.stat is Stat.REC_UNREAD:
                entry.stat = Stat.REC_READ
    return lines


def _wanted_stat(m: Interpreter, value: str | None) -> int:
    if _pdu_mode(m):
        return integer(value if value is not None else "0", range(5), cms(304))
    if value is None:
        return Stat.REC_UNREAD
    if value.upper() == "ALL":
        return ALL
    stat = STAT_BY_TEXT.get(value.upper())
    if stat is None:
        raise Failure(cms(305))
    return stat


@on("+CMGR")
def _cmgr(m: Interpreter, c: Command) -> list[str]:
    _ready(m)
    if c.form is Form.TEST:
        return []
    values = args(c, cms(321))
    store = _store(m, 0)
    index = integer(values[0] if values else None, range(1000), cms(321))
    if not store.valid_index(index):
        raise Failure(cms(321))
    entry = store.get(index)
    if entry is None:
        if m.personality.empty_read_ok:
            return []
        raise Failure(cms(321))
    lines = _render(m, entry.stat, entry.pdu, "+CMGR: ")
    if entry.stat is Stat.REC_UNREAD:
        entry.stat = Stat.REC_READ
    return lines


@on("+CMGD")
def _cmgd(m: Interpreter, c: Command) -> list[str]:
    _ready(m)
    store = _store(m, 0)
    if c.form is Form.TEST:
        used = ",".join(str(index) for index, _ in store.items())
        return [f"+CMGD: ({used}),(0-4)"]
    values = args(c, cms(321))
    flag = optional_integer(values, 1, 0, range(5), ERROR)
    handling = m.personality.delete_flags
    if flag and handling == "refused":
        raise Failure(ERROR)
    before = store.used
    if flag == 0:
        index = integer(values[0] if values else None, range(1000), cms(321))
        if not store.valid_index(index):
            raise Failure(cms(321))
        store.delete(index)
    elif handling == "honoured":
        store.delete_flagged(flag)
    if store.used < before:
        m.effect(SlotsFreed())
    return []


# -- rendering -------------------------------------------------------------------


def _render(m: Interpreter, stat: Stat, pdu: str, header: str) -> list[str]:
    """The header and data lines of one stored message for +CMGL (``"+CMGL: 3,"``) or +CMGR."""
    if _pdu_mode(m):
        return [f"{header}{stat.value},,{tpdu_length(pdu)}", pdu]
    decoded = decode(pdu)
    state = f'"{stat.text}"'
    if isinstance(decoded, StatusReport):
        return [f"{header}{state},{_report_fields(decoded)}"]
    if isinstance(decoded, Deliver):
        stamp = scts(decoded.timestamp)
        text = _to_charset(m, decoded.text)
        return [f'{header}{state},"{decoded.sender.number}",,"{stamp}"', text]
    return [f'{header}{state},"{decoded.recipient.number}",', _to_charset(m, decoded.text)]


def _report_fields(report: StatusReport) -> str:
    kind = 145 if report.recipient.kind == "international" else 129
    return (
        f'6,{report.message_reference},"{report.recipient.number}",{kind},'
        f'"{scts(report.submitted)}","{scts(report.discharged)}",{report.status}'
    )


def scts(moment: datetime) -> str:
    """A text-mode time stamp: ``yy/MM/dd,hh:mm:ss±zz`` with the zone in quarter hours."""
    offset = moment.utcoffset()
    quarters = int(offset.total_seconds() // 900) if offset is not None else 0
    sign = "-" if quarters < 0 else "+"
    return f"{moment:%y/%m/%d,%H:%M:%S}{sign}{abs(quarters):02d}"


def _to_charset(m: Interpreter, text: str) -> str:
    if m.settings.cscs == "UCS2":
        return text.encode("utf-16-be").hex().upper()
    return text


def _from_charset(m: Interpreter, text: str) -> str:
    if m.settings.cscs == "UCS2":
        try:
            return bytes.fromhex(text).decode("utf-16-be")
        except ValueError as exc:
            raise Failure(cms(305)) from exc
    return text


# -- arrivals from the network ----------------------------------------------------


def deliver_sms(m: Interpreter, pdu: str) -> bool:
    """An SMS-DELIVER reaches the modem; ``False`` if it must wait (storage full, powered off)."""
    if not m.powered or m.faults.hang:
        return False
    mode, mt = m.settings.cnmi[0], m.settings.cnmi[1]
    if mt == 2 and mode != 0:
        if _pdu_mode(m):
            m.urc(f"+CMT: ,{tpdu_length(pdu)}", pdu)
        else:
            message = decode(pdu)
            assert isinstance(message, Deliver)
            header = f'+CMT: "{message.sender.number}",,"{scts(message.timestamp)}"'
            m.urc(header, _to_charset(m, message.text))
        return True
    memory = m.settings.memories[2]
    index = m.sim.stores[memory].add(Stat.REC_UNREAD, pdu)
    if index is None:
        return False
    if mt in (1, 2, 3):
        _indicate(m, f'+CMTI: "{memory}",{index}')
    return True


def deliver_status_report(m: Interpreter, pdu: str) -> bool:
    """An SMS-STATUS-REPORT reaches the modem: +CDS, stored with +CDSI, or dropped (ds=0)."""
    if not m.powered or m.faults.hang:
        return False
    ds = m.settings.cnmi[3]
    if ds == 1:
        if _pdu_mode(m):
            _indicate(m, f"+CDS: {tpdu_length(pdu)}", pdu)
        else:
            report = decode(pdu)
            assert isinstance(report, StatusReport)
            _indicate(m, f"+CDS: {_report_fields(report)}")
    elif ds == 2:
        index = m.sim.stores["SR"].add(Stat.REC_UNREAD, pdu)
        if index is None:
            return False
        _indicate(m, f'+CDSI: "SR",{index}')
    return True


def _indicate(m: Interpreter, *lines: str) -> None:
    if m.settings.cnmi[0] == 0:
        m.settings.held_indications.append(lines)
    else:
        m.urc(*lines)
