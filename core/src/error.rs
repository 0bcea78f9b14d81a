//! The one typed error of the engine (AUD-3). Every variant has a stable snake_case
//! [`Error::code`], the rule it enforces (docs/rules.md) ([`Error::rule`]), an English message
//! (`Display`) and a Dutch one ([`Error::message_nl`]). Messages say what was wrong and what
//! would have been right; they never contain a national number (ID-3).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::calendar::{hm, local_text};

/// The kind of thing a reference names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// Organisation (ORG-1).
    Organisation,
    /// Branch (ORG-1).
    Branch,
    /// Call (ORG-3).
    Call,
    /// Project (ORG-1).
    Project,
    /// Training (ORG-2).
    Training,
    /// Session (SES-1).
    Session,
    /// Person (ID-2).
    Person,
    /// Grant (ACC-2).
    Grant,
    /// Work relationship (ACC-3).
    Relationship,
    /// E-learning entry (EL-1).
    Entry,
    /// Scanning device (ATT-6).
    Device,
}

impl Entity {
    fn rule(self) -> &'static str {
        match self {
            Entity::Organisation | Entity::Branch | Entity::Project => "ORG-1",
            Entity::Call => "ORG-3",
            Entity::Training => "ORG-2",
            Entity::Session => "SES-1",
            Entity::Person => "ID-2",
            Entity::Grant => "ACC-2",
            Entity::Relationship => "ACC-3",
            Entity::Entry => "EL-1",
            Entity::Device => "ATT-6",
        }
    }
    fn en(self) -> &'static str {
        match self {
            Entity::Organisation => "organisation",
            Entity::Branch => "branch",
            Entity::Call => "call",
            Entity::Project => "project",
            Entity::Training => "training",
            Entity::Session => "session",
            Entity::Person => "person",
            Entity::Grant => "grant",
            Entity::Relationship => "work relationship",
            Entity::Entry => "e-learning entry",
            Entity::Device => "device",
        }
    }
    fn nl(self) -> &'static str {
        match self {
            Entity::Organisation => "organisatie",
            Entity::Branch => "vestiging",
            Entity::Call => "oproep",
            Entity::Project => "project",
            Entity::Training => "opleiding",
            Entity::Session => "sessie",
            Entity::Person => "persoon",
            Entity::Grant => "recht",
            Entity::Relationship => "werkrelatie",
            Entity::Entry => "e-learningregistratie",
            Entity::Device => "toestel",
        }
    }
}

/// The kind of an error, for bindings that map errors to exception classes (each binding
/// maps these five exhaustively; the variant-to-kind mapping lives here, once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input is malformed or out of range (JSON, INSZ, e-mail, times, parameters).
    InvalidInput,
    /// The actor lacks a right (ACC, ORG-4, EL-1/EL-2 rights).
    AccessDenied,
    /// A reference to something that does not exist (told to system and support only).
    NotFound,
    /// Something with that id or in that state exists already (ids, codes, presence).
    Conflict,
    /// A rule of the rulebook refuses the command (status, windows, deadlines, overlaps, caps).
    Rejected,
}

/// An error as plain data, for hosts and bindings: what every binding shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// Stable code.
    pub code: String,
    /// Rule ID (docs/rules.md).
    pub rule: String,
    /// Kind.
    pub kind: ErrorKind,
    /// Dutch message (the language of the funder's users).
    pub message: String,
    /// Dutch message again, under the name the uniffi bindings use (Kotlin's exceptions
    /// already have a `message`), so every surface has `message_nl` and `message_en`.
    pub message_nl: String,
    /// English message.
    pub message_en: String,
}

