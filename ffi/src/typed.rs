//! The typed uniffi surface (issue 15): records, enums and objects for what a scanner app and a
//! small host do, beside the JSON one. Instants are `SystemTime` (Kotlin `java.time.Instant`,
//! Swift `Date`, Python `datetime`), days, times of day and money are custom types mapped in
//! `uniffi.toml` to `java.time.LocalDate` / `LocalTime` / `java.math.BigDecimal` in Kotlin,
//! `datetime.date` / `datetime.time` / `decimal.Decimal` in Python and `Decimal` in Swift.
//!
//! Nothing is decided here: a typed command becomes the core's command (through the one
//! decoder the JSON surface uses, so the refusals are the same), a core event or view becomes
//! a typed record.

use crate::{Engine, TijdregError};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tijdreg::Error;
use tijdreg::ledger::{Actor, Envelope, Event, query};
use tijdreg::offline::{self, OfflineQueue, ScanStatus};
use tijdreg::session::{Method, SessionStatus};

/// A Brussels calendar day (`YYYY-MM-DD` across the boundary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day(pub NaiveDate);

/// A local time of day in Brussels (`HH:MM:SS` across the boundary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockTime(pub NaiveTime);

/// An exact decimal (money in euro, hours): never a float (a decimal string across the
/// boundary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Decimal);

/// A value the foreign side sent that does not fit: the binding's `TijdregError`.
fn bad<T>(en: &str, nl: &str) -> uniffi::Result<T> {
    Err(TijdregError::from(Error::invalid(en, nl)).into())
}

uniffi::custom_type!(Day, String, {
    lower: |d| d.0.to_string(),
    try_lift: |s| match NaiveDate::from_str(&s) {
        Ok(d) => Ok(Day(d)),
        Err(_) => bad("a day: expected YYYY-MM-DD", "een dag: verwacht JJJJ-MM-DD"),
    },
});

uniffi::custom_type!(ClockTime, String, {
    lower: |t| t.0.format("%H:%M:%S").to_string(),
    try_lift: |s| match NaiveTime::from_str(&s) {
        Ok(t) => Ok(ClockTime(t)),
        Err(_) => bad("a time of day: expected HH:MM[:SS]", "een tijdstip: verwacht UU:MM[:SS]"),
    },
});

uniffi::custom_type!(Amount, String, {
    lower: |a| a.0.normalize().to_string(),
    try_lift: |s| match Decimal::from_str(&s) {
        Ok(d) => Ok(Amount(d)),
        Err(_) => bad("a decimal number", "een decimaal getal"),
    },
});

/// A host's instant as chrono's. One beyond chrono's years (about ±262,000; Kotlin's
/// `Instant.MAX` is the year 1,000,000,000) becomes the nearest chrono has, far outside the
/// years the engine counts, which its limits then refuse by field (AUD-3) as any such
/// instant; chrono's own `From<SystemTime>` panics on it.
fn utc(t: SystemTime) -> DateTime<Utc> {
    let (first, last) = (sys(DateTime::<Utc>::MIN_UTC), sys(DateTime::<Utc>::MAX_UTC));
    DateTime::<Utc>::from(t.clamp(first, last))
}

fn sys(t: DateTime<Utc>) -> SystemTime {
    SystemTime::from(t)
}

fn rfc(t: SystemTime) -> String {
    utc(t).to_rfc3339()
}

/// Who sends a command, when, under which id (AUD-1, ATT-3: the same id again is a retry).
#[derive(uniffi::Record, Clone)]
pub struct Context {
    /// The client's command id.
    pub command_id: String,
    /// `system` or a person id.
    pub actor: String,
    /// The instant of the command.
    pub at: SystemTime,
}

/// Who a registration is about: a scanned QR token (QR-2) or a person entered by hand.
#[derive(uniffi::Enum, Clone)]
pub enum Who {
    /// A scanned token.
    Token {
        /// The token.
        token: String,
    },
    /// A person, by hand.
    Person {
        /// The person id.
        person: String,
    },
}

impl Who {
    fn fields(&self) -> (Value, Value) {
        match self {
            Who::Token { token } => (Value::Null, json!(token)),
            Who::Person { person } => (json!(person), Value::Null),
        }
    }
}

/// Check-in or check-out.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanKind {
    /// Check-in.
    CheckIn,
    /// Check-out.
    CheckOut,
}

impl From<ScanKind> for offline::ScanKind {
    fn from(k: ScanKind) -> Self {
        match k {
            ScanKind::CheckIn => offline::ScanKind::CheckIn,
            ScanKind::CheckOut => offline::ScanKind::CheckOut,
        }
    }
}

impl From<offline::ScanKind> for ScanKind {
    fn from(k: offline::ScanKind) -> Self {
        match k {
            offline::ScanKind::CheckIn => ScanKind::CheckIn,
            offline::ScanKind::CheckOut => ScanKind::CheckOut,
        }
    }
}

