//! Queries over the state, each answering only what the asking actor may see (ARC-2):
//! the archive (ARC-1), early warnings (DL-5), e-learning approvals (EL-2, SUB-7), the MLP
//! completeness report (MLP-2). [`run`] serves them from JSON for the bindings.

use super::authz::{Authz, Standing, any_right};
use super::state::State;
use super::{Actor, deadline, params_for};
use crate::calendar::local_date;
use crate::elearning::{Entry, EntryStatus};
use crate::error::txt;
use crate::error::{Entity, Error};
use crate::ids::*;
use crate::session::{Session, SessionStatus};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Filters of the archive (ARC-1). All optional; all given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveFilter {
    /// Only this project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectId>,
    /// Only this status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    /// Only this training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingId>,
    /// From this date on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Up to this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// Only reopened (true) or never reopened (false) sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened: Option<bool>,
}

/// One line of the archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// Session.
    pub session: SessionId,
    /// Project.
    pub project: ProjectId,
    /// Training.
    pub training: TrainingId,
    /// Owner organisation.
    pub owner: OrgId,
    /// Date.
    pub date: NaiveDate,
    /// Local start.
    pub start: NaiveTime,
    /// Local end.
    pub end: NaiveTime,
    /// Status.
    pub status: SessionStatus,
    /// Ever reopened.
    pub reopened: bool,
    /// Number of participants.
    pub participants: usize,
    /// Registration deadline (DL-2).
    pub deadline: DateTime<Utc>,
}

fn visible_sessions<'a>(
    s: &'a State,
    actor: &'a Actor,
    at: DateTime<Utc>,
    project: Option<&'a ProjectId>,
) -> impl Iterator<Item = &'a Session> + 'a {
    let az = Authz::new(s, actor, at);
    s.projects
        .values()
        .filter(move |p| project.is_none_or(|x| *x == p.id))
        .filter(move |p| az.sees_project(p))
        .flat_map(move |p| s.project_sessions(&p.id).map(move |sess| (sess, p)))
        .filter(move |(sess, p)| az.sees_session(sess, p))
        .map(|(sess, _)| sess)
}

/// The sessions the actor may see that match the filter, by date and start (ARC-1, ARC-2).
pub fn archive(s: &State, actor: &Actor, at: DateTime<Utc>, f: &ArchiveFilter) -> Vec<SessionSummary> {
    let mut v: Vec<SessionSummary> = visible_sessions(s, actor, at, f.project.as_ref())
        .filter(|x| f.status.is_none_or(|st| x.status == st))
        .filter(|x| f.training.as_ref().is_none_or(|t| x.training == *t))
        .filter(|x| f.from.is_none_or(|d| x.timing.date >= d))
        .filter(|x| f.to.is_none_or(|d| x.timing.date <= d))
        .filter(|x| f.reopened.is_none_or(|r| x.reopened == r))
        .map(|x| SessionSummary {
            session: x.id.clone(),
            project: x.project.clone(),
            training: x.training.clone(),
            owner: x.owner.clone(),
            date: x.timing.date,
            start: x.timing.start,
            end: x.timing.end,
            status: x.status,
            reopened: x.reopened,
            participants: x.participants.len(),
            deadline: deadline(s, x),
        })
        .collect();
    v.sort_by(|a, b| (a.date, a.start, &a.session).cmp(&(b.date, b.start, &b.session)));
    v
}

/// What is due (DL-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// A session not yet closed whose registration deadline falls within the horizon.
    DeadlineApproaching {
        /// Session.
        session: SessionId,
        /// Status.
        status: SessionStatus,
        /// Deadline.
        deadline: DateTime<Utc>,
    },
    /// A session still in progress after its planned end.
    StillInProgress {
        /// Session.
        session: SessionId,
        /// Planned end.
        planned_end: DateTime<Utc>,
        /// Deadline.
        deadline: DateTime<Utc>,
    },
    /// A participant checked in and never out.
    NotCheckedOut {
        /// Session.
        session: SessionId,
        /// Person.
        person: PersonId,
        /// Checked in at.
        since: DateTime<Utc>,
        /// Deadline.
        deadline: DateTime<Utc>,
    },
}

