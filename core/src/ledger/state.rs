//! The ledger's state: the fold of its events (AUD-2), plus indexes derived from it that are
//! not serialised and are rebuilt on load.

use super::{Actor, Recorded};
use crate::access::{Grant, WorkRelationship};
use crate::elearning::{Entry, EntryStatus};
use crate::identity::Person;
use crate::ids::*;
use crate::mlp::Profile;
use crate::org::{Call, Organisation, Project, Training};
use crate::session::{Interval, Method, OverlapIndex, ParticipantRecord, Session, SessionStatus, StatusChange};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::event::Event;

/// Derived lookups, maintained by [`State::evolve`] and rebuilt by [`State::rebuild_indexes`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Indexes {
    pub training_sessions: OverlapIndex<TrainingId>,
    pub trainer_sessions: OverlapIndex<PersonId>,
    pub person_sessions: BTreeMap<PersonId, BTreeSet<(NaiveDate, SessionId)>>,
    pub person_entries: BTreeMap<PersonId, BTreeMap<NaiveDate, BTreeSet<EntryId>>>,
    pub project_sessions: BTreeMap<ProjectId, BTreeSet<SessionId>>,
    pub project_entries: BTreeMap<ProjectId, BTreeSet<EntryId>>,
    pub project_codes: BTreeMap<ProjectId, BTreeMap<String, TrainingId>>,
    pub grants_by_person: BTreeMap<PersonId, BTreeSet<GrantId>>,
    pub relationships_by_person: BTreeMap<PersonId, BTreeSet<RelationshipId>>,
    pub supervised: BTreeMap<PersonId, BTreeSet<(ProjectId, PersonId)>>,
    /// ID-4: the person holding each national number.
    pub person_by_insz: BTreeMap<[u8; 11], PersonId>,
    /// Room for the ids of a check-in or check-out read from a log line: searched as ids (their
    /// first eight bytes compared as one word, [`cmp_text`]) rather than as texts, with no
    /// allocation once the room has grown.
    keys: (SessionId, PersonId),
}

/// The whole state of one ledger. Projects are independent of each other; a host that shards
/// by project runs one ledger per shard with the shared reference data (ADR 03).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Organisations.
    pub organisations: BTreeMap<OrgId, Organisation>,
    /// Calls.
    pub calls: BTreeMap<CallId, Call>,
    /// People.
    pub persons: BTreeMap<PersonId, Person>,
    /// Projects.
    pub projects: BTreeMap<ProjectId, Project>,
    /// Trainings.
    pub trainings: BTreeMap<TrainingId, Training>,
    /// Sessions (deleted ones are gone).
    pub sessions: BTreeMap<SessionId, Session>,
    /// Grants, also revoked and expired ones.
    pub grants: BTreeMap<GrantId, Grant>,
    /// Work relationships.
    pub relationships: BTreeMap<RelationshipId, WorkRelationship>,
    /// People who were sent a QR code, per project (QR-1).
    pub qr_sent: BTreeMap<ProjectId, BTreeSet<PersonId>>,
    /// E-learning participants with their supervisor, per project (EL-1).
    pub elearning_links: BTreeMap<ProjectId, BTreeMap<PersonId, PersonId>>,
    /// E-learning entries.
    pub entries: BTreeMap<EntryId, Entry>,
    /// MLP profiles (MLP-1).
    pub mlp: BTreeMap<PersonId, Profile>,
    /// Scanning devices (ATT-6).
    #[serde(default)]
    pub devices: BTreeMap<DeviceId, crate::offline::Device>,
    /// The synchronisation instants recorded per device (ATT-6).
    #[serde(default)]
    pub device_syncs: BTreeMap<DeviceId, BTreeSet<DateTime<Utc>>>,
    /// The sequence numbers of each device's applied offline scans (ATT-6 idempotence).
    #[serde(default)]
    pub device_scans: BTreeMap<DeviceId, BTreeSet<u64>>,
    /// Number of events folded.
    pub event_count: u64,
    #[serde(skip)]
    pub(crate) idx: Indexes,
}