/// The commands a scanner sends (SES-3, ATT-1..6).
#[derive(uniffi::Enum, Clone)]
pub enum ScannerCommand {
    /// Starts a session (SES-3).
    StartSession {
        /// Session.
        session: String,
    },
    /// Closes a session; whoever is present is checked out at the planned end at the latest
    /// (SES-6).
    CloseSession {
        /// Session.
        session: String,
    },
    /// Checks a participant in (ATT-1); `time` defaults to the command's instant.
    CheckIn {
        /// Session.
        session: String,
        /// Token or person.
        who: Who,
        /// When, if not the command's instant.
        time: Option<SystemTime>,
    },
    /// Checks a participant out (ATT-1).
    CheckOut {
        /// Session.
        session: String,
        /// Token or person.
        who: Who,
        /// When, if not the command's instant.
        time: Option<SystemTime>,
    },
    /// Marks a participant absent (ATT-5).
    MarkAbsent {
        /// Session.
        session: String,
        /// Person.
        person: String,
    },
    /// Records a synchronisation of the device (ATT-6); the answer's instant is what the
    /// device's [`OfflineScanner::synced`] needs.
    SyncDevice {
        /// Device.
        device: String,
    },
    /// Sends the offline scans (ATT-6).
    SubmitOfflineBatch {
        /// The signed batch from [`OfflineScanner::batch`].
        batch: OfflineBatch,
    },
}

/// The commands a small host sends to set up a project (ORG, ID, ACC, SES, ATT-6).
#[derive(uniffi::Enum, Clone)]
pub enum HostCommand {
    /// System: an organisation (ORG-1).
    CreateOrganisation {
        /// Id.
        organisation: String,
        /// Name.
        name: String,
    },
    /// System: a funding call (ORG-3).
    CreateCall {
        /// Id.
        call: String,
        /// Name.
        name: String,
    },
    /// System: a call parameter from a date (ORG-3); `value` as in the rulebook (a decimal,
    /// a whole number, `true`/`false`).
    SetParameter {
        /// Call.
        call: String,
        /// From.
        valid_from: Day,
        /// Name (rule ORG-3, docs/rules.md).
        name: String,
        /// Value.
        value: String,
    },
    /// System: a person (ID-1, ID-2).
    RegisterPerson {
        /// Id.
        person: String,
        /// Name.
        name: String,
        /// E-mail address.
        email: String,
        /// National number (stored, never shown: ID-3).
        insz: Option<String>,
        /// Employer.
        organisation: Option<String>,
    },
    /// System: a role for an organisation with a validity period (ACC-1, ACC-2).
    GrantRole {
        /// Id.
        grant: String,
        /// Person.
        person: String,
        /// `OrganisationResponsible`, `Trainer`, `ProjectStaff`, `Supervisor`, `EsfSupport`.
        role: String,
        /// Organisation.
        organisation: String,
        /// From.
        valid_from: Day,
        /// Until.
        valid_until: Option<Day>,
    },
    /// System: a project (ORG-1).
    CreateProject {
        /// Id.
        project: String,
        /// Project number.
        number: String,
        /// Call.
        call: String,
        /// Promoter organisation.
        promoter: String,
    },
    /// System: a classroom training (ORG-2).
    AddTraining {
        /// Id.
        training: String,
        /// Project.
        project: String,
        /// Code.
        code: String,
        /// Name.
        name: String,
    },
    /// OrganisationResponsible: a session (SES-1, SES-2).
    PlanSession {
        /// Id.
        session: String,
        /// Training.
        training: String,
        /// Day.
        date: Day,
        /// Local start.
        start: ClockTime,
        /// Local end.
        end: ClockTime,
        /// Trainers.
        trainers: Vec<String>,
        /// Participants.
        participants: Vec<String>,
    },
    /// OrganisationResponsible: a device for the project's scanners (ATT-6).
    RegisterDevice {
        /// Id.
        device: String,
        /// Project.
        project: String,
        /// Its signing key, 16..=64 bytes (hand it to the device once).
        device_key: Vec<u8>,
        /// From.
        valid_from: Day,
        /// Until.
        valid_until: Option<Day>,
    },
    /// OrganisationResponsible: revokes a device (ATT-6).
    RevokeDevice {
        /// Id.
        device: String,
    },
}

fn parameter_value(name: &str, value: &str) -> Value {
    match (value, value.parse::<u64>()) {
        ("true", _) => json!(true),
        ("false", _) => json!(false),
        (_, Ok(n))
            if !matches!(
                name,
                "unit_cost_per_participant_hour"
                    | "project_subsidy_cap"
                    | "min_presence_ratio"
                    | "max_participant_hours_per_day"
            ) =>
        {
            json!(n)
        }
        _ => json!(value),
    }
}

impl HostCommand {
    fn to_value(&self) -> Value {
        match self {
            HostCommand::CreateOrganisation { organisation, name } => {
                json!({"type": "create_organisation", "organisation": organisation, "name": name})
            }
            HostCommand::CreateCall { call, name } => json!({"type": "create_call", "call": call, "name": name}),
            HostCommand::SetParameter {
                call,
                valid_from,
                name,
                value,
            } => json!({"type": "set_parameter", "call": call, "valid_from": valid_from.0,
                "parameter": {"name": name, "value": parameter_value(name, value)}}),
            HostCommand::RegisterPerson {
                person,
                name,
                email,
                insz,
                organisation,
            } => json!({"type": "register_person", "person": person, "name": name, "email": email,
                "insz": insz, "organisation": organisation}),
            HostCommand::GrantRole {
                grant,
                person,
                role,
                organisation,
                valid_from,
                valid_until,
            } => json!({"type": "grant_role", "grant": grant, "person": person, "role": role,
                "organisation": organisation, "valid_from": valid_from.0, "valid_until": valid_until.map(|d| d.0)}),
            HostCommand::CreateProject {
                project,
                number,
                call,
                promoter,
            } => {
                json!({"type": "create_project", "project": project, "number": number, "call": call, "promoter": promoter})
            }
            HostCommand::AddTraining {
                training,
                project,
                code,
                name,
            } => json!({"type": "add_training", "training": training, "project": project, "code": code,
                "name": name, "kind": "Classroom"}),
            HostCommand::PlanSession {
                session,
                training,
                date,
                start,
                end,
                trainers,
                participants,
            } => json!({"type": "plan_session", "session": session, "training": training, "date": date.0,
                "start": start.0, "end": end.0, "trainers": trainers, "participants": participants}),
            HostCommand::RegisterDevice {
                device,
                project,
                device_key,
                valid_from,
                valid_until,
            } => json!({"type": "register_device", "device": device, "project": project,
                "device_key": tijdreg::offline::DeviceKey::new(device_key.clone()).map(|k| k.to_base64()).unwrap_or_default(),
                "valid_from": valid_from.0, "valid_until": valid_until.map(|d| d.0)}),
            HostCommand::RevokeDevice { device } => json!({"type": "revoke_device", "device": device}),
        }
    }
}

