"""Typed commands. Each is a frozen dataclass; ``to_dict()`` gives the engine's JSON.

Dates are ``datetime.date``, local times ``datetime.time``, instants aware ``datetime``,
money and ratios ``Decimal``. The comment of each class says who may issue it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from decimal import Decimal
from typing import Any, ClassVar, Dict, Optional, Sequence, Union

from ._convert import to_json

__all__ = [
    "Command", "Break", "Interval", "Parameter", "CreateOrganisation", "AddBranch", "CreateCall", "SetParameter",
    "AddClosureDates", "RegisterPerson", "CreateProject", "AddTraining", "GrantRole", "RevokeGrant",
    "AddWorkRelationship", "PlanSession", "RescheduleSession", "AssignTrainers", "DeleteSession",
    "AddParticipant", "StartSession", "CloseSession", "CheckIn", "CheckOut", "MarkAbsent", "SubmitSession",
    "ReportProblem", "GrantCorrectionWindow", "ReopenSession", "CorrectAttendance",
    "CreateElearningParticipant", "EnterElearningHours", "CorrectElearningEntry", "ApproveElearningEntry",
    "RejectElearningEntry", "SetMlpProfile",
]


@dataclasses.dataclass(frozen=True)
class Command:
    """Base of every command."""

    type: ClassVar[str] = ""

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is None:
                continue
            out[f.name.rstrip("_")] = to_json(v, where=f"{self.type}.{f.name}")
        return out


@dataclasses.dataclass(frozen=True)
class Break:
    """A planned break (local times)."""

    start: _dt.time
    end: _dt.time

    def to_dict(self) -> Dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclasses.dataclass(frozen=True)
class Interval:
    """An attendance interval (aware instants)."""

    check_in: _dt.datetime
    check_out: _dt.datetime

    def to_dict(self) -> Dict[str, Any]:
        return {"check_in": to_json(self.check_in), "check_out": to_json(self.check_out)}


ParamValue = Union[Decimal, int, bool, str, None, Dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A call parameter (rule ORG-3), e.g. ``Parameter("unit_cost_per_participant_hour", Decimal("12.50"))``."""

    name: str
    value: ParamValue

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "value": to_json(self.value, where=self.name)}


@dataclasses.dataclass(frozen=True)
class CreateOrganisation(Command):
    """System (ORG-1)."""

    type: ClassVar[str] = "create_organisation"
    organisation: str
    name: str


@dataclasses.dataclass(frozen=True)
class AddBranch(Command):
    """System (ORG-1)."""

    type: ClassVar[str] = "add_branch"
    organisation: str
    branch: str
    name: str


@dataclasses.dataclass(frozen=True)
class CreateCall(Command):
    """System (ORG-3)."""

    type: ClassVar[str] = "create_call"
    call: str
    name: str


@dataclasses.dataclass(frozen=True)
class SetParameter(Command):
    """System (ORG-3): a parameter value in force from a date."""

    type: ClassVar[str] = "set_parameter"
    call: str
    valid_from: _dt.date
    parameter: Parameter


@dataclasses.dataclass(frozen=True)
class AddClosureDates(Command):
    """System (DL-3)."""

    type: ClassVar[str] = "add_closure_dates"
    call: str
    dates: Sequence[_dt.date]


@dataclasses.dataclass(frozen=True)
class RegisterPerson(Command):
    """System (ID-1, ID-2)."""

    type: ClassVar[str] = "register_person"
    person: str
    name: str
    email: str
    insz: Optional[str] = None
    birth_date: Optional[_dt.date] = None
    organisation: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class CreateProject(Command):
    """System (ORG-1)."""

    type: ClassVar[str] = "create_project"
    project: str
    number: str
    call: str
    promoter: str
    branch: Optional[str] = None
    partners: Sequence[str] = ()


@dataclasses.dataclass(frozen=True)
class AddTraining(Command):
    """System (ORG-2). ``kind`` is ``"Classroom"`` or ``"ELearning"``."""

    type: ClassVar[str] = "add_training"
    training: str
    project: str
    code: str
    name: str
    kind: str = "Classroom"


@dataclasses.dataclass(frozen=True)
class GrantRole(Command):
    """System (ACC-1, ACC-2)."""

    type: ClassVar[str] = "grant_role"
    grant: str
    person: str
    role: str
    organisation: str
    valid_from: _dt.date
    valid_until: Optional[_dt.date] = None
    branch: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class RevokeGrant(Command):
    """System (ACC-2)."""

    type: ClassVar[str] = "revoke_grant"
    grant: str


@dataclasses.dataclass(frozen=True)
class AddWorkRelationship(Command):
    """System (ACC-3). ``kind``: ``Permanent``, ``External`` or ``Delegated``."""

    type: ClassVar[str] = "add_work_relationship"
    relationship: str
    person: str
    organisation: str
    promoter: str
    kind: str
    valid_from: _dt.date
    valid_until: Optional[_dt.date] = None


@dataclasses.dataclass(frozen=True)
class PlanSession(Command):
    """OrganisationResponsible (SES-1, SES-2)."""

    type: ClassVar[str] = "plan_session"
    session: str
    training: str
    date: _dt.date
    start: _dt.time
    end: _dt.time
    trainers: Sequence[str] = ()
    participants: Sequence[str] = ()
    location: Optional[str] = None
    breaks: Sequence[Break] = ()