/// Early warnings at `at` with a horizon (DL-5), for the sessions the actor may see, ordered
/// by deadline.
pub fn warnings(s: &State, actor: &Actor, at: DateTime<Utc>, horizon: Duration) -> Vec<Warning> {
    let mut v = Vec::new();
    for sess in visible_sessions(s, actor, at, None) {
        if matches!(sess.status, SessionStatus::Executed | SessionStatus::Submitted) {
            continue;
        }
        let dl = deadline(s, sess);
        if dl < at && !sess.in_correction_window(at) {
            continue; // past: nothing can be done any more
        }
        if dl <= at.checked_add_signed(horizon).unwrap_or(DateTime::<Utc>::MAX_UTC) {
            v.push((
                dl,
                Warning::DeadlineApproaching {
                    session: sess.id.clone(),
                    status: sess.status,
                    deadline: dl,
                },
            ));
        }
        if sess.status == SessionStatus::InProgress && at > sess.timing.end_at {
            v.push((
                dl,
                Warning::StillInProgress {
                    session: sess.id.clone(),
                    planned_end: sess.timing.end_at,
                    deadline: dl,
                },
            ));
        }
        for (p, rec) in &sess.participants {
            if let Some((since, _, _)) = rec.present_since {
                v.push((
                    dl,
                    Warning::NotCheckedOut {
                        session: sess.id.clone(),
                        person: p.clone(),
                        since,
                        deadline: dl,
                    },
                ));
            }
        }
    }
    v.sort_by_key(|(d, _)| *d);
    v.into_iter().map(|(_, w)| w).collect()
}

/// Entries awaiting the actor's approval as supervisor (EL-2).
pub fn pending_approvals<'a>(s: &'a State, actor: &Actor) -> Vec<&'a Entry> {
    let Actor::Person(me) = actor else {
        return Vec::new();
    };
    let mut v: Vec<&Entry> = s
        .supervised_by(me)
        .flat_map(|(project, person)| {
            s.idx
                .person_entries
                .get(person)
                .into_iter()
                .flat_map(|m| m.values().flatten())
                .filter_map(|id| s.entries.get(id))
                .filter(move |e| e.project == *project && e.status == EntryStatus::Pending)
        })
        .collect();
    v.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    v
}

/// Approved e-learning hours of one person, training and day (SUB-7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedHours {
    /// Participant.
    pub person: PersonId,
    /// Training.
    pub training: TrainingId,
    /// Day.
    pub date: NaiveDate,
    /// Minutes.
    pub minutes: u32,
    /// Hours, exact.
    pub hours: Decimal,
}

/// Approved e-learning hours per participant, training and day in a project.
///
/// # Errors
/// [`Error::AccessDenied`] unless the actor is the promoter, support, the system, or asks
/// only for what they may see (a participant sees their own, a supervisor those they supervise).
pub fn approved_hours(
    s: &State,
    actor: &Actor,
    at: DateTime<Utc>,
    project: &ProjectId,
) -> Result<Vec<ApprovedHours>, Error> {
    let az = Authz::new(s, actor, at);
    let full_view = az.is_system() || az.is_support();
    let p = match s.projects.get(project) {
        Some(p) => p,
        None if full_view => {
            return Err(Error::Unknown {
                what: Entity::Project,
                id: project.to_string(),
            });
        }
        None => return Err(Error::access(any_right(), "ACC-6")),
    };
    let all = full_view || az.standing(p) == Some(Standing::Promoter);
    let me = az.person();
    let supervised: BTreeSet<&PersonId> = me
        .into_iter()
        .flat_map(|m| s.supervised_by(m))
        .filter(|(pr, _)| pr == project)
        .map(|(_, x)| x)
        .collect();
    let linked = me.is_some_and(|m| s.elearning_links.get(project).is_some_and(|l| l.contains_key(m)));
    if !(all || az.sees_project(p) || linked || !supervised.is_empty()) {
        // ACC-6: the same answer as for a project that does not exist.
        return Err(Error::access(any_right(), "ACC-6"));
    }
    let mut acc: std::collections::BTreeMap<(PersonId, TrainingId, NaiveDate), u32> = Default::default();
    for e in s.project_entries(project).filter(|e| e.status == EntryStatus::Approved) {
        if all || me == Some(&e.person) || supervised.contains(&e.person) {
            let m = acc.entry((e.person.clone(), e.training.clone(), e.date)).or_default();
            *m = m.saturating_add(e.minutes);
        }
    }
    Ok(acc
        .into_iter()
        .map(|((person, training, date), minutes)| ApprovedHours {
            person,
            training,
            date,
            minutes,
            hours: crate::subsidy::seconds_as_hours(i64::from(minutes).saturating_mul(60)),
        })
        .collect())
}

