"""tijdreg — the rules of ESF Vlaanderen training attendance as a library.

Every refusal is a :class:`Error` with ``.code``, ``.rule`` (a SPEC.md rule ID), ``.message``
(Dutch) and ``.message_en``; subclasses tell the kind. Instants are aware ``datetime``
(judged in Europe/Brussels), money and hours ``Decimal``.
"""

from . import commands
from ._tijdreg import (
    VERSION,
    AccessDeniedError,
    ConflictError,
    Error,
    Insz,
    InvalidInputError,
    Keyring,
    NotFoundError,
    RejectedError,
    Report,
    easter,
    is_working_day,
    next_working_day,
    registration_deadline,
)
from .ledger import Failed, Ledger, Outcome
from .records import report_from_records

__version__ = VERSION

__all__ = [
    "VERSION", "AccessDeniedError", "ConflictError", "Error", "Failed", "Insz", "InvalidInputError", "Keyring",
    "Ledger", "NotFoundError", "Outcome", "RejectedError", "Report", "commands", "easter", "is_working_day",
    "next_working_day", "registration_deadline", "report_from_records",
]