impl ScannerCommand {
    /// A check-in or check-out read by [`tijdreg::ledger::ScanParts`]; `None` for any other
    /// command, or one it leaves to decoding.
    fn scan(&self, ctx: &Context) -> Option<Envelope> {
        let (check_out, session, who, time) = match self {
            ScannerCommand::CheckIn { session, who, time } => (false, session, who, time),
            ScannerCommand::CheckOut { session, who, time } => (true, session, who, time),
            _ => return None,
        };
        let (person, token) = match who {
            Who::Person { person } => (Some(person.as_str()), None),
            Who::Token { token } => (None, Some(token.as_str())),
        };
        let (at, time) = (rfc(ctx.at), time.map(rfc));
        tijdreg::ledger::ScanParts {
            check_out,
            command_id: &ctx.command_id,
            actor: &ctx.actor,
            at: &at,
            session,
            person,
            token,
            time: time.as_deref(),
        }
        .envelope()
    }

    fn to_value(&self) -> Result<Value, Error> {
        Ok(match self {
            ScannerCommand::StartSession { session } => json!({"type": "start_session", "session": session}),
            ScannerCommand::CloseSession { session } => json!({"type": "close_session", "session": session}),
            ScannerCommand::CheckIn { session, who, time } | ScannerCommand::CheckOut { session, who, time } => {
                let kind = if matches!(self, ScannerCommand::CheckIn { .. }) {
                    "check_in"
                } else {
                    "check_out"
                };
                let (person, token) = who.fields();
                json!({"type": kind, "session": session, "person": person, "token": token,
                    "time": time.map(rfc)})
            }
            ScannerCommand::MarkAbsent { session, person } => {
                json!({"type": "mark_absent", "session": session, "person": person})
            }
            ScannerCommand::SyncDevice { device } => json!({"type": "sync_device", "device": device}),
            ScannerCommand::SubmitOfflineBatch { batch } => {
                json!({"type": "submit_offline_batch", "batch": batch.to_core()?})
            }
        })
    }
}

fn envelope(ctx: &Context, mut command: Value) -> Result<Envelope, Error> {
    // Absent optional fields are left out, as a hand-written command would.
    if let Some(o) = command.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    Envelope::from_value(
        json!({"command_id": ctx.command_id, "actor": ctx.actor, "at": rfc(ctx.at), "command": command}),
    )
}

/// How an attendance instant was registered.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegisteredBy {
    /// A scanned QR token.
    Scan,
    /// By hand.
    Manual,
    /// Closing the session (SES-6).
    ClosedSession,
    /// A correction of a reopened session (SES-5).
    Correction,
    /// An offline scan applied from a batch (ATT-6).
    OfflineScan,
}

impl From<Method> for RegisteredBy {
    fn from(m: Method) -> Self {
        match m {
            Method::Scan => RegisteredBy::Scan,
            Method::Manual => RegisteredBy::Manual,
            Method::ClosedByTrainer => RegisteredBy::ClosedSession,
            Method::Correction => RegisteredBy::Correction,
            Method::OfflineScan => RegisteredBy::OfflineScan,
        }
    }
}

/// What became of an offline scan (ATT-6).
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanOutcome {
    /// Applied at its reconstructed instant.
    Applied,
    /// Applied before (same device and sequence number).
    AlreadyApplied,
    /// Contradicts what was registered online meanwhile.
    Conflicting,
    /// Refused by a rule.
    Refused,
}

/// One scan's result in a batch's answer (ATT-6).
#[derive(uniffi::Record, Clone, Debug)]
pub struct ScanResult {
    /// Sequence number.
    pub seq: u64,
    /// Outcome.
    pub outcome: ScanOutcome,
    /// The instant it was judged at.
    pub instant: SystemTime,
    /// The device clock disagreed with that instant.
    pub clock_suspect: bool,
    /// Error code, when not applied.
    pub code: Option<String>,
    /// Rule, when not applied.
    pub rule: Option<String>,
    /// Why (Dutch), when not applied.
    pub message_nl: Option<String>,
    /// Why (English), when not applied.
    pub message_en: Option<String>,
}

