//! Commands: what a host asks the ledger to do. Serialised with a `type` tag in snake_case.

use crate::access::{RelationshipKind, Role};
use crate::elearning::EntryInput;
use crate::identity::InszInput;
use crate::ids::*;
use crate::offline::{Batch, DeviceKey};
use crate::org::TrainingKind;
use crate::params::ParamValue;
use crate::session::Break;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

/// A manual interval for [`Command::CorrectAttendance`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalInput {
    /// Check-in.
    pub check_in: DateTime<Utc>,
    /// Check-out.
    pub check_out: DateTime<Utc>,
}

crate::tagged::tagged_enum! {
    /// Everything the ledger can be asked to do. The comment of each variant names who may.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    #[non_exhaustive]
    pub enum Command / Traced ("a command: an object with a type") {
    /// System. ORG-1.
    CreateOrganisation {
        /// Id.
        organisation: OrgId,
        /// Name.
        name: String,
    },
    /// System. ORG-1.
    AddBranch {
        /// Organisation.
        organisation: OrgId,
        /// Branch id.
        branch: BranchId,
        /// Name.
        name: String,
    },
    /// System. ORG-3.
    CreateCall {
        /// Id.
        call: CallId,
        /// Name.
        name: String,
    },
    /// System. ORG-3: puts a parameter value in force from a date.
    SetParameter {
        /// Call.
        call: CallId,
        /// In force from.
        valid_from: NaiveDate,
        /// Name and value.
        parameter: ParamValue,
    },
    /// System. DL-3: closure dates added to the call's working-day calendar.
    AddClosureDates {
        /// Call.
        call: CallId,
        /// Dates.
        dates: Vec<NaiveDate>,
    },
    /// System (identity feed). ID-1, ID-2.
    RegisterPerson {
        /// Opaque id.
        person: PersonId,
        /// Name.
        name: String,
        /// E-mail.
        email: String,
        /// National number (bare or formatted), checked by the ledger (ID-1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        insz: Option<InszInput>,
        /// Birth date, when no INSZ holds it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        birth_date: Option<NaiveDate>,
        /// Employer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        organisation: Option<OrgId>,
    },
    /// System (ESF back office). ORG-1.
    CreateProject {
        /// Id.
        project: ProjectId,
        /// ESF project number.
        number: String,
        /// Call.
        call: CallId,
        /// Promoter organisation.
        promoter: OrgId,
        /// Promoter branch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<BranchId>,
        /// Partner organisations.
        #[serde(default)]
        partners: Vec<OrgId>,
    },
    /// System. ORG-2.
    AddTraining {
        /// Id.
        training: TrainingId,
        /// Project.
        project: ProjectId,
        /// Unique code within the project.
        code: String,
        /// Name.
        name: String,
        /// Kind.
        kind: TrainingKind,
    },
    /// System (identity feed). ACC-1, ACC-2.
    GrantRole {
        /// Grant id.
        grant: GrantId,
        /// Holder.
        person: PersonId,
        /// Role.
        role: Role,
        /// Organisation.
        organisation: OrgId,
        /// Branch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        branch: Option<BranchId>,
        /// First valid day.
        valid_from: NaiveDate,
        /// Last valid day.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_until: Option<NaiveDate>,
    },
    /// System (identity feed). ACC-2: the grant ends at the command's instant.
    RevokeGrant {
        /// Grant.
        grant: GrantId,
    },
    /// System (identity feed). ACC-3.
    AddWorkRelationship {
        /// Id.
        relationship: RelationshipId,
        /// Trainer.
        person: PersonId,
        /// Trainer's organisation.
        organisation: OrgId,
        /// Promoter.
        promoter: OrgId,
        /// Kind.
        kind: RelationshipKind,
        /// First valid day.
        valid_from: NaiveDate,
        /// Last valid day.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_until: Option<NaiveDate>,
    },
    /// OrganisationResponsible (promoter, or partner for its own sessions). SES-1, SES-2.
    PlanSession {
        /// Id.
        session: SessionId,
        /// Training.
        training: TrainingId,
        /// Date.
        date: NaiveDate,
        /// Local start.
        start: NaiveTime,
        /// Local end.
        end: NaiveTime,
        /// Trainers.
        #[serde(default)]
        trainers: Vec<PersonId>,
        /// Participants.
        #[serde(default)]
        participants: Vec<PersonId>,
        /// Location.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
        /// Planned breaks.
        #[serde(default)]
        breaks: Vec<Break>,
    },
    /// OrganisationResponsible. SES-1, SES-2: move or re-time a planned session.
    RescheduleSession {
        /// Session.
        session: SessionId,
        /// New date.
        date: NaiveDate,
        /// New start.
        start: NaiveTime,
        /// New end.
        end: NaiveTime,
        /// New breaks.
        #[serde(default)]
        breaks: Vec<Break>,
    },
    /// OrganisationResponsible. SES-2: replaces the trainers.
    AssignTrainers {
        /// Session.
        session: SessionId,
        /// Trainers.
        trainers: Vec<PersonId>,
    },
    /// OrganisationResponsible. SES-4.
    DeleteSession {
        /// Session.
        session: SessionId,
    },
    /// OrganisationResponsible. QR-1, QR-3.
    AddParticipant {
        /// Session.
        session: SessionId,
        /// Person.
        person: PersonId,
    },
    /// Assigned trainer or OrganisationResponsible. SES-3.
    StartSession {
        /// Session.
        session: SessionId,
    },
    /// Assigned trainer or OrganisationResponsible. SES-3, SES-6.
    CloseSession {
        /// Session.
        session: SessionId,
    },
    /// Assigned trainer or OrganisationResponsible. ATT-1..4, QR-2, DL-1, DL-2.
    CheckIn {
        /// Session.
        session: SessionId,
        /// By hand: the person.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person: Option<PersonId>,
        /// By scan: the QR token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// The registered instant (default: the command's instant).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            serialize_with = "crate::calendar::instant_serde::option::serialize"
        )]
        time: Option<DateTime<Utc>>,
    },
    /// Assigned trainer or OrganisationResponsible. ATT-1..4.
    CheckOut {
        /// Session.
        session: SessionId,
        /// By hand: the person.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person: Option<PersonId>,
        /// By scan: the QR token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// The registered instant (default: the command's instant).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            serialize_with = "crate::calendar::instant_serde::option::serialize"
        )]
        time: Option<DateTime<Utc>>,
    },
    /// Assigned trainer or OrganisationResponsible. ATT-5.
    MarkAbsent {
        /// Session.
        session: SessionId,
        /// Person.
        person: PersonId,
    },
    /// OrganisationResponsible of the promoter organisation only. SES-3, ORG-4.
    SubmitSession {
        /// Session.
        session: SessionId,
    },
    /// OrganisationResponsible. DL-2: a registration problem, up to the deadline.
    ReportProblem {
        /// Session.
        session: SessionId,
        /// What went wrong.
        description: String,
    },
    /// EsfSupport. DL-2.
    GrantCorrectionWindow {
        /// Session.
        session: SessionId,
        /// From.
        from: DateTime<Utc>,
        /// Until.
        until: DateTime<Utc>,
    },
    /// EsfSupport. SES-5.
    ReopenSession {
        /// Session.
        session: SessionId,
    },
    /// OrganisationResponsible, on a reopened session. SES-5: replaces a participant's
    /// intervals.
    CorrectAttendance {
        /// Session.
        session: SessionId,
        /// Person.
        person: PersonId,
        /// The corrected intervals.
        intervals: Vec<IntervalInput>,
    },
    /// OrganisationResponsible. EL-1: an e-learning participant and their supervisor.
    CreateElearningParticipant {
        /// Project.
        project: ProjectId,
        /// Participant.
        person: PersonId,
        /// Supervisor.
        supervisor: PersonId,
    },
    /// The participant (ProjectStaff). EL-1, EL-3.
    EnterElearningHours {
        /// Entry id.
        entry: EntryId,
        /// The e-learning training.
        training: TrainingId,
        /// Date, duration, times.
        #[serde(flatten)]
        input: EntryInput,
    },
    /// The participant. EL-3: corrects a rejected entry, which becomes pending again.
    CorrectElearningEntry {
        /// Entry.
        entry: EntryId,
        /// Date, duration, times.
        #[serde(flatten)]
        input: EntryInput,
    },
    /// The linked supervisor. EL-2.
    ApproveElearningEntry {
        /// Entry.
        entry: EntryId,
    },
    /// The linked supervisor. EL-2.
    RejectElearningEntry {
        /// Entry.
        entry: EntryId,
        /// Why.
        reason: String,
    },
    /// OrganisationResponsible. MLP-1: sets profile fields of a participant of the project.
    SetMlpProfile {
        /// Project.
        project: ProjectId,
        /// Participant.
        person: PersonId,
        /// Field values.
        fields: BTreeMap<String, String>,
    },
    /// OrganisationResponsible of the project's promoter. ATT-6: registers a scanning device
    /// for the project, with its signing key and a validity period (ACC-2 dates).
    RegisterDevice {
        /// Device.
        device: DeviceId,
        /// Project.
        project: ProjectId,
        /// Signing key (base64url, 16..=64 bytes).
        device_key: DeviceKey,
        /// First day.
        valid_from: NaiveDate,
        /// Last day, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        valid_until: Option<NaiveDate>,
    },
    /// OrganisationResponsible of the project's promoter. ATT-6: revokes a device (a lost
    /// phone); its later batches are refused.
    RevokeDevice {
        /// Device.
        device: DeviceId,
    },
    /// A trainer or OrganisationResponsible of the project, or the system. ATT-6: records a
    /// synchronisation of the device at the command's instant; offline scans count from it.
    SyncDevice {
        /// Device.
        device: DeviceId,
    },
    /// The person who scanned (or the system relaying for them). ATT-6: a device's signed
    /// batch of offline scans, each applied at its reconstructed instant or answered with why
    /// not.
    SubmitOfflineBatch {
        /// The batch.
        batch: Batch,
    },
}
}

