"""``cellgate demo``: everything a new user needs to see Cellgate work, with no setup.

Simulated modems on real pseudo-terminals (so the demo uses the same serial path as
real dongles), a SQLite database in one folder, and a fresh admin password printed
on every start: there is never a default password, not even in the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from drivers.sim import Simulator
from gateway import migrate
from gateway.campaigns import replies
from gateway.campaigns import store as campaigns
from gateway.campaigns.store import CampaignSpec
from gateway.config import Config, GatewaySection, ModemSection, WebSection
from gateway.db import make_engine, make_session_factory
from gateway.models import Contact, Role, User, utcnow
from gateway.runtime import run_gateway
from gateway.users import create_user, generate_password, set_password

DEMO_ADMIN = "admin"
# (number, first name, last name, tags, what they text the demo once it is running)
SAMPLE_CONTACTS: tuple[tuple[str, str, str, list[str], str], ...] = (
    ("+14155550101", "Maria", "Lopez", ["patient"], "Hi, can I move my appointment to Friday?"),
    ("+14155550102", "Tom", "Becker", ["patient", "vip"], "What time do you open on Saturday?"),
    ("+14155550103", "Aisha", "Khan", ["member"], "Thanks, see you tomorrow 🙂"),
    ("+14155550104", "Li", "Wei", ["member"], "STOP"),
    ("+14155550105", "", "", [], "Is this the right number for the front desk?"),
)


def prepare_database(config: Config) -> tuple[str, bool]:
    """Migrate, give the demo admin a new random password, add the sample contacts once.

    Returns the password and whether the sample data is new (first start).
    """
    engine = make_engine(config.database_url)
    migrate.upgrade(engine)
    password = generate_password()
    with make_session_factory(engine).begin() as session:
        admin = session.scalar(select(User).where(User.username == DEMO_ADMIN))
        if admin is None:
            create_user(session, DEMO_ADMIN, password, role=Role.ADMIN, display_name="Demo Admin")
        else:
            set_password(admin, password)
        first_start = session.scalar(select(Contact.id).limit(1)) is None
        if first_start:
            for number, first, last, tags, _text in SAMPLE_CONTACTS:
                session.add(
                    Contact(number=number, first_name=first, last_name=last, tags=tags, fields={})
                )
    if first_start:
        with make_session_factory(engine)() as session:
            add_sample_campaign(session)
    engine.dispose()
    return password, first_start


def add_sample_campaign(session: Session) -> None:
    """A draft reminder with reply options, ready to look at, preview and send."""
    campaign = campaigns.create(
        session,
        CampaignSpec(
            name="Appointment reminder",
            body=(
                "Hi {{first_name|there}}, this is a reminder of your appointment tomorrow. "
                "Reply C to confirm or R to reschedule."
            ),
        ),
        utcnow(),
    )
    admin_id = session.scalar(select(User.id).where(User.username == DEMO_ADMIN))
    assert admin_id is not None
    options = replies.parse_lines(
        "C => tag confirmed; reply Thank you, see you tomorrow!\nR => open; assign admin",
        lambda _name: admin_id,
    )
    replies.set_options(session, campaign, options)
    session.commit()


def text_the_gateway(sim: Simulator) -> None:
    """The sample contacts text in through the simulated network, as real customers would."""
    for index, (number, _first, _last, _tags, text) in enumerate(SAMPLE_CONTACTS):
        sim.modems[index % len(sim.modems)].inject_text(number, text)


def run_demo(directory: Path, *, port: int, echo: Callable[[str], None]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with Simulator(modems=2, vendor=["sim800", "huawei"], latency=1.0, jitter=0.5) as sim:
        control_host, control_port = sim.serve_control("127.0.0.1", port + 1)
        config = Config(
            gateway=GatewaySection(data_dir=str(directory.resolve())),
            web=WebSection(port=port),
            modems=tuple(ModemSection(name=m.id, port=m.device) for m in sim.modems),
        )
        password, first_start = prepare_database(config)
        engine = make_engine(config.database_url)

        def banner(url: str) -> None:
            echo("")
            echo("Cellgate demo is running.")
            echo(f"  Web UI:      {url}")
            echo(f"  Log in as:   {DEMO_ADMIN} / {password}")
            for modem in sim.modems:
                echo(f"  Modem {modem.id}:  {modem.number} ({modem.vendor}, on {modem.device})")
            echo(f"  Simulator control API: http://{control_host}:{control_port}/modems")
            echo(f"  Data:        {config.data_dir}")
            echo("Press Ctrl+C to stop.")
            if first_start:
                text_the_gateway(sim)

        run_gateway(config, engine, on_ready=banner)