impl State {
    /// Rebuilds the derived indexes (after deserialising).
    pub fn rebuild_indexes(&mut self) {
        let mut idx = Indexes::default();
        for s in self.sessions.values() {
            index_session(&mut idx, s);
        }
        for e in self.entries.values() {
            idx.project_entries
                .entry(e.project.clone())
                .or_default()
                .insert(e.id.clone());
            idx.person_entries
                .entry(e.person.clone())
                .or_default()
                .entry(e.date)
                .or_default()
                .insert(e.id.clone());
        }
        for t in self.trainings.values() {
            idx.project_codes
                .entry(t.project.clone())
                .or_default()
                .insert(t.code.clone(), t.id.clone());
        }
        for p in self.persons.values() {
            if let Some(n) = &p.insz {
                idx.person_by_insz.insert(n.digits(), p.id.clone());
            }
        }
        for g in self.grants.values() {
            idx.grants_by_person
                .entry(g.person.clone())
                .or_default()
                .insert(g.id.clone());
        }
        for r in self.relationships.values() {
            idx.relationships_by_person
                .entry(r.person.clone())
                .or_default()
                .insert(r.id.clone());
        }
        for (project, links) in &self.elearning_links {
            for (person, sup) in links {
                idx.supervised
                    .entry(sup.clone())
                    .or_default()
                    .insert((project.clone(), person.clone()));
            }
        }
        self.idx = idx;
    }

    /// Folds one recorded event into the state. Infallible: every check happened before the
    /// event was produced, so a rejected command never gets here (AUD-2).
    pub fn evolve(&mut self, r: &Recorded) {
        self.evolve_event(r.at, &r.actor, &r.event);
    }