@dataclasses.dataclass(frozen=True)
class RescheduleSession(Command):
    """OrganisationResponsible (SES-1, SES-2)."""

    type: ClassVar[str] = "reschedule_session"
    session: str
    date: _dt.date
    start: _dt.time
    end: _dt.time
    breaks: Sequence[Break] = ()


@dataclasses.dataclass(frozen=True)
class AssignTrainers(Command):
    """OrganisationResponsible (SES-2)."""

    type: ClassVar[str] = "assign_trainers"
    session: str
    trainers: Sequence[str]


@dataclasses.dataclass(frozen=True)
class DeleteSession(Command):
    """OrganisationResponsible (SES-4)."""

    type: ClassVar[str] = "delete_session"
    session: str


@dataclasses.dataclass(frozen=True)
class AddParticipant(Command):
    """OrganisationResponsible (QR-1, QR-3)."""

    type: ClassVar[str] = "add_participant"
    session: str
    person: str


@dataclasses.dataclass(frozen=True)
class StartSession(Command):
    """Trainer or OrganisationResponsible (SES-3)."""

    type: ClassVar[str] = "start_session"
    session: str


@dataclasses.dataclass(frozen=True)
class CloseSession(Command):
    """Trainer or OrganisationResponsible (SES-3, SES-6)."""

    type: ClassVar[str] = "close_session"
    session: str


@dataclasses.dataclass(frozen=True)
class CheckIn(Command):
    """Trainer or OrganisationResponsible (ATT-1..4): by ``person`` or by ``token``."""

    type: ClassVar[str] = "check_in"
    session: str
    person: Optional[str] = None
    token: Optional[str] = None
    time: Optional[_dt.datetime] = None


@dataclasses.dataclass(frozen=True)
class CheckOut(Command):
    """Trainer or OrganisationResponsible (ATT-1..4): by ``person`` or by ``token``."""

    type: ClassVar[str] = "check_out"
    session: str
    person: Optional[str] = None
    token: Optional[str] = None
    time: Optional[_dt.datetime] = None


@dataclasses.dataclass(frozen=True)
class MarkAbsent(Command):
    """Trainer or OrganisationResponsible (ATT-5)."""

    type: ClassVar[str] = "mark_absent"
    session: str
    person: str


@dataclasses.dataclass(frozen=True)
class SubmitSession(Command):
    """The promoter organisation's OrganisationResponsible (SES-3, ORG-4)."""

    type: ClassVar[str] = "submit_session"
    session: str


@dataclasses.dataclass(frozen=True)
class ReportProblem(Command):
    """OrganisationResponsible (DL-2), up to the deadline."""

    type: ClassVar[str] = "report_problem"
    session: str
    description: str


@dataclasses.dataclass(frozen=True)
class GrantCorrectionWindow(Command):
    """EsfSupport (DL-2)."""

    type: ClassVar[str] = "grant_correction_window"
    session: str
    from_: _dt.datetime
    until: _dt.datetime


@dataclasses.dataclass(frozen=True)
class ReopenSession(Command):
    """EsfSupport (SES-5)."""

    type: ClassVar[str] = "reopen_session"
    session: str


@dataclasses.dataclass(frozen=True)
class CorrectAttendance(Command):
    """OrganisationResponsible on a reopened session (SES-5)."""

    type: ClassVar[str] = "correct_attendance"
    session: str
    person: str
    intervals: Sequence[Interval]


@dataclasses.dataclass(frozen=True)
class CreateElearningParticipant(Command):
    """OrganisationResponsible (EL-1)."""

    type: ClassVar[str] = "create_elearning_participant"
    project: str
    person: str
    supervisor: str


@dataclasses.dataclass(frozen=True)
class EnterElearningHours(Command):
    """The participant (EL-1, EL-3)."""

    type: ClassVar[str] = "enter_elearning_hours"
    entry: str
    training: str
    date: _dt.date
    minutes: int
    start: Optional[_dt.time] = None
    end: Optional[_dt.time] = None


@dataclasses.dataclass(frozen=True)
class CorrectElearningEntry(Command):
    """The participant, after a rejection (EL-3)."""

    type: ClassVar[str] = "correct_elearning_entry"
    entry: str
    date: _dt.date
    minutes: int
    start: Optional[_dt.time] = None
    end: Optional[_dt.time] = None


@dataclasses.dataclass(frozen=True)
class ApproveElearningEntry(Command):
    """The linked supervisor (EL-2)."""

    type: ClassVar[str] = "approve_elearning_entry"
    entry: str


@dataclasses.dataclass(frozen=True)
class RejectElearningEntry(Command):
    """The linked supervisor (EL-2)."""

    type: ClassVar[str] = "reject_elearning_entry"
    entry: str
    reason: str


@dataclasses.dataclass(frozen=True)
class SetMlpProfile(Command):
    """OrganisationResponsible (MLP-1)."""

    type: ClassVar[str] = "set_mlp_profile"
    project: str
    person: str
    fields: Dict[str, str]


