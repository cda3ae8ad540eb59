"""What people type, checked: email addresses, cadences and time zones (BadInput says what is wrong)."""

from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from digest.accounts.slots import zone
from digest.mail.suppression import canonical_address
from digest.store.models import Cadence


class BadInput(ValueError):
    """Input a person typed that we cannot use; the message says why in plain words."""


@lru_cache(maxsize=256)  # a request checks its address at the door and again in the use case it calls
def normalize_email(address: str) -> str:
    """The canonical stored form of an address we can deliver to (no DNS lookups); BadInput otherwise.
    A non-ASCII local part is kept (it goes out with SMTPUTF8, which SendGrid supports too); an
    internationalised domain is stored IDNA-encoded (xn--), the form every mail server routes."""
    try:
        checked = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        why = str(exc)
        raise BadInput(f"That email address does not look right: {why[:1].lower()}{why[1:]}") from None
    return canonical_address(f"{checked.local_part}@{checked.ascii_domain}")


def parse_cadence(value: str) -> Cadence:
    try:
        return Cadence(value.strip().lower())
    except ValueError:
        raise BadInput(f"Cadence must be hourly, daily or weekly, not {value!r}.") from None


def check_timezone(name: str) -> str:
    name = name.strip()
    try:
        zone(name)
    except ValueError:
        hint = "use an IANA name such as Europe/Berlin or America/New_York"
        raise BadInput(f"Unknown time zone {name!r}: {hint}.") from None
    return name
