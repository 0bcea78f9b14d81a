//! Events: what happened. The state is the fold of its events (AUD-2); each is recorded with
//! who, when and which command (AUD-1).

use crate::access::{Grant, WorkRelationship};
use crate::elearning::{Entry, EntryInput};
use crate::identity::Person;
use crate::ids::*;
use crate::offline::{Device, ScanKind, ScanResult};
use crate::org::{Project, Training};
use crate::params::ParamValue;
use crate::session::{Interval, Method, Timing};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

crate::tagged::tagged_enum! {
/// Everything that can happen. Serialised with a `type` tag in snake_case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Event / EventMirror ("an event: an object with a type") {
    OrganisationCreated {
        organisation: OrgId,
        name: String,
    },
    BranchAdded {
        organisation: OrgId,
        branch: BranchId,
        name: String,
    },
    CallCreated {
        call: CallId,
        name: String,
    },
    ParameterSet {
        call: CallId,
        valid_from: NaiveDate,
        parameter: ParamValue,
    },
    ClosureDatesAdded {
        call: CallId,
        dates: Vec<NaiveDate>,
    },
    PersonRegistered {
        person: Person,
    },
    ProjectCreated {
        project: Project,
    },
    TrainingAdded {
        training: Training,
    },
    RoleGranted {
        grant: Grant,
    },
    GrantRevoked {
        grant: GrantId,
        at: DateTime<Utc>,
    },
    WorkRelationshipAdded {
        relationship: WorkRelationship,
    },
    SessionPlanned {
        session: SessionId,
        project: ProjectId,
        training: TrainingId,
        owner: OrgId,
        timing: Timing,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        trainers: BTreeSet<PersonId>,
        participants: BTreeSet<PersonId>,
    },
    SessionRescheduled {
        session: SessionId,
        timing: Timing,
    },
    TrainersAssigned {
        session: SessionId,
        trainers: BTreeSet<PersonId>,
    },
    SessionDeleted {
        session: SessionId,
    },
    ParticipantAdded {
        session: SessionId,
        person: PersonId,
    },
    /// Effect for the host (QR-1): mail the QR code to this participant.
    QrCodeToSend {
        person: PersonId,
        project: ProjectId,
    },
    SessionStarted {
        session: SessionId,
    },
    CheckedIn {
        session: SessionId,
        person: PersonId,
        #[serde(with = "crate::calendar::instant_serde")]
        time: DateTime<Utc>,
        method: Method,
        late: bool,
    },
    CheckedOut {
        session: SessionId,
        person: PersonId,
        #[serde(with = "crate::calendar::instant_serde")]
        time: DateTime<Utc>,
        method: Method,
        late: bool,
    },
    MarkedAbsent {
        session: SessionId,
        person: PersonId,
    },
    SessionClosed {
        session: SessionId,
    },
    SessionSubmitted {
        session: SessionId,
    },
    ProblemReported {
        session: SessionId,
        description: String,
    },
    CorrectionWindowGranted {
        session: SessionId,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    SessionReopened {
        session: SessionId,
    },
    AttendanceCorrected {
        session: SessionId,
        person: PersonId,
        intervals: Vec<Interval>,
    },
    ElearningParticipantCreated {
        project: ProjectId,
        person: PersonId,
        supervisor: PersonId,
    },
    ElearningHoursEntered {
        entry: Entry,
    },
    ElearningEntryCorrected {
        entry: EntryId,
        input: EntryInput,
    },
    ElearningEntryApproved {
        entry: EntryId,
    },
    ElearningEntryRejected {
        entry: EntryId,
        reason: String,
    },
    MlpProfileSet {
        person: PersonId,
        fields: BTreeMap<String, String>,
    },
    DeviceRegistered {
        device: Device,
    },
    DeviceRevoked {
        device: DeviceId,
    },
    DeviceSynced {
        device: DeviceId,
    },
    OfflineScanApplied {
        session: SessionId,
        person: PersonId,
        kind: ScanKind,
        #[serde(with = "crate::calendar::instant_serde")]
        time: DateTime<Utc>,
        device: DeviceId,
        seq: u64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        clock_suspect: bool,
    },
    OfflineBatchReceived {
        device: DeviceId,
        scanned_by: PersonId,
        results: Vec<ScanResult>,
    },
}
}

impl Event {
    /// The session the event is about, if any.
    pub fn session(&self) -> Option<&SessionId> {
        match self {
            Event::SessionPlanned { session, .. }
            | Event::SessionRescheduled { session, .. }
            | Event::TrainersAssigned { session, .. }
            | Event::SessionDeleted { session }
            | Event::ParticipantAdded { session, .. }
            | Event::SessionStarted { session }
            | Event::CheckedIn { session, .. }
            | Event::CheckedOut { session, .. }
            | Event::OfflineScanApplied { session, .. }
            | Event::MarkedAbsent { session, .. }
            | Event::SessionClosed { session }
            | Event::SessionSubmitted { session }
            | Event::ProblemReported { session, .. }
            | Event::CorrectionWindowGranted { session, .. }
            | Event::SessionReopened { session }
            | Event::AttendanceCorrected { session, .. } => Some(session),
            _ => None,
        }
    }

    /// The e-learning entry the event is about, if any.
    pub fn entry(&self) -> Option<&EntryId> {
        match self {
            Event::ElearningHoursEntered { entry } => Some(&entry.id),
            Event::ElearningEntryCorrected { entry, .. }
            | Event::ElearningEntryApproved { entry }
            | Event::ElearningEntryRejected { entry, .. } => Some(entry),
            _ => None,
        }
    }

    /// The event's type tag, as serialised.
    pub fn kind(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_owned)))
            .unwrap_or_default()
    }
}

/// Events as a preview or what-if shows them (AUD-5): national numbers (ID-3) and device
/// keys (ATT-6) masked.
///
/// A `Previewed` is a list of [`Event`]s (it dereferences to `[Event]`); only its JSON differs
/// from the stored form: every `insz` prints as `YY.MM.DD-xxx.xx`. The number stays in
/// storage (the event log and the snapshot, ADR 06) and nowhere else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Previewed(pub Vec<Event>);

impl std::ops::Deref for Previewed {
    type Target = [Event];
    fn deref(&self) -> &[Event] {
        &self.0
    }
}

impl IntoIterator for Previewed {
    type Item = Event;
    type IntoIter = std::vec::IntoIter<Event>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for Previewed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
        mask_secrets(&mut v);
        v.serialize(s)
    }
}

/// Masks what only storage keeps in a JSON answer: every national number (ID-3: each string
/// under an `insz` key becomes `YY.MM.DD-xxx.xx`, or all `x` when it does not parse) and
/// every device key (ATT-6: `device_key` becomes `…`).
pub fn mask_secrets(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                match x {
                    Value::String(s) if k == "insz" => {
                        *s = crate::identity::Insz::parse(s)
                            .map_or_else(|_| "xx.xx.xx-xxx.xx".to_owned(), |n| n.masked());
                    }
                    Value::String(s) if k == "device_key" => *s = "…".to_owned(),
                    _ => mask_secrets(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}
