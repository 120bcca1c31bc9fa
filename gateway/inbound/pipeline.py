"""What happens to an inbound SMS, in the order DESIGN.md section 2 gives.

:meth:`Pipeline.store` commits the message (or its part) and only then may the caller
delete the SIM copy. :meth:`Pipeline.process` then handles, in order: opt-out, help and
opt-in keywords (each answered by exactly one reply, nothing else follows), custom
keyword rules, the out-of-hours auto-reply, the contact's conversation (reopened when
closed), webhooks and the live UI event. A message stays marked unprocessed until that
has committed, so :meth:`Pipeline.process_pending` can finish it after a crash. The
keywords, replies and business hours are those in force when a message is processed:
the config file's, with what admins changed in Settings (gateway.compliance.settings).

Our own modems texting each other (simulated modems share a network) are filed but
never answered, so two gateways cannot reply to each other for ever.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from string import Template
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from drivers.pdu import Deliver
from gateway import contacts, conversations
from gateway.compliance import gate
from gateway.compliance.gate import Purpose
from gateway.compliance.keywords import Intent, classify
from gateway.compliance.settings import LiveRules, Rules
from gateway.config import Config
from gateway.events import EventBus
from gateway.inbound.reassembly import Part, PartKey, assemble
from gateway.keywords.rules import ActionKind, MatchMode, Rule, find_rule, parse_actions
from gateway.models import (
    AutoReplyLog,
    ConsentChannel,
    Contact,
    Conversation,
    ConversationStatus,
    Direction,
    InboundPart,
    KeywordRule,
    Kind,
    Message,
    MessageMeta,
    ModemRecord,
)
from gateway.queue.enqueue import enqueue

log = logging.getLogger(__name__)

STATUS_OF_ACTION = {
    ActionKind.OPEN: ConversationStatus.OPEN,
    ActionKind.PENDING: ConversationStatus.PENDING,
    ActionKind.CLOSE: ConversationStatus.CLOSED,
}

# How long a stored message is left to the worker processing it before a sweep
# treats it as abandoned by a crash.
PENDING_GRACE = timedelta(minutes=2)
# emit(session, event_type, payload, now): adds webhook deliveries to the session.
Webhook = Callable[[Session, str, Mapping[str, Any], datetime], object]


def storable(text: str) -> str:
    """``text`` as stored: verbatim, except NUL (a UCS-2 SMS can carry one; PostgreSQL text
    cannot), which becomes U+FFFD on every database alike."""
    return text.replace("\x00", "\ufffd")


@dataclass(frozen=True)
class Concat:
    reference: int
    total: int
    number: int


@dataclass(frozen=True)
class InboundSms:
    sender: str  # as the network gave it: "+4477...", national digits or "MyBank"
    text: str
    encoding: str
    modem: str | None
    sent_at: datetime | None  # the service centre's time stamp
    concat: Concat | None = None

    @classmethod
    def from_deliver(cls, deliver: Deliver, modem: str | None) -> InboundSms:
        concat = deliver.concat
        return cls(
            sender=deliver.sender.number,
            text=storable(deliver.text),
            encoding=str(deliver.encoding),
            modem=modem,
            sent_at=deliver.timestamp,
            concat=Concat(concat.reference, concat.total, concat.number)
            if concat is not None and concat.total > 1
            else None,
        )


@dataclass(frozen=True)
class Settings:
    """``rules`` gives the keywords, replies and business hours in force for a message
    (admins may change them in Settings while the pipeline runs)."""

    rules: Callable[[Session], Rules]
    region: str
    multipart_timeout: timedelta
    round_robin: bool

    @classmethod
    def from_config(
        cls, config: Config, rules: Callable[[Session], Rules] | None = None
    ) -> Settings:
        """``rules`` defaults to :class:`LiveRules` of its own; the runtime shares the gate's."""
        return cls(
            rules=LiveRules(config) if rules is None else rules,
            region=config.gateway.default_region,
            multipart_timeout=timedelta(minutes=config.inbound.multipart_timeout_minutes),
            round_robin=config.inbound.round_robin,
        )