impl Command {
    /// Checks the limits of every field (`docs/limits.md`): names and texts, list sizes, years
    /// of dates and instants, times without leap seconds. Runs before any rule is decided, for
    /// commands from JSON and from code alike.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] naming the field (`command.<field>`) and the limit.
    pub fn check_limits(&self) -> Result<(), crate::Error> {
        use crate::limits::{self as lim, *};
        let dates = |field: &str, ds: &[Option<NaiveDate>]| -> Result<(), crate::Error> {
            ds.iter().flatten().try_for_each(|d| lim::date(field, *d))
        };
        let breaks = |bs: &[Break]| -> Result<(), crate::Error> {
            count("command.breaks", bs.len(), MAX_BREAKS)?;
            bs.iter().try_for_each(|b| {
                lim::time("command.breaks.start", b.start).and(lim::time("command.breaks.end", b.end))
            })
        };
        let entry = |i: &EntryInput| -> Result<(), crate::Error> {
            lim::date("command.date", i.date)?;
            [i.start, i.end]
                .iter()
                .flatten()
                .try_for_each(|t| lim::time("command.start", *t))
        };
        match self {
            Command::CreateOrganisation { name: n, .. }
            | Command::AddBranch { name: n, .. }
            | Command::CreateCall { name: n, .. } => name("command.name", n),
            Command::SetParameter { valid_from, .. } => lim::date("command.valid_from", *valid_from),
            Command::AddClosureDates { dates: ds, .. } => {
                count("command.dates", ds.len(), MAX_CLOSURE_DATES)?;
                ds.iter().try_for_each(|d| lim::date("command.dates", *d))
            }
            Command::RegisterPerson { email, birth_date, .. } => {
                // The name is checked by `Person::new` (ID-2: invalid_name).
                short("command.email", email, MAX_EMAIL_CHARS)?;
                // A birth date may lie before 2000; only the ledger's own dates are bounded.
                match birth_date {
                    Some(d) if !(1900..=2099).contains(&d.year()) => Err(crate::Error::invalid(
                        "command.birth_date: a date in the years 1900..=2099",
                        "command.birth_date: een datum in de jaren 1900..=2099",
                    )),
                    _ => Ok(()),
                }
            }
            Command::CreateProject { number, partners, .. } => {
                name("command.number", number)?;
                count("command.partners", partners.len(), MAX_PARTNERS)
            }
            Command::AddTraining { code, name: n, .. } => {
                name("command.code", code)?;
                name("command.name", n)
            }
            Command::GrantRole {
                valid_from,
                valid_until,
                ..
            }
            | Command::AddWorkRelationship {
                valid_from,
                valid_until,
                ..
            } => dates("command.valid_from", &[Some(*valid_from), *valid_until]),
            Command::PlanSession {
                date,
                start,
                end,
                trainers,
                participants,
                location,
                breaks: bs,
                ..
            } => {
                lim::date("command.date", *date)?;
                lim::time("command.start", *start)?;
                lim::time("command.end", *end)?;
                count("command.trainers", trainers.len(), MAX_TRAINERS)?;
                count("command.participants", participants.len(), MAX_PARTICIPANTS)?;
                location.as_deref().map_or(Ok(()), |l| name("command.location", l))?;
                breaks(bs)
            }
            Command::RescheduleSession {
                date,
                start,
                end,
                breaks: bs,
                ..
            } => {
                lim::date("command.date", *date)?;
                lim::time("command.start", *start)?;
                lim::time("command.end", *end)?;
                breaks(bs)
            }
            Command::AssignTrainers { trainers, .. } => count("command.trainers", trainers.len(), MAX_TRAINERS),
            Command::CheckIn { token, time, .. } | Command::CheckOut { token, time, .. } => {
                token
                    .as_deref()
                    .map_or(Ok(()), |t| short("command.token", t, MAX_TOKEN_CHARS))?;
                time.map_or(Ok(()), |t| instant("command.time", t))
            }
            Command::ReportProblem { description, .. } => text("command.description", description),
            Command::GrantCorrectionWindow { from, until, .. } => {
                instant("command.from", *from)?;
                instant("command.until", *until)
            }
            Command::CorrectAttendance { intervals, .. } => {
                count("command.intervals", intervals.len(), MAX_INTERVALS)?;
                intervals.iter().try_for_each(|i| {
                    instant("command.intervals.check_in", i.check_in)?;
                    instant("command.intervals.check_out", i.check_out)
                })
            }
            Command::EnterElearningHours { input, .. } | Command::CorrectElearningEntry { input, .. } => entry(input),
            Command::RejectElearningEntry { reason, .. } => text("command.reason", reason),
            Command::SetMlpProfile { fields, .. } => {
                count("command.fields", fields.len(), MAX_MLP_FIELDS)?;
                fields.iter().try_for_each(|(k, v)| {
                    short("command.fields", k, 64)?;
                    text("command.fields", v)
                })
            }
            Command::RegisterDevice {
                valid_from,
                valid_until,
                ..
            } => dates("command.valid_from", &[Some(*valid_from), *valid_until]),
            Command::SubmitOfflineBatch { batch } => {
                count(
                    "command.batch.scans",
                    batch.scans.len(),
                    crate::offline::MAX_SCANS_PER_BATCH,
                )?;
                instant("command.batch.sync_at", batch.sync_at)?;
                short("command.batch.signature", &batch.signature, 128)?;
                batch.scans.iter().try_for_each(|s| {
                    instant("command.batch.scans.device_time", s.device_time)?;
                    s.token
                        .as_deref()
                        .map_or(Ok(()), |t| short("command.batch.scans.token", t, MAX_TOKEN_CHARS))
                })
            }
            Command::RevokeDevice { .. } | Command::SyncDevice { .. } => Ok(()),
            Command::RevokeGrant { .. }
            | Command::DeleteSession { .. }
            | Command::AddParticipant { .. }
            | Command::StartSession { .. }
            | Command::CloseSession { .. }
            | Command::MarkAbsent { .. }
            | Command::SubmitSession { .. }
            | Command::ReopenSession { .. }
            | Command::CreateElearningParticipant { .. }
            | Command::ApproveElearningEntry { .. } => Ok(()),
        }
    }
}