impl From<&offline::ScanResult> for ScanResult {
    fn from(r: &offline::ScanResult) -> Self {
        ScanResult {
            seq: r.seq,
            outcome: match r.status {
                ScanStatus::Applied => ScanOutcome::Applied,
                ScanStatus::AlreadyApplied => ScanOutcome::AlreadyApplied,
                ScanStatus::Conflicting => ScanOutcome::Conflicting,
                ScanStatus::Refused => ScanOutcome::Refused,
            },
            instant: sys(r.instant),
            clock_suspect: r.clock_suspect,
            code: r.code.clone(),
            rule: r.rule.clone(),
            message_nl: r.message_nl.clone(),
            message_en: r.message_en.clone(),
        }
    }
}

impl ScanResult {
    fn to_core(&self) -> offline::ScanResult {
        offline::ScanResult {
            seq: self.seq,
            status: match self.outcome {
                ScanOutcome::Applied => ScanStatus::Applied,
                ScanOutcome::AlreadyApplied => ScanStatus::AlreadyApplied,
                ScanOutcome::Conflicting => ScanStatus::Conflicting,
                ScanOutcome::Refused => ScanStatus::Refused,
            },
            instant: utc(self.instant),
            clock_suspect: self.clock_suspect,
            code: self.code.clone(),
            rule: self.rule.clone(),
            message_en: self.message_en.clone(),
            message_nl: self.message_nl.clone(),
        }
    }
}

/// What happened, as a scanner sees it. Events a scanner does not act on arrive as `Other`
/// with their type.
#[derive(uniffi::Enum, Clone, Debug)]
pub enum ScannerEvent {
    /// SES-3.
    SessionStarted {
        /// Session.
        session: String,
    },
    /// SES-3, SES-6.
    SessionClosed {
        /// Session.
        session: String,
    },
    /// ATT-1.
    CheckedIn {
        /// Session.
        session: String,
        /// Person.
        person: String,
        /// When.
        time: SystemTime,
        /// How.
        registered_by: RegisteredBy,
        /// Inside a correction window (DL-2).
        late: bool,
    },
    /// ATT-1.
    CheckedOut {
        /// Session.
        session: String,
        /// Person.
        person: String,
        /// When.
        time: SystemTime,
        /// How.
        registered_by: RegisteredBy,
        /// Inside a correction window (DL-2).
        late: bool,
    },
    /// ATT-5.
    MarkedAbsent {
        /// Session.
        session: String,
        /// Person.
        person: String,
    },
    /// ATT-6: the device synchronised at the command's instant.
    DeviceSynced {
        /// Device.
        device: String,
    },
    /// ATT-6: an offline scan applied at its reconstructed instant.
    OfflineScanApplied {
        /// Session.
        session: String,
        /// Person.
        person: String,
        /// Check-in or check-out.
        kind: ScanKind,
        /// The reconstructed instant.
        time: SystemTime,
        /// Sequence number.
        seq: u64,
        /// The device clock disagreed.
        clock_suspect: bool,
    },
    /// ATT-6: the batch's answer, one result per scan.
    OfflineBatchReceived {
        /// Device.
        device: String,
        /// Per scan.
        results: Vec<ScanResult>,
    },
    /// Any other event, by its type (`person_registered`, `session_planned`, …).
    Other {
        /// The event's type.
        event_type: String,
    },
}

fn event_type(e: &Event) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

impl From<&Event> for ScannerEvent {
    fn from(e: &Event) -> Self {
        match e {
            Event::SessionStarted { session } => ScannerEvent::SessionStarted {
                session: session.to_string(),
            },
            Event::SessionClosed { session } => ScannerEvent::SessionClosed {
                session: session.to_string(),
            },
            Event::CheckedIn {
                session,
                person,
                time,
                method,
                late,
            } => ScannerEvent::CheckedIn {
                session: session.to_string(),
                person: person.to_string(),
                time: sys(*time),
                registered_by: (*method).into(),
                late: *late,
            },
            Event::CheckedOut {
                session,
                person,
                time,
                method,
                late,
            } => ScannerEvent::CheckedOut {
                session: session.to_string(),
                person: person.to_string(),
                time: sys(*time),
                registered_by: (*method).into(),
                late: *late,
            },
            Event::MarkedAbsent { session, person } => ScannerEvent::MarkedAbsent {
                session: session.to_string(),
                person: person.to_string(),
            },
            Event::DeviceSynced { device } => ScannerEvent::DeviceSynced {
                device: device.to_string(),
            },
            Event::OfflineScanApplied {
                session,
                person,
                kind,
                time,
                seq,
                clock_suspect,
                ..
            } => ScannerEvent::OfflineScanApplied {
                session: session.to_string(),
                person: person.to_string(),
                kind: (*kind).into(),
                time: sys(*time),
                seq: *seq,
                clock_suspect: *clock_suspect,
            },
            Event::OfflineBatchReceived { device, results, .. } => ScannerEvent::OfflineBatchReceived {
                device: device.to_string(),
                results: results.iter().map(ScanResult::from).collect(),
            },
            other => ScannerEvent::Other {
                event_type: event_type(other),
            },
        }
    }
}

/// The answer to a command: its events, and whether it was a retry answered from the log.
#[derive(uniffi::Record, Clone, Debug)]
pub struct CommandOutcome {
    /// A retry of an applied command (ATT-3): nothing changed.
    pub replayed: bool,
    /// The recorded instant of the command (what a synchronisation answers).
    pub at: SystemTime,
    /// The events, in order.
    pub events: Vec<ScannerEvent>,
}

/// A session's status (SES-3).
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Planned.
    Planned,
    /// In progress.
    InProgress,
    /// Executed (closed).
    Executed,
    /// Submitted to ESF.
    Submitted,
}

