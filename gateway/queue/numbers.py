"""Phone numbers as the queue stores them: E.164, whatever the user typed."""

from __future__ import annotations

import phonenumbers

from gateway.errors import ValidationError


def normalise_number(raw: str, region: str, *, field: str = "to") -> str:
    """E.164 for ``raw``; numbers without a country code are read as from ``region``.

    Raises :class:`ValidationError` naming ``field`` when it is not a possible number.
    """
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"{raw!r} is not a phone number: {exc}", field=field) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(f"{raw!r} is not a possible phone number", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
