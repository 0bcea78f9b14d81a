"""Typed events: one frozen dataclass per event type, as the commands have
(:mod:`tijdreg.commands`). Instants are aware ``datetime`` (UTC), dates ``date``; structured
parts (a person, a session's timing, an entry…) are dicts of native values.

:class:`Recorded` wraps an event with who, when and which command (AUD-1). Both also read as
the JSON-like dicts they were before (``recorded["event"]["time"]``), so code written against
the dicts keeps working.

>>> e = event_from_dict({"type": "session_started", "session": "S-1"})
>>> e, e.session, e["type"]
(SessionStarted(session='S-1'), 'S-1', 'session_started')
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Any, ClassVar, Dict, FrozenSet, List, Mapping, Optional, Type

__all__ = [
    "Event", "Recorded", "UnknownEvent", "event_from_dict", "recorded_from_dict",
    "OrganisationCreated", "BranchAdded", "CallCreated", "ParameterSet", "ClosureDatesAdded",
    "PersonRegistered", "ProjectCreated", "TrainingAdded", "RoleGranted", "GrantRevoked",
    "WorkRelationshipAdded", "SessionPlanned", "SessionRescheduled", "TrainersAssigned",
    "SessionDeleted", "ParticipantAdded", "QrCodeToSend", "SessionStarted", "CheckedIn",
    "CheckedOut", "MarkedAbsent", "SessionClosed", "SessionSubmitted", "ProblemReported",
    "CorrectionWindowGranted", "SessionReopened", "AttendanceCorrected",
    "ElearningParticipantCreated", "ElearningHoursEntered", "ElearningEntryCorrected",
    "ElearningEntryApproved", "ElearningEntryRejected", "MlpProfileSet", "DeviceRegistered",
    "DeviceRevoked", "DeviceSynced", "OfflineScanApplied", "OfflineBatchReceived"
]


class _Readable:
    """Dict-style reading of a frozen dataclass (``x["field"]``, ``"field" in x``, ``x.get``)."""

    def __getitem__(self, key: str) -> Any:
        if key == "type":
            return getattr(self, "type")
        name = key + "_" if key == "from" else key
        if name not in getattr(self, "__dataclass_fields__", {}):
            raise KeyError(key)
        return getattr(self, name)

    def __contains__(self, key: object) -> bool:
        try:
            self[str(key)]
        except KeyError:
            return False
        return True

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


@dataclasses.dataclass(frozen=True)
class Event(_Readable):
    """Base of every event."""

    type: ClassVar[str] = ""

    def to_dict(self) -> Dict[str, Any]:
        """The event as a dict of native values, with its ``type``."""
        out: Dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is not None:
                out[f.name.rstrip("_")] = v
        return out


@dataclasses.dataclass(frozen=True)
class UnknownEvent(Event):
    """An event of a type this version of the package does not know (a newer engine)."""

    type_name: str = ""
    fields: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        if key == "type":
            return self.type_name
        return self.fields[key]


@dataclasses.dataclass(frozen=True)
class OrganisationCreated(Event):
    """``organisation_created``."""

    type: ClassVar[str] = "organisation_created"
    organisation: str
    name: str

@dataclasses.dataclass(frozen=True)
class BranchAdded(Event):
    """``branch_added``."""

    type: ClassVar[str] = "branch_added"
    organisation: str
    branch: str
    name: str

@dataclasses.dataclass(frozen=True)
class CallCreated(Event):
    """``call_created``."""

    type: ClassVar[str] = "call_created"
    call: str
    name: str

@dataclasses.dataclass(frozen=True)
class ParameterSet(Event):
    """``parameter_set``."""

    type: ClassVar[str] = "parameter_set"
    call: str
    valid_from: _dt.date
    parameter: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class ClosureDatesAdded(Event):
    """``closure_dates_added``."""

    type: ClassVar[str] = "closure_dates_added"
    call: str
    dates: List[_dt.date]

@dataclasses.dataclass(frozen=True)
class PersonRegistered(Event):
    """``person_registered``."""

    type: ClassVar[str] = "person_registered"
    person: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class ProjectCreated(Event):
    """``project_created``."""

    type: ClassVar[str] = "project_created"
    project: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class TrainingAdded(Event):
    """``training_added``."""

    type: ClassVar[str] = "training_added"
    training: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class RoleGranted(Event):
    """``role_granted``."""

    type: ClassVar[str] = "role_granted"
    grant: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class GrantRevoked(Event):
    """``grant_revoked``."""

    type: ClassVar[str] = "grant_revoked"
    grant: str
    at: _dt.datetime

@dataclasses.dataclass(frozen=True)
class WorkRelationshipAdded(Event):
    """``work_relationship_added``."""

    type: ClassVar[str] = "work_relationship_added"
    relationship: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class SessionPlanned(Event):
    """``session_planned``."""

    type: ClassVar[str] = "session_planned"
    session: str
    project: str
    training: str
    owner: str
    timing: Dict[str, Any]
    location: Optional[str]
    trainers: List[str]
    participants: List[str]

@dataclasses.dataclass(frozen=True)
class SessionRescheduled(Event):
    """``session_rescheduled``."""

    type: ClassVar[str] = "session_rescheduled"
    session: str
    timing: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class TrainersAssigned(Event):
    """``trainers_assigned``."""

    type: ClassVar[str] = "trainers_assigned"
    session: str
    trainers: List[str]

@dataclasses.dataclass(frozen=True)
class SessionDeleted(Event):
    """``session_deleted``."""

    type: ClassVar[str] = "session_deleted"
    session: str

@dataclasses.dataclass(frozen=True)
class ParticipantAdded(Event):
    """``participant_added``."""

    type: ClassVar[str] = "participant_added"
    session: str
    person: str

@dataclasses.dataclass(frozen=True)
class QrCodeToSend(Event):
    """``qr_code_to_send``."""

    type: ClassVar[str] = "qr_code_to_send"
    person: str
    project: str

@dataclasses.dataclass(frozen=True)
class SessionStarted(Event):
    """``session_started``."""

    type: ClassVar[str] = "session_started"
    session: str

@dataclasses.dataclass(frozen=True)
class CheckedIn(Event):
    """``checked_in``."""

    type: ClassVar[str] = "checked_in"
    session: str
    person: str
    time: _dt.datetime
    method: str
    late: bool

@dataclasses.dataclass(frozen=True)
class CheckedOut(Event):
    """``checked_out``."""

    type: ClassVar[str] = "checked_out"
    session: str
    person: str
    time: _dt.datetime
    method: str
    late: bool

@dataclasses.dataclass(frozen=True)
class MarkedAbsent(Event):
    """``marked_absent``."""

    type: ClassVar[str] = "marked_absent"
    session: str
    person: str

@dataclasses.dataclass(frozen=True)
class SessionClosed(Event):
    """``session_closed``."""

    type: ClassVar[str] = "session_closed"
    session: str

@dataclasses.dataclass(frozen=True)
class SessionSubmitted(Event):
    """``session_submitted``."""

    type: ClassVar[str] = "session_submitted"
    session: str

@dataclasses.dataclass(frozen=True)
class ProblemReported(Event):
    """``problem_reported``."""

    type: ClassVar[str] = "problem_reported"
    session: str
    description: str

@dataclasses.dataclass(frozen=True)
class CorrectionWindowGranted(Event):
    """``correction_window_granted``."""

    type: ClassVar[str] = "correction_window_granted"
    session: str
    from_: _dt.datetime
    until: _dt.datetime

@dataclasses.dataclass(frozen=True)
class SessionReopened(Event):
    """``session_reopened``."""

    type: ClassVar[str] = "session_reopened"
    session: str

@dataclasses.dataclass(frozen=True)
class AttendanceCorrected(Event):
    """``attendance_corrected``."""

    type: ClassVar[str] = "attendance_corrected"
    session: str
    person: str
    intervals: List[Dict[str, Any]]

@dataclasses.dataclass(frozen=True)
class ElearningParticipantCreated(Event):
    """``elearning_participant_created``."""

    type: ClassVar[str] = "elearning_participant_created"
    project: str
    person: str
    supervisor: str

@dataclasses.dataclass(frozen=True)
class ElearningHoursEntered(Event):
    """``elearning_hours_entered``."""

    type: ClassVar[str] = "elearning_hours_entered"
    entry: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class ElearningEntryCorrected(Event):
    """``elearning_entry_corrected``."""

    type: ClassVar[str] = "elearning_entry_corrected"
    entry: str
    input: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class ElearningEntryApproved(Event):
    """``elearning_entry_approved``."""

    type: ClassVar[str] = "elearning_entry_approved"
    entry: str

@dataclasses.dataclass(frozen=True)
class ElearningEntryRejected(Event):
    """``elearning_entry_rejected``."""

    type: ClassVar[str] = "elearning_entry_rejected"
    entry: str
    reason: str

@dataclasses.dataclass(frozen=True)
class MlpProfileSet(Event):
    """``mlp_profile_set``."""

    type: ClassVar[str] = "mlp_profile_set"
    person: str
    fields: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class DeviceRegistered(Event):
    """``device_registered``."""

    type: ClassVar[str] = "device_registered"
    device: Dict[str, Any]

@dataclasses.dataclass(frozen=True)
class DeviceRevoked(Event):
    """``device_revoked``."""

    type: ClassVar[str] = "device_revoked"
    device: str

@dataclasses.dataclass(frozen=True)
class DeviceSynced(Event):
    """``device_synced``."""

    type: ClassVar[str] = "device_synced"
    device: str

@dataclasses.dataclass(frozen=True)
class OfflineScanApplied(Event):
    """``offline_scan_applied``."""

    type: ClassVar[str] = "offline_scan_applied"
    session: str
    person: str
    kind: str
    time: _dt.datetime
    device: str
    seq: int
    clock_suspect: bool

@dataclasses.dataclass(frozen=True)
class OfflineBatchReceived(Event):
    """``offline_batch_received``."""

    type: ClassVar[str] = "offline_batch_received"
    device: str
    scanned_by: str
    results: List[Dict[str, Any]]


_CLASSES: List[Type[Event]] = [OrganisationCreated, BranchAdded, CallCreated, ParameterSet, ClosureDatesAdded, PersonRegistered, ProjectCreated, TrainingAdded, RoleGranted, GrantRevoked, WorkRelationshipAdded, SessionPlanned, SessionRescheduled, TrainersAssigned, SessionDeleted, ParticipantAdded, QrCodeToSend, SessionStarted, CheckedIn, CheckedOut, MarkedAbsent, SessionClosed, SessionSubmitted, ProblemReported, CorrectionWindowGranted, SessionReopened, AttendanceCorrected, ElearningParticipantCreated, ElearningHoursEntered, ElearningEntryCorrected, ElearningEntryApproved, ElearningEntryRejected, MlpProfileSet, DeviceRegistered, DeviceRevoked, DeviceSynced, OfflineScanApplied, OfflineBatchReceived]
_BY_TYPE: Dict[str, Type[Event]] = {c.type: c for c in _CLASSES if c.type}
# Each class's field names, looked up once rather than per event.
_NAMES: Dict[str, FrozenSet[str]] = {c.type: frozenset(f.name for f in dataclasses.fields(c)) for c in _CLASSES}


def event_from_dict(d: Mapping[str, Any]) -> Event:
    """The typed event of an event dict (native values, with its ``type``)."""
    cls = _BY_TYPE.get(str(d.get("type", "")))
    if cls is None:
        return UnknownEvent(type_name=str(d.get("type", "")), fields={k: v for k, v in d.items() if k != "type"})
    names = _NAMES[cls.type]
    kwargs = {}
    for k, v in d.items():
        if k == "type":
            continue
        name = k + "_" if k == "from" else k
        if name in names:
            kwargs[name] = v
    for name in names - kwargs.keys():
        kwargs[name] = None  # an optional field the engine left out
    return cls(**kwargs)


@dataclasses.dataclass(frozen=True)
class Recorded(_Readable):
    """An event as recorded (AUD-1): its sequence number, command, actor and instant."""

    seq: int
    command_id: str
    actor: str
    at: _dt.datetime
    event: Event
    fingerprint: str = ""
    hash: str = ""


def recorded_from_dict(d: Mapping[str, Any]) -> Recorded:
    """A recorded event dict (native values) as :class:`Recorded` with a typed event."""
    return Recorded(seq=int(d["seq"]), command_id=str(d["command_id"]), actor=str(d["actor"]), at=d["at"],
                    event=event_from_dict(d["event"]), fingerprint=str(d.get("fingerprint", "")),
                    hash=str(d.get("hash", "")))