impl From<SessionStatus> for Status {
    fn from(s: SessionStatus) -> Self {
        match s {
            SessionStatus::Planned => Status::Planned,
            SessionStatus::InProgress => Status::InProgress,
            SessionStatus::Executed => Status::Executed,
            SessionStatus::Submitted => Status::Submitted,
        }
    }
}

/// A stretch of presence.
#[derive(uniffi::Record, Clone, Debug)]
pub struct Presence {
    /// Check-in.
    pub check_in: SystemTime,
    /// Check-out.
    pub check_out: SystemTime,
    /// How the check-in was registered.
    pub checked_in_by: RegisteredBy,
    /// How the check-out was registered.
    pub checked_out_by: RegisteredBy,
    /// Registered late inside a correction window (DL-2).
    pub late: bool,
    /// Holds an offline scan whose device clock was suspect (ATT-6).
    pub clock_suspect: bool,
}

/// A participant as the scanner shows them.
#[derive(uniffi::Record, Clone, Debug)]
pub struct ParticipantView {
    /// Person.
    pub person: String,
    /// Checked in and not yet out: since when.
    pub present_since: Option<SystemTime>,
    /// Completed stretches.
    pub presences: Vec<Presence>,
    /// Marked absent (ATT-5).
    pub absent: bool,
}

/// The session a scanner shows: who is there, its deadline and warnings (SES, ATT, DL-2, DL-5).
#[derive(uniffi::Record, Clone, Debug)]
pub struct SessionView {
    /// Session.
    pub session: String,
    /// Project.
    pub project: String,
    /// Training.
    pub training: String,
    /// Day.
    pub date: Day,
    /// Planned start.
    pub start: SystemTime,
    /// Planned end.
    pub end: SystemTime,
    /// Status.
    pub status: Status,
    /// Participants.
    pub participants: Vec<ParticipantView>,
    /// The registration deadline (DL-2).
    pub deadline: SystemTime,
    /// Warnings about this session within 24 hours (DL-5), in English.
    pub warnings: Vec<String>,
}

/// A session in a list of sessions (ARC-1): what a scanner shows to pick one.
#[derive(uniffi::Record, Clone, Debug)]
pub struct SessionItem {
    /// Session.
    pub session: String,
    /// Project.
    pub project: String,
    /// Training.
    pub training: String,
    /// Day.
    pub date: Day,
    /// Planned start.
    pub start: SystemTime,
    /// Planned end.
    pub end: SystemTime,
    /// Status.
    pub status: Status,
    /// Reopened after submission (SES-5).
    pub reopened: bool,
    /// How many participants.
    pub participants: u32,
    /// The registration deadline (DL-2).
    pub deadline: SystemTime,
}

/// An excluded stretch of a report line, with its reason and rule (SUB-9).
#[derive(uniffi::Record, Clone, Debug)]
pub struct ExcludedPart {
    /// Reason code (`before_check_in`, `away`, …).
    pub reason: String,
    /// Rule.
    pub rule: String,
    /// Seconds.
    pub seconds: i64,
    /// Explanation.
    pub text: String,
}

/// One line of a subsidy report (SUB).
#[derive(uniffi::Record, Clone, Debug)]
pub struct ReportLine {
    /// `classroom` or `elearning`.
    pub kind: String,
    /// Session or entry.
    pub source: String,
    /// Person.
    pub person: String,
    /// Training.
    pub training: String,
    /// Day.
    pub date: Day,
    /// Counts (the session is executed or submitted, SUB-3).
    pub realised: bool,
    /// Counted minutes (SUB-1..6).
    pub counted_minutes: i64,
    /// Euro per hour.
    pub unit_cost: Amount,
    /// Exact amount.
    pub amount: Amount,
    /// Registered late (SUB-3).
    pub late_registration: bool,
    /// Holds an offline scan whose device clock was suspect (ATT-6).
    pub clock_suspect: bool,
    /// What was not counted and why.
    pub excluded: Vec<ExcludedPart>,
}

/// A subsidy report: totals and lines (SUB-8, SUB-9).
#[derive(uniffi::Record, Clone, Debug)]
pub struct ReportView {
    /// Project.
    pub project: String,
    /// Counted minutes of realised lines.
    pub counted_minutes: i64,
    /// Counted hours of realised lines.
    pub counted_hours: Amount,
    /// Counted minutes still provisional (SUB-3).
    pub provisional_minutes: i64,
    /// Total, capped and rounded to the cent.
    pub total: Amount,
    /// ESF share.
    pub esf: Amount,
    /// Flemish share.
    pub flemish: Amount,
    /// Own share.
    pub own: Amount,
    /// The project cap applied.
    pub capped: bool,
    /// Lines.
    pub lines: Vec<ReportLine>,
}

/// A signed batch of offline scans (ATT-6).
#[derive(uniffi::Record, Clone, Debug)]
pub struct OfflineBatch {
    /// Device.
    pub device: String,
    /// The person who scanned.
    pub scanned_by: String,
    /// The host's synchronisation instant.
    pub sync_at: SystemTime,
    /// The scans.
    pub scans: Vec<OfflineScan>,
    /// HMAC-SHA256, base64url.
    pub signature: String,
}

