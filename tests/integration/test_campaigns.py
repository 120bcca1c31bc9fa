"""Campaigns against a real database: materialising, the gate, throttling, pause/resume,
schedules across a restart, relative triggers, misfires, reply flows and stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from gateway import contact_fields, contacts, segments
from gateway.campaigns import control, replies, store
from gateway.campaigns.run import fire_due, materialise_due
from gateway.campaigns.scheduler import CampaignScheduler
from gateway.campaigns.stats import stats
from gateway.config import CampaignsSection, Config
from gateway.errors import ValidationError
from gateway.inbound.pipeline import InboundSms, Pipeline
from gateway.keywords.rules import Action, ActionKind
from gateway.models import (
    CampaignRun,
    CampaignStatus,
    ConsentChannel,
    Contact,
    Conversation,
    Message,
    MessageMeta,
    RunState,
    Segment,
    User,
)
from gateway.states import MessageState
from tests.waiting import eventually

pytest_plugins = ["tests.plugins.inbound"]

S = MessageState
NOON = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)  # a Wednesday; 13:00 in London
GRACE = timedelta(hours=1)
WAIT = 10.0


def add_contacts(session: Session, count: int, **fields: object) -> list[Contact]:
    people = [
        Contact(
            number=f"+44770090{index:04d}",
            first_name="" if index % 5 == 0 else f"Name{index}",
            last_name="",
            tags=["customer"] if index % 2 == 0 else [],
            fields=dict(fields),
            opted_out=False,
            created_at=NOON,
        )
        for index in range(count)
    ]
    session.add_all(people)
    session.commit()
    return people


def campaign_messages(session: Session, name: str) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .join(MessageMeta, MessageMeta.message_id == Message.id)
            .where(MessageMeta.campaign == name)
            .order_by(Message.id)
        )
    )


def launch(session: Session, now: datetime = NOON, **spec: object) -> int:
    values: dict[str, object] = {"name": "spring", "body": "Hi {{first_name|there}}!", **spec}
    campaign = store.create(session, store.CampaignSpec(**values), now)  # type: ignore[arg-type]
    control.schedule(session, campaign.id, now)
    return campaign.id


def run_now(session: Session, now: datetime = NOON) -> int:
    return materialise_due(session, now, batch=7, grace=GRACE)


def test_every_recipient_gets_their_own_text_with_fallbacks(gated: sessionmaker[Session]) -> None:
    with gated() as session:
        people = add_contacts(session, 50)
        launch(session)
        assert run_now(session) == 50
        sent = campaign_messages(session, "spring")
        assert [m.peer for m in sent] == [p.number for p in people]
        assert sent[0].body == "Hi there!"
        assert sent[1].body == "Hi Name1!"
        assert {m.state for m in sent} == {S.QUEUED}
        assert {m.kind for m in sent} == {"marketing"}
        run = session.scalars(select(CampaignRun)).one()
        assert (run.state, run.created) == (RunState.DONE, 50)


def test_a_run_cut_short_resumes_after_its_last_committed_batch(
    gated: sessionmaker[Session],
) -> None:
    with gated() as session:
        people = add_contacts(session, 30)
        launch(session)
    victim = people[17].number  # in the third batch of seven

    def power_cut(session: Session, _context: object, _instances: object) -> None:
        if any(isinstance(new, Message) and new.peer == victim for new in session.new):
            raise RuntimeError("power cut")

    with gated() as session:
        event.listen(session, "before_flush", power_cut)
        with pytest.raises(RuntimeError, match="power cut"):
            run_now(session)
    with gated() as session:
        run = session.scalars(select(CampaignRun)).one()
        assert (run.state, run.created, run.cursor) == (RunState.PENDING, 14, people[13].id)
        assert len(campaign_messages(session, "spring")) == 14
        assert run_now(session) == 16
        sent = campaign_messages(session, "spring")
        assert [m.peer for m in sent] == [p.number for p in people]
        session.refresh(run)
        assert (run.state, run.created) == (RunState.DONE, 30)


def test_opted_out_contacts_are_suppressed_by_the_gate(gated: sessionmaker[Session]) -> None:
    with gated() as session:
        people = add_contacts(session, 4)
        contacts.opt_out(session, people[1], ConsentChannel.UI, NOON, detail="asked")
        session.commit()
        everyone = segments.save(session, "all", segments.Filter(consent="any"), NOON)
        launch(session, segment_id=everyone.id)
        run_now(session)
        states = {m.peer: m.state for m in campaign_messages(session, "spring")}
        assert states[people[1].number] == S.SUPPRESSED
        assert [s for s in states.values() if s != S.SUPPRESSED] == [S.QUEUED] * 3


def test_quiet_hours_defer_recipients_to_the_morning(gated: sessionmaker[Session]) -> None:
    night = datetime(2026, 6, 3, 22, 30, tzinfo=UTC)
    with gated() as session:
        add_contacts(session, 2)
        launch(session, now=night)
        run_now(session, night)
        sent = campaign_messages(session, "spring")
        assert {m.state for m in sent} == {S.SCHEDULED}
        # Ofcom's drama numbers have no time zone: the fallback zone (UTC) opens at 08:00.
        assert {m.scheduled_at for m in sent} == {datetime(2026, 6, 4, 8, 0, tzinfo=UTC)}


def test_throughput_limit_spaces_the_recipients(gated: sessionmaker[Session]) -> None:
    with gated() as session:
        add_contacts(session, 4)
        launch(session, per_minute=2)
        run_now(session)
        sent = campaign_messages(session, "spring")
        assert sent[0].state == S.QUEUED
        assert [m.scheduled_at for m in sent[1:]] == [
            NOON + timedelta(seconds=30 * i) for i in (1, 2, 3)
        ]


def test_pause_withdraws_waiting_messages_and_resume_queues_them_again(
    gated: sessionmaker[Session],
) -> None:
    with gated() as session:
        add_contacts(session, 5)
        campaign_id = launch(session, per_minute=1)
        run_now(session)
        assert control.pause(session, campaign_id, NOON) == 5
        assert stats(session, store.get(session, campaign_id)).cancelled == 5
        later = NOON + timedelta(minutes=10)
        assert control.resume(session, campaign_id, later) == 5
        current = stats(session, store.get(session, campaign_id))
        assert (current.total, current.queued, current.cancelled) == (5, 5, 0)
        assert control.cancel(session, campaign_id, later) == 5
        assert store.get(session, campaign_id).status == CampaignStatus.CANCELLED
        assert stats(session, store.get(session, campaign_id)).queued == 0


def test_a_bad_template_or_schedule_is_refused_when_saved(gated: sessionmaker[Session]) -> None:
    with gated() as session:
        with pytest.raises(ValidationError, match="appointment_at"):
            store.create(session, store.CampaignSpec("a", "See you {{ appointment_at }}"), NOON)
        with pytest.raises(ValidationError, match="cron"):
            store.create(session, store.CampaignSpec("b", "Hi", schedule="cron", cron="nope"), NOON)
        with pytest.raises(ValidationError, match="date/time"):
            store.create(session, store.CampaignSpec("c", "Hi", schedule="relative"), NOON)


def test_a_missed_run_beyond_the_grace_is_skipped_and_the_cron_moves_on(
    gated: sessionmaker[Session],
) -> None:
    with gated() as session:
        add_contacts(session, 1)
        campaign_id = launch(session, schedule="cron", cron="0 9 * * *", time_zone="UTC")
        assert store.get(session, campaign_id).next_run_at == datetime(2026, 6, 4, 9, tzinfo=UTC)
        two_days_later = datetime(2026, 6, 6, 12, tzinfo=UTC)
        assert fire_due(session, two_days_later, grace=GRACE) == []
        run = session.scalars(select(CampaignRun)).one()
        assert run.state == RunState.MISSED
        assert store.get(session, campaign_id).next_run_at == datetime(2026, 6, 7, 9, tzinfo=UTC)
        assert campaign_messages(session, "spring") == []


def test_relative_trigger_fires_24_hours_before_the_appointment(
    gated: sessionmaker[Session],
) -> None:
    with gated() as session:
        contact_fields.declare(session, "appointment_at", "datetime")
        session.commit()
        appointment = NOON + timedelta(hours=30)
        add_contacts(session, 1, appointment_at=appointment.isoformat())
        campaign_id = launch(
            session,
            body="Reminder: {{ appointment_at }}",
            schedule="relative",
            relative_field="appointment_at",
            offset_minutes=-24 * 60,
        )
        # Held across the ticks, as a caller keeping one session would: each tick must
        # still see the previous tick's claim.
        held = store.get(session, campaign_id)
        assert held.status == CampaignStatus.ACTIVE
        clock = NOON
        while clock < NOON + timedelta(hours=8):
            run_now(session, clock)
            if campaign_messages(session, "spring"):
                break
            clock += timedelta(minutes=15)
        sent = campaign_messages(session, "spring")
        assert len(sent) == 1
        assert clock == NOON + timedelta(hours=6)
        for _ in range(3):  # later ticks do not send it again
            clock += timedelta(minutes=1)
            run_now(session, clock)
        assert len(campaign_messages(session, "spring")) == 1


def test_a_recurring_schedule_survives_a_restart(
    config: Config, engine: Engine, gated: sessionmaker[Session]
) -> None:
    fast = Config(gateway=config.gateway, campaigns=CampaignsSection(check_seconds=0.05))
    now = [datetime(2026, 6, 3, 8, 59, tzinfo=UTC)]
    with gated() as session:
        add_contacts(session, 3)
        launch(session, now=now[0], schedule="cron", cron="0 9 * * *", time_zone="UTC")

    def started() -> CampaignScheduler:
        scheduler = CampaignScheduler(fast, gated, engine, clock=lambda: now[0])
        scheduler.start()
        return scheduler

    first = started()
    first.stop()
    with engine.connect() as connection:
        jobs = connection.exec_driver_sql("SELECT id FROM apscheduler_jobs").scalars().all()
    assert jobs == ["campaigns.materialise_due"]
    now[0] = datetime(2026, 6, 3, 9, 0, 30, tzinfo=UTC)
    second = started()
    try:
        assert eventually(lambda: len(campaign_messages_in(gated)) == 3, WAIT)
    finally:
        second.stop()
    with gated() as session:
        campaign = store.get(session, 1)
        assert campaign.next_run_at == datetime(2026, 6, 4, 9, tzinfo=UTC)


def campaign_messages_in(sessions: sessionmaker[Session]) -> list[Message]:
    with sessions() as session:
        return campaign_messages(session, "spring")


def test_c_and_r_replies_route_and_stats_count_them(
    gated: sessionmaker[Session], pipeline: Pipeline, users: None
) -> None:
    with gated() as session:
        desk = session.scalars(select(User).where(User.username == "bob")).one()
        people = add_contacts(session, 3)
        campaign_id = launch(
            session, body="Hi {{first_name|there}}, reply C to confirm or R to rebook"
        )
        campaign = store.get(session, campaign_id)
        options = replies.parse_options(
            [
                {
                    "keywords": "C",
                    "actions": [
                        Action(ActionKind.TAG, "confirmed").as_dict(),
                        Action(ActionKind.REPLY, "Thank you, see you then").as_dict(),
                    ],
                },
                {
                    "keywords": ["R"],
                    "actions": [
                        Action(ActionKind.OPEN).as_dict(),
                        Action(ActionKind.ASSIGN, str(desk.id)).as_dict(),
                    ],
                },
            ]
        )
        replies.set_options(session, campaign, options)
        session.commit()
        run_now(session)
        session.execute(
            Message.__table__.update().values(state=S.SENT, sent_at=NOON)  # type: ignore[attr-defined]
        )
        session.commit()
        later = NOON + timedelta(minutes=5)
        pipeline.receive(session, InboundSms(people[0].number, "c", "gsm7", "sim0", later), later)
        pipeline.receive(session, InboundSms(people[1].number, "R", "gsm7", "sim0", later), later)
        session.refresh(people[0])
        assert "confirmed" in people[0].tags
        thanks = session.scalars(
            select(Message.body).where(Message.peer == people[0].number, Message.kind == "system")
        ).all()
        assert thanks == ["Thank you, see you then"]
        conversation = session.scalars(
            select(Conversation).where(Conversation.contact_id == people[1].id)
        ).one()
        assert (conversation.status, conversation.assignee_id) == ("open", desk.id)
        numbers = stats(session, campaign)
        assert (numbers.total, numbers.sent, numbers.replies) == (3, 3, 2)
        assert numbers.response_rate == round(2 / 3, 4)
        assert [o.keywords for o in replies.options(session, campaign)] == [("C",), ("R",)]
        responded = segments.Filter(responded=segments.Response("spring", ("C",)))
        assert [c.number for c in segments.stream(session, responded, later)] == [people[0].number]


def test_segments_filter_on_tags_fields_and_consent(gated: sessionmaker[Session]) -> None:
    with gated() as session:
        contact_fields.declare(session, "visits", "number")
        session.commit()
        people = add_contacts(session, 6)
        for index, person in enumerate(people):
            person.fields = {"visits": index}
        contacts.opt_out(session, people[2], ConsentChannel.UI, NOON, detail="asked")
        session.commit()
        spec = segments.Filter.from_json(
            {"tags_all": ["customer"], "fields": [{"name": "visits", "op": "gt", "value": "1"}]}
        )
        assert [c.number for c in segments.stream(session, spec, NOON)] == [people[4].number]
        assert segments.count(session, segments.Filter(tags_none=("customer",)), NOON) == 3
        assert segments.count(session, segments.Filter(consent="opted_out"), NOON) == 1
        saved = segments.save(session, "regulars", spec, NOON)
        assert session.get(Segment, saved.id) is not None
        assert segments.filter_of(session, saved.id) == spec
