"""tijdreg — the rules of ESF Vlaanderen training attendance as a library.

Every refusal is a :class:`Error` with ``.code``, ``.rule`` (a rule ID of docs/rules.md), ``.message``
(Dutch), ``.message_en`` and ``.kind``; subclasses tell the kind. A fault inside the engine
(a bug, never a verdict) is an :class:`InternalError` of kind ``internal``. A :class:`Ledger`
may be shared between threads: calls are serialised by a lock inside, and a waiting thread
does not hold the GIL. Instants are aware ``datetime``
(judged in Europe/Brussels), money and hours ``Decimal``.
"""

from . import commands, events
from ._tijdreg import (
    VERSION,
    AccessDeniedError,
    ConflictError,
    Error,
    Insz,
    InternalError,
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
    "VERSION", "AccessDeniedError", "ConflictError", "Error", "Failed", "Insz", "InternalError", "InvalidInputError", "Keyring",
    "Ledger", "NotFoundError", "Outcome", "RejectedError", "Report", "commands", "easter", "is_working_day",
    "next_working_day", "registration_deadline", "report_from_records", "events",
]