/// A participant's missing MLP fields (MLP-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MlpGap {
    /// Participant.
    pub person: PersonId,
    /// Missing known fields.
    pub missing: Vec<String>,
}

/// The MLP completeness report of a project (MLP-2): whether the call requires MLP today,
/// and per participant the missing fields (sex and birth date count as known when the
/// national number holds them).
///
/// # Errors
/// [`Error::AccessDenied`] unless the actor is the promoter (or partner), support or system.
pub fn mlp_completeness(
    s: &State,
    actor: &Actor,
    at: DateTime<Utc>,
    project: &ProjectId,
) -> Result<(bool, Vec<MlpGap>), Error> {
    let az = Authz::new(s, actor, at);
    let p = match s.projects.get(project) {
        Some(p) if az.is_system() || az.is_support() || az.standing(p).is_some() => p,
        Some(_) | None if !(az.is_system() || az.is_support()) => {
            return Err(Error::access(
                txt(
                    "a valid OrganisationResponsible grant for the project",
                    "een geldig recht OrganisationResponsible voor het project",
                ),
                "ACC-6",
            ));
        }
        _ => {
            return Err(Error::Unknown {
                what: Entity::Project,
                id: project.to_string(),
            });
        }
    };
    let required = params_for(s, &p.id, local_date(at)).mlp_required;
    let mut people: BTreeSet<&PersonId> = BTreeSet::new();
    match az.standing(p) {
        // ORG-4, ARC-2: a partner sees the participants of its own sessions only.
        Some(Standing::Partner(own)) if !(az.is_system() || az.is_support()) => {
            people.extend(
                s.project_sessions(project)
                    .filter(|x| x.owner == own)
                    .flat_map(|x| x.participants.keys()),
            );
        }
        _ => {
            people.extend(s.qr_sent.get(project).into_iter().flatten());
            people.extend(s.elearning_links.get(project).into_iter().flat_map(|m| m.keys()));
        }
    }
    let gaps = people
        .into_iter()
        .filter_map(|person| {
            let profile = s.mlp.get(person).cloned().unwrap_or_default();
            let who = s.persons.get(person);
            let missing: Vec<String> = profile
                .missing()
                .into_iter()
                .filter(|f| match *f {
                    "sex" => who.and_then(|w| w.insz.as_ref()).and_then(|i| i.sex()).is_none(),
                    "date_of_birth" => who.and_then(|w| w.birth_date).is_none(),
                    _ => true,
                })
                .map(str::to_owned)
                .collect();
            (!missing.is_empty()).then(|| MlpGap {
                person: person.clone(),
                missing,
            })
        })
        .collect();
    Ok((required, gaps))
}