def tag_campaign(session: Session, message_id: int, campaign: str) -> None:
    """Remember that an outbound message belongs to ``campaign`` (for scoped keyword rules)."""
    session.merge(MessageMeta(message_id=message_id, campaign=campaign))


def replied_campaign(session: Session, number: str) -> str | None:
    """The campaign of the latest campaign message sent to ``number``, if any."""
    return session.scalars(
        select(MessageMeta.campaign)
        .join(Message, Message.id == MessageMeta.message_id)
        .where(
            Message.peer == number,
            Message.direction == Direction.OUT,
            MessageMeta.campaign.is_not(None),
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).first()


def _rules(session: Session) -> list[Rule]:
    rows = session.scalars(select(KeywordRule).where(KeywordRule.active)).all()
    return [
        Rule(row.id, row.keyword, MatchMode(row.mode), parse_actions(row.actions), row.campaign)
        for row in rows
    ]


class Pipeline:
    def __init__(
        self, settings: Settings, *, bus: EventBus | None = None, webhook: Webhook | None = None
    ) -> None:
        self.settings = settings
        self._bus = bus
        self._webhook = webhook

    # -- storing -------------------------------------------------------------------------

    def store(self, session: Session, sms: InboundSms, now: datetime) -> Message | None:
        """Commit ``sms``; the message once it is whole, ``None`` while parts are missing.

        A message read twice from the SIM (the process died between commit and delete)
        is recognised by sender, service-centre time and text and not stored again.
        """
        sender = contacts.classify_sender(sms.sender, self.settings.region)
        sms = dataclasses.replace(sms, text=storable(sms.text))
        if sms.concat is None:
            if sms.sent_at is not None:
                again = session.scalars(
                    select(Message).where(
                        Message.direction == Direction.IN,
                        Message.peer == sender.number,
                        Message.sent_at == sms.sent_at,
                        Message.body == sms.text,
                    )
                ).first()
                if again is not None:
                    return None
            message = self._new_message(session, sender.number, sms.text, sms, 1, now)
            session.commit()
            return message
        session.add(
            InboundPart(
                sender=sender.number,
                reference=sms.concat.reference,
                total=sms.concat.total,
                number=sms.concat.number,
                text=sms.text,
                encoding=sms.encoding,
                modem=sms.modem,
                received_at=now,
            )
        )
        session.flush()
        key = PartKey(sender.number, sms.concat.reference, sms.concat.total)
        whole = self._join(session, key, sms, now, complete_only=True)
        session.commit()
        return whole

    def _new_message(
        self,
        session: Session,
        peer: str,
        body: str,
        sms: InboundSms,
        parts: int,
        now: datetime,
        missing: tuple[int, ...] = (),
    ) -> Message:
        message = Message(
            direction=Direction.IN,
            state=None,
            kind=Kind.CONVERSATION,
            priority=0,
            peer=peer,
            body=body,
            encoding=sms.encoding,
            segments=parts,
            modem=sms.modem,
            sent_modem=sms.modem,
            created_at=now,
            sent_at=sms.sent_at,
            attempts=0,
        )
        session.add(message)
        session.flush()
        session.add(
            MessageMeta(
                message_id=message.id,
                missing_parts=",".join(map(str, missing)) or None,
            )
        )
        return message

    def _parts_where(self, key: PartKey) -> tuple[Any, ...]:
        return (
            InboundPart.sender == key.sender,
            InboundPart.reference == key.reference,
            InboundPart.total == key.total,
        )

    def _join(
        self, session: Session, key: PartKey, sms: InboundSms, now: datetime, *, complete_only: bool
    ) -> Message | None:
        rows = session.scalars(
            select(InboundPart).where(*self._parts_where(key)).order_by(InboundPart.id)
        ).all()
        joined = assemble((Part(row.number, row.text) for row in rows), key.total)
        if complete_only and not joined.complete:
            return None
        message = self._new_message(
            session, key.sender, joined.text, sms, key.total, now, joined.missing
        )
        session.execute(delete(InboundPart).where(*self._parts_where(key)))
        return message

    def expire_parts(self, session: Session, now: datetime) -> list[Message]:
        """Store, as received and marked, every long message whose parts stopped coming."""
        cutoff = now - self.settings.multipart_timeout
        stale = session.execute(
            select(
                InboundPart.sender,
                InboundPart.reference,
                InboundPart.total,
                func.min(InboundPart.encoding),
                func.min(InboundPart.modem),
            )
            .group_by(InboundPart.sender, InboundPart.reference, InboundPart.total)
            .having(func.min(InboundPart.received_at) <= cutoff)
        ).all()
        stored = []
        for sender, reference, total, encoding, modem in stale:
            sms = InboundSms(sender, "", encoding, modem, None)
            message = self._join(
                session, PartKey(sender, reference, total), sms, now, complete_only=False
            )
            session.commit()
            if message is not None:
                stored.append(message)
                self.process(session, message, now)
        return stored

    # -- processing ----------------------------------------------------------------------

    def receive(self, session: Session, sms: InboundSms, now: datetime) -> Message | None:
        """:meth:`store`, then :meth:`process` what became a whole message."""
        message = self.store(session, sms, now)
        if message is not None:
            self.process(session, message, now)
        return message

    def process_pending(self, session: Session, now: datetime) -> int:
        """Finish messages stored but never processed (the process stopped in between).

        Only those stored a while ago: a newer one is still in the hands of the worker
        that stored it, and processing it here as well would answer a STOP twice.
        """
        pending = session.scalars(
            select(Message)
            .join(MessageMeta, MessageMeta.message_id == Message.id)
            .where(
                Message.direction == Direction.IN,
                MessageMeta.processed_at.is_(None),
                Message.created_at < now - PENDING_GRACE,
            )
            .order_by(Message.id)
        ).all()
        for message in pending:
            self.process(session, message, now)
        return len(pending)

    def process(self, session: Session, message: Message, now: datetime) -> None:
        """Everything after storage.

        A reply is committed together with the consent change that caused it (``enqueue``
        commits); the message is marked processed in the last commit.
        """
        sender = contacts.classify_sender(message.peer, self.settings.region)
        contact, _ = contacts.get_or_create(session, sender, now)
        conversation = conversations.record_inbound(
            session, contact, now, round_robin=self.settings.round_robin
        )
        meta = session.get(MessageMeta, message.id) or MessageMeta(message_id=message.id)
        session.add(meta)
        if contact.textable and not self._is_own_number(session, contact.number):
            self._answer(session, message, meta, contact, conversation, now)
        meta.processed_at = now
        self._emit(session, "message.received", _message_data(message, contact, conversation), now)
        session.commit()
        self._publish("message.received", _message_data(message, contact, conversation))
        self._publish("conversation.updated", _conversation_data(conversation))

    def _is_own_number(self, session: Session, number: str) -> bool:
        own = select(ModemRecord.name).where(ModemRecord.number == number).limit(1)
        return session.scalars(own).first() is not None

    def _answer(
        self,
        session: Session,
        message: Message,
        meta: MessageMeta,
        contact: Contact,
        conversation: Conversation,
        now: datetime,
    ) -> None:
        in_force = self.settings.rules(session)
        rules = in_force.policy
        intent = Intent.OTHER if meta.missing_parts else classify(message.body, rules.keywords)
        if intent is Intent.OPT_OUT:
            if contacts.opt_out(
                session,
                contact,
                ConsentChannel.SMS,
                now,
                message_id=message.id,
                detail=message.body[:160],
            ):
                gate.suppress_pending(session, contact.number, now, "opted out")
                self._reply(
                    session, message, rules.opt_out_reply, Purpose.OPT_OUT_CONFIRMATION, now
                )
                data = {
                    "contact_id": contact.id,
                    "number": contact.number,
                    "message_id": message.id,
                }
                self._emit(session, "contact.opted_out", data, now)
            return
        if intent is Intent.HELP:
            self._reply(session, message, rules.help_reply, Purpose.HELP, now)
            return
        if intent is Intent.OPT_IN and contact.opted_out:
            contacts.opt_in(
                session,
                contact,
                ConsentChannel.SMS,
                now,
                message_id=message.id,
                detail=message.body[:160],
            )
            self._reply(session, message, rules.opt_in_reply, Purpose.OPT_IN_CONFIRMATION, now)
            return
        rule = find_rule(_rules(session), message.body, replied_campaign(session, contact.number))
        if rule is not None:
            self._run_rule(session, rule, message, contact, conversation, now)
            return
        self._auto_reply(session, message, contact, in_force, now)

    def _reply(
        self, session: Session, message: Message, text: str, purpose: Purpose, now: datetime
    ) -> None:
        gate.mark_purpose(session, message.peer, purpose)
        enqueue(
            session,
            message.peer,
            text,
            kind=Kind.SYSTEM,
            region=self.settings.region,
            now=now,
            modem=message.sent_modem,
        )

    def _run_rule(
        self,
        session: Session,
        rule: Rule,
        message: Message,
        contact: Contact,
        conversation: Conversation,
        now: datetime,
    ) -> None:
        for action in rule.actions:
            if action.kind is ActionKind.REPLY:
                values = {
                    **{k: str(v) for k, v in contact.fields.items()},
                    "first_name": contact.first_name,
                    "last_name": contact.last_name,
                    "number": contact.number,
                }
                text = Template(action.value).safe_substitute(values)
                self._reply(session, message, text, Purpose.AUTO_REPLY, now)
            elif action.kind is ActionKind.TAG and action.value not in contact.tags:
                contact.tags = [*contact.tags, action.value]
            elif action.kind is ActionKind.UNTAG:
                contact.tags = [tag for tag in contact.tags if tag != action.value]
            elif action.kind is ActionKind.SET_FIELD:
                contact.fields = {**contact.fields, action.name: action.value}
            elif action.kind is ActionKind.ASSIGN:
                conversations.assign(session, conversation, int(action.value))
            elif action.kind in STATUS_OF_ACTION:
                conversation.status = STATUS_OF_ACTION[action.kind]
            elif action.kind is ActionKind.WEBHOOK:
                data = {
                    "rule_id": rule.id,
                    "keyword": rule.keyword,
                    "value": action.value,
                    "message_id": message.id,
                    "contact_id": contact.id,
                }
                self._emit(session, "keyword.matched", data, now)

    def _auto_reply(
        self, session: Session, message: Message, contact: Contact, rules: Rules, now: datetime
    ) -> None:
        period = rules.business_hours.closed_since(now)
        if not rules.autoreply_enabled or period is None or contact.opted_out:
            return
        try:
            with session.begin_nested():
                session.add(AutoReplyLog(contact_id=contact.id, period_start=period, sent_at=now))
        except IntegrityError:
            return  # already answered in this closed period
        self._reply(session, message, rules.autoreply_text, Purpose.AUTO_REPLY, now)

    # -- telling others ------------------------------------------------------------------

    def _emit(
        self, session: Session, event_type: str, data: Mapping[str, Any], now: datetime
    ) -> None:
        if self._webhook is not None:
            self._webhook(session, event_type, data, now)

    def _publish(self, event_type: str, data: Mapping[str, Any]) -> None:
        if self._bus is not None:
            self._bus.publish(event_type, data)


def _message_data(message: Message, contact: Contact, conversation: Conversation) -> dict[str, Any]:
    return {
        "id": message.id,
        "peer": message.peer,
        "body": message.body,
        "modem": message.sent_modem,
        "received_at": message.created_at.isoformat(),
        "contact_id": contact.id,
        "number_kind": contact.number_kind,
        "conversation_id": conversation.id,
    }


def _conversation_data(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "contact_id": conversation.contact_id,
        "status": conversation.status,
        "unread": conversation.unread,
        "assignee_id": conversation.assignee_id,
    }