/// One offline scan (ATT-6).
#[derive(uniffi::Record, Clone, Debug)]
pub struct OfflineScan {
    /// Sequence number.
    pub seq: u64,
    /// Check-in or check-out.
    pub kind: ScanKind,
    /// Session.
    pub session: String,
    /// Token scanned, or
    pub token: Option<String>,
    /// the person entered by hand.
    pub person: Option<String>,
    /// The device clock.
    pub device_time: SystemTime,
    /// Milliseconds on the monotonic clock since the synchronisation.
    pub elapsed_ms: u64,
}

impl OfflineBatch {
    fn from_core(b: &offline::Batch) -> Self {
        OfflineBatch {
            device: b.device.to_string(),
            scanned_by: b.scanned_by.to_string(),
            sync_at: sys(b.sync_at),
            scans: b
                .scans
                .iter()
                .map(|s| OfflineScan {
                    seq: s.seq,
                    kind: s.kind.into(),
                    session: s.session.to_string(),
                    token: s.token.clone(),
                    person: s.person.as_ref().map(ToString::to_string),
                    device_time: sys(s.device_time),
                    elapsed_ms: s.elapsed_ms,
                })
                .collect(),
            signature: b.signature.clone(),
        }
    }

    fn to_core(&self) -> Result<Value, Error> {
        let scans: Vec<Value> = self
            .scans
            .iter()
            .map(|s| {
                let mut v = json!({"seq": s.seq, "kind": offline::ScanKind::from(s.kind), "session": s.session,
                    "device_time": rfc(s.device_time), "elapsed_ms": s.elapsed_ms});
                if let Some(o) = v.as_object_mut() {
                    if let Some(t) = &s.token {
                        o.insert("token".into(), json!(t));
                    }
                    if let Some(p) = &s.person {
                        o.insert("person".into(), json!(p));
                    }
                }
                v
            })
            .collect();
        Ok(
            json!({"device": self.device, "scanned_by": self.scanned_by, "sync_at": rfc(self.sync_at),
            "scans": scans, "signature": self.signature}),
        )
    }
}

impl Engine {
    fn outcome(&self, env: &Envelope) -> Result<CommandOutcome, TijdregError> {
        let out = self.lock().apply(env)?;
        Ok(CommandOutcome {
            replayed: out.replayed,
            at: out.events.first().map_or(sys(env.at), |r| sys(r.at)),
            events: out.events.iter().map(|r| ScannerEvent::from(&r.event)).collect(),
        })
    }
}

#[uniffi::export]
impl Engine {
    /// Applies a scanner's command (typed).
    pub fn apply_scanner(&self, context: Context, command: ScannerCommand) -> Result<CommandOutcome, TijdregError> {
        // A check-in or check-out (nearly every command a scanner sends) is read from its
        // fields by the core ([`tijdreg::ledger::ScanParts`], as decoding reads them); anything
        // it does not read goes through decoding, which names the problem.
        let env = match command.scan(&context) {
            Some(env) => env,
            None => envelope(&context, command.to_value()?)?,
        };
        self.outcome(&env)
    }

    /// Applies a host's set-up command (typed).
    pub fn apply_host(&self, context: Context, command: HostCommand) -> Result<CommandOutcome, TijdregError> {
        let env = envelope(&context, command.to_value())?;
        self.outcome(&env)
    }

    /// The session as `actor` may see it at `at` (ARC-2; ACC-6 refusal otherwise), with its
    /// deadline and the warnings about it within a day.
    pub fn session_view(&self, actor: String, at: SystemTime, session: String) -> Result<SessionView, TijdregError> {
        let l = self.lock();
        let s = l.state();
        let actor = Actor::from(actor.as_str());
        let at = utc(at);
        let sess = query::visible_session(s, &actor, at, &session.as_str().into())?;
        let warnings = query::warnings(s, &actor, at, chrono::Duration::hours(24))
            .into_iter()
            .filter(|w| {
                serde_json::to_value(w)
                    .ok()
                    .and_then(|v| v.get("session").and_then(Value::as_str).map(|x| x == session))
                    .unwrap_or(false)
            })
            .map(|w| serde_json::to_string(&w).unwrap_or_default())
            .collect();
        Ok(SessionView {
            session: sess.id.to_string(),
            project: sess.project.to_string(),
            training: sess.training.to_string(),
            date: Day(sess.timing.date),
            start: sys(sess.timing.start_at),
            end: sys(sess.timing.end_at),
            status: sess.status.into(),
            participants: sess
                .participants
                .iter()
                .map(|(p, rec)| ParticipantView {
                    person: p.to_string(),
                    present_since: rec.present_since.map(|(t, _, _)| sys(t)),
                    presences: rec
                        .intervals
                        .iter()
                        .map(|i| Presence {
                            check_in: sys(i.check_in),
                            check_out: sys(i.check_out),
                            checked_in_by: i.check_in_method.into(),
                            checked_out_by: i.check_out_method.into(),
                            late: i.late,
                            clock_suspect: i.clock_suspect,
                        })
                        .collect(),
                    absent: rec.absent,
                })
                .collect(),
            deadline: sys(query::session_deadline(s, sess)),
            warnings,
        })
    }