/// A query as data, for hosts and bindings that speak JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Query {
    /// [`archive`].
    Archive {
        /// Filters.
        #[serde(default)]
        filter: ArchiveFilter,
    },
    /// [`warnings`].
    Warnings {
        /// Horizon in hours (added to `horizon_minutes`).
        #[serde(default)]
        horizon_hours: u32,
        /// Horizon in minutes (added to `horizon_hours`).
        #[serde(default)]
        horizon_minutes: u32,
    },
    /// [`pending_approvals`].
    PendingApprovals,
    /// [`approved_hours`].
    ApprovedHours {
        /// Project.
        project: ProjectId,
    },
    /// [`mlp_completeness`].
    MlpCompleteness {
        /// Project.
        project: ProjectId,
    },
    /// One session in full, if visible.
    Session {
        /// Session.
        session: SessionId,
    },
    /// The registration deadline of a session (DL-2).
    Deadline {
        /// Session.
        session: SessionId,
    },
    /// Gregorian Easter Sunday of a year (DL-3). Public: any actor.
    Easter {
        /// Year.
        year: i32,
    },
    /// The holidays of a year under a profile, with their names (DL-3). Public.
    Holidays {
        /// Year.
        year: i32,
        /// `BelgianLegal` or `FlemishGovernment` (the default).
        #[serde(default)]
        profile: crate::calendar::HolidayProfile,
    },
    /// Whether a date is a working day (DL-3). Public.
    IsWorkingDay {
        /// Date.
        date: NaiveDate,
        /// Profile (default `FlemishGovernment`).
        #[serde(default)]
        profile: crate::calendar::HolidayProfile,
        /// Extra closure dates.
        #[serde(default)]
        closures: Vec<NaiveDate>,
    },
    /// The first working day after a date (DL-3). Public.
    NextWorkingDay {
        /// Date.
        date: NaiveDate,
        /// Profile (default `FlemishGovernment`).
        #[serde(default)]
        profile: crate::calendar::HolidayProfile,
        /// Extra closure dates.
        #[serde(default)]
        closures: Vec<NaiveDate>,
    },
    /// The registration deadline of a training day: 10:00 Brussels of the next working day
    /// (DL-2, DL-3, DL-4). Public.
    RegistrationDeadline {
        /// The training day.
        date: NaiveDate,
        /// Profile (default `FlemishGovernment`).
        #[serde(default)]
        profile: crate::calendar::HolidayProfile,
        /// Extra closure dates.
        #[serde(default)]
        closures: Vec<NaiveDate>,
    },
    /// The subsidy report of a project (SUB, AUD-4).
    Report {
        /// Project.
        project: ProjectId,
    },
}

/// What-if (AUD-5) needs the ledger (its keys), so it is [`super::Ledger::what_if`]; the JSON
/// form is a query of type `what_if` handled by [`run_on_ledger`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIfQuery {
    /// The command to try, with the query's actor and instant.
    pub command: super::Command,
}

/// A query with its actor and instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryEnvelope {
    /// Who asks.
    pub actor: Actor,
    /// When (judged in Brussels).
    pub at: DateTime<Utc>,
    /// What.
    pub query: Query,
}

impl QueryEnvelope {
    /// Decodes a query from a JSON value.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming what does not fit.
    pub fn from_value(v: serde_json::Value) -> Result<QueryEnvelope, Error> {
        crate::decode::from_value(v, "")
    }
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// Runs a query on a ledger: the state queries of [`run`], and `what_if` (AUD-5), whose
/// query is `{"type": "what_if", "command": {...}}`.
///
/// # Errors
/// As the query it runs; [`Error::InvalidInput`] for a malformed query.
pub fn run_on_ledger(ledger: &super::Ledger, q: &serde_json::Value) -> Result<serde_json::Value, Error> {
    if q.get("query")
        .and_then(|x| x.get("type"))
        .and_then(serde_json::Value::as_str)
        == Some("what_if")
    {
        let mut body = q["query"].clone();
        if let Some(o) = body.as_object_mut() {
            o.remove("type");
        }
        let copy = body.get("command").cloned();
        let w: WhatIfQuery = crate::decode::decode_value(body, "query").map_err(|p| {
            match (p.path.as_str(), &copy) {
                ("query.command", Some(c)) => super::command::trace("query.command", c).unwrap_or(p),
                _ => p,
            }
            .into_error()
        })?;
        let env = super::Envelope {
            command_id: CommandId::new(
                q.get("command_id")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("what-if"),
            ),
            actor: serde_json::from_value(q.get("actor").cloned().unwrap_or_default()).map_err(|_| {
                Error::invalid(
                    "actor: expected \"system\" or a person id",
                    "actor: verwacht \"system\" of een persoons-id",
                )
            })?,
            at: crate::decode::from_value(q.get("at").cloned().unwrap_or_default(), "at")?,
            command: w.command,
        };
        return Ok(to_json(&ledger.what_if(&env)?));
    }
    run(ledger.state(), &QueryEnvelope::from_value(q.clone())?)
}

fn calendar(profile: crate::calendar::HolidayProfile, closures: &[NaiveDate]) -> crate::calendar::Calendar {
    crate::calendar::Calendar {
        profile,
        closures: closures.iter().copied().collect(),
    }
}

fn beyond() -> Error {
    Error::invalid(
        "the date lies beyond what the calendar can represent",
        "de datum ligt voorbij wat de kalender kan voorstellen",
    )
}

/// Runs a query and returns its answer as JSON, every national number masked (ID-3).
///
/// # Errors
/// As the query function it calls.
pub fn run(s: &State, q: &QueryEnvelope) -> Result<serde_json::Value, Error> {
    let mut v = answer(s, q)?;
    super::event::mask_secrets(&mut v);
    Ok(v)
}

/// A session as `actor` may see it at `at` (ARC-2); to whoever may not, the same refusal a
/// missing session gets (ACC-6).
///
/// # Errors
/// [`Error::AccessDenied`] (ACC-6), or [`Error::Unknown`] to the system and ESF support.
pub fn visible_session<'s>(
    s: &'s State,
    actor: &Actor,
    at: DateTime<Utc>,
    id: &SessionId,
) -> Result<&'s Session, Error> {
    let az = Authz::new(s, actor, at);
    match s.sessions.get(id).and_then(|x| Some((x, s.projects.get(&x.project)?))) {
        Some((x, p)) if az.sees_session(x, p) => Ok(x),
        None if az.is_system() || az.is_support() => Err(Error::Unknown {
            what: Entity::Session,
            id: id.to_string(),
        }),
        _ => Err(Error::access(any_right(), "ACC-6")),
    }
}

