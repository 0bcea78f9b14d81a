//! The checks: a command against the state, yielding events or the first rule it breaks.
//! Nothing here mutates; [`super::State::evolve`] folds the events afterwards.

use super::Envelope;
use super::authz::{Authz, Standing, edit, not_your_session, run, support};
use super::command::{Command, IntervalInput};
use super::event::Event;
use super::state::State;
use crate::access::{Grant, Role, Validity, WorkRelationship};
use crate::calendar::{brussels_instant, hm, local_date, local_text};
use crate::elearning::{Entry, EntryInput, EntryStatus};
use crate::error::{Entity, Error, Text, txt};
use crate::identity::{Email, Insz, Person};
use crate::ids::*;
use crate::mlp;
use crate::org::{Project, Training, TrainingKind};
use crate::params::Params;
use crate::qr::Keyring;
use crate::session::{Interval, Method, Session, SessionStatus, Timing};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::collections::BTreeSet;

pub(crate) struct Cx<'a> {
    s: &'a State,
    keys: &'a Keyring,
    az: Authz<'a>,
    at: DateTime<Utc>,
    today: NaiveDate,
}

fn exists(what: Entity, id: &str) -> Error {
    Error::AlreadyExists {
        what,
        id: id.to_owned(),
    }
}
fn unknown(what: Entity, id: &str) -> Error {
    Error::Unknown {
        what,
        id: id.to_owned(),
    }
}
fn wrong_status(s: &Session, needed: (&str, &str), rule: &str) -> Error {
    Error::WrongStatus {
        session: s.id.to_string(),
        status: s.status.to_string(),
        needed: needed.0.to_owned(),
        needed_nl: needed.1.to_owned(),
        rule: rule.to_owned(),
    }
}

/// What a session command needs, for the refusal (ACC-6) and the roles that could allow it.
#[derive(Clone, Copy)]
enum Need {
    Edit,
    Run,
    Support,
}

impl Need {
    fn text(self) -> Text {
        match self {
            Need::Edit => edit(),
            Need::Run => run(),
            Need::Support => support(),
        }
    }
    fn roles(self) -> &'static [Role] {
        match self {
            Need::Edit => &[Role::OrganisationResponsible],
            Need::Run => &[Role::Trainer, Role::OrganisationResponsible],
            Need::Support => &[Role::EsfSupport],
        }
    }
}