/// Everything that can be refused or be wrong, with its rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Error {
    /// ID-1: not a valid INSZ.
    #[error("invalid national number: {reason_en}")]
    InvalidInsz {
        /// What is wrong, English.
        reason_en: String,
        /// What is wrong, Dutch.
        reason_nl: String,
    },
    /// ID-2: not an e-mail address.
    #[error("invalid e-mail address: {reason}")]
    InvalidEmail {
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
    },
    /// ID-2: a person's name that is empty, too long, padded with spaces or holds control or
    /// bidirectional formatting characters (`docs/limits.md`).
    #[error(
        "a person's name holds 1 to 200 characters, without leading or trailing spaces, control or bidirectional formatting characters"
    )]
    InvalidName,
    /// ID-2: the birth date contradicts the national number.
    #[error("birth date {given} contradicts the birth date in the national number")]
    BirthDateMismatch {
        /// The date given.
        given: NaiveDate,
    },
    /// DL-4: a wall-clock time the spring daylight-saving change skips.
    #[error("{date} {time} does not exist in Europe/Brussels (daylight-saving change); use a time outside 02:00–03:00")]
    NonexistentLocalTime {
        /// Date.
        date: NaiveDate,
        /// Time.
        time: NaiveTime,
    },
    /// ORG-3: a parameter value out of range.
    #[error("parameter {name} must be {allowed}")]
    InvalidParameter {
        /// Parameter name.
        name: String,
        /// Allowed range.
        allowed: String,
        /// Allowed range, Dutch.
        allowed_nl: String,
    },
    /// ID-4: a second person with a national number already registered. The existing
    /// person's id is named only to an actor who may see that person.
    #[error("a person with this national number is already registered{}", existing.as_ref().map(|p| format!(" ({p})")).unwrap_or_default())]
    DuplicateNationalNumber {
        /// The person who holds the number, when the actor may see them.
        existing: Option<String>,
    },
    /// ATT-6: the batch's signature is not the device key's (forged or altered).
    #[error("the offline batch's signature does not match the device key (forged or altered)")]
    InvalidBatchSignature,
    /// ATT-6: the device was revoked; its batches are refused.
    #[error("device {device} was revoked")]
    DeviceRevoked {
        /// Device.
        device: String,
    },
    /// ATT-6: the batch counts from a synchronisation the host did not record.
    #[error("the batch counts from a synchronisation the host did not record for this device")]
    UnknownSync,
    /// ATT-6: a scan the device's registration does not cover (another project, or outside
    /// its validity at the reconstructed instant).
    #[error("device {device} is not registered for this session's project at the scan's instant")]
    DeviceNotValid {
        /// Device.
        device: String,
    },
    /// ATT-6: an offline check-in earlier than attendance registered online meanwhile.
    #[error("attendance of {person} was registered online until {until}, after this scan: it is not rewritten")]
    RegisteredMeanwhile {
        /// Person.
        person: String,
        /// Until (local time).
        until: String,
    },
    /// A create command for an id that exists.
    #[error("{} {id} already exists", what.en())]
    AlreadyExists {
        /// Kind.
        what: Entity,
        /// Id.
        id: String,
    },
    /// A reference to something that does not exist (told only to actors who may see it).
    #[error("there is no {} {id}", what.en())]
    Unknown {
        /// Kind.
        what: Entity,
        /// Id.
        id: String,
    },
    /// ORG-1: a branch of another organisation.
    #[error("branch {branch} is not a branch of organisation {organisation}")]
    BranchNotOfOrganisation {
        /// Branch.
        branch: String,
        /// Organisation.
        organisation: String,
    },
    /// ORG-2: training codes are unique within a project.
    #[error("training code {code} is already used in this project")]
    DuplicateTrainingCode {
        /// Code.
        code: String,
    },
    /// ORG-3: `max_trainings_per_project`.
    #[error("the call allows at most {max} trainings per project")]
    TooManyTrainings {
        /// Cap.
        max: u32,
    },
    /// ORG-3: `elearning_allowed` is false.
    #[error("the call does not allow e-learning trainings")]
    ElearningNotAllowed,
    /// ACC-*, ORG-4: the actor lacks a right. Names the missing right; never tells whether
    /// the target exists (ACC-6).
    #[error("not allowed: this needs {needed}")]
    AccessDenied {
        /// The missing right.
        needed: String,
        /// The missing right, Dutch.
        needed_nl: String,
        /// The rule (ACC-1..6, ORG-4, EL-1, EL-2).
        rule: String,
    },
    /// ATT-3: a command id reused for a different command.
    #[error("command id {command_id} was already used for a different command")]
    CommandIdReused {
        /// The id.
        command_id: String,
    },
    /// AUD-2: an event log (or a snapshot's log) that is not the one the engine wrote:
    /// reordered, truncated at the front, duplicated, gapped or altered.
    #[error("the event log is damaged at event {position}: {reason}")]
    DamagedLog {
        /// The position (1-based) of the first event that does not fit.
        position: u64,
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
    },
    /// AUD-2: snapshot of another schema version.
    #[error("snapshot schema version {found} is not supported (expected {expected})")]
    UnsupportedSchemaVersion {
        /// Found.
        found: u32,
        /// Expected.
        expected: u32,
    },
    /// ID-3 / AUD-3: an id that is empty, too long, holds characters outside the id alphabet,
    /// or is a national number. Names the field, never the id.
    #[error("{field}: {reason}")]
    InvalidId {
        /// The field (or path) holding the id.
        field: String,
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
        /// ID-3 for a national number, AUD-3 otherwise.
        rule: String,
    },
    /// A record of plain records (an export) that breaks a rule the ledger enforces on
    /// commands; names the record by its path (and its ids, when they are valid).
    #[error("{path}: {reason}")]
    InvalidRecord {
        /// Where: `sessions[3] (session S-1).participants[1] (person p-ann).intervals[0].check_out`.
        path: String,
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
        /// The rule it breaks.
        rule: String,
    },
    /// AUD-3: input that is not well-formed (JSON, a field).
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
    },
    /// SES-1: times of a session or its breaks.
    #[error("invalid session times: {reason}")]
    InvalidSessionTimes {
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
    },
    /// SES-2: sessions of one training overlap.
    #[error(
        "overlaps session {other} of the same training ({other_start}–{other_end}); sessions of one training may touch but not overlap"
    )]
    TrainingOverlap {
        /// The other session.
        other: String,
        /// Its start (local HH:MM).
        other_start: String,
        /// Its end (local HH:MM).
        other_end: String,
    },
    /// SES-2: a trainer in two overlapping sessions.
    #[error("trainer {trainer} is already planned in session {other} ({other_start}–{other_end})")]
    TrainerOverlap {
        /// The trainer.
        trainer: String,
        /// The other session.
        other: String,
        /// Its start.
        other_start: String,
        /// Its end.
        other_end: String,
    },
    /// SES-3, SES-5, QR-3, ATT-4: the session's status does not allow this.
    #[error("session {session} is {status}; this needs it to be {needed}")]
    WrongStatus {
        /// Session.
        session: String,
        /// Its status.
        status: String,
        /// What it should be.
        needed: String,
        /// What it should be, Dutch.
        needed_nl: String,
        /// The rule.
        rule: String,
    },
    /// SES-3: a session starts only on its own day.
    #[error("session {session} is on {date}; it can only be started that day (today is {today})")]
    NotSessionDay {
        /// Session.
        session: String,
        /// Its date.
        date: NaiveDate,
        /// The Brussels date of the command.
        today: NaiveDate,
    },
    /// SES-4: a session with attendance cannot be deleted.
    #[error("session {session} has attendance and cannot be deleted")]
    SessionHasAttendance {
        /// Session.
        session: String,
    },
    /// QR-3 / SES-1: already a participant.
    #[error("person {person} is already a participant of session {session}")]
    AlreadyParticipant {
        /// Person.
        person: String,
        /// Session.
        session: String,
    },
    /// ATT-4: not a participant.
    #[error("person {person} is not a participant of session {session}")]
    NotParticipant {
        /// Person.
        person: String,
        /// Session.
        session: String,
    },
    /// QR-2: a token that does not verify.
    #[error("QR token refused: {reason}")]
    InvalidToken {
        /// Why.
        reason: String,
        /// Why, Dutch.
        reason_nl: String,
    },
    /// QR-2: a valid token of another project.
    #[error("QR token belongs to another project")]
    TokenOtherProject,
    /// ATT-2: check-in out of its window.
    #[error("check-in at {at} is outside the window {from}–{until}")]
    CheckInOutsideWindow {
        /// The check-in (local).
        at: String,
        /// Window start (local).
        from: String,
        /// Window end (local).
        until: String,
    },
    /// ATT-2: check-out out of its window.
    #[error("check-out at {at} is outside the window {from}–{until}")]
    CheckOutOutsideWindow {
        /// The check-out (local).
        at: String,
        /// Window start (local).
        from: String,
        /// Window end (local).
        until: String,
    },
    /// ATT-3: a second check-in of someone present.
    #[error("person {person} is already present (checked in at {since})")]
    AlreadyPresent {
        /// Person.
        person: String,
        /// Since (local).
        since: String,
    },
    /// ATT-1: a check-out of someone not present.
    #[error("person {person} is not checked in")]
    NotPresent {
        /// Person.
        person: String,
    },
    /// ATT-5: a participant with attendance cannot be marked absent.
    #[error("person {person} has attendance in session {session} and cannot be marked absent")]
    HasAttendance {
        /// Person.
        person: String,
        /// Session.
        session: String,
    },
    /// ATT-1: a registered time after the command's own instant.
    #[error("the registered time {time} lies after the command's instant {at}")]
    TimeInFuture {
        /// Registered time (local).
        time: String,
        /// The command's instant (local).
        at: String,
    },
    /// DL-2: registration after the training day without a correction window.
    #[error(
        "registration for session {session} of {date} is closed: attendance is registered on the training day, or inside a correction window granted by ESF support after a problem report made by {deadline}"
    )]
    RegistrationClosed {
        /// Session.
        session: String,
        /// Its date.
        date: NaiveDate,
        /// The problem-report deadline (local).
        deadline: String,
    },
    /// DL-2: a problem report after the deadline.
    #[error("the problem report for session {session} is too late: the deadline was {deadline}")]
    ProblemReportTooLate {
        /// Session.
        session: String,
        /// Deadline (local).
        deadline: String,
    },
    /// DL-2: a correction window needs an on-time problem report.
    #[error("session {session} has no on-time problem report; a correction window needs one")]
    NoProblemReport {
        /// Session.
        session: String,
    },
    /// DL-2: a correction window whose end is not after its start.
    #[error("a correction window must end after it starts")]
    InvalidCorrectionWindow,
    /// EL-1: not an e-learning training, or not its participant.
    #[error("{reason}")]
    NotElearning {
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
    },
    /// EL-3: no entries for future dates.
    #[error("e-learning hours for {date} are in the future (today is {today})")]
    FutureEntry {
        /// The entry's date.
        date: NaiveDate,
        /// Today (Brussels).
        today: NaiveDate,
    },
    /// EL-1: duration or times of an entry.
    #[error("invalid e-learning entry: {reason}")]
    InvalidEntry {
        /// What is wrong.
        reason: String,
        /// What is wrong, Dutch.
        reason_nl: String,
    },
    /// EL-3: over 24 h or the daily cap.
    #[error("{date}: {total} h would exceed the daily maximum of {cap} h")]
    DailyHoursExceeded {
        /// Day.
        date: NaiveDate,
        /// Hours with this entry.
        total: Decimal,
        /// The cap.
        cap: Decimal,
    },
    /// EL-3: entry times overlap attendance or another entry.
    #[error("the entry overlaps {other} ({from}–{until})")]
    EntryOverlap {
        /// What it overlaps.
        other: String,
        /// From (local).
        from: String,
        /// Until (local).
        until: String,
    },
    /// EL-2: nobody approves their own hours.
    #[error("the person who entered the hours cannot approve or reject them")]
    SelfApproval,
    /// EL-3: an entry that is not awaiting approval / not correctable.
    #[error("e-learning entry {entry} is {status}; this needs it to be {needed}")]
    EntryStatus {
        /// Entry.
        entry: String,
        /// Its status.
        status: String,
        /// Needed.
        needed: String,
        /// Needed, Dutch.
        needed_nl: String,
    },
    /// MLP-1: a profile value that is not allowed.
    #[error("MLP field {field}: {reason}")]
    InvalidMlpField {
        /// The field.
        field: String,
        /// Why.
        reason: String,
        /// Why, Dutch.
        reason_nl: String,
    },
}

