"""One typed configuration schema, read from TOML.

Every key is declared once, as a dataclass field with its default, a help line and a
converter. ``config.example.toml`` is rendered from this schema (``render_example``)
and a test fails when the two disagree, so the documentation cannot drift. A bad
configuration stops start-up with one line naming the file, the key and the reason.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from gateway.autoreply.business_hours import WEEKDAYS
from gateway.compliance.keywords import HELP_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS
from gateway.compliance.quiet_hours import parse_window

ENV_VAR = "CELLGATE_CONFIG"

T = TypeVar("T")
Converter = Callable[[Any], Any]


class ConfigError(Exception):
    """A configuration problem, already phrased for the one line an operator reads."""


def option(default: T, help: str, convert: Converter) -> T:
    """Declare a key: its default, the help line shown in the example, its converter."""
    return field(default=default, metadata={"help": help, "convert": convert})


def required(help: str, convert: Converter, example: str) -> Any:
    """Declare a key that has no default and must be given; ``example`` is shown instead."""
    return field(metadata={"help": help, "convert": convert, "example": example})


# -- converters: each takes the TOML value and returns it checked, or raises ValueError --


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def non_negative_int(value: Any) -> int:
    number = _integer(value)
    if number < 0:
        raise ValueError(f"must be 0 or more, got {number}")
    return number


def positive_int(value: Any) -> int:
    number = _integer(value)
    if number < 1:
        raise ValueError(f"must be 1 or more, got {number}")
    return number


def positive_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"expected a number above 0, got {value!r}")
    return float(value)


def fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ValueError(f"expected a number from 0 up to (not including) 1, got {value!r}")
    return float(value)


def tcp_port(value: Any) -> int:
    number = _integer(value)
    if not 1 <= number <= 65535:
        raise ValueError(f"must be a TCP port from 1 to 65535, got {number}")
    return number


def log_level(value: Any) -> str:
    level = string(value).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError(f"must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level


def time_zone(value: Any) -> str:
    name = string(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/London)"
        ) from None
    return name


def phone_region(value: Any) -> str:
    region = string(value).upper()
    if region and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region {value!r} (use a two-letter code such as GB or US)")
    return region


def database_url(value: Any) -> str:
    url = string(value)
    if url and not re.match(r"(sqlite|postgresql)(\+\w+)?://", url):
        raise ValueError("must start with sqlite:// or postgresql://")
    return url


def modem_name(value: Any) -> str:
    name = string(value)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", name):
        raise ValueError("use 1-32 letters, digits, '.', '_' or '-'")
    return name


def string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValueError("expected a list of non-empty strings")
    return tuple(value)


def time_window(value: Any) -> str:
    text = string(value)
    parse_window(text)
    return text


def _labelled_windows(value: Any, labels: Callable[[str], bool], what: str) -> tuple[str, ...]:
    entries = string_list(value)
    for entry in entries:
        label, _, window = entry.partition("=")
        if not labels(label.strip()):
            raise ValueError(f"{entry!r}: unknown {what} {label.strip()!r}")
        parse_window(window)
    return entries


def region_windows(value: Any) -> tuple[str, ...]:
    return _labelled_windows(
        value, lambda label: label.upper() in phonenumbers.SUPPORTED_REGIONS, "region"
    )


def weekday_windows(value: Any) -> tuple[str, ...]:
    return _labelled_windows(value, lambda label: label.lower() in WEEKDAYS, "weekday")


def dates(value: Any) -> tuple[str, ...]:
    entries = string_list(value)
    for entry in entries:
        date.fromisoformat(entry)
    return entries


def pin(value: Any) -> str:
    code = string(value)
    if code and not re.fullmatch(r"\d{4,8}", code):
        raise ValueError("a SIM PIN is 4 to 8 digits")
    return code


# -- the schema --


@dataclass(frozen=True)
class GatewaySection:
    data_dir: str = option(
        "./cellgate-data",
        "Folder for the SQLite database, the web session secret and backups.",
        string,
    )
    timezone: str = option(
        "UTC", "The business's time zone: shown in the UI and used for business hours.", time_zone
    )
    default_region: str = option(
        "US",
        "Region for numbers written without a country code (two letters, e.g. GB).",
        phone_region,
    )
    resend_unknown: bool = option(
        True,
        "Queue a message again when a crash left its outcome unknown (may duplicate it).",
        boolean,
    )


@dataclass(frozen=True)
class DatabaseSection:
    url: str = option(
        "",
        "SQLAlchemy URL; empty means SQLite in data_dir. PostgreSQL: postgresql://user@host/db",
        database_url,
    )


@dataclass(frozen=True)
class WebSection:
    host: str = option(
        "127.0.0.1", "Address the web UI and API listen on. Keep it local behind a proxy.", string
    )
    port: int = option(8080, "TCP port of the web UI and API.", tcp_port)
    threads: int = option(
        16,
        "Request threads of the web server; each open live-update page holds one.",
        positive_int,
    )
    secret_key_file: str = option(
        "",
        "File holding the session signing key; empty means data_dir/secret_key (made once).",
        string,
    )
    secure_cookies: bool = option(
        False, "Send session cookies over HTTPS only (turn on behind an HTTPS proxy).", boolean
    )


@dataclass(frozen=True)
class LoggingSection:
    level: str = option("INFO", "DEBUG, INFO, WARNING or ERROR.", log_level)


@dataclass(frozen=True)
class ModemSection:
    name: str = required("A short unique name for this modem, shown in the UI.", modem_name, "sim1")
    port: str = required(
        "Serial device or pyserial URL: /dev/serial/by-id/..., socket://host:port, spy://...",
        string,
        "/dev/serial/by-id/usb-HUAWEI_Technology_HUAWEI_Mobile-if00-port0",
    )
    baudrate: int = option(115200, "Serial speed (USB dongles ignore it).", positive_int)
    driver: str = option(
        "serial",
        "How to talk to it: serial, or a module path holding a class Driver (test doubles).",
        string,
    )
    pin: str = option("", "SIM PIN, when the SIM asks for one.", pin)
    rate_per_minute: int = option(
        6, "Messages this SIM may send per minute (carriers block bulk-like senders).", positive_int
    )
    daily_cap: int = option(500, "Messages per day for this SIM; 0 means no cap.", non_negative_int)
    monthly_cap: int = option(
        0, "Messages per calendar month (your SIM plan); 0 means no cap.", non_negative_int
    )


@dataclass(frozen=True)
class QueueSection:
    node: str = option(
        "",
        "Name of this gateway node when several share a PostgreSQL database; empty: host name.",
        string,
    )
    max_attempts: int = option(
        5, "Sends tried per message before a transient error fails it.", positive_int
    )
    backoff_seconds: float = option(
        30.0, "Wait before the first retry; it doubles with each further attempt.", positive_float
    )
    backoff_max_seconds: float = option(
        1800.0, "Longest wait between two attempts.", positive_float
    )
    jitter: float = option(
        0.2,
        "Random spread of the pause between sends, as a fraction of it (carriers spot robots).",
        fraction,
    )
    cooldown_after_errors: int = option(
        3, "Errors in a row after which a modem rests while the others carry on.", positive_int
    )
    cooldown_seconds: float = option(300.0, "How long such a rest lasts.", positive_float)
    sticky_takeover_minutes: float = option(
        10.0,
        "A reply waits this long for the contact's usual SIM when it is down, then another sends.",
        positive_float,
    )
    report_window_hours: float = option(
        72.0, "How long after sending a delivery report is still matched.", positive_float
    )
    poll_seconds: float = option(
        2.0,
        "An idle worker looks for work at least this often (due retries, other nodes' rows).",
        positive_float,
    )
    lease_seconds: float = option(
        60.0,
        "A node that has not renewed its lease this long is presumed dead and its sends recovered.",
        positive_float,
    )


@dataclass(frozen=True)
class ApiSection:
    rate_per_minute: int = option(
        120, "Requests each API key may make per minute (per node); more get 429.", positive_int
    )
    burst: int = option(
        30,
        "Requests a key may make in a quick burst before the per-minute rate applies.",
        positive_int,
    )
    max_body_bytes: int = option(
        65536, "Largest request body the API accepts; larger ones get 413.", positive_int
    )
    idempotency_hours: float = option(
        24.0, "How long the answer to a request with an Idempotency-Key is kept.", positive_float
    )


@dataclass(frozen=True)
class WebhooksSection:
    timeout_seconds: float = option(
        10.0, "How long a receiver has to answer one delivery.", positive_float
    )
    max_attempts: int = option(
        15, "Deliveries tried per event before it is marked failed.", positive_int
    )
    backoff_seconds: float = option(
        30.0, "Wait before the first retry; it doubles with each further attempt.", positive_float
    )
    backoff_max_seconds: float = option(
        3600.0, "Longest wait between two attempts.", positive_float
    )
    poll_seconds: float = option(
        30.0,
        "The delivery thread looks for due retries (and other nodes' events) this often.",
        positive_float,
    )


@dataclass(frozen=True)
class ComplianceSection:
    opt_out_keywords: tuple[str, ...] = option(
        OPT_OUT_KEYWORDS,
        "Replies that opt a contact out (any case, spaces or punctuation). Add languages "
        "(ARRET, ALTO); drop CANCEL if customers answer appointments with it.",
        string_list,
    )
    opt_in_keywords: tuple[str, ...] = option(
        OPT_IN_KEYWORDS, "Replies that opt a contact back in.", string_list
    )
    help_keywords: tuple[str, ...] = option(
        HELP_KEYWORDS, "Replies answered with help_reply.", string_list
    )
    natural_language_opt_out: bool = option(
        True,
        'Also treat plain revocations ("stop texting me", "please unsubscribe me") as opt-outs.',
        boolean,
    )
    opt_out_reply: str = option(
        "You are unsubscribed and will get no more messages from us. Reply START to resubscribe.",
        "The one confirmation an opted-out contact gets.",
        string,
    )
    opt_in_reply: str = option(
        "You are subscribed again. Reply STOP to unsubscribe, HELP for help.",
        "The answer to START after an opt-out.",
        string,
    )
    help_reply: str = option(
        "Reply STOP to unsubscribe, START to subscribe again. Msg & data rates may apply.",
        "The answer to HELP: who you are and how to stop.",
        string,
    )
    quiet_hours: str = option(
        "08:00-21:00",
        "When marketing may reach a contact, in their local time; later sends wait for it.",
        time_window,
    )
    quiet_hours_regions: tuple[str, ...] = option(
        (),
        'Other windows by recipient region, e.g. ["FR=08:00-20:00", "GB=09:00-20:00"].',
        region_windows,
    )
    marketing_cap: int = option(
        3, "Marketing messages per contact per cap window; 0 means no cap.", non_negative_int
    )
    marketing_cap_hours: float = option(24.0, "The frequency cap's window.", positive_float)


@dataclass(frozen=True)
class AutoreplySection:
    enabled: bool = option(False, "Answer messages that arrive outside business hours.", boolean)
    text: str = option(
        "Thanks for your message. We are closed right now and will reply when we open.",
        "The out-of-hours answer; sent at most once per contact per closed period.",
        string,
    )
    hours: tuple[str, ...] = option(
        (
            "mon=09:00-17:00",
            "tue=09:00-17:00",
            "wed=09:00-17:00",
            "thu=09:00-17:00",
            "fri=09:00-17:00",
        ),
        "Opening hours per weekday in gateway.timezone; days not listed are closed.",
        weekday_windows,
    )
    holidays: tuple[str, ...] = option(
        (), 'Days closed all day, e.g. ["2026-12-25", "2027-01-01"].', dates
    )


@dataclass(frozen=True)
class InboundSection:
    multipart_timeout_minutes: float = option(
        10.0,
        "How long the parts of a long message wait for the rest before it is stored as is.",
        positive_float,
    )
    sweep_seconds: float = option(
        60.0,
        "How often each SIM is listed (AT+CMGL) for messages whose notification was lost.",
        positive_float,
    )
    claim_minutes: float = option(
        5.0, "How long an agent's claim on a conversation lasts while they reply.", positive_float
    )
    round_robin: bool = option(
        False, "Assign each new conversation to the next active agent in turn.", boolean
    )


@dataclass(frozen=True)
class CampaignsSection:
    misfire_grace_minutes: float = option(
        60.0,
        "A campaign run missed by more than this (the gateway was down) is skipped, not sent "
        "late; a recurring campaign then waits for its next time.",
        positive_float,
    )
    check_seconds: float = option(
        5.0, "How often due campaign runs are looked for and materialised.", positive_float
    )
    batch_size: int = option(
        1000, "Recipients created per transaction when a campaign runs.", positive_int
    )


@dataclass(frozen=True)
class Config:
    """The whole configuration; ``source`` is the file it came from, if any."""

    gateway: GatewaySection = field(default_factory=GatewaySection)
    database: DatabaseSection = field(default_factory=DatabaseSection)
    web: WebSection = field(default_factory=WebSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    queue: QueueSection = field(default_factory=QueueSection)
    api: ApiSection = field(default_factory=ApiSection)
    webhooks: WebhooksSection = field(default_factory=WebhooksSection)
    compliance: ComplianceSection = field(default_factory=ComplianceSection)
    autoreply: AutoreplySection = field(default_factory=AutoreplySection)
    inbound: InboundSection = field(default_factory=InboundSection)
    campaigns: CampaignsSection = field(default_factory=CampaignsSection)
    modems: tuple[ModemSection, ...] = ()
    source: Path | None = None

    @property
    def data_dir(self) -> Path:
        base = self.source.parent if self.source else Path.cwd()
        return (base / self.gateway.data_dir).resolve()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'cellgate.db'}"

    @property
    def secret_key_path(self) -> Path:
        if self.web.secret_key_file:
            return self.data_dir / self.web.secret_key_file
        return self.data_dir / "secret_key"


SECTIONS: dict[str, type[Any]] = {
    "gateway": GatewaySection,
    "database": DatabaseSection,
    "web": WebSection,
    "logging": LoggingSection,
    "queue": QueueSection,
    "api": ApiSection,
    "webhooks": WebhooksSection,
    "compliance": ComplianceSection,
    "autoreply": AutoreplySection,
    "inbound": InboundSection,
    "campaigns": CampaignsSection,
}
REPEATED_SECTIONS: dict[str, type[Any]] = {"modems": ModemSection}


def _build_section(cls: type[T], values: Any, where: str) -> T:
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where}: expected a table of keys")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for key in values:
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise ConfigError(f"{where}.{key}: unknown key (known keys: {known})")
    kwargs: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in values:
            if "example" in spec.metadata:
                raise ConfigError(f"{where}.{name}: required key is missing")
            continue
        try:
            kwargs[name] = spec.metadata["convert"](values[name])
        except ValueError as exc:
            raise ConfigError(f"{where}.{name}: {exc}") from None
    return cls(**kwargs)


def from_mapping(data: Mapping[str, Any], source: Path | None = None) -> Config:
    """Build a validated :class:`Config`; error messages name the key, not yet the file."""
    kwargs: dict[str, Any] = {"source": source}
    for name, value in data.items():
        if name in SECTIONS:
            kwargs[name] = _build_section(SECTIONS[name], value, name)
        elif name in REPEATED_SECTIONS:
            if not isinstance(value, list):
                raise ConfigError(f"{name}: expected [[{name}]] tables")
            kwargs[name] = tuple(
                _build_section(REPEATED_SECTIONS[name], entry, f"{name}[{index}]")
                for index, entry in enumerate(value)
            )
        else:
            known = ", ".join([*SECTIONS, *REPEATED_SECTIONS])
            raise ConfigError(f"{name}: unknown section (known sections: {known})")
    names = [modem.name for modem in kwargs.get("modems", ())]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"modems: duplicate modem name {duplicates[0]!r}")
    return Config(**kwargs)


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the file named by ``path``, else ``$CELLGATE_CONFIG``, else the defaults.

    Raises :class:`ConfigError` whose message is ``FILE: section.key: reason``.
    """
    chosen = path if path is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        return Config()
    file = Path(chosen).resolve()
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    try:
        return from_mapping(data, source=file)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return str(value)


def render_example() -> str:
    """The text of ``config.example.toml``: every key, commented out, at its default."""
    lines = [
        "# Cellgate configuration. Every key is listed at its default, commented out;",
        "# uncomment and change what you need. Use it with `cellgate -c FILE` or",
        f"# ${ENV_VAR}=FILE.",
    ]
    for name, cls in SECTIONS.items():
        lines += ["", f"[{name}]"]
        for spec in dataclasses.fields(cls):
            lines += [f"# {spec.metadata['help']}", f"# {spec.name} = {_toml_value(spec.default)}"]
    for name, cls in REPEATED_SECTIONS.items():
        lines += ["", f"# One [[{name}]] table per modem, e.g.:", f"# [[{name}]]"]
        for spec in dataclasses.fields(cls):
            if "example" in spec.metadata:
                value = _toml_value(spec.metadata["example"]) + "  # required"
            else:
                value = _toml_value(spec.default)
            lines += [f"# {spec.metadata['help']}", f"# {spec.name} = {value}"]
    return "\n".join(lines) + "\n"
