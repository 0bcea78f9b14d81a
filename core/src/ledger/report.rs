//! The ledger's reports (SUB, ARC-2, AUD-4): the ledger turns its state into compact records
//! of the **whole** project, the counting runs on them, and only then is the answer cut to
//! what the asking actor may see — so a line reads the same for every actor who sees it.
//! The subsidy module knows nothing of the ledger; the ledger passes plain data down.

use super::Actor;
use super::authz::{Authz, Standing, any_right};
use super::state::State;
use crate::error::{Entity, Error};
use crate::ids::ProjectId;
use crate::org::Project;
use crate::subsidy::{
    Compact, CompactBuilder, ElearningRecord, IntervalRecord, ParticipantRecord, Records, Report, SessionRecord,
    report_compact,
};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// The project, if the actor may see it; otherwise the refusal that does not tell an outsider
/// whether it exists (ACC-6).
pub(crate) fn visible_project<'a>(s: &'a State, az: &Authz<'_>, project: &ProjectId) -> Result<&'a Project, Error> {
    match s.projects.get(project) {
        Some(p) if az.sees_project(p) => Ok(p),
        None if az.is_system() || az.is_support() => Err(Error::Unknown {
            what: Entity::Project,
            id: project.to_string(),
        }),
        _ => Err(Error::access(any_right(), "ACC-6")),
    }
}

/// The compact records of a whole project: every session, participant, interval and entry.
pub(crate) fn compact(s: &State, p: &Project) -> Result<Compact, Error> {
    let mut b = CompactBuilder::new(p.id.clone());
    if let Some(call) = s.calls.get(&p.call) {
        b.params(call.params.clone())?;
        b.closures(call.closures.iter().copied())?;
    }
    b.source_events(s.event_count);
    for x in s.project_sessions(&p.id) {
        b.session(
            x.id.as_str(),
            x.training.as_str(),
            x.timing.date,
            x.timing.start,
            x.timing.end,
            &x.timing.breaks,
            x.status,
        )?;
        for (person, rec) in &x.participants {
            b.participant(person.as_str(), rec.absent)?;
            for i in &rec.intervals {
                b.interval_unix(i.check_in.timestamp(), i.check_out.timestamp(), i.late, i.clock_suspect)?;
            }
        }
    }
    for e in s.project_entries(&p.id) {
        b.entry(
            e.id.as_str(),
            e.person.as_str(),
            e.training.as_str(),
            e.date,
            e.minutes,
            e.start,
            e.status,
        )?;
    }
    Ok(b.finish())
}

/// Which sessions and entries of a project the actor may see (ARC-2, ORG-4, ACC-4).
struct Visible<'a> {
    all: bool,
    sessions: HashSet<&'a str>,
    entries: HashSet<&'a str>,
}

/// `s` holds the sessions and entries (the ledger's state, or a what-if slice); `az` judges
/// with the ledger's grants.
fn visible<'a>(s: &'a State, az: &Authz<'_>, p: &Project) -> Visible<'a> {
    let full = az.is_system() || az.is_support() || az.standing(p) == Some(Standing::Promoter);
    if full {
        return Visible {
            all: true,
            sessions: HashSet::new(),
            entries: HashSet::new(),
        };
    }
    let me = az.person();
    Visible {
        all: false,
        sessions: s
            .project_sessions(&p.id)
            .filter(|x| az.sees_session(x, p))
            .map(|x| x.id.as_str())
            .collect(),
        entries: s
            .project_entries(&p.id)
            .filter(|e| me == Some(&e.person))
            .map(|e| e.id.as_str())
            .collect(),
    }
}

/// The report of a project (SUB, AUD-4) as the actor may see it: counted on the whole
/// project, then cut to the visible lines (ARC-2).
///
/// # Errors
/// [`Error::AccessDenied`] when the actor may not see the project (ACC-6, the same whether
/// or not it exists); [`Error::Unknown`] for system or support asking for a project that
/// does not exist.
pub fn report(s: &State, actor: &Actor, at: DateTime<Utc>, project: &ProjectId) -> Result<Report, Error> {
    let az = Authz::new(s, actor, at);
    let p = visible_project(s, &az, project)?;
    let mut r = report_compact(&compact(s, p)?, at)?;
    cut(s, &az, p, &mut r);
    Ok(r)
}

/// Cuts a whole-project report to what the actor may see; `s` holds the project's sessions
/// and entries.
pub(crate) fn cut(s: &State, az: &Authz<'_>, p: &Project, r: &mut Report) {
    let v = visible(s, az, p);
    if !v.all {
        r.restrict(|id| v.sessions.contains(id), |id| v.entries.contains(id));
    }
}

/// The plain records of a project as the actor may see them (ARC-2): sessions with attendance,
/// e-learning entries, the call's parameters. A report computed from a partial export can
/// differ from the ledger's report for the same actor, which counts on the whole project.
///
/// # Errors
/// As [`report`].
pub fn records(s: &State, actor: &Actor, at: DateTime<Utc>, project: &ProjectId) -> Result<Records, Error> {
    let az = Authz::new(s, actor, at);
    let p = visible_project(s, &az, project)?;
    let v = visible(s, &az, p);
    let call = s.calls.get(&p.call);
    let sessions = s
        .project_sessions(project)
        .filter(|x| v.all || v.sessions.contains(x.id.as_str()))
        .map(|x| SessionRecord {
            id: x.id.clone(),
            training: x.training.clone(),
            date: x.timing.date,
            start: x.timing.start,
            end: x.timing.end,
            breaks: x.timing.breaks.clone(),
            status: x.status,
            participants: x
                .participants
                .iter()
                .map(|(person, rec)| ParticipantRecord {
                    person: person.clone(),
                    intervals: rec
                        .intervals
                        .iter()
                        .map(|i| IntervalRecord {
                            check_in: i.check_in,
                            check_out: i.check_out,
                            late: i.late,
                            clock_suspect: i.clock_suspect,
                        })
                        .collect(),
                    absent: rec.absent,
                })
                .collect(),
        })
        .collect();
    let elearning = s
        .project_entries(project)
        .filter(|e| v.all || v.entries.contains(e.id.as_str()))
        .map(|e| ElearningRecord {
            id: e.id.clone(),
            person: e.person.clone(),
            training: e.training.clone(),
            date: e.date,
            minutes: e.minutes,
            start: e.start,
            status: e.status,
        })
        .collect();
    Ok(Records {
        project: project.clone(),
        params: call.map(|c| c.params.clone()).unwrap_or_default(),
        closures: call.map(|c| c.closures.clone()).unwrap_or_default(),
        sessions,
        elearning,
        source_events: s.event_count,
    })
}