impl Error {
    /// The stable, documented code (AUD-3).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInsz { .. } => "invalid_insz",
            Error::InvalidEmail { .. } => "invalid_email",
            Error::InvalidName => "invalid_name",
            Error::BirthDateMismatch { .. } => "birth_date_mismatch",
            Error::NonexistentLocalTime { .. } => "nonexistent_local_time",
            Error::InvalidParameter { .. } => "invalid_parameter",
            Error::AlreadyExists { .. } => "already_exists",
            Error::DuplicateNationalNumber { .. } => "duplicate_national_number",
            Error::InvalidBatchSignature => "invalid_batch_signature",
            Error::DeviceRevoked { .. } => "device_revoked",
            Error::UnknownSync => "unknown_sync",
            Error::RegisteredMeanwhile { .. } => "registered_meanwhile",
            Error::DeviceNotValid { .. } => "device_not_valid",
            Error::Unknown { .. } => "unknown_reference",
            Error::BranchNotOfOrganisation { .. } => "branch_not_of_organisation",
            Error::DuplicateTrainingCode { .. } => "duplicate_training_code",
            Error::TooManyTrainings { .. } => "too_many_trainings",
            Error::ElearningNotAllowed => "elearning_not_allowed",
            Error::AccessDenied { .. } => "access_denied",
            Error::CommandIdReused { .. } => "command_id_reused",
            Error::UnsupportedSchemaVersion { .. } => "unsupported_schema_version",
            Error::DamagedLog { .. } => "damaged_log",
            Error::InvalidInput { .. } => "invalid_input",
            Error::InvalidId { .. } => "invalid_id",
            Error::InvalidRecord { .. } => "invalid_record",
            Error::InvalidSessionTimes { .. } => "invalid_session_times",
            Error::TrainingOverlap { .. } => "training_overlap",
            Error::TrainerOverlap { .. } => "trainer_overlap",
            Error::WrongStatus { .. } => "wrong_status",
            Error::NotSessionDay { .. } => "not_session_day",
            Error::SessionHasAttendance { .. } => "session_has_attendance",
            Error::AlreadyParticipant { .. } => "already_participant",
            Error::NotParticipant { .. } => "not_participant",
            Error::InvalidToken { .. } => "invalid_token",
            Error::TokenOtherProject => "token_other_project",
            Error::CheckInOutsideWindow { .. } => "check_in_outside_window",
            Error::CheckOutOutsideWindow { .. } => "check_out_outside_window",
            Error::AlreadyPresent { .. } => "already_present",
            Error::NotPresent { .. } => "not_present",
            Error::HasAttendance { .. } => "has_attendance",
            Error::TimeInFuture { .. } => "time_in_future",
            Error::RegistrationClosed { .. } => "registration_closed",
            Error::ProblemReportTooLate { .. } => "problem_report_too_late",
            Error::NoProblemReport { .. } => "no_problem_report",
            Error::InvalidCorrectionWindow => "invalid_correction_window",
            Error::NotElearning { .. } => "not_elearning",
            Error::FutureEntry { .. } => "future_entry",
            Error::InvalidEntry { .. } => "invalid_entry",
            Error::DailyHoursExceeded { .. } => "daily_hours_exceeded",
            Error::EntryOverlap { .. } => "entry_overlap",
            Error::SelfApproval => "self_approval",
            Error::EntryStatus { .. } => "entry_status",
            Error::InvalidMlpField { .. } => "invalid_mlp_field",
        }
    }

    /// The kind of error (for exception classes in bindings).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInsz { .. }
            | Error::InvalidEmail { .. }
            | Error::InvalidName
            | Error::BirthDateMismatch { .. }
            | Error::NonexistentLocalTime { .. }
            | Error::InvalidParameter { .. }
            | Error::InvalidInput { .. }
            | Error::InvalidId { .. }
            | Error::InvalidRecord { .. }
            | Error::InvalidSessionTimes { .. }
            | Error::InvalidToken { .. }
            | Error::TimeInFuture { .. }
            | Error::InvalidCorrectionWindow
            | Error::InvalidEntry { .. }
            | Error::InvalidMlpField { .. }
            | Error::UnsupportedSchemaVersion { .. }
            | Error::DamagedLog { .. }
            | Error::BranchNotOfOrganisation { .. } => ErrorKind::InvalidInput,
            Error::AccessDenied { .. } => ErrorKind::AccessDenied,
            Error::Unknown { .. } => ErrorKind::NotFound,
            Error::AlreadyExists { .. }
            | Error::DuplicateNationalNumber { .. }
            | Error::CommandIdReused { .. }
            | Error::DuplicateTrainingCode { .. }
            | Error::AlreadyParticipant { .. }
            | Error::AlreadyPresent { .. } => ErrorKind::Conflict,
            Error::TooManyTrainings { .. }
            | Error::ElearningNotAllowed
            | Error::TrainingOverlap { .. }
            | Error::TrainerOverlap { .. }
            | Error::WrongStatus { .. }
            | Error::NotSessionDay { .. }
            | Error::SessionHasAttendance { .. }
            | Error::NotParticipant { .. }
            | Error::TokenOtherProject
            | Error::CheckInOutsideWindow { .. }
            | Error::CheckOutOutsideWindow { .. }
            | Error::NotPresent { .. }
            | Error::HasAttendance { .. }
            | Error::RegistrationClosed { .. }
            | Error::ProblemReportTooLate { .. }
            | Error::NoProblemReport { .. }
            | Error::NotElearning { .. }
            | Error::FutureEntry { .. }
            | Error::DailyHoursExceeded { .. }
            | Error::EntryOverlap { .. }
            | Error::SelfApproval
            | Error::InvalidBatchSignature
            | Error::DeviceRevoked { .. }
            | Error::UnknownSync
            | Error::DeviceNotValid { .. }
            | Error::EntryStatus { .. } => ErrorKind::Rejected,
            Error::RegisteredMeanwhile { .. } => ErrorKind::Conflict,
        }
    }

    /// The rule (docs/rules.md) this error enforces.
    pub fn rule(&self) -> &str {
        match self {
            Error::InvalidInsz { .. } => "ID-1",
            Error::DuplicateNationalNumber { .. } => "ID-4",
            Error::InvalidBatchSignature
            | Error::DeviceRevoked { .. }
            | Error::UnknownSync
            | Error::RegisteredMeanwhile { .. }
            | Error::DeviceNotValid { .. } => "ATT-6",
            Error::InvalidEmail { .. } | Error::InvalidName | Error::BirthDateMismatch { .. } => "ID-2",
            Error::NonexistentLocalTime { .. } => "DL-4",
            Error::InvalidParameter { .. } | Error::TooManyTrainings { .. } | Error::ElearningNotAllowed => "ORG-3",
            Error::AlreadyExists { what, .. } | Error::Unknown { what, .. } => what.rule(),
            Error::BranchNotOfOrganisation { .. } => "ORG-1",
            Error::DuplicateTrainingCode { .. } => "ORG-2",
            Error::AccessDenied { rule, .. }
            | Error::WrongStatus { rule, .. }
            | Error::InvalidId { rule, .. }
            | Error::InvalidRecord { rule, .. } => rule,
            Error::CommandIdReused { .. } | Error::AlreadyPresent { .. } => "ATT-3",
            Error::UnsupportedSchemaVersion { .. } | Error::DamagedLog { .. } => "AUD-2",
            Error::InvalidInput { .. } => "AUD-3",
            Error::InvalidSessionTimes { .. } | Error::AlreadyParticipant { .. } => "SES-1",
            Error::TrainingOverlap { .. } | Error::TrainerOverlap { .. } => "SES-2",
            Error::NotSessionDay { .. } => "SES-3",
            Error::SessionHasAttendance { .. } => "SES-4",
            Error::NotParticipant { .. } => "ATT-4",
            Error::InvalidToken { .. } | Error::TokenOtherProject => "QR-2",
            Error::CheckInOutsideWindow { .. } | Error::CheckOutOutsideWindow { .. } => "ATT-2",
            Error::NotPresent { .. } | Error::TimeInFuture { .. } => "ATT-1",
            Error::HasAttendance { .. } => "ATT-5",
            Error::RegistrationClosed { .. }
            | Error::ProblemReportTooLate { .. }
            | Error::NoProblemReport { .. }
            | Error::InvalidCorrectionWindow => "DL-2",
            Error::NotElearning { .. } | Error::InvalidEntry { .. } => "EL-1",
            Error::SelfApproval => "EL-2",
            Error::FutureEntry { .. }
            | Error::DailyHoursExceeded { .. }
            | Error::EntryOverlap { .. }
            | Error::EntryStatus { .. } => "EL-3",
            Error::InvalidMlpField { .. } => "MLP-1",
        }
    }

    /// Code, rule, kind and both messages as plain data.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code().to_owned(),
            rule: self.rule().to_owned(),
            kind: self.kind(),
            message: self.message_nl(),
            message_nl: self.message_nl(),
            message_en: self.message_en(),
        }
    }

    /// The English message (same as `Display`).
    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// The Dutch message (AUD-3).
    pub fn message_nl(&self) -> String {
        match self {
            Error::InvalidInsz { reason_nl, .. } => {
                format!("ongeldig rijksregisternummer: {reason_nl}")
            }
            Error::InvalidEmail { reason_nl, .. } => format!("ongeldig e-mailadres: {reason_nl}"),
            Error::InvalidName => "de naam van een persoon bevat 1 tot 200 tekens, zonder spaties vooraan of achteraan, stuurtekens of tekens die de schrijfrichting wijzigen, en geen rijksregisternummer".into(),
            Error::BirthDateMismatch { given } => {
                format!("geboortedatum {given} strookt niet met de geboortedatum in het rijksregisternummer")
            }
            Error::NonexistentLocalTime { date, time } => {
                format!(
                    "{date} {time} bestaat niet in Europe/Brussels (zomertijdwissel); kies een uur buiten 02:00–03:00"
                )
            }
            Error::InvalidParameter { name, allowed_nl, .. } => format!("parameter {name} moet {allowed_nl} zijn"),
            Error::AlreadyExists { what, id } => format!("{} {id} bestaat al", what.nl()),
            Error::InvalidBatchSignature => {
                "de handtekening van de offline batch klopt niet met de toestelsleutel (vervalst of gewijzigd)".into()
            }
            Error::DeviceRevoked { device } => format!("toestel {device} werd ingetrokken"),
            Error::RegisteredMeanwhile { person, until } => format!(
                "de aanwezigheid van {person} werd intussen online geregistreerd tot {until}, na deze scan: ze wordt niet herschreven"
            ),
            Error::UnknownSync => {
                "de batch telt vanaf een synchronisatie die de host voor dit toestel niet registreerde".into()
            }
            Error::DeviceNotValid { device } => {
                format!("toestel {device} is op het tijdstip van de scan niet geregistreerd voor het project van deze sessie")
            }
            Error::DuplicateNationalNumber { existing } => format!(
                "er is al een persoon met dit rijksregisternummer geregistreerd{}",
                existing.as_ref().map(|p| format!(" ({p})")).unwrap_or_default()
            ),
            Error::Unknown { what, id } => format!("er is geen {} {id}", what.nl()),
            Error::BranchNotOfOrganisation { branch, organisation } => {
                format!("vestiging {branch} is geen vestiging van organisatie {organisation}")
            }
            Error::DuplicateTrainingCode { code } => {
                format!("opleidingscode {code} wordt al gebruikt in dit project")
            }
            Error::TooManyTrainings { max } => {
                format!("de oproep laat hoogstens {max} opleidingen per project toe")
            }
            Error::ElearningNotAllowed => "de oproep laat geen e-learningopleidingen toe".into(),
            Error::AccessDenied { needed_nl, .. } => format!("niet toegestaan: hiervoor is nodig: {needed_nl}"),
            Error::CommandIdReused { command_id } => {
                format!("opdracht-id {command_id} werd al gebruikt voor een andere opdracht")
            }
            Error::DamagedLog {
                position, reason_nl, ..
            } => {
                format!("het gebeurtenissenlogboek is beschadigd bij gebeurtenis {position}: {reason_nl}")
            }
            Error::UnsupportedSchemaVersion { found, expected } => {
                format!("momentopname met schemaversie {found} wordt niet ondersteund (verwacht {expected})")
            }
            Error::InvalidInput { reason_nl, .. } => format!("ongeldige invoer: {reason_nl}"),
            Error::InvalidId { field, reason_nl, .. } => format!("{field}: {reason_nl}"),
            Error::InvalidRecord { path, reason_nl, .. } => format!("{path}: {reason_nl}"),
            Error::InvalidSessionTimes { reason_nl, .. } => format!("ongeldige sessietijden: {reason_nl}"),
            Error::TrainingOverlap {
                other,
                other_start,
                other_end,
            } => format!(
                "overlapt met sessie {other} van dezelfde opleiding ({other_start}–{other_end}); sessies van één opleiding mogen aansluiten maar niet overlappen"
            ),
            Error::TrainerOverlap {
                trainer,
                other,
                other_start,
                other_end,
            } => {
                format!("opleider {trainer} is al ingepland in sessie {other} ({other_start}–{other_end})")
            }
            Error::WrongStatus {
                session,
                status,
                needed_nl,
                ..
            } => {
                format!("sessie {session} heeft status {status}; hiervoor moet ze {needed_nl} zijn")
            }
            Error::NotSessionDay { session, date, today } => {
                format!("sessie {session} valt op {date}; ze kan enkel die dag gestart worden (vandaag is {today})")
            }
            Error::SessionHasAttendance { session } => {
                format!("sessie {session} heeft aanwezigheden en kan niet verwijderd worden")
            }
            Error::AlreadyParticipant { person, session } => {
                format!("persoon {person} is al deelnemer van sessie {session}")
            }
            Error::NotParticipant { person, session } => {
                format!("persoon {person} is geen deelnemer van sessie {session}")
            }
            Error::InvalidToken { reason_nl, .. } => format!("QR-code geweigerd: {reason_nl}"),
            Error::TokenOtherProject => "QR-code hoort bij een ander project".into(),
            Error::CheckInOutsideWindow { at, from, until } => {
                format!("aanmelding om {at} valt buiten het venster {from}–{until}")
            }
            Error::CheckOutOutsideWindow { at, from, until } => {
                format!("afmelding om {at} valt buiten het venster {from}–{until}")
            }
            Error::AlreadyPresent { person, since } => {
                format!("persoon {person} is al aanwezig (aangemeld om {since})")
            }
            Error::NotPresent { person } => format!("persoon {person} is niet aangemeld"),
            Error::HasAttendance { person, session } => format!(
                "persoon {person} heeft aanwezigheden in sessie {session} en kan niet als afwezig gemarkeerd worden"
            ),
            Error::TimeInFuture { time, at } => {
                format!("het geregistreerde tijdstip {time} ligt na het tijdstip van de opdracht {at}")
            }
            Error::RegistrationClosed {
                session,
                date,
                deadline,
            } => format!(
                "registratie voor sessie {session} van {date} is afgesloten: registreer op de opleidingsdag zelf, of binnen een correctievenster van ESF-support na een probleemmelding uiterlijk {deadline}"
            ),
            Error::ProblemReportTooLate { session, deadline } => {
                format!("de probleemmelding voor sessie {session} is te laat: de uiterste termijn was {deadline}")
            }
            Error::NoProblemReport { session } => {
                format!("sessie {session} heeft geen tijdige probleemmelding; een correctievenster vereist er een")
            }
            Error::InvalidCorrectionWindow => "een correctievenster moet eindigen na het begin".into(),
            Error::NotElearning { reason_nl, .. } => reason_nl.clone(),
            Error::FutureEntry { date, today } => {
                format!("e-learninguren voor {date} liggen in de toekomst (vandaag is {today})")
            }
            Error::InvalidEntry { reason_nl, .. } => format!("ongeldige e-learningregistratie: {reason_nl}"),
            Error::DailyHoursExceeded { date, total, cap } => {
                format!("{date}: {total} u zou het dagmaximum van {cap} u overschrijden")
            }
            Error::EntryOverlap { other, from, until } => {
                format!("de registratie overlapt met {other} ({from}–{until})")
            }
            Error::SelfApproval => "wie de uren ingaf, kan ze niet zelf goedkeuren of afkeuren".into(),
            Error::EntryStatus {
                entry,
                status,
                needed_nl,
                ..
            } => {
                format!("e-learningregistratie {entry} heeft status {status}; hiervoor moet ze {needed_nl} zijn")
            }
            Error::InvalidMlpField { field, reason_nl, .. } => format!("MLP-veld {field}: {reason_nl}"),
        }
    }

    /// An [`Error::InvalidInput`] with its English and Dutch reason.
    pub fn invalid(en: impl Into<String>, nl: impl Into<String>) -> Error {
        Error::InvalidInput {
            reason: en.into(),
            reason_nl: nl.into(),
        }
    }

    pub(crate) fn access(needed: Text, rule: &str) -> Error {
        Error::AccessDenied {
            needed: needed.0,
            needed_nl: needed.1,
            rule: rule.to_owned(),
        }
    }

    pub(crate) fn check_in_window(at: DateTime<Utc>, from: DateTime<Utc>, until: DateTime<Utc>) -> Error {
        Error::CheckInOutsideWindow {
            at: local_text(at),
            from: hm(from),
            until: hm(until),
        }
    }
}