/// Where a command that failed to decode went wrong, with its full field path
/// (`command.intervals[1].check_out`): decodes it again in the externally tagged form.
pub(crate) fn trace(root: &str, command: &serde_json::Value) -> Option<crate::decode::Problem> {
    let obj = command.as_object()?;
    let ty = obj.get("type")?.as_str()?;
    let mut rest = obj.clone();
    rest.remove("type");
    let mut outer = serde_json::Map::new();
    outer.insert(ty.to_owned(), serde_json::Value::Object(rest));
    let mut p = crate::decode::decode_value::<Traced>(serde_json::Value::Object(outer), "").err()?;
    // The first segment is the variant (the command's type): drop it, keep the field path.
    let tail = match p.path.find(['.', '[']) {
        Some(i) if p.path.as_bytes().get(i) == Some(&b'.') => {
            p.path.get(i.saturating_add(1)..).unwrap_or("").to_owned()
        }
        Some(i) => p.path.get(i..).unwrap_or("").to_owned(),
        None => String::new(),
    };
    // A flattened part (`EntryInput` of the e-learning commands) is buffered by serde and
    // loses its path: decode it alone to find the field.
    if tail.is_empty()
        && matches!(ty, "enter_elearning_hours" | "correct_elearning_entry")
        && let Some(deeper) = entry_input_problem(obj)
    {
        p = deeper;
        p.path = crate::decode::join(root, &p.path);
        return Some(p);
    }
    p.path = crate::decode::join(root, &tail);
    Some(p)
}

/// The problem of the entry fields of an e-learning command decoded on their own.
fn entry_input_problem(obj: &serde_json::Map<String, serde_json::Value>) -> Option<crate::decode::Problem> {
    let fields: serde_json::Map<String, serde_json::Value> = obj
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "date" | "minutes" | "start" | "end"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    crate::decode::decode_value::<EntryInput>(serde_json::Value::Object(fields), "").err()
}