    /// [`State::evolve`] by what the fold reads of a record: its instant, actor and event.
    pub(crate) fn evolve_event(&mut self, at: DateTime<Utc>, actor: &Actor, event: &Event) {
        self.event_count = self.event_count.saturating_add(1);
        match event {
            Event::OrganisationCreated { organisation, name } => {
                self.organisations.insert(
                    organisation.clone(),
                    Organisation {
                        id: organisation.clone(),
                        name: name.clone(),
                        branches: BTreeMap::new(),
                    },
                );
            }
            Event::BranchAdded {
                organisation,
                branch,
                name,
            } => {
                if let Some(o) = self.organisations.get_mut(organisation) {
                    o.branches.insert(branch.clone(), name.clone());
                }
            }
            Event::CallCreated { call, name } => {
                self.calls.insert(
                    call.clone(),
                    Call {
                        id: call.clone(),
                        name: name.clone(),
                        params: Default::default(),
                        closures: Default::default(),
                    },
                );
            }
            Event::ParameterSet {
                call,
                valid_from,
                parameter,
            } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.params.set(*valid_from, parameter.clone());
                }
            }
            Event::ClosureDatesAdded { call, dates } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.closures.extend(dates.iter().copied());
                }
            }
            Event::PersonRegistered { person } => {
                if let Some(n) = &person.insz {
                    self.idx.person_by_insz.insert(n.digits(), person.id.clone());
                }
                self.persons.insert(person.id.clone(), person.clone());
            }
            Event::ProjectCreated { project } => {
                self.projects.insert(project.id.clone(), project.clone());
            }
            Event::TrainingAdded { training } => {
                self.idx
                    .project_codes
                    .entry(training.project.clone())
                    .or_default()
                    .insert(training.code.clone(), training.id.clone());
                self.trainings.insert(training.id.clone(), training.clone());
            }
            Event::RoleGranted { grant } => {
                self.idx
                    .grants_by_person
                    .entry(grant.person.clone())
                    .or_default()
                    .insert(grant.id.clone());
                self.grants.insert(grant.id.clone(), grant.clone());
            }
            Event::GrantRevoked { grant, at } => {
                if let Some(g) = self.grants.get_mut(grant) {
                    g.revoked_at = Some(*at);
                }
            }
            Event::WorkRelationshipAdded { relationship } => {
                self.idx
                    .relationships_by_person
                    .entry(relationship.person.clone())
                    .or_default()
                    .insert(relationship.id.clone());
                self.relationships.insert(relationship.id.clone(), relationship.clone());
            }
            Event::SessionPlanned {
                session,
                project,
                training,
                owner,
                timing,
                location,
                trainers,
                participants,
            } => {
                let s = Session {
                    id: session.clone(),
                    project: project.clone(),
                    training: training.clone(),
                    owner: owner.clone(),
                    timing: timing.clone(),
                    location: location.clone(),
                    trainers: trainers.clone(),
                    participants: participants
                        .iter()
                        .map(|p| (p.clone(), ParticipantRecord::default()))
                        .collect(),
                    status: SessionStatus::Planned,
                    reopened: false,
                    history: vec![StatusChange {
                        status: SessionStatus::Planned,
                        at,
                        reopened: false,
                    }],
                    problem_reported_at: None,
                    correction_windows: Vec::new(),
                };
                index_session(&mut self.idx, &s);
                self.sessions.insert(session.clone(), s);
            }
            Event::SessionRescheduled { session, timing } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    unindex_session(&mut self.idx, s);
                    s.timing = timing.clone();
                    index_session(&mut self.idx, s);
                }
            }
            Event::TrainersAssigned { session, trainers } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    unindex_session(&mut self.idx, s);
                    s.trainers = trainers.clone();
                    index_session(&mut self.idx, s);
                }
            }
            Event::SessionDeleted { session } => {
                if let Some(s) = self.sessions.remove(session) {
                    unindex_session(&mut self.idx, &s);
                }
            }
            Event::ParticipantAdded { session, person } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    s.participants.insert(person.clone(), ParticipantRecord::default());
                    person_session(&mut self.idx, person, s.timing.date, session);
                }
            }
            Event::QrCodeToSend { person, project } => {
                self.qr_sent.entry(project.clone()).or_default().insert(person.clone());
            }
            Event::SessionStarted { session } => self.set_status(session, SessionStatus::InProgress, at, false),
            Event::CheckedIn {
                session,
                person,
                time,
                method,
                late,
            } => {
                if let Some(rec) = self.record_mut(session, person) {
                    check_in(rec, *time, *method, *late);
                }
            }
            Event::CheckedOut {
                session,
                person,
                time,
                method,
                late,
            } => {
                if let Some(rec) = self.record_mut(session, person) {
                    check_out(rec, *time, *method, *late, false);
                }
            }
            Event::OfflineScanApplied {
                session,
                person,
                kind,
                time,
                device,
                seq,
                clock_suspect,
            } => {
                self.device_scans.entry(device.clone()).or_default().insert(*seq);
                if let Some(rec) = self.record_mut(session, person) {
                    match kind {
                        crate::offline::ScanKind::CheckIn => {
                            rec.present_since = Some((*time, Method::OfflineScan, false));
                            rec.present_clock_suspect = *clock_suspect;
                            rec.absent = false;
                        }
                        crate::offline::ScanKind::CheckOut => {
                            check_out(rec, *time, Method::OfflineScan, false, *clock_suspect);
                        }
                    }
                }
            }
            Event::DeviceRegistered { device } => {
                self.devices.insert(device.id.clone(), device.clone());
            }
            Event::DeviceRevoked { device } => {
                if let Some(d) = self.devices.get_mut(device) {
                    d.revoked_at.get_or_insert(at);
                }
            }
            Event::DeviceSynced { device } => {
                self.device_syncs.entry(device.clone()).or_default().insert(at);
            }
            Event::OfflineBatchReceived { .. } => {}
            Event::MarkedAbsent { session, person } => {
                if let Some(rec) = self.record_mut(session, person) {
                    rec.absent = true;
                }
            }
            Event::SessionClosed { session } => self.set_status(session, SessionStatus::Executed, at, false),
            Event::SessionSubmitted { session } => self.set_status(session, SessionStatus::Submitted, at, false),
            Event::ProblemReported { session, .. } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    s.problem_reported_at.get_or_insert(at);
                }
            }
            Event::CorrectionWindowGranted { session, from, until } => {
                if let Some(s) = self.sessions.get_mut(session) {
                    s.correction_windows.push(crate::session::CorrectionWindow {
                        from: *from,
                        until: *until,
                    });
                }
            }
            Event::SessionReopened { session } => {
                self.set_status(session, SessionStatus::Executed, at, true);
                if let Some(s) = self.sessions.get_mut(session) {
                    s.reopened = true;
                }
            }
            Event::AttendanceCorrected {
                session,
                person,
                intervals,
            } => {
                if let Some(rec) = self.record_mut(session, person) {
                    rec.intervals = intervals.clone();
                    rec.present_since = None;
                    rec.absent = intervals.is_empty() && rec.absent;
                }
            }
            Event::ElearningParticipantCreated {
                project,
                person,
                supervisor,
            } => {
                if let Some(old) = self.elearning_links.get(project).and_then(|m| m.get(person))
                    && let Some(set) = self.idx.supervised.get_mut(old)
                {
                    set.remove(&(project.clone(), person.clone()));
                }
                self.elearning_links
                    .entry(project.clone())
                    .or_default()
                    .insert(person.clone(), supervisor.clone());
                self.idx
                    .supervised
                    .entry(supervisor.clone())
                    .or_default()
                    .insert((project.clone(), person.clone()));
            }
            Event::ElearningHoursEntered { entry } => {
                self.idx
                    .project_entries
                    .entry(entry.project.clone())
                    .or_default()
                    .insert(entry.id.clone());
                self.idx
                    .person_entries
                    .entry(entry.person.clone())
                    .or_default()
                    .entry(entry.date)
                    .or_default()
                    .insert(entry.id.clone());
                self.entries.insert(entry.id.clone(), entry.clone());
            }
            Event::ElearningEntryCorrected { entry, input } => {
                if let Some(e) = self.entries.get_mut(entry) {
                    if let Some(m) = self
                        .idx
                        .person_entries
                        .get_mut(&e.person)
                        .and_then(|m| m.get_mut(&e.date))
                    {
                        m.remove(entry);
                    }
                    e.date = input.date;
                    e.minutes = input.minutes;
                    e.start = input.start;
                    e.end = input.end;
                    e.status = EntryStatus::Pending;
                    e.rejection_reason = None;
                    e.decided_by = None;
                    self.idx
                        .person_entries
                        .entry(e.person.clone())
                        .or_default()
                        .entry(e.date)
                        .or_default()
                        .insert(entry.clone());
                }
            }
            Event::ElearningEntryApproved { entry } => {
                if let Some(e) = self.entries.get_mut(entry) {
                    e.status = EntryStatus::Approved;
                    e.decided_by = actor_person(actor);
                }
            }
            Event::ElearningEntryRejected { entry, reason } => {
                if let Some(e) = self.entries.get_mut(entry) {
                    e.status = EntryStatus::Rejected;
                    e.rejection_reason = Some(reason.clone());
                    e.decided_by = actor_person(actor);
                }
            }
            Event::MlpProfileSet { person, fields } => {
                self.mlp
                    .entry(person.clone())
                    .or_default()
                    .fields
                    .extend(fields.clone());
            }
        }
    }

    fn set_status(
        &mut self,
        session: &SessionId,
        status: SessionStatus,
        at: chrono::DateTime<chrono::Utc>,
        reopened: bool,
    ) {
        if let Some(s) = self.sessions.get_mut(session) {
            s.status = status;
            s.history.push(StatusChange { status, at, reopened });
        }
    }

    /// [`State::evolve_event`] for a check-in (`out` false) or check-out read from a log line,
    /// its ids as texts (nothing allocated to fold it).
    pub(crate) fn evolve_scan(
        &mut self,
        session: &str,
        person: &str,
        out: bool,
        (time, method, late): (DateTime<Utc>, Method, bool),
    ) {
        self.event_count = self.event_count.saturating_add(1);
        let (s_key, p_key) = &mut self.idx.keys;
        s_key.0.clear();
        s_key.0.push_str(session);
        p_key.0.clear();
        p_key.0.push_str(person);
        let Some(rec) = self
            .sessions
            .get_mut(&*s_key)
            .and_then(|s| s.participants.get_mut(&*p_key))
        else {
            return;
        };
        if out {
            check_out(rec, time, method, late, false);
        } else {
            check_in(rec, time, method, late);
        }
    }

    fn record_mut(&mut self, session: &SessionId, person: &PersonId) -> Option<&mut ParticipantRecord> {
        self.sessions.get_mut(session)?.participants.get_mut(person)
    }

    /// A copy of just what one project's report needs: its call, project, trainings,
    /// sessions, e-learning entries and links (AUD-5 previews fold events into this instead of
    /// cloning the whole state).
    pub fn project_slice(&self, project: &ProjectId) -> State {
        let mut s = State::default();
        if let Some(p) = self.projects.get(project) {
            if let Some(c) = self.calls.get(&p.call) {
                s.calls.insert(c.id.clone(), c.clone());
            }
            s.projects.insert(p.id.clone(), p.clone());
        }
        s.trainings = self
            .trainings
            .values()
            .filter(|t| t.project == *project)
            .map(|t| (t.id.clone(), t.clone()))
            .collect();
        s.sessions = self
            .project_sessions(project)
            .map(|x| (x.id.clone(), x.clone()))
            .collect();
        s.entries = self
            .project_entries(project)
            .map(|e| (e.id.clone(), e.clone()))
            .collect();
        if let Some(links) = self.elearning_links.get(project) {
            s.elearning_links.insert(project.clone(), links.clone());
        }
        s.event_count = self.event_count;
        s.rebuild_indexes();
        s
    }

    /// Sessions of a project, by id.
    pub fn project_sessions(&self, project: &ProjectId) -> impl Iterator<Item = &Session> {
        self.idx
            .project_sessions
            .get(project)
            .into_iter()
            .flatten()
            .filter_map(|id| self.sessions.get(id))
    }

    /// E-learning entries of a project (entries never move between projects).
    pub fn project_entries(&self, project: &ProjectId) -> impl Iterator<Item = &Entry> {
        self.idx
            .project_entries
            .get(project)
            .into_iter()
            .flatten()
            .filter_map(|id| self.entries.get(id))
    }

    /// Sessions a person takes part in on a date.
    pub fn sessions_of_person_on(&self, person: &PersonId, date: NaiveDate) -> impl Iterator<Item = &Session> {
        let lo = (date, SessionId::new(""));
        self.idx
            .person_sessions
            .get(person)
            .into_iter()
            .flat_map(move |set| set.range(lo.clone()..).take_while(move |(d, _)| *d == date))
            .filter_map(|(_, id)| self.sessions.get(id))
    }

    /// E-learning entries of a person on a date.
    pub fn entries_of_person_on(&self, person: &PersonId, date: NaiveDate) -> impl Iterator<Item = &Entry> {
        self.idx
            .person_entries
            .get(person)
            .and_then(|m| m.get(&date))
            .into_iter()
            .flatten()
            .filter_map(|id| self.entries.get(id))
    }

    pub(crate) fn relationships_of<'a>(&'a self, person: &PersonId) -> impl Iterator<Item = &'a WorkRelationship> + 'a {
        self.idx
            .relationships_by_person
            .get(person)
            .into_iter()
            .flatten()
            .filter_map(|g| self.relationships.get(g))
    }

    pub(crate) fn supervised_by<'a>(
        &'a self,
        supervisor: &PersonId,
    ) -> impl Iterator<Item = &'a (ProjectId, PersonId)> + 'a {
        self.idx.supervised.get(supervisor).into_iter().flatten()
    }
}