    /// The sessions `actor` may see at `at` (ARC-1, ARC-2), from day `from` to day `to` (both
    /// included; `None` leaves that side open), in one project when `project` is given; by
    /// day, start and id. Sessions the actor may not see are simply not listed (ACC-6).
    pub fn sessions(
        &self,
        actor: String,
        at: SystemTime,
        from: Option<Day>,
        to: Option<Day>,
        project: Option<String>,
    ) -> Vec<SessionItem> {
        let l = self.lock();
        let s = l.state();
        let filter = query::ArchiveFilter {
            project: project.map(|p| p.as_str().into()),
            from: from.map(|d| d.0),
            to: to.map(|d| d.0),
            ..query::ArchiveFilter::default()
        };
        query::archive(s, &Actor::from(actor.as_str()), utc(at), &filter)
            .into_iter()
            .filter_map(|x| {
                let timing = &s.sessions.get(&x.session)?.timing;
                Some(SessionItem {
                    session: x.session.to_string(),
                    project: x.project.to_string(),
                    training: x.training.to_string(),
                    date: Day(x.date),
                    start: sys(timing.start_at),
                    end: sys(timing.end_at),
                    status: x.status.into(),
                    reopened: x.reopened,
                    participants: u32::try_from(x.participants).unwrap_or(u32::MAX),
                    deadline: sys(x.deadline),
                })
            })
            .collect()
    }

    /// The subsidy report of a project as `actor` sees it at `at` (typed).
    pub fn report(&self, actor: String, at: SystemTime, project: String) -> Result<ReportView, TijdregError> {
        let r = tijdreg::ledger::report::report(
            self.lock().state(),
            &Actor::from(actor.as_str()),
            utc(at),
            &project.as_str().into(),
        )?;
        Ok(ReportView {
            project: r.project().to_string(),
            counted_minutes: r.realised.counted_minutes,
            counted_hours: Amount(r.realised.counted_hours),
            provisional_minutes: r.provisional.counted_minutes,
            total: Amount(r.amounts.total),
            esf: Amount(r.amounts.esf),
            flemish: Amount(r.amounts.flemish),
            own: Amount(r.amounts.own),
            capped: r.amounts.capped,
            lines: r
                .lines()
                .iter()
                .map(|l| ReportLine {
                    kind: l.kind().code().to_owned(),
                    source: l.source().to_owned(),
                    person: l.person().to_string(),
                    training: l.training().to_string(),
                    date: Day(l.date()),
                    realised: l.realised(),
                    counted_minutes: l.counted_minutes(),
                    unit_cost: Amount(l.unit_cost()),
                    amount: Amount(l.amount()),
                    late_registration: l.late_registration(),
                    clock_suspect: l.clock_suspect(),
                    excluded: l
                        .excluded()
                        .map(|e| ExcludedPart {
                            reason: e.reason().code().to_owned(),
                            rule: e.rule().to_owned(),
                            seconds: e.seconds(),
                            text: e.text(),
                        })
                        .collect(),
                })
                .collect(),
        })
    }
}

/// The scanner side of ATT-6 for a phone app, without the host: queues offline scans with the
/// monotonic elapsed time, numbers them, signs the batch with the device key, and is kept on
/// disk as a string between restarts ([`OfflineScanner::to_stored`]).
#[derive(uniffi::Object)]
pub struct OfflineScanner {
    queue: Mutex<OfflineQueue>,
}

impl OfflineScanner {
    fn q(&self) -> std::sync::MutexGuard<'_, OfflineQueue> {
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[uniffi::export]
impl OfflineScanner {
    /// A queue for a device (its key as the host handed it) and the person scanning.
    #[uniffi::constructor]
    pub fn new(device: String, device_key: Vec<u8>, scanned_by: String) -> Result<Arc<Self>, TijdregError> {
        let key = offline::DeviceKey::new(device_key)?;
        Ok(Arc::new(OfflineScanner {
            queue: Mutex::new(OfflineQueue::new(
                device.as_str().into(),
                key,
                scanned_by.as_str().into(),
            )),
        }))
    }

    /// A queue read back from [`OfflineScanner::to_stored`].
    #[uniffi::constructor]
    pub fn from_stored(stored: String) -> Result<Arc<Self>, TijdregError> {
        Ok(Arc::new(OfflineScanner {
            queue: Mutex::new(OfflineQueue::from_json(&stored)?),
        }))
    }

    /// Records the host's instant of a synchronisation (the `at` of the `SyncDevice` outcome);
    /// refused while scans are pending.
    pub fn synced(&self, at: SystemTime) -> Result<(), TijdregError> {
        Ok(self.q().synced(utc(at))?)
    }

    /// Queues a scan made at `device_time` (the phone's clock), `elapsed` after the
    /// synchronisation on the monotonic clock; returns its sequence number.
    pub fn scan(
        &self,
        kind: ScanKind,
        session: String,
        who: Who,
        device_time: SystemTime,
        elapsed: std::time::Duration,
    ) -> Result<u64, TijdregError> {
        let target = match who {
            Who::Token { token } => offline::Target::Token(token),
            Who::Person { person } => offline::Target::Person(person.as_str().into()),
        };
        let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        Ok(self
            .q()
            .scan(kind.into(), session.as_str().into(), target, utc(device_time), ms)?)
    }

    /// Scans waiting to be sent.
    pub fn pending(&self) -> u64 {
        self.q().pending().len() as u64
    }

    /// The signed batch of the pending scans, if any.
    pub fn batch(&self) -> Option<OfflineBatch> {
        self.q().batch().as_ref().map(OfflineBatch::from_core)
    }

    /// Drops the scans the host answered.
    pub fn acknowledge(&self, results: Vec<ScanResult>) {
        let core: Vec<offline::ScanResult> = results.iter().map(ScanResult::to_core).collect();
        self.q().acknowledge(&core);
    }