/// The registration deadline of a session (DL-2), in the calendar of its call.
pub(crate) fn deadline(s: &State, sess: &Session) -> DateTime<Utc> {
    s.projects
        .get(&sess.project)
        .and_then(|p| s.calls.get(&p.call))
        .map(|c| c.calendar_on(sess.timing.date))
        .unwrap_or_default()
        .registration_deadline(sess.timing.date)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

pub(crate) fn params_for(s: &State, project: &ProjectId, date: NaiveDate) -> Params {
    s.projects
        .get(project)
        .and_then(|p| s.calls.get(&p.call))
        .map(|c| c.params_on(date))
        .unwrap_or_default()
}

pub(crate) fn decide(s: &State, keys: &Keyring, env: &Envelope) -> Result<Vec<Event>, Error> {
    let cx = Cx {
        s,
        keys,
        az: Authz {
            s,
            actor: &env.actor,
            at: env.at,
        },
        at: env.at,
        today: local_date(env.at),
    };
    cx.decide(&env.command)
}

impl<'a> Cx<'a> {
    fn decide(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let s = self.s;
        match c {
            Command::CreateOrganisation { organisation, name } => {
                self.az.require_system()?;
                if s.organisations.contains_key(organisation) {
                    return Err(exists(Entity::Organisation, organisation.as_str()));
                }
                Ok(vec![Event::OrganisationCreated {
                    organisation: organisation.clone(),
                    name: name.clone(),
                }])
            }
            Command::AddBranch {
                organisation,
                branch,
                name,
            } => {
                self.az.require_system()?;
                let o = s
                    .organisations
                    .get(organisation)
                    .ok_or_else(|| unknown(Entity::Organisation, organisation.as_str()))?;
                if o.branches.contains_key(branch) {
                    return Err(exists(Entity::Branch, branch.as_str()));
                }
                Ok(vec![Event::BranchAdded {
                    organisation: organisation.clone(),
                    branch: branch.clone(),
                    name: name.clone(),
                }])
            }
            Command::CreateCall { call, name } => {
                self.az.require_system()?;
                if s.calls.contains_key(call) {
                    return Err(exists(Entity::Call, call.as_str()));
                }
                Ok(vec![Event::CallCreated {
                    call: call.clone(),
                    name: name.clone(),
                }])
            }
            Command::SetParameter {
                call,
                valid_from,
                parameter,
            } => {
                self.az.require_system()?;
                self.call(call)?;
                parameter.validate()?;
                Ok(vec![Event::ParameterSet {
                    call: call.clone(),
                    valid_from: *valid_from,
                    parameter: parameter.clone(),
                }])
            }
            Command::AddClosureDates { call, dates } => {
                self.az.require_system()?;
                self.call(call)?;
                Ok(vec![Event::ClosureDatesAdded {
                    call: call.clone(),
                    dates: dates.clone(),
                }])
            }
            Command::RegisterPerson {
                person,
                name,
                email,
                insz,
                birth_date,
                organisation,
            } => {
                self.az.require_system()?;
                if s.persons.contains_key(person) || person.as_str() == "system" {
                    return Err(exists(Entity::Person, person.as_str()));
                }
                if let Some(o) = organisation {
                    self.org(o)?;
                }
                let insz = insz.as_ref().map(|i| Insz::parse(&i.0)).transpose()?;
                let p = Person::new(
                    person.clone(),
                    name,
                    Email::parse(email)?,
                    insz,
                    *birth_date,
                    organisation.clone(),
                )?;
                Ok(vec![Event::PersonRegistered { person: p }])
            }
            Command::CreateProject {
                project,
                number,
                call,
                promoter,
                branch,
                partners,
            } => {
                self.az.require_system()?;
                if s.projects.contains_key(project) {
                    return Err(exists(Entity::Project, project.as_str()));
                }
                self.call(call)?;
                self.org_with_branch(promoter, branch.as_ref())?;
                for p in partners {
                    self.org(p)?;
                }
                Ok(vec![Event::ProjectCreated {
                    project: Project {
                        id: project.clone(),
                        number: number.clone(),
                        call: call.clone(),
                        promoter: promoter.clone(),
                        branch: branch.clone(),
                        partners: partners.iter().filter(|p| *p != promoter).cloned().collect(),
                    },
                }])
            }
            Command::AddTraining {
                training,
                project,
                code,
                name,
                kind,
            } => {
                self.az.require_system()?;
                if s.trainings.contains_key(training) {
                    return Err(exists(Entity::Training, training.as_str()));
                }
                let p = s
                    .projects
                    .get(project)
                    .ok_or_else(|| unknown(Entity::Project, project.as_str()))?;
                let codes = s.idx.project_codes.get(project);
                if codes.is_some_and(|c| c.contains_key(code)) {
                    return Err(Error::DuplicateTrainingCode { code: code.clone() });
                }
                let params = s
                    .calls
                    .get(&p.call)
                    .map(|c| c.params_on(self.today))
                    .unwrap_or_default();
                if let Some(max) = params.max_trainings_per_project
                    && codes.map_or(0, |c| c.len()) >= max as usize
                {
                    return Err(Error::TooManyTrainings { max });
                }
                if *kind == TrainingKind::ELearning && !params.elearning_allowed {
                    return Err(Error::ElearningNotAllowed);
                }
                Ok(vec![Event::TrainingAdded {
                    training: Training {
                        id: training.clone(),
                        project: project.clone(),
                        code: code.clone(),
                        name: name.clone(),
                        kind: *kind,
                    },
                }])
            }
            Command::GrantRole {
                grant,
                person,
                role,
                organisation,
                branch,
                valid_from,
                valid_until,
            } => {
                self.az.require_system()?;
                if s.grants.contains_key(grant) {
                    return Err(exists(Entity::Grant, grant.as_str()));
                }
                self.person(person)?;
                self.org_with_branch(organisation, branch.as_ref())?;
                let validity = validity(*valid_from, *valid_until)?;
                Ok(vec![Event::RoleGranted {
                    grant: Grant {
                        id: grant.clone(),
                        person: person.clone(),
                        role: *role,
                        organisation: organisation.clone(),
                        branch: branch.clone(),
                        validity,
                        revoked_at: None,
                    },
                }])
            }
            Command::RevokeGrant { grant } => {
                self.az.require_system()?;
                let g = s
                    .grants
                    .get(grant)
                    .ok_or_else(|| unknown(Entity::Grant, grant.as_str()))?;
                if g.revoked_at.is_some() {
                    return Err(Error::invalid(
                        format!("grant {grant} is already revoked"),
                        format!("recht {grant} is al ingetrokken"),
                    ));
                }
                Ok(vec![Event::GrantRevoked {
                    grant: grant.clone(),
                    at: self.at,
                }])
            }
            Command::AddWorkRelationship {
                relationship,
                person,
                organisation,
                promoter,
                kind,
                valid_from,
                valid_until,
            } => {
                self.az.require_system()?;
                if s.relationships.contains_key(relationship) {
                    return Err(exists(Entity::Relationship, relationship.as_str()));
                }
                self.person(person)?;
                self.org(organisation)?;
                self.org(promoter)?;
                Ok(vec![Event::WorkRelationshipAdded {
                    relationship: WorkRelationship {
                        id: relationship.clone(),
                        person: person.clone(),
                        organisation: organisation.clone(),
                        promoter: promoter.clone(),
                        kind: *kind,
                        validity: validity(*valid_from, *valid_until)?,
                    },
                }])
            }
            Command::PlanSession {
                session,
                training,
                date,
                start,
                end,
                trainers,
                participants,
                location,
                breaks,
            } => {
                let (t, p) = self.training_for_edit(training)?;
                let owner = match self.az.check_editor(None, p)? {
                    Standing::Promoter => p.promoter.clone(),
                    Standing::Partner(o) => o,
                };
                if t.kind != TrainingKind::Classroom {
                    return Err(Error::InvalidSessionTimes {
                        reason: format!("training {} is an e-learning training; it has no sessions (EL-1)", t.id),
                        reason_nl: format!(
                            "opleiding {} is een e-learningopleiding; die heeft geen sessies (EL-1)",
                            t.id
                        ),
                    });
                }
                if s.sessions.contains_key(session) {
                    return Err(exists(Entity::Session, session.as_str()));
                }
                let timing = Timing::new(*date, *start, *end, breaks.clone())?;
                self.check_training_free(training, &timing, None)?;
                let trainers = self.persons_set(trainers)?;
                self.check_trainers_free(&trainers, &timing, None)?;
                let participants = self.persons_set(participants)?;
                let mut ev = vec![Event::SessionPlanned {
                    session: session.clone(),
                    project: p.id.clone(),
                    training: training.clone(),
                    owner,
                    timing,
                    location: location.clone(),
                    trainers,
                    participants: participants.clone(),
                }];
                ev.extend(self.qr_effects(&p.id, participants.iter()));
                Ok(ev)
            }
            Command::RescheduleSession {
                session,
                date,
                start,
                end,
                breaks,
            } => {
                let (sess, p) = self.session(session, Need::Edit)?;
                self.az.check_editor(Some(sess), p)?;
                if sess.status != SessionStatus::Planned {
                    return Err(wrong_status(sess, ("Planned", "Planned (gepland)"), "SES-3"));
                }
                let timing = Timing::new(*date, *start, *end, breaks.clone())?;
                self.check_training_free(&sess.training, &timing, Some(session))?;
                self.check_trainers_free(&sess.trainers, &timing, Some(session))?;
                Ok(vec![Event::SessionRescheduled {
                    session: session.clone(),
                    timing,
                }])
            }
            Command::AssignTrainers { session, trainers } => {
                let (sess, p) = self.session(session, Need::Edit)?;
                self.az.check_editor(Some(sess), p)?;
                if !matches!(sess.status, SessionStatus::Planned | SessionStatus::InProgress) {
                    return Err(wrong_status(
                        sess,
                        (
                            "Planned or InProgress",
                            "Planned of InProgress (gepland of in uitvoering)",
                        ),
                        "SES-3",
                    ));
                }
                let trainers = self.persons_set(trainers)?;
                self.check_trainers_free(&trainers, &sess.timing, Some(session))?;
                Ok(vec![Event::TrainersAssigned {
                    session: session.clone(),
                    trainers,
                }])
            }
            Command::DeleteSession { session } => {
                let (sess, p) = self.session(session, Need::Edit)?;
                self.az.check_editor(Some(sess), p)?;
                if sess.has_attendance() {
                    return Err(Error::SessionHasAttendance {
                        session: session.to_string(),
                    });
                }
                if sess.status != SessionStatus::Planned {
                    return Err(wrong_status(sess, ("Planned", "Planned (gepland)"), "SES-4"));
                }
                Ok(vec![Event::SessionDeleted {
                    session: session.clone(),
                }])
            }
            Command::AddParticipant { session, person } => {
                let (sess, p) = self.session(session, Need::Edit)?;
                self.az.check_editor(Some(sess), p)?;
                if !matches!(sess.status, SessionStatus::Planned | SessionStatus::InProgress) {
                    return Err(wrong_status(
                        sess,
                        (
                            "Planned or InProgress",
                            "Planned of InProgress (gepland of in uitvoering)",
                        ),
                        "QR-3",
                    ));
                }
                self.person(person)?;
                if sess.participants.contains_key(person) {
                    return Err(Error::AlreadyParticipant {
                        person: person.to_string(),
                        session: session.to_string(),
                    });
                }
                let mut ev = vec![Event::ParticipantAdded {
                    session: session.clone(),
                    person: person.clone(),
                }];
                ev.extend(self.qr_effects(&p.id, std::iter::once(person)));
                Ok(ev)
            }
            Command::StartSession { session } => {
                let (sess, p) = self.session(session, Need::Run)?;
                self.az.check_runner(sess, p)?;
                if sess.status != SessionStatus::Planned {
                    return Err(wrong_status(sess, ("Planned", "Planned (gepland)"), "SES-3"));
                }
                if self.today != sess.timing.date && !sess.in_correction_window(self.at) {
                    return Err(Error::NotSessionDay {
                        session: session.to_string(),
                        date: sess.timing.date,
                        today: self.today,
                    });
                }
                Ok(vec![Event::SessionStarted {
                    session: session.clone(),
                }])
            }
            Command::CloseSession { session } => {
                let (sess, p) = self.session(session, Need::Run)?;
                self.az.check_runner(sess, p)?;
                if sess.status != SessionStatus::InProgress {
                    return Err(wrong_status(
                        sess,
                        ("InProgress", "InProgress (in uitvoering)"),
                        "SES-3",
                    ));
                }
                // SES-6: everyone still present leaves at the close, never past the planned end.
                let out = self.at.min(sess.timing.end_at);
                let mut ev: Vec<Event> = sess
                    .participants
                    .iter()
                    .filter_map(|(person, rec)| {
                        rec.present_since.map(|(since, _, late)| Event::CheckedOut {
                            session: session.clone(),
                            person: person.clone(),
                            time: out.max(since),
                            method: Method::ClosedByTrainer,
                            late,
                        })
                    })
                    .collect();
                ev.push(Event::SessionClosed {
                    session: session.clone(),
                });
                Ok(ev)
            }
            Command::CheckIn {
                session,
                person,
                token,
                time,
            } => {
                let (sess, p) = self.session(session, Need::Run)?;
                self.az.check_runner(sess, p)?;
                let (who, method) = self.who(sess, person, token)?;
                let rec = &sess.participants[&who];
                let time = self.registered_time(*time)?;
                let late = self.registration(sess)?;
                let params = params_for(s, &sess.project, sess.timing.date);
                let from = sess.timing.start_at - Duration::minutes(i64::from(params.check_in_early_minutes));
                let until = sess.timing.end_at;
                if let Some((since, _, _)) = rec.present_since {
                    return Err(Error::AlreadyPresent {
                        person: who.to_string(),
                        since: hm(since),
                    });
                }
                let from = rec
                    .intervals
                    .iter()
                    .map(|i| i.check_out)
                    .max()
                    .map_or(from, |last| last.max(from));
                if time < from || time > until {
                    return Err(Error::check_in_window(time, from, until));
                }
                Ok(vec![Event::CheckedIn {
                    session: session.clone(),
                    person: who,
                    time,
                    method,
                    late,
                }])
            }
            Command::CheckOut {
                session,
                person,
                token,
                time,
            } => {
                let (sess, p) = self.session(session, Need::Run)?;
                self.az.check_runner(sess, p)?;
                let (who, method) = self.who(sess, person, token)?;
                let rec = &sess.participants[&who];
                let time = self.registered_time(*time)?;
                let late = self.registration(sess)?;
                let Some((since, _, _)) = rec.present_since else {
                    return Err(Error::NotPresent {
                        person: who.to_string(),
                    });
                };
                let params = params_for(s, &sess.project, sess.timing.date);
                let until = sess.timing.end_at + Duration::minutes(i64::from(params.check_out_late_minutes));
                if time < since || time > until {
                    return Err(Error::CheckOutOutsideWindow {
                        at: local_text(time),
                        from: hm(since),
                        until: hm(until),
                    });
                }
                Ok(vec![Event::CheckedOut {
                    session: session.clone(),
                    person: who,
                    time,
                    method,
                    late,
                }])
            }
            Command::MarkAbsent { session, person } => {
                let (sess, p) = self.session(session, Need::Run)?;
                self.az.check_runner(sess, p)?;
                let rec = sess.participants.get(person).ok_or_else(|| Error::NotParticipant {
                    person: person.to_string(),
                    session: session.to_string(),
                })?;
                if matches!(sess.status, SessionStatus::Planned) {
                    return Err(wrong_status(
                        sess,
                        ("InProgress", "InProgress (in uitvoering)"),
                        "ATT-5",
                    ));
                }
                self.registration(sess)?;
                if rec.has_attendance() {
                    return Err(Error::HasAttendance {
                        person: person.to_string(),
                        session: session.to_string(),
                    });
                }
                Ok(vec![Event::MarkedAbsent {
                    session: session.clone(),
                    person: person.clone(),
                }])
            }
            Command::SubmitSession { session } => {
                let (sess, p) = self.session(session, Need::Edit)?;
                match self.az.standing(p) {
                    Some(Standing::Promoter) => {}
                    Some(Standing::Partner(_)) => {
                        return Err(Error::access(submitter(), "ORG-4"));
                    }
                    None => {
                        return Err(self.az.deny(Some(p), &[Role::OrganisationResponsible], submitter()));
                    }
                }
                if sess.status != SessionStatus::Executed {
                    return Err(wrong_status(sess, ("Executed", "Executed (uitgevoerd)"), "SES-3"));
                }
                Ok(vec![Event::SessionSubmitted {
                    session: session.clone(),
                }])
            }
            Command::ReportProblem { session, description } => {
                let (sess, p) = self.session(session, Need::Edit)?;
                self.az.check_editor(Some(sess), p)?;
                if sess.status == SessionStatus::Submitted {
                    return Err(wrong_status(
                        sess,
                        ("not Submitted", "niet Submitted (niet ingediend)"),
                        "SES-5",
                    ));
                }
                let dl = deadline(s, sess);
                if self.at > dl {
                    return Err(Error::ProblemReportTooLate {
                        session: session.to_string(),
                        deadline: local_text(dl),
                    });
                }
                Ok(vec![Event::ProblemReported {
                    session: session.clone(),
                    description: description.clone(),
                }])
            }
            Command::GrantCorrectionWindow { session, from, until } => {
                self.az.require_support()?;
                let (sess, _) = self.session(session, Need::Support)?;
                if sess.status == SessionStatus::Submitted {
                    return Err(wrong_status(
                        sess,
                        (
                            "not Submitted (reopen it first)",
                            "niet Submitted (laat ze eerst heropenen)",
                        ),
                        "SES-5",
                    ));
                }
                if sess.problem_reported_at.is_none() {
                    return Err(Error::NoProblemReport {
                        session: session.to_string(),
                    });
                }
                if until <= from {
                    return Err(Error::InvalidCorrectionWindow);
                }
                Ok(vec![Event::CorrectionWindowGranted {
                    session: session.clone(),
                    from: *from,
                    until: *until,
                }])
            }
            Command::ReopenSession { session } => {
                self.az.require_support()?;
                let (sess, _) = self.session(session, Need::Support)?;
                if sess.status != SessionStatus::Submitted {
                    return Err(wrong_status(sess, ("Submitted", "Submitted (ingediend)"), "SES-5"));
                }
                Ok(vec![Event::SessionReopened {
                    session: session.clone(),
                }])
            }
            Command::CorrectAttendance {
                session,
                person,
                intervals,
            } => {
                let (sess, p) = self.session(session, Need::Edit)?;
                self.az.check_editor(Some(sess), p)?;
                if !(sess.reopened && sess.status == SessionStatus::Executed) {
                    return Err(wrong_status(
                        sess,
                        (
                            "Executed after a reopening by ESF support",
                            "Executed na heropening door ESF-support",
                        ),
                        "SES-5",
                    ));
                }
                if !sess.participants.contains_key(person) {
                    return Err(Error::NotParticipant {
                        person: person.to_string(),
                        session: session.to_string(),
                    });
                }
                let intervals = self.corrected_intervals(sess, intervals)?;
                Ok(vec![Event::AttendanceCorrected {
                    session: session.clone(),
                    person: person.clone(),
                    intervals,
                }])
            }
            Command::CreateElearningParticipant {
                project,
                person,
                supervisor,
            } => {
                let p = self.project_for_edit(project)?;
                self.az.check_editor(None, p)?;
                self.person(person)?;
                self.person(supervisor)?;
                if person == supervisor {
                    return Err(Error::SelfApproval);
                }
                Ok(vec![Event::ElearningParticipantCreated {
                    project: project.clone(),
                    person: person.clone(),
                    supervisor: supervisor.clone(),
                }])
            }
            Command::EnterElearningHours { entry, training, input } => {
                let me = self.az.person().ok_or_else(|| Error::access(staff(), "EL-1"))?;
                let t = s.trainings.get(training);
                let p = t.and_then(|t| s.projects.get(&t.project));
                let (Some(t), Some(p)) = (t, p) else {
                    return Err(self.az.deny(None, &[Role::ProjectStaff], staff()));
                };
                if !self.az.sees_project(p) {
                    return Err(self.az.deny(Some(p), &[Role::ProjectStaff], staff()));
                }
                if t.kind != TrainingKind::ELearning {
                    return Err(Error::NotElearning {
                        reason: format!(
                            "training {} is a classroom training; hours are entered only for e-learning",
                            t.code
                        ),
                        reason_nl: format!(
                            "opleiding {} is een klassikale opleiding; uren worden enkel voor e-learning ingegeven",
                            t.code
                        ),
                    });
                }
                if !s.elearning_links.get(&p.id).is_some_and(|m| m.contains_key(me)) {
                    return Err(Error::NotElearning {
                        reason: format!(
                            "you are not an e-learning participant of project {}: the promoter must first create you with your supervisor",
                            p.number
                        ),
                        reason_nl: format!(
                            "u bent geen e-learningdeelnemer van project {}: de promotor moet u eerst aanmaken met uw leidinggevende",
                            p.number
                        ),
                    });
                }
                self.require_role_in(
                    p,
                    Role::ProjectStaff,
                    txt(
                        "a valid ProjectStaff grant for the project's organisation",
                        "een geldig recht ProjectStaff voor de organisatie van het project",
                    ),
                )?;
                if s.entries.contains_key(entry) {
                    return Err(exists(Entity::Entry, entry.as_str()));
                }
                self.check_entry(me, p, input, None)?;
                Ok(vec![Event::ElearningHoursEntered {
                    entry: Entry {
                        id: entry.clone(),
                        person: me.clone(),
                        project: p.id.clone(),
                        training: training.clone(),
                        date: input.date,
                        minutes: input.minutes,
                        start: input.start,
                        end: input.end,
                        status: EntryStatus::Pending,
                        rejection_reason: None,
                        decided_by: None,
                    },
                }])
            }
            Command::CorrectElearningEntry { entry, input } => {
                let (e, p) = self.entry(entry)?;
                let me = self.az.person();
                if me != Some(&e.person) {
                    return Err(Error::access(
                        txt(
                            "to be the participant who entered the hours",
                            "de deelnemer zijn die de uren ingaf",
                        ),
                        "EL-1",
                    ));
                }
                if e.status != EntryStatus::Rejected {
                    return Err(Error::EntryStatus {
                        entry: entry.to_string(),
                        status: e.status.to_string(),
                        needed: "Rejected".into(),
                        needed_nl: "Rejected (afgekeurd)".into(),
                    });
                }
                self.require_role_in(
                    p,
                    Role::ProjectStaff,
                    txt(
                        "a valid ProjectStaff grant for the project's organisation",
                        "een geldig recht ProjectStaff voor de organisatie van het project",
                    ),
                )?;
                self.check_entry(&e.person, p, input, Some(entry))?;
                Ok(vec![Event::ElearningEntryCorrected {
                    entry: entry.clone(),
                    input: input.clone(),
                }])
            }
            Command::ApproveElearningEntry { entry } | Command::RejectElearningEntry { entry, .. } => {
                let (e, p) = self.entry(entry)?;
                let me = self.az.person();
                if me == Some(&e.person) {
                    return Err(Error::SelfApproval);
                }
                let linked = s.elearning_links.get(&p.id).and_then(|m| m.get(&e.person));
                if me.is_none() || linked != me {
                    return Err(Error::access(linked_supervisor(), "EL-2"));
                }
                self.require_role_in(
                    p,
                    Role::Supervisor,
                    txt(
                        "a valid Supervisor grant for the project's organisation",
                        "een geldig recht Supervisor voor de organisatie van het project",
                    ),
                )?;
                if e.status != EntryStatus::Pending {
                    return Err(Error::EntryStatus {
                        entry: entry.to_string(),
                        status: e.status.to_string(),
                        needed: "Pending".into(),
                        needed_nl: "Pending (wacht op goedkeuring)".into(),
                    });
                }
                Ok(vec![match c {
                    Command::RejectElearningEntry { reason, .. } => Event::ElearningEntryRejected {
                        entry: entry.clone(),
                        reason: reason.clone(),
                    },
                    _ => Event::ElearningEntryApproved { entry: entry.clone() },
                }])
            }
            Command::SetMlpProfile {
                project,
                person,
                fields,
            } => {
                let p = self.project_for_edit(project)?;
                self.az.check_editor(None, p)?;
                let participant = s.qr_sent.get(project).is_some_and(|x| x.contains(person))
                    || s.elearning_links.get(project).is_some_and(|x| x.contains_key(person));
                if !participant {
                    return Err(Error::InvalidMlpField {
                        field: "person".into(),
                        reason: format!("{person} is not a participant of project {}", p.number),
                        reason_nl: format!("{person} is geen deelnemer van project {}", p.number),
                    });
                }
                for (k, v) in fields {
                    mlp::validate_field(k, v)?;
                }
                Ok(vec![Event::MlpProfileSet {
                    person: person.clone(),
                    fields: fields.clone(),
                }])
            }
        }
    }

    fn call(&self, id: &CallId) -> Result<&'a crate::org::Call, Error> {
        self.s.calls.get(id).ok_or_else(|| unknown(Entity::Call, id.as_str()))
    }
    fn org(&self, id: &OrgId) -> Result<&'a crate::org::Organisation, Error> {
        self.s
            .organisations
            .get(id)
            .ok_or_else(|| unknown(Entity::Organisation, id.as_str()))
    }
    /// An organisation and, if given, a branch of it (ORG-1).
    fn org_with_branch(&self, id: &OrgId, branch: Option<&BranchId>) -> Result<&'a crate::org::Organisation, Error> {
        let org = self.org(id)?;
        match branch {
            Some(b) if !org.branches.contains_key(b) => Err(Error::BranchNotOfOrganisation {
                branch: b.to_string(),
                organisation: id.to_string(),
            }),
            _ => Ok(org),
        }
    }

    fn person(&self, id: &PersonId) -> Result<&'a Person, Error> {
        self.s
            .persons
            .get(id)
            .ok_or_else(|| unknown(Entity::Person, id.as_str()))
    }
    fn persons_set(&self, ids: &[PersonId]) -> Result<BTreeSet<PersonId>, Error> {
        ids.iter().map(|p| self.person(p).map(|_| p.clone())).collect()
    }

    fn may_know_everything(&self) -> bool {
        self.az.is_system() || self.az.is_support()
    }

    /// A session and its project, if the actor may see it; otherwise the same refusal whether
    /// or not it exists (ACC-6).
    fn session(&self, id: &SessionId, need: Need) -> Result<(&'a Session, &'a Project), Error> {
        let found = self
            .s
            .sessions
            .get(id)
            .and_then(|sess| Some((sess, self.s.projects.get(&sess.project)?)));
        match found {
            Some((sess, p)) if self.az.sees_session(sess, p) => Ok((sess, p)),
            Some((_, p)) if self.az.partner_only(p) => Err(Error::access(not_your_session(), "ORG-4")),
            Some((_, p)) => Err(self.az.deny(Some(p), need.roles(), need.text())),
            None if self.may_know_everything() => Err(unknown(Entity::Session, id.as_str())),
            None => Err(Error::access(need.text(), "ACC-6")),
        }
    }

    fn project_for_edit(&self, id: &ProjectId) -> Result<&'a Project, Error> {
        match self.s.projects.get(id) {
            Some(p) if self.az.sees_project(p) => Ok(p),
            Some(p) => Err(self.az.deny(Some(p), &[Role::OrganisationResponsible], edit())),
            None if self.may_know_everything() => Err(unknown(Entity::Project, id.as_str())),
            None => Err(Error::access(edit(), "ACC-6")),
        }
    }

    fn training_for_edit(&self, id: &TrainingId) -> Result<(&'a Training, &'a Project), Error> {
        match self
            .s
            .trainings
            .get(id)
            .and_then(|t| Some((t, self.s.projects.get(&t.project)?)))
        {
            Some((t, p)) if self.az.sees_project(p) => Ok((t, p)),
            Some((_, p)) => Err(self.az.deny(Some(p), &[Role::OrganisationResponsible], edit())),
            None if self.may_know_everything() => Err(unknown(Entity::Training, id.as_str())),
            None => Err(Error::access(edit(), "ACC-6")),
        }
    }

    fn entry(&self, id: &EntryId) -> Result<(&'a Entry, &'a Project), Error> {
        let needed = || {
            txt(
                "to be the participant or the supervisor linked to them",
                "de deelnemer zijn of de leidinggevende die aan hem gekoppeld is",
            )
        };
        let found = self
            .s
            .entries
            .get(id)
            .and_then(|e| Some((e, self.s.projects.get(&e.project)?)));
        match found {
            Some((e, p)) => {
                let me = self.az.person();
                let linked = self.s.elearning_links.get(&p.id).and_then(|m| m.get(&e.person));
                let sees = self.may_know_everything()
                    || me == Some(&e.person)
                    || (me.is_some() && linked == me)
                    || self.az.standing(p) == Some(Standing::Promoter);
                if sees {
                    Ok((e, p))
                } else if self.az.has_role_in(p, Role::Supervisor) {
                    // An insider of the organisation: telling them it is not theirs reveals nothing.
                    Err(Error::access(linked_supervisor(), "EL-2"))
                } else {
                    Err(self.az.deny(Some(p), &[Role::Supervisor, Role::ProjectStaff], needed()))
                }
            }
            None if self.may_know_everything() => Err(unknown(Entity::Entry, id.as_str())),
            None => Err(Error::access(needed(), "ACC-6")),
        }
    }

    fn require_role_in(&self, p: &Project, role: Role, needed: Text) -> Result<(), Error> {
        if self.az.has_role_in(p, role) {
            Ok(())
        } else {
            Err(self.az.deny(Some(p), &[role], needed))
        }
    }

    fn check_training_free(&self, training: &TrainingId, t: &Timing, except: Option<&SessionId>) -> Result<(), Error> {
        if let Some((other, os, oe)) = self
            .s
            .idx
            .training_sessions
            .overlapping(training, t.start_at, t.end_at, except)
        {
            return Err(Error::TrainingOverlap {
                other: other.to_string(),
                other_start: hm(os),
                other_end: hm(oe),
            });
        }
        Ok(())
    }

    fn check_trainers_free(
        &self,
        trainers: &BTreeSet<PersonId>,
        t: &Timing,
        except: Option<&SessionId>,
    ) -> Result<(), Error> {
        for tr in trainers {
            if let Some((other, os, oe)) = self
                .s
                .idx
                .trainer_sessions
                .overlapping(tr, t.start_at, t.end_at, except)
            {
                return Err(Error::TrainerOverlap {
                    trainer: tr.to_string(),
                    other: other.to_string(),
                    other_start: hm(os),
                    other_end: hm(oe),
                });
            }
        }
        Ok(())
    }

    /// QR-1: a "send QR code" effect for each person new to the project.
    fn qr_effects<'p>(&self, project: &ProjectId, people: impl Iterator<Item = &'p PersonId>) -> Vec<Event> {
        let sent = self.s.qr_sent.get(project);
        people
            .filter(|p| !sent.is_some_and(|s| s.contains(*p)))
            .map(|p| Event::QrCodeToSend {
                person: p.clone(),
                project: project.clone(),
            })
            .collect()
    }

    /// Who is registered, by hand or by token (QR-2, ATT-4).
    fn who(
        &self,
        sess: &Session,
        person: &Option<PersonId>,
        token: &Option<String>,
    ) -> Result<(PersonId, Method), Error> {
        let (who, method) = match (person, token) {
            (Some(p), None) => (p.clone(), Method::Manual),
            (None, Some(t)) => {
                let (project, p) = self.keys.verify(t)?;
                if project != sess.project {
                    return Err(Error::TokenOtherProject);
                }
                (p, Method::Scan)
            }
            _ => {
                return Err(Error::invalid(
                    "give exactly one of person (by hand) or token (scan)",
                    "geef precies een van person (met de hand) of token (scan)",
                ));
            }
        };
        if !sess.participants.contains_key(&who) {
            return Err(Error::NotParticipant {
                person: who.to_string(),
                session: sess.id.to_string(),
            });
        }
        Ok((who, method))
    }

    fn registered_time(&self, time: Option<DateTime<Utc>>) -> Result<DateTime<Utc>, Error> {
        let time = time.unwrap_or(self.at);
        if time > self.at {
            return Err(Error::TimeInFuture {
                time: local_text(time),
                at: local_text(self.at),
            });
        }
        Ok(time)
    }

    /// May attendance of this session be registered now, and is it late (DL-1, DL-2, ATT-4)?
    fn registration(&self, sess: &Session) -> Result<bool, Error> {
        match sess.status {
            SessionStatus::Submitted => Err(wrong_status(
                sess,
                (
                    "InProgress (or Executed inside a correction window)",
                    "InProgress (of Executed binnen een correctievenster)",
                ),
                "SES-5",
            )),
            SessionStatus::InProgress if self.today == sess.timing.date => Ok(false),
            SessionStatus::InProgress | SessionStatus::Executed if sess.in_correction_window(self.at) => Ok(true),
            _ if self.today > sess.timing.date => Err(Error::RegistrationClosed {
                session: sess.id.to_string(),
                date: sess.timing.date,
                deadline: local_text(deadline(self.s, sess)),
            }),
            _ => Err(wrong_status(
                sess,
                ("InProgress", "InProgress (in uitvoering)"),
                "ATT-4",
            )),
        }
    }

    fn corrected_intervals(&self, sess: &Session, input: &[IntervalInput]) -> Result<Vec<Interval>, Error> {
        let params = params_for(self.s, &sess.project, sess.timing.date);
        let from = sess.timing.start_at - Duration::minutes(i64::from(params.check_in_early_minutes));
        let until = sess.timing.end_at + Duration::minutes(i64::from(params.check_out_late_minutes));
        let mut v: Vec<&IntervalInput> = input.iter().collect();
        v.sort_by_key(|i| i.check_in);
        let mut prev = from;
        let mut out = Vec::with_capacity(v.len());
        for i in v {
            if i.check_in < prev || i.check_in > sess.timing.end_at {
                return Err(Error::check_in_window(i.check_in, prev, sess.timing.end_at));
            }
            if i.check_out < i.check_in || i.check_out > until {
                return Err(Error::CheckOutOutsideWindow {
                    at: local_text(i.check_out),
                    from: hm(i.check_in),
                    until: hm(until),
                });
            }
            prev = i.check_out;
            out.push(Interval {
                check_in: i.check_in,
                check_out: i.check_out,
                check_in_method: Method::Correction,
                check_out_method: Method::Correction,
                late: false,
                clock_suspect: false,
            });
        }
        Ok(out)
    }

    /// EL-1, EL-3: valid input, not in the future, within the daily caps, no overlap.
    fn check_entry(
        &self,
        person: &PersonId,
        p: &Project,
        input: &EntryInput,
        except: Option<&EntryId>,
    ) -> Result<(), Error> {
        input.validate()?;
        if input.date > self.today {
            return Err(Error::FutureEntry {
                date: input.date,
                today: self.today,
            });
        }
        let params = params_for(self.s, &p.id, input.date);
        let classroom: Vec<(DateTime<Utc>, DateTime<Utc>, String)> = self
            .s
            .sessions_of_person_on(person, input.date)
            .flat_map(|sess| {
                sess.participants[person]
                    .intervals
                    .iter()
                    .map(move |i| (i.check_in, i.check_out, format!("attendance in session {}", sess.id)))
            })
            .collect();
        let others: Vec<&Entry> = self
            .s
            .entries_of_person_on(person, input.date)
            .filter(|e| Some(&e.id) != except && e.status != EntryStatus::Rejected)
            .collect();
        let minutes: i64 = classroom.iter().map(|(a, b, _)| (*b - *a).num_minutes()).sum::<i64>()
            + others.iter().map(|e| i64::from(e.minutes)).sum::<i64>()
            + i64::from(input.minutes);
        let total = Decimal::from(minutes) / Decimal::from(60);
        let cap = params
            .max_participant_hours_per_day
            .map_or(Decimal::from(24), |c| c.min(Decimal::from(24)));
        if total > cap {
            return Err(Error::DailyHoursExceeded {
                date: input.date,
                total: total.round_dp(2).normalize(),
                cap: cap.normalize(),
            });
        }
        if let (Some(st), Some(en)) = (input.start, input.end) {
            let a = brussels_instant(input.date, st)?;
            let b = brussels_instant(input.date, en)?;
            for (x, y, what) in &classroom {
                if *x < b && a < *y {
                    return Err(Error::EntryOverlap {
                        other: what.clone(),
                        from: hm(*x),
                        until: hm(*y),
                    });
                }
            }
            for e in others {
                if let (Some(es), Some(ee)) = (e.start, e.end)
                    && es < en
                    && st < ee
                {
                    return Err(Error::EntryOverlap {
                        other: format!("e-learning entry {}", e.id),
                        from: es.format("%H:%M").to_string(),
                        until: ee.format("%H:%M").to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn submitter() -> Text {
    txt(
        "a valid OrganisationResponsible grant of the promoter organisation: only the promoter submits",
        "een geldig recht OrganisationResponsible van de promotororganisatie: enkel de promotor dient in",
    )
}

fn staff() -> Text {
    txt(
        "a valid ProjectStaff grant for the training's project",
        "een geldig recht ProjectStaff voor het project van de opleiding",
    )
}

fn linked_supervisor() -> Text {
    txt(
        "to be the supervisor linked to this participant",
        "de leidinggevende zijn die aan deze deelnemer gekoppeld is",
    )
}

fn validity(valid_from: NaiveDate, valid_until: Option<NaiveDate>) -> Result<Validity, Error> {
    if valid_until.is_some_and(|u| u < valid_from) {
        return Err(Error::invalid(
            "valid_until is before valid_from",
            "valid_until ligt voor valid_from",
        ));
    }
    Ok(Validity {
        valid_from,
        valid_until,
    })
}
