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
use std::sync::OnceLock;

use super::event::Event;

/// Derived lookups, maintained by [`State::evolve`] and rebuilt by [`State::rebuild_indexes`].
#[derive(Clone, Debug, Default)]
pub(crate) struct Indexes {
    pub training_sessions: OverlapIndex<TrainingId>,
    pub trainer_sessions: OverlapIndex<PersonId>,
    /// A person's sessions by date: made when first asked for, kept up to date from then on.
    person_sessions: OnceLock<PersonSessions>,
    pub person_entries: BTreeMap<PersonId, BTreeMap<NaiveDate, BTreeSet<EntryId>>>,
    pub project_sessions: BTreeMap<ProjectId, BTreeSet<SessionId>>,
    pub project_entries: BTreeMap<ProjectId, BTreeSet<EntryId>>,
    pub project_codes: BTreeMap<ProjectId, BTreeMap<String, TrainingId>>,
    pub grants_by_person: BTreeMap<PersonId, Holder>,
    pub relationships_by_person: BTreeMap<PersonId, BTreeSet<RelationshipId>>,
    pub supervised: BTreeMap<PersonId, BTreeSet<(ProjectId, PersonId)>>,
    /// ID-4: the person holding each national number.
    pub person_by_insz: BTreeMap<[u8; 11], PersonId>,
}

/// A person who holds grants: their grants' ids, and their employer (`Person::organisation`,
/// `None` while they are not registered) kept beside them — a trainer's every scan asks for
/// both (ACC-3: an employee of the promoter needs no work relationship), and the person record
/// is one more search among all persons.
#[derive(Clone, Debug, Default)]
pub(crate) struct Holder {
    pub grants: BTreeSet<GrantId>,
    pub employer: Option<OrgId>,
}

impl Holder {
    /// A holder of no grant yet, with `person`'s employer as `persons` knows it.
    fn of(persons: &BTreeMap<PersonId, Person>, person: &PersonId) -> Holder {
        Holder {
            grants: BTreeSet::new(),
            employer: persons.get(person).and_then(|p| p.organisation.clone()),
        }
    }
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
                .or_insert_with(|| Holder::of(&self.persons, &g.person))
                .grants
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
                if let Some(h) = self.idx.grants_by_person.get_mut(&person.id) {
                    h.employer.clone_from(&person.organisation);
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
                let persons = &self.persons;
                self.idx
                    .grants_by_person
                    .entry(grant.person.clone())
                    .or_insert_with(|| Holder::of(persons, &grant.person))
                    .grants
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
        self.evolve_scans([(session, person, out, (time, method, late))]);
    }