    /// The queue as a string to keep on disk (it holds the device key: keep it where the app
    /// keeps secrets).
    pub fn to_stored(&self) -> String {
        self.q().to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// Instants a host may hand over that chrono cannot hold (Kotlin's `Instant.MAX` is the
    /// year 1,000,000,000) or that lie far outside the years the engine counts.
    fn far() -> Vec<SystemTime> {
        let mut v = vec![UNIX_EPOCH];
        for secs in [1u64 << 33, 1 << 40, 1 << 50, 1 << 62] {
            v.extend(UNIX_EPOCH.checked_add(Duration::new(secs, 999_999_999)));
            v.extend(UNIX_EPOCH.checked_sub(Duration::new(secs, 1)));
        }
        v
    }

    /// AUD-3, ID-3: a scanner's check-in or check-out read from its fields (`ScanParts`) is the
    /// envelope decoding its JSON gives, and what decoding refuses it leaves to decoding: ids
    /// valid and not (spaces, national numbers, empty, too long, non-ASCII letters), tokens,
    /// actors, instants near and far (with nanoseconds), with and without a registered time.
    #[test]
    fn aud_3_a_scanners_check_in_read_from_its_fields_is_decodings() {
        let ids = [
            "S-1",
            "p-ann",
            "p ann",
            "",
            "85073003328",
            &"x".repeat(129),
            "cursus-é",
            "a\u{1}",
        ];
        let mut times: Vec<SystemTime> = far();
        times.extend([
            UNIX_EPOCH + Duration::new(1_772_438_400, 0),
            UNIX_EPOCH + Duration::new(1_772_438_400, 123_456_789),
        ]);
        let (mut read, mut left) = (0, 0);
        for (n, (&id, &t)) in ids.iter().cycle().zip(times.iter().cycle()).take(400).enumerate() {
            let other = ids.get(n / 7 % ids.len()).copied().unwrap_or("p-ann");
            let who = if n % 3 == 0 {
                Who::Token {
                    token: format!("TR1.{other}"),
                }
            } else {
                Who::Person { person: other.into() }
            };
            let time = (n % 2 == 0).then(|| times.get(n / 5 % times.len()).copied().unwrap_or(t));
            let (session, actor) = (
                ids.get(n / 3 % ids.len()).copied().unwrap_or("S-1"),
                ["p-tom", "system", "p tom"][n % 3],
            );
            let command = if n % 4 == 0 {
                ScannerCommand::CheckOut {
                    session: session.into(),
                    who,
                    time,
                }
            } else {
                ScannerCommand::CheckIn {
                    session: session.into(),
                    who,
                    time,
                }
            };
            let ctx = Context {
                command_id: id.into(),
                actor: actor.into(),
                at: t,
            };
            let decoded = command.to_value().ok().and_then(|v| envelope(&ctx, v).ok());
            assert_eq!(command.scan(&ctx), decoded, "{n}");
            read += usize::from(decoded.is_some());
            left += usize::from(decoded.is_none());
        }
        assert!(read > 20 && left > 100, "{read} read, {left} refused");
    }

    /// Inside chrono's years the conversion is chrono's own, to the nanosecond, on both sides
    /// of the epoch; beyond them, chrono's last instant on that side.
    #[test]
    fn a_host_instant_is_chronos_and_beyond_its_years_its_last() {
        for secs in [0u64, 1, 1_700_000_000, 4_102_444_800] {
            for nanos in [0u32, 1, 123_456_789, 999_999_999] {
                let d = Duration::new(secs, nanos);
                for t in [UNIX_EPOCH + d, UNIX_EPOCH - d] {
                    assert_eq!(utc(t), DateTime::<Utc>::from(t), "{t:?}");
                }
            }
        }
        let big = Duration::from_secs(1 << 50);
        assert_eq!(utc(UNIX_EPOCH + big), DateTime::<Utc>::MAX_UTC);
        assert_eq!(utc(UNIX_EPOCH - big), DateTime::<Utc>::MIN_UTC);
    }

    /// AUD-3: every typed entry point that takes an instant answers one chrono cannot hold,
    /// or one far outside the engine's years, with a refusal or an answer — never a panic
    /// (chrono's `From<SystemTime>` panics past its years, which uniffi surfaced as an
    /// internal error).
    #[test]
    fn aud_3_instants_beyond_any_calendar_are_refused_not_panicked_on() {
        let engine = Engine::new(vec![]).expect("engine");
        let scanner = OfflineScanner::new("dev-1".into(), vec![7u8; 32], "p-tom".into()).expect("scanner");
        for (i, &t) in far().iter().enumerate() {
            let ctx = Context {
                command_id: format!("c{i}"),
                actor: "system".into(),
                at: t,
            };
            let start = ScannerCommand::StartSession { session: "S".into() };
            let check_in = ScannerCommand::CheckIn {
                session: "S".into(),
                who: Who::Person { person: "p-ann".into() },
                time: Some(t),
            };
            for command in [start, check_in] {
                let refused = engine.apply_scanner(ctx.clone(), command);
                assert!(refused.is_err(), "instant {t:?}");
            }
            let _ = engine.session_view("system".into(), t, "S".into());
            let _ = engine.sessions("system".into(), t, None, None, None);
            let _ = engine.report("system".into(), t, "P".into());
            let _ = scanner.synced(t);
            let _ = scanner.scan(
                ScanKind::CheckIn,
                "S".into(),
                Who::Person { person: "p-ann".into() },
                t,
                Duration::from_secs(u64::MAX),
            );
        }
    }
}