/// Indexes are derived from the facts; two states are equal when their facts are.
impl PartialEq for Indexes {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Indexes {}

fn actor_person(a: &Actor) -> Option<PersonId> {
    match a {
        Actor::Person(p) => Some(p.clone()),
        Actor::System => None,
    }
}

/// Ends a participant's presence, if any, with an interval: late or clock-suspect when its
/// check-in or this check-out was.
/// A check-in folded: present since then (ATT-1), no longer marked absent.
fn check_in(rec: &mut ParticipantRecord, at: DateTime<Utc>, method: Method, late: bool) {
    rec.present_since = Some((at, method, late));
    rec.absent = false;
}

fn check_out(rec: &mut ParticipantRecord, at: DateTime<Utc>, method: Method, late: bool, clock_suspect: bool) {
    if let Some((since, m_in, late_in)) = rec.present_since.take() {
        push_interval(
            &mut rec.intervals,
            Interval {
                check_in: since,
                check_out: at,
                check_in_method: m_in,
                check_out_method: method,
                late: late_in || late,
                clock_suspect: clock_suspect || rec.present_clock_suspect,
            },
        );
        rec.present_clock_suspect = false;
    }
}

/// Adds an interval. Most participants have one or two intervals a session: the first two
/// take exactly their room (a `Vec` would reserve four at once, 112 bytes for 28), later ones
/// double as usual.
fn push_interval(v: &mut Vec<Interval>, i: Interval) {
    if v.len() == v.capacity() && v.len() < 2 {
        v.reserve_exact(1);
    }
    v.push(i);
}

/// Indexes a session under one of its participants (the id copied only for a new person).
fn person_session(idx: &mut Indexes, person: &PersonId, date: NaiveDate, session: &SessionId) {
    let key = (date, session.clone());
    match idx.person_sessions.get_mut(person) {
        Some(set) => {
            set.insert(key);
        }
        None => {
            idx.person_sessions.entry(person.clone()).or_default().insert(key);
        }
    }
}

fn index_session(idx: &mut Indexes, s: &Session) {
    idx.training_sessions
        .insert(&s.training, &s.id, s.timing.start_at, s.timing.end_at);
    for t in &s.trainers {
        idx.trainer_sessions
            .insert(t, &s.id, s.timing.start_at, s.timing.end_at);
    }
    for p in s.participants.keys() {
        person_session(idx, p, s.timing.date, &s.id);
    }
    idx.project_sessions
        .entry(s.project.clone())
        .or_default()
        .insert(s.id.clone());
}

fn unindex_session(idx: &mut Indexes, s: &Session) {
    idx.training_sessions.remove(&s.training, &s.id, s.timing.start_at);
    for t in &s.trainers {
        idx.trainer_sessions.remove(t, &s.id, s.timing.start_at);
    }
    for p in s.participants.keys() {
        if let Some(set) = idx.person_sessions.get_mut(p) {
            set.remove(&(s.timing.date, s.id.clone()));
            if set.is_empty() {
                idx.person_sessions.remove(p);
            }
        }
    }
    if let Some(set) = idx.project_sessions.get_mut(&s.project) {
        set.remove(&s.id);
        if set.is_empty() {
            idx.project_sessions.remove(&s.project);
        }
    }
}