    /// [`State::evolve_scan`] for check-ins and check-outs in order; a run of them in one
    /// session looks the session up once.
    pub(crate) fn evolve_scans<'a>(
        &mut self,
        scans: impl IntoIterator<Item = (&'a str, &'a str, bool, (DateTime<Utc>, Method, bool))>,
    ) {
        // The maps are searched with ids (their order compares eight bytes at a time), made
        // inline from the texts: no allocation for ids of up to 23 bytes.
        let mut s_key: Option<SessionId> = None;
        let mut session = None;
        for (s, person, out, (time, method, late)) in scans {
            self.event_count = self.event_count.saturating_add(1);
            if s_key.as_ref().is_none_or(|k| k.as_str() != s) {
                let key = SessionId::new(s);
                session = self.sessions.get_mut(&key);
                s_key = Some(key);
            }
            let p_key = PersonId::new(person);
            let Some(rec) = session.as_mut().and_then(|s| s.participants.get_mut(&p_key)) else {
                continue;
            };
            if out {
                check_out(rec, time, method, late, false);
            } else {
                check_in(rec, time, method, late);
            }
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

    /// Sessions a person takes part in on a date, by session id.
    pub fn sessions_of_person_on(&self, person: &PersonId, date: NaiveDate) -> impl Iterator<Item = &Session> {
        let index = self.person_sessions();
        let mut day: Vec<&Session> = index
            .by_person
            .get(person)
            .into_iter()
            .flat_map(|set| set.range((date, 0)..=(date, u32::MAX)))
            .filter_map(|&(_, n)| index.id(n))
            .filter_map(|id| self.sessions.get(id))
            .collect();
        day.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        day.into_iter()
    }

    /// Every session a person takes part in (by date, then in no particular order).
    pub(crate) fn sessions_of_person(&self, person: &PersonId) -> impl Iterator<Item = &Session> {
        let index = self.person_sessions();
        index
            .by_person
            .get(person)
            .into_iter()
            .flatten()
            .filter_map(|&(_, n)| index.id(n))
            .filter_map(|id| self.sessions.get(id))
    }

    /// The index of a person's sessions, made from the sessions the first time it is asked for
    /// (a fold that never asks — a replay, a load, a year of scans — never keeps it up).
    fn person_sessions(&self) -> &PersonSessions {
        self.idx.person_sessions.get_or_init(|| {
            let mut index = PersonSessions::default();
            for s in self.sessions.values() {
                index.add(s);
            }
            index
        })
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

/// A person's sessions by date (EL-3: a participant's day; ORG-4: a partner's participants),
/// each session by a number (8-byte keys: no id cloned or compared per participant). A number
/// is kept when its session is deleted, so that a session planned again under its id gets it
/// back: at most one per session ever planned.
#[derive(Clone, Debug, Default)]
pub(crate) struct PersonSessions {
    by_person: BTreeMap<PersonId, BTreeSet<(NaiveDate, u32)>>,
    numbers: BTreeMap<SessionId, u32>,
    ids: Vec<SessionId>,
}

impl PersonSessions {
    fn number(&mut self, id: &SessionId) -> u32 {
        if let Some(&n) = self.numbers.get(id) {
            return n;
        }
        // More than 2^32 sessions in one ledger is far beyond docs/limits.md.
        let n = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.push(id.clone());
        self.numbers.insert(id.clone(), n);
        n
    }

    fn id(&self, n: u32) -> Option<&SessionId> {
        self.ids.get(n as usize)
    }

    /// The session's participants on its date.
    fn add(&mut self, s: &Session) {
        let key = (s.timing.date, self.number(&s.id));
        for p in s.participants.keys() {
            self.add_person(p, key);
        }
    }

    /// One participant's entry (their id copied only for a person new to the index).
    fn add_person(&mut self, person: &PersonId, key: (NaiveDate, u32)) {
        match self.by_person.get_mut(person) {
            Some(set) => {
                set.insert(key);
            }
            None => {
                self.by_person.entry(person.clone()).or_default().insert(key);
            }
        }
    }

    /// The session's participants on its date, taken out (its number stays).
    fn remove(&mut self, s: &Session) {
        let Some(&number) = self.numbers.get(&s.id) else {
            return;
        };
        for p in s.participants.keys() {
            if let Some(set) = self.by_person.get_mut(p) {
                set.remove(&(s.timing.date, number));
                if set.is_empty() {
                    self.by_person.remove(p);
                }
            }
        }
    }
}

/// A participant added to a session, in the index of a person's sessions when it is kept.
fn person_session(idx: &mut Indexes, person: &PersonId, date: NaiveDate, session: &SessionId) {
    if let Some(index) = idx.person_sessions.get_mut() {
        let key = (date, index.number(session));
        index.add_person(person, key);
    }
}

fn index_session(idx: &mut Indexes, s: &Session) {
    idx.training_sessions
        .insert(&s.training, &s.id, s.timing.start_at, s.timing.end_at);
    for t in &s.trainers {
        idx.trainer_sessions
            .insert(t, &s.id, s.timing.start_at, s.timing.end_at);
    }
    if let Some(index) = idx.person_sessions.get_mut() {
        index.add(s);
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
    if let Some(index) = idx.person_sessions.get_mut() {
        index.remove(s);
    }
    if let Some(set) = idx.project_sessions.get_mut(&s.project) {
        set.remove(&s.id);
        if set.is_empty() {
            idx.project_sessions.remove(&s.project);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};

    fn planned(state: &mut State, id: &str, date: NaiveDate, people: &[&str]) {
        let hm = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        let Ok(timing) = crate::session::Timing::new(date, hm(9), hm(12), Vec::new()) else {
            panic!("a valid timing");
        };
        let event = Event::SessionPlanned {
            session: SessionId::new(id),
            project: ProjectId::new("P"),
            training: TrainingId::new("T"),
            owner: OrgId::new("O"),
            timing,
            location: None,
            trainers: BTreeSet::new(),
            participants: people.iter().map(|p| PersonId::new(*p)).collect(),
        };
        state.evolve_event(Utc.timestamp_opt(0, 0).unwrap(), &Actor::System, &event);
    }

    fn on(state: &State, person: &str, date: NaiveDate) -> Vec<String> {
        state
            .sessions_of_person_on(&PersonId::new(person), date)
            .map(|s| s.id.to_string())
            .collect()
    }

    /// ACC-3: the employer kept with a grant holder is the person record's, whichever came
    /// first — a grant before its holder is registered, after, a holder registered without an
    /// employer, one registered again under another — when folded one event at a time and when
    /// the indexes are rebuilt after a load.
    #[test]
    fn acc_3_a_grant_holders_employer_is_the_person_records_whichever_came_first() {
        let at = Utc.timestamp_opt(0, 0).unwrap();
        let mut s = State::default();
        let mut n = 0;
        let mut grant = |s: &mut State, person: &str| {
            n += 1;
            let g = Grant {
                id: GrantId::new(format!("g-{n}")),
                person: PersonId::new(person),
                role: crate::access::Role::Trainer,
                organisation: OrgId::new("prom"),
                branch: None,
                validity: crate::access::Validity {
                    valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
                    valid_until: None,
                },
                revoked_at: None,
            };
            s.evolve_event(at, &Actor::System, &Event::RoleGranted { grant: g });
        };
        let register = |s: &mut State, person: &str, org: Option<&str>| {
            let email = crate::identity::Email::parse("x@example.org").unwrap_or_else(|e| panic!("{e}"));
            let p = Person::new(PersonId::new(person), "X", email, None, None, org.map(OrgId::new))
                .unwrap_or_else(|e| panic!("{e}"));
            s.evolve_event(at, &Actor::System, &Event::PersonRegistered { person: p });
        };
        grant(&mut s, "tom");
        register(&mut s, "tom", Some("prom"));
        register(&mut s, "ann", Some("ext"));
        grant(&mut s, "ann");
        grant(&mut s, "ann");
        register(&mut s, "bob", None);
        grant(&mut s, "bob");
        register(&mut s, "eve", Some("ext"));
        grant(&mut s, "eve");
        register(&mut s, "eve", Some("prom"));
        grant(&mut s, "zed");
        let employers = |s: &State| -> Vec<(String, Option<String>, usize)> {
            s.idx
                .grants_by_person
                .iter()
                .map(|(p, h)| (p.to_string(), h.employer.as_ref().map(OrgId::to_string), h.grants.len()))
                .collect()
        };
        let want: Vec<(String, Option<String>, usize)> = [
            ("ann", Some("ext"), 2),
            ("bob", None, 1),
            ("eve", Some("prom"), 1),
            ("tom", Some("prom"), 1),
            ("zed", None, 1),
        ]
        .into_iter()
        .map(|(p, o, k)| (p.to_owned(), o.map(str::to_owned), k))
        .collect();
        assert_eq!(employers(&s), want);
        for (p, h) in &s.idx.grants_by_person {
            assert_eq!(
                h.employer.as_ref(),
                s.persons.get(p).and_then(|x| x.organisation.as_ref()),
                "{p}"
            );
        }
        let mut loaded = s.clone();
        loaded.idx = Indexes::default();
        loaded.rebuild_indexes();
        assert_eq!(employers(&loaded), want);
    }

    /// EL-3 (a participant's day: classroom and e-learning together, the first overlapping
    /// session named): a person's sessions of a date come by session id, whatever order they
    /// were planned, deleted, planned again or added to in — the index kept up once asked for,
    /// and made from the sessions when first asked for after a load.
    #[test]
    fn el_3_a_persons_sessions_of_a_day_come_by_id_however_they_were_planned() {
        let (d1, d2) = (
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default(),
            NaiveDate::from_ymd_opt(2026, 3, 3).unwrap_or_default(),
        );
        let mut s = State::default();
        planned(&mut s, "S-c", d1, &["ann", "bob"]);
        planned(&mut s, "S-a", d1, &["ann"]);
        planned(&mut s, "S-b", d2, &["ann"]);
        planned(&mut s, "S-0", d1, &["bob"]);
        assert_eq!(on(&s, "ann", d1), ["S-a", "S-c"]);
        assert_eq!(on(&s, "ann", d2), ["S-b"]);
        assert_eq!(on(&s, "bob", d1), ["S-0", "S-c"]);
        let at = Utc.timestamp_opt(0, 0).unwrap();
        s.evolve_event(
            at,
            &Actor::System,
            &Event::SessionDeleted {
                session: SessionId::new("S-a"),
            },
        );
        assert_eq!(on(&s, "ann", d1), ["S-c"]);
        s.evolve_event(
            at,
            &Actor::System,
            &Event::ParticipantAdded {
                session: SessionId::new("S-0"),
                person: PersonId::new("ann"),
            },
        );
        assert_eq!(on(&s, "ann", d1), ["S-0", "S-c"]);
        // Planned again under its id, on another date: gone from the first.
        planned(&mut s, "S-a", d2, &["ann"]);
        assert_eq!(on(&s, "ann", d1), ["S-0", "S-c"]);
        assert_eq!(on(&s, "ann", d2), ["S-a", "S-b"]);
        planned(&mut s, "S-d", d1, &["ann"]);
        assert_eq!(on(&s, "ann", d1), ["S-0", "S-c", "S-d"]);
        assert_eq!(on(&s, "carl", d1), Vec::<String>::new());
        let mut loaded = s.clone();
        loaded.rebuild_indexes();
        for (p, d) in [("ann", d1), ("ann", d2), ("bob", d1), ("bob", d2)] {
            assert_eq!(on(&loaded, p, d), on(&s, p, d), "{p} on {d}");
        }
    }
}