/// A phrase in English and Dutch, for the free-text parts of messages (AUD-3).
pub(crate) type Text = (String, String);

/// Builds a [`Text`].
pub(crate) fn txt(en: impl Into<String>, nl: impl Into<String>) -> Text {
    (en.into(), nl.into())
}

/// Result with the engine's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_owned()
    }

    /// One of every variant (a new variant breaks the exhaustive match below until added).
    pub(crate) fn all() -> Vec<Error> {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
        let v = vec![
            Error::InvalidInsz {
                reason_en: s("x"),
                reason_nl: s("y"),
            },
            Error::InvalidEmail {
                reason: s("no @"),
                reason_nl: s("geen @"),
            },
            Error::InvalidName,
            Error::BirthDateMismatch { given: d },
            Error::NonexistentLocalTime {
                date: d,
                time: NaiveTime::MIN,
            },
            Error::InvalidParameter {
                name: s("rounding"),
                allowed: s("1..=1440"),
                allowed_nl: s("1..=1440"),
            },
            Error::AlreadyExists {
                what: Entity::Session,
                id: s("S-1"),
            },
            Error::DuplicateNationalNumber {
                existing: Some(s("p-ann")),
            },
            Error::InvalidBatchSignature,
            Error::DeviceRevoked { device: s("d-1") },
            Error::UnknownSync,
            Error::DeviceNotValid { device: s("d-1") },
            Error::RegisteredMeanwhile {
                person: s("p"),
                until: s("11:00"),
            },
            Error::Unknown {
                what: Entity::Project,
                id: s("P-9"),
            },
            Error::BranchNotOfOrganisation {
                branch: s("b"),
                organisation: s("o"),
            },
            Error::DuplicateTrainingCode { code: s("C") },
            Error::TooManyTrainings { max: 3 },
            Error::ElearningNotAllowed,
            Error::AccessDenied {
                needed: s("a grant"),
                needed_nl: s("een recht"),
                rule: s("ACC-1"),
            },
            Error::CommandIdReused { command_id: s("c") },
            Error::UnsupportedSchemaVersion { found: 9, expected: 1 },
            Error::DamagedLog {
                position: 3,
                reason: s("x"),
                reason_nl: s("y"),
            },
            Error::InvalidInput {
                reason: s("x"),
                reason_nl: s("y"),
            },
            Error::InvalidId {
                field: s("person"),
                reason: s("x"),
                reason_nl: s("y"),
                rule: s("ID-3"),
            },
            Error::InvalidRecord {
                path: s("sessions[0]"),
                reason: s("x"),
                reason_nl: s("y"),
                rule: s("SES-1"),
            },
            Error::InvalidSessionTimes {
                reason: s("x"),
                reason_nl: s("y"),
            },
            Error::TrainingOverlap {
                other: s("S"),
                other_start: s("09:00"),
                other_end: s("10:00"),
            },
            Error::TrainerOverlap {
                trainer: s("t"),
                other: s("S"),
                other_start: s("09:00"),
                other_end: s("10:00"),
            },
            Error::WrongStatus {
                session: s("S"),
                status: s("Planned"),
                needed: s("x"),
                needed_nl: s("y"),
                rule: s("SES-3"),
            },
            Error::NotSessionDay {
                session: s("S"),
                date: d,
                today: d,
            },
            Error::SessionHasAttendance { session: s("S") },
            Error::AlreadyParticipant {
                person: s("p"),
                session: s("S"),
            },
            Error::NotParticipant {
                person: s("p"),
                session: s("S"),
            },
            Error::InvalidToken {
                reason: s("x"),
                reason_nl: s("y"),
            },
            Error::TokenOtherProject,
            Error::CheckInOutsideWindow {
                at: s("08:00"),
                from: s("08:30"),
                until: s("12:00"),
            },
            Error::CheckOutOutsideWindow {
                at: s("13:00"),
                from: s("09:00"),
                until: s("12:30"),
            },
            Error::AlreadyPresent {
                person: s("p"),
                since: s("09:00"),
            },
            Error::NotPresent { person: s("p") },
            Error::HasAttendance {
                person: s("p"),
                session: s("S"),
            },
            Error::TimeInFuture {
                time: s("t"),
                at: s("a"),
            },
            Error::RegistrationClosed {
                session: s("S"),
                date: d,
                deadline: s("x"),
            },
            Error::ProblemReportTooLate {
                session: s("S"),
                deadline: s("x"),
            },
            Error::NoProblemReport { session: s("S") },
            Error::InvalidCorrectionWindow,
            Error::NotElearning {
                reason: s("x"),
                reason_nl: s("y"),
            },
            Error::FutureEntry { date: d, today: d },
            Error::InvalidEntry {
                reason: s("x"),
                reason_nl: s("y"),
            },
            Error::DailyHoursExceeded {
                date: d,
                total: Decimal::from(25),
                cap: Decimal::from(24),
            },
            Error::EntryOverlap {
                other: s("x"),
                from: s("a"),
                until: s("b"),
            },
            Error::SelfApproval,
            Error::EntryStatus {
                entry: s("E"),
                status: s("Approved"),
                needed: s("Pending"),
                needed_nl: s("Pending (x)"),
            },
            Error::InvalidMlpField {
                field: s("sex"),
                reason: s("x"),
                reason_nl: s("y"),
            },
        ];
        for e in &v {
            // Exhaustiveness guard: adding a variant without a sample fails to compile here.
            match e {
                Error::InvalidInsz { .. }
                | Error::InvalidEmail { .. }
                | Error::InvalidName
                | Error::BirthDateMismatch { .. }
                | Error::NonexistentLocalTime { .. }
                | Error::InvalidParameter { .. }
                | Error::AlreadyExists { .. }
                | Error::DuplicateNationalNumber { .. }
                | Error::InvalidBatchSignature
                | Error::DeviceRevoked { .. }
                | Error::UnknownSync
                | Error::DeviceNotValid { .. }
                | Error::RegisteredMeanwhile { .. }
                | Error::Unknown { .. }
                | Error::BranchNotOfOrganisation { .. }
                | Error::DuplicateTrainingCode { .. }
                | Error::TooManyTrainings { .. }
                | Error::ElearningNotAllowed
                | Error::AccessDenied { .. }
                | Error::CommandIdReused { .. }
                | Error::UnsupportedSchemaVersion { .. }
                | Error::DamagedLog { .. }
                | Error::InvalidInput { .. }
                | Error::InvalidId { .. }
                | Error::InvalidRecord { .. }
                | Error::InvalidSessionTimes { .. }
                | Error::TrainingOverlap { .. }
                | Error::TrainerOverlap { .. }
                | Error::WrongStatus { .. }
                | Error::NotSessionDay { .. }
                | Error::SessionHasAttendance { .. }
                | Error::AlreadyParticipant { .. }
                | Error::NotParticipant { .. }
                | Error::InvalidToken { .. }
                | Error::TokenOtherProject
                | Error::CheckInOutsideWindow { .. }
                | Error::CheckOutOutsideWindow { .. }
                | Error::AlreadyPresent { .. }
                | Error::NotPresent { .. }
                | Error::HasAttendance { .. }
                | Error::TimeInFuture { .. }
                | Error::RegistrationClosed { .. }
                | Error::ProblemReportTooLate { .. }
                | Error::NoProblemReport { .. }
                | Error::InvalidCorrectionWindow
                | Error::NotElearning { .. }
                | Error::FutureEntry { .. }
                | Error::InvalidEntry { .. }
                | Error::DailyHoursExceeded { .. }
                | Error::EntryOverlap { .. }
                | Error::SelfApproval
                | Error::EntryStatus { .. }
                | Error::InvalidMlpField { .. } => {}
            }
        }
        v
    }

    #[test]
    fn aud_3_codes_unique_rules_named_messages_in_dutch_and_english() {
        let all = all();
        let mut codes: Vec<&str> = all.iter().map(Error::code).collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        // AccessDenied and WrongStatus carry their rule; every other code is one variant.
        assert_eq!(codes.len(), n, "codes are unique per variant");
        for e in &all {
            assert!(e.rule().contains('-'), "{} has a rule", e.code());
            assert!(
                !e.message_nl().is_empty() && e.message_nl() != e.message_en(),
                "{}: Dutch and English differ",
                e.code()
            );
            assert!(
                e.code().chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{} is snake_case",
                e.code()
            );
            let json = serde_json::to_string(e).unwrap_or_default();
            assert_eq!(
                serde_json::from_str::<Error>(&json).ok().as_ref(),
                Some(e),
                "{} round-trips",
                e.code()
            );
        }
    }

    #[test]
    fn aud_3_every_code_is_documented() {
        let doc = include_str!("../../docs/errors.md");
        for e in all() {
            assert!(
                doc.contains(&format!("`{}`", e.code())),
                "docs/errors.md lacks `{}`",
                e.code()
            );
        }
    }
}
