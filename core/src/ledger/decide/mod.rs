//! The checks: a command against the state, yielding events or the first rule it breaks.
//! Nothing here mutates; [`super::State::evolve`] folds the events afterwards.
//!
//! Each rule family decides its commands in its own module, which opens with the rule IDs it
//! decides: [`org`] (ORG), [`identity`] (ID, ACC-1..3), [`sessions`] (SES, QR-1, QR-3, ORG-4),
//! [`attendance`] (ATT, QR-2, DL-1), [`offline`] (ATT-6), [`corrections`] (DL-2, SES-5),
//! [`elearning`] (EL) and [`mlp`] (MLP). What they share — finding a target the actor may see (ACC-6), statuses —
//! lives here; the dispatch is one match.

use super::Envelope;
use super::authz::{Authz, Standing, edit, run, support};
use super::command::{Command, IntervalInput};
use super::event::Event;
use super::state::State;
use crate::access::{Grant, Role, Validity, WorkRelationship};
use crate::calendar::{brussels_instant, hm, local_date, local_text};
use crate::elearning::{Entry, EntryInput, EntryStatus};
use crate::error::{Entity, Error, Text, txt};
use crate::identity::{Email, Insz, Person};
use crate::ids::*;

use crate::org::{Project, Training, TrainingKind};
use crate::params::Params;
use crate::qr::Keyring;
use crate::session::{Interval, Method, Session, SessionStatus, Timing};
use chrono::{DateTime, NaiveDate, Utc};
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

/// What a session command needs: named in the refusal to whoever may not see the session (ACC-6).
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
    crate::limits::instant("at", env.at)?;
    env.command.check_limits()?;
    let cx = Cx {
        s,
        keys,
        az: Authz::new(s, &env.actor, env.at),
        at: env.at,
        today: local_date(env.at),
    };
    cx.decide(&env.command)
}

mod attendance;
mod corrections;
mod elearning;
mod identity;
mod mlp;
mod offline;
mod org;
mod sessions;

/// A command handed to the decision of another command: cannot happen (the dispatch below
/// matches each command to its own decision).
fn mismatch() -> Error {
    Error::invalid(
        "internal: a command reached another command's decision",
        "intern: een opdracht bereikte de beslissing van een andere opdracht",
    )
}

impl<'a> Cx<'a> {
    fn decide(&self, c: &Command) -> Result<Vec<Event>, Error> {
        match c {
            Command::CreateOrganisation { .. } => self.create_organisation(c),
            Command::AddBranch { .. } => self.add_branch(c),
            Command::CreateCall { .. } => self.create_call(c),
            Command::SetParameter { .. } => self.set_parameter(c),
            Command::AddClosureDates { .. } => self.add_closure_dates(c),
            Command::CreateProject { .. } => self.create_project(c),
            Command::AddTraining { .. } => self.add_training(c),
            Command::RegisterPerson { .. } => self.register_person(c),
            Command::GrantRole { .. } => self.grant_role(c),
            Command::RevokeGrant { .. } => self.revoke_grant(c),
            Command::AddWorkRelationship { .. } => self.add_work_relationship(c),
            Command::PlanSession { .. } => self.plan_session(c),
            Command::RescheduleSession { .. } => self.reschedule_session(c),
            Command::AssignTrainers { .. } => self.assign_trainers(c),
            Command::DeleteSession { .. } => self.delete_session(c),
            Command::AddParticipant { .. } => self.add_participant(c),
            Command::StartSession { .. } => self.start_session(c),
            Command::CloseSession { .. } => self.close_session(c),
            Command::SubmitSession { .. } => self.submit_session(c),
            Command::CheckIn { .. } => self.check_in(c),
            Command::CheckOut { .. } => self.check_out(c),
            Command::MarkAbsent { .. } => self.mark_absent(c),
            Command::ReportProblem { .. } => self.report_problem(c),
            Command::GrantCorrectionWindow { .. } => self.grant_correction_window(c),
            Command::ReopenSession { .. } => self.reopen_session(c),
            Command::CorrectAttendance { .. } => self.correct_attendance(c),
            Command::CreateElearningParticipant { .. } => self.create_elearning_participant(c),
            Command::EnterElearningHours { .. } => self.enter_elearning_hours(c),
            Command::CorrectElearningEntry { .. } => self.correct_elearning_entry(c),
            Command::ApproveElearningEntry { .. } => self.decide_on_entry(c),
            Command::RejectElearningEntry { .. } => self.decide_on_entry(c),
            Command::SetMlpProfile { .. } => self.set_mlp_profile(c),
            Command::RegisterDevice { .. } => self.register_device(c),
            Command::RevokeDevice { .. } => self.revoke_device(c),
            Command::SyncDevice { .. } => self.sync_device(c),
            Command::SubmitOfflineBatch { .. } => self.submit_offline_batch(c),
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
            None if self.may_know_everything() => Err(unknown(Entity::Session, id.as_str())),
            // Whoever may not see it gets the answer a missing session gets (ACC-6).
            _ => Err(Error::access(need.text(), "ACC-6")),
        }
    }

    fn project_for_edit(&self, id: &ProjectId) -> Result<&'a Project, Error> {
        match self.s.projects.get(id) {
            Some(p) if self.az.sees_project(p) => Ok(p),
            None if self.may_know_everything() => Err(unknown(Entity::Project, id.as_str())),
            _ => Err(Error::access(edit(), "ACC-6")),
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
            None if self.may_know_everything() => Err(unknown(Entity::Training, id.as_str())),
            _ => Err(Error::access(edit(), "ACC-6")),
        }
    }

    fn require_role_in(&self, p: &Project, role: Role, needed: Text) -> Result<(), Error> {
        if self.az.has_role_in(p, role) {
            Ok(())
        } else {
            Err(self.az.deny(Some(p), &[role], needed))
        }
    }
}