/// The registration deadline of a session (DL-2): 10:00 Brussels on the next working day of
/// its call's calendar.
pub fn session_deadline(s: &State, sess: &Session) -> DateTime<Utc> {
    deadline(s, sess)
}

fn answer(s: &State, q: &QueryEnvelope) -> Result<serde_json::Value, Error> {
    let (actor, at) = (&q.actor, q.at);
    let visible = |id: &SessionId| visible_session(s, actor, at, id);
    Ok(match &q.query {
        Query::Archive { filter } => to_json(&archive(s, actor, at, filter)),
        Query::Warnings {
            horizon_hours,
            horizon_minutes,
        } => {
            let horizon = Duration::minutes(
                i64::from(*horizon_hours)
                    .saturating_mul(60)
                    .saturating_add(i64::from(*horizon_minutes)),
            );
            to_json(&warnings(s, actor, at, horizon))
        }
        Query::PendingApprovals => to_json(&pending_approvals(s, actor)),
        Query::ApprovedHours { project } => to_json(&approved_hours(s, actor, at, project)?),
        Query::MlpCompleteness { project } => {
            let (required, gaps) = mlp_completeness(s, actor, at, project)?;
            serde_json::json!({"mlp_required": required, "participants": gaps})
        }
        Query::Session { session } => to_json(visible(session)?),
        Query::Deadline { session } => {
            let x = visible(session)?;
            serde_json::json!({"session": session, "date": x.timing.date, "deadline": deadline(s, x)})
        }
        Query::Report { project } => to_json(&super::report::report(s, actor, at, project)?),
        Query::Easter { year } => {
            let d = crate::calendar::easter(*year).ok_or_else(beyond)?;
            serde_json::json!({"year": year, "easter": d})
        }
        Query::Holidays { year, profile } => {
            let days: Vec<serde_json::Value> = profile
                .holidays(*year)
                .into_iter()
                .map(|(d, name)| serde_json::json!({"date": d, "name": name}))
                .collect();
            serde_json::json!({"year": year, "profile": profile, "holidays": days})
        }
        Query::IsWorkingDay {
            date,
            profile,
            closures,
        } => {
            let cal = calendar(*profile, closures);
            serde_json::json!({"date": date, "working_day": cal.is_working_day(*date)})
        }
        Query::NextWorkingDay {
            date,
            profile,
            closures,
        } => {
            let next = calendar(*profile, closures)
                .next_working_day(*date)
                .ok_or_else(beyond)?;
            serde_json::json!({"date": date, "next_working_day": next})
        }
        Query::RegistrationDeadline {
            date,
            profile,
            closures,
        } => {
            let dl = calendar(*profile, closures)
                .registration_deadline(*date)
                .ok_or_else(beyond)?;
            serde_json::json!({"date": date, "deadline": dl})
        }
    })
}
