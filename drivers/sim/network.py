"""The one mobile network every simulated modem of a simulator is attached to.

It records what left each modem (multipart messages joined, as the recipient would
see them), routes texts between simulated numbers, answers USSD and sends status
reports back for every submit that asked for one.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from drivers.pdu import Submit, encode_deliver, encode_status_report
from drivers.sim.scheduler import Scheduler

if TYPE_CHECKING:
    from drivers.sim.modem import SimulatedModem

#: TP-Status for a failed delivery: "SM Validity Period Expired" (TS 23.040 9.2.3.15).
FAILED_STATUS = 0x46

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class SentMessage:
    """One SMS as it left a modem, all of its parts joined."""

    modem: str
    to: str
    text: str
    parts: int
    encoding: str
    at: datetime
    references: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "modem": self.modem,
            "to": self.to,
            "text": self.text,
            "parts": self.parts,
            "encoding": self.encoding,
            "at": self.at.isoformat(),
            "references": list(self.references),
        }


@dataclass(frozen=True)
class _Part:
    submit: Submit
    reference: int


class Network:
    """Shared by all modems of one simulator; thread-safe."""

    def __init__(
        self,
        scheduler: Scheduler,
        clock: Clock,
        rng: random.Random,
        *,
        status_report_delay: float,
        delivered_ratio: float,
    ) -> None:
        self._scheduler = scheduler
        self._clock = clock
        self._rng = rng
        self.status_report_delay = status_report_delay
        self.delivered_ratio = delivered_ratio
        self._subscribers: dict[str, SimulatedModem] = {}
        self._condition = threading.Condition()
        self._sent: list[SentMessage] = []
        self._partial: dict[tuple[str, str, int], dict[int, _Part]] = {}

    def now(self) -> datetime:
        return self._clock()

    def attach(self, modem: SimulatedModem) -> None:
        self._subscribers[modem.number] = modem

    @property
    def sent(self) -> list[SentMessage]:
        with self._condition:
            return list(self._sent)

    def wait_sent(self, count: int, timeout: float) -> list[SentMessage]:
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._sent) >= count, timeout):
                raise TimeoutError(f"{len(self._sent)} of {count} messages sent in {timeout} s")
            return list(self._sent)

    def reset(self) -> None:
        with self._condition:
            self._sent.clear()
            self._partial.clear()

    def submitted(self, modem: SimulatedModem, reference: int, submit: Submit) -> None:
        """A modem's submit reached the service centre with message reference ``reference``."""
        submitted_at = self._clock()
        if submit.status_report_requested:
            self._scheduler.call_later(
                self.status_report_delay,
                lambda: self._report(modem, reference, submit.recipient.number, submitted_at),
            )
        concat = submit.concat
        if concat is None or concat.total <= 1:
            self._complete(modem, [_Part(submit, reference)], submitted_at)
            return
        key = (modem.id, submit.recipient.number, concat.reference)
        with self._condition:
            parts = self._partial.setdefault(key, {})
            parts[concat.number] = _Part(submit, reference)
            if len(parts) < concat.total:
                return
            del self._partial[key]
        self._complete(modem, [parts[number] for number in sorted(parts)], submitted_at)

    def _complete(self, modem: SimulatedModem, parts: list[_Part], at: datetime) -> None:
        first = parts[0].submit
        message = SentMessage(
            modem=modem.id,
            to=first.recipient.number,
            text="".join(part.submit.text for part in parts),
            parts=len(parts),
            encoding=str(first.encoding.value),
            at=at,
            references=tuple(part.reference for part in parts),
        )
        with self._condition:
            self._sent.append(message)
            self._condition.notify_all()
        recipient = self._subscribers.get(message.to)
        if recipient is not None:
            reference = parts[0].submit.concat.reference if parts[0].submit.concat else 0
            for pdu in encode_deliver(
                modem.number, message.text, timestamp=at, concat_reference=reference
            ):
                recipient.receive_from_network(pdu)

    def _report(self, modem: SimulatedModem, reference: int, recipient: str, at: datetime) -> None:
        delivered = self._rng.random() < self.delivered_ratio
        pdu = encode_status_report(
            reference,
            recipient,
            submitted=at,
            discharged=self._clock(),
            status=0 if delivered else FAILED_STATUS,
        )
        modem.receive_from_network(pdu, report=True)

    def ussd(self, code: str) -> tuple[int, str]:
        """The network's answer to a USSD string: (<m> of +CUSD, text)."""
        if code.strip() in ("*100#", "*101#", "#100#"):
            return 0, "Your balance is 12.34 USD. Valid until 31/12."
        return 4, ""
