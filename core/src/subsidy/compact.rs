//! The counting kernel's input: a project's records in a compact, columnar form — ids
//! interned once to integers, intervals in flat arrays, instants as seconds. Built only
//! through [`CompactBuilder`], which checks every record as the ledger checks commands (SES-1
//! times and breaks, ATT-1 check-out not before check-in, EL-1 durations, ORG-3 parameter
//! names and ranges, ids), so the kernel never meets a malformed record.
//!
//! [`super::Records`] (the JSON export format) is turned into this form by
//! [`super::Records::compact`]; hosts holding columns (Arrow, a database cursor) feed the
//! builder directly and skip the string-keyed form altogether.
//!
//! # Example
//! ```
//! use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
//! use tijdreg::ids::ProjectId;
//! use tijdreg::session::SessionStatus;
//! use tijdreg::subsidy::{CompactBuilder, report_compact};
//! let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
//! let mut b = CompactBuilder::new(ProjectId::new("P-1"));
//! b.session("S-1", "T-1", NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), t(9, 0), t(12, 0), &[], SessionStatus::Executed)?;
//! b.participant("p-ann", false)?;
//! b.interval(Utc.with_ymd_and_hms(2026, 3, 2, 8, 12, 0).unwrap(), Utc.with_ymd_and_hms(2026, 3, 2, 11, 0, 0).unwrap(), false)?;
//! let report = report_compact(&b.finish(), Utc.with_ymd_and_hms(2026, 3, 10, 11, 0, 0).unwrap())?;
//! assert_eq!(report.realised.counted_minutes, 168);
//! # Ok::<(), tijdreg::Error>(())
//! ```

// Memory accounting: sizes of allocations that exist, bounded by the address space.
#![allow(clippy::arithmetic_side_effects)]

use super::idhash::IdHashState;
use crate::elearning::{EntryInput, EntryStatus};
use crate::error::Error;
use crate::ids::*;
use crate::params::DatedParams;
use crate::session::{Break, SessionStatus, Timing};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::Arc;

/// The first and last year a session, entry or instant of records may fall in (`docs/limits.md`).
pub use crate::limits::YEARS;

/// The instants an interval may have, in seconds since the epoch: 2000-01-01T00:00:00Z to
/// 2100-01-01T00:00:00Z with a day of slack for Brussels time (AUD-3, [`YEARS`]).
const INSTANTS: std::ops::RangeInclusive<i64> = 946_598_400..=4_102_531_200;

/// Interned names: index → id. Shared by the compact records and the reports made from them.
/// Session and entry ids (one each per record) are kept end to end in one string each;
/// persons and trainings (a few per project) as the id types a report line hands out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Names {
    pub sessions: IdList,
    pub entries: IdList,
    pub persons: Vec<PersonId>,
    pub trainings: Vec<TrainingId>,
}

/// Ids end to end in one string, index → id: one allocation for all of a project's session
/// (or entry) ids instead of one each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IdList {
    text: String,
    /// Where each id ends in `text` (it starts where the one before ends).
    ends: Vec<u32>,
}

impl IdList {
    pub fn len(&self) -> usize {
        self.ends.len()
    }
    /// The id at `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = match i.checked_sub(1) {
            Some(j) => self.ends.get(j).map_or(0, |&e| e as usize),
            None => 0,
        };
        self.text.get(start..end)
    }
    pub fn last(&self) -> Option<&str> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i).unwrap_or(""))
    }
    /// Adds `id` at the end.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the ids would pass 4 GiB of text.
    pub fn push(&mut self, id: &str) -> Result<(), Error> {
        let end = count(self.text.len().saturating_add(id.len()))?;
        self.text.push_str(id);
        self.ends.push(end);
        Ok(())
    }
    /// Room for `n` more ids of about `chars` bytes each.
    pub fn reserve(&mut self, n: usize, chars: usize) {
        self.ends.reserve(n);
        self.text.reserve(n.saturating_mul(chars));
    }
    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.text
            .capacity()
            .saturating_add(self.ends.capacity().saturating_mul(std::mem::size_of::<u32>()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub first: u32,
    pub count: u32,
}

impl Span {
    pub fn range(self) -> std::ops::Range<usize> {
        let a = self.first as usize;
        a..a.saturating_add(self.count as usize)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CSession {
    pub training: u32,
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub status: SessionStatus,
    pub breaks: Span,
    pub participants: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CParticipant {
    pub person: u32,
    pub absent: bool,
    pub intervals: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CInterval {
    pub check_in: i64,
    pub check_out: i64,
    pub late: bool,
    pub clock_suspect: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CEntry {
    pub person: u32,
    pub training: u32,
    pub date: NaiveDate,
    pub minutes: u32,
    pub start: Option<NaiveTime>,
    pub status: EntryStatus,
}

/// A project's records, compact and checked: what the counting kernel reads
/// ([`super::report_compact`], [`super::totals_compact`]). Build it with [`CompactBuilder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compact {
    pub(crate) project: ProjectId,
    pub(crate) params: DatedParams,
    pub(crate) closures: BTreeSet<NaiveDate>,
    pub(crate) source_events: u64,
    pub(crate) names: Arc<Names>,
    pub(crate) sessions: Vec<CSession>,
    pub(crate) breaks: Vec<Break>,
    pub(crate) participants: Vec<CParticipant>,
    pub(crate) intervals: Vec<CInterval>,
    pub(crate) entries: Vec<CEntry>,
}

impl Compact {
    /// The project.
    pub fn project(&self) -> &ProjectId {
        &self.project
    }
    /// Number of sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }
    /// Number of participant lines of sessions.
    pub fn participant_count(&self) -> usize {
        self.participants.len()
    }
    /// Number of attendance intervals.
    pub fn interval_count(&self) -> usize {
        self.intervals.len()
    }
    /// Number of e-learning entries.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }
    /// Bytes held by the compact records (their arrays and names), for benchmarks.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let names = &self.names;
        let ids = |v: &mut dyn Iterator<Item = usize>| v.map(|heap| heap + size_of::<PersonId>()).sum::<usize>();
        self.sessions.capacity() * size_of::<CSession>()
            + self.breaks.capacity() * size_of::<Break>()
            + self.participants.capacity() * size_of::<CParticipant>()
            + self.intervals.capacity() * size_of::<CInterval>()
            + self.entries.capacity() * size_of::<CEntry>()
            + names.sessions.heap_bytes()
            + names.entries.heap_bytes()
            + ids(&mut names.persons.iter().map(PersonId::heap_bytes))
            + ids(&mut names.trainings.iter().map(TrainingId::heap_bytes))
    }
}

/// A `u64` key that is already a hash: itself.
#[derive(Default)]
struct HashKey(u64);

impl Hasher for HashKey {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else is folded in, never lost.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// Ids to their index in a names array, without a second copy of each id: an id's hash
/// (randomly keyed, [`IdHashState`]) leads to the first index whose id has that hash; the
/// rare second id of the same hash goes to `spill` (the standard map's SipHash). Lookups
/// compare against the names.
#[derive(Debug, Default)]
struct IdIndex {
    state: IdHashState,
    first: HashMap<u64, u32, BuildHasherDefault<HashKey>>,
    spill: HashMap<String, u32>,
}

impl IdIndex {
    /// The id's hash and its index, if it has one.
    fn find<'n>(&self, id: &str, name: impl Fn(u32) -> Option<&'n str>) -> (u64, Option<u32>) {
        self.find_hashed(self.state.hash_one(id), id, name)
    }

    fn find_hashed<'n>(&self, h: u64, id: &str, name: impl Fn(u32) -> Option<&'n str>) -> (u64, Option<u32>) {
        match self.first.get(&h) {
            Some(&k) if name(k) == Some(id) => (h, Some(k)),
            Some(_) => (h, self.spill.get(id).copied()),
            None => (h, None),
        }
    }

    /// Records `index` for an id [`IdIndex::find`] did not find (`h` its hash).
    fn insert(&mut self, h: u64, id: &str, index: u32) {
        match self.first.entry(h) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(index);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.spill.insert(id.to_owned(), index);
            }
        }
    }
}

fn name_at<'n, T: AsRef<str>>(names: &'n [T]) -> impl Fn(u32) -> Option<&'n str> + 'n {
    move |k| names.get(k as usize).map(AsRef::as_ref)
}

/// How many trainings of the last sessions a [`CompactBuilder`] remembers.
const RECENT_TRAININGS: usize = 4;

/// A person of a [`CompactBuilder`], as [`CompactBuilder::last_person`] gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonCode(u32);

/// Builds [`Compact`] records one record at a time, checking each as it comes: a session,
/// then its participants, each followed by its intervals; e-learning entries at any point.
/// A refusal names the record by its path (`sessions[3] (session S-1).participants[1]
/// (person p-ann).intervals[0].check_out`) and the rule, never a value that could be a
/// national number.
#[derive(Debug)]
pub struct CompactBuilder {
    c: Compact,
    names: Names,
    persons: IdIndex,
    trainings: IdIndex,
    /// The trainings of the last sessions, newest first (a project has a few trainings, whose
    /// sessions follow or alternate with each other): each was checked and coded then.
    recent_trainings: [u32; RECENT_TRAININGS],
    session_ids: IdIndex,
    entry_ids: IdIndex,
    /// Per person, the last session they were added to (duplicate participants).
    person_last_session: Vec<u32>,
}

fn record_error(path: String, e: &Error) -> Error {
    Error::InvalidRecord {
        path,
        reason: e.message_en(),
        reason_nl: e.message_nl(),
        rule: e.rule().to_owned(),
    }
}

fn record(path: String, rule: &str, en: &str, nl: &str) -> Error {
    Error::InvalidRecord {
        path,
        reason: en.to_owned(),
        reason_nl: nl.to_owned(),
        rule: rule.to_owned(),
    }
}

fn count(n: usize) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| {
        Error::invalid(
            "more than 4294967295 records of one kind",
            "meer dan 4294967295 records van één soort",
        )
    })
}

fn date_in_range(path: impl FnOnce() -> String, d: NaiveDate) -> Result<(), Error> {
    if YEARS.contains(&d.year()) {
        Ok(())
    } else {
        Err(record(
            path(),
            "AUD-3",
            "the date must lie in the years 2000..=2099",
            "de datum moet in de jaren 2000..=2099 liggen",
        ))
    }
}

impl CompactBuilder {
    /// Starts the records of a project.
    pub fn new(project: ProjectId) -> CompactBuilder {
        CompactBuilder {
            c: Compact {
                project,
                params: DatedParams::default(),
                closures: BTreeSet::new(),
                source_events: 0,
                names: Arc::new(Names::default()),
                sessions: Vec::new(),
                breaks: Vec::new(),
                participants: Vec::new(),
                intervals: Vec::new(),
                entries: Vec::new(),
            },
            names: Names::default(),
            persons: IdIndex::default(),
            trainings: IdIndex::default(),
            recent_trainings: [u32::MAX; RECENT_TRAININGS],
            session_ids: IdIndex::default(),
            entry_ids: IdIndex::default(),
            person_last_session: Vec::new(),
        }
    }

    /// Reserves room for this many sessions, participants and intervals.
    pub fn reserve(&mut self, sessions: usize, participants: usize, intervals: usize) {
        self.c.sessions.reserve(sessions);
        // Ids of about a dozen characters.
        self.names.sessions.reserve(sessions, 12);
        self.session_ids.first.reserve(sessions);
        self.c.participants.reserve(participants);
        self.c.intervals.reserve(intervals);
    }

    /// Reserves room for this many distinct persons.
    pub fn reserve_persons(&mut self, persons: usize) {
        self.persons.first.reserve(persons);
        self.names.persons.reserve(persons);
        self.person_last_session.reserve(persons);
    }

    /// The call's dated parameters (ORG-3), checked.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a value out of range or filed under another name.
    pub fn params(&mut self, params: DatedParams) -> Result<(), Error> {
        params.validate()?;
        for d in params.change_dates() {
            date_in_range(|| "params".into(), d)?;
        }
        self.c.params = params;
        Ok(())
    }

    /// The call's closure dates (DL-3; hashed in the receipt).
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] for a date outside [`YEARS`].
    pub fn closures(&mut self, dates: impl IntoIterator<Item = NaiveDate>) -> Result<(), Error> {
        for d in dates {
            date_in_range(|| "closures".into(), d)?;
            self.c.closures.insert(d);
        }
        Ok(())
    }

    /// How many ledger events the records were made from (0 for an export).
    pub fn source_events(&mut self, n: u64) {
        self.c.source_events = n;
    }

    fn session_path(&self) -> String {
        let i = self.c.sessions.len().saturating_sub(1);
        match self.names.sessions.last() {
            Some(id) => format!("sessions[{i}] (session {id})"),
            None => "sessions".into(),
        }
    }

    fn participant_path(&self) -> String {
        let p = self
            .c
            .sessions
            .last()
            .map_or(0, |s| s.participants.count.saturating_sub(1));
        let who = self
            .c
            .participants
            .last()
            .and_then(|x| self.names.persons.get(x.person as usize))
            .map(|id| format!(" (person {id})"))
            .unwrap_or_default();
        format!("{}.participants[{p}]{who}", self.session_path())
    }

    fn person_code(&mut self, id: &str) -> Result<u32, Error> {
        let (h, found) = self.persons.find(id, name_at(&self.names.persons));
        match found {
            Some(i) => Ok(i),
            None => self.new_person(h, id),
        }
    }

    /// Adds a person whose id [`IdIndex::find`] did not find (`h`: that id's hash, so that it is
    /// not hashed again) and gives them the next code.
    fn new_person(&mut self, h: u64, id: &str) -> Result<u32, Error> {
        let i = count(self.names.persons.len())?;
        self.persons.insert(h, id, i);
        self.names.persons.push(PersonId::new(id));
        self.person_last_session.push(u32::MAX);
        Ok(i)
    }

    /// The code of a training among the recent ones (checked when first met), if it is one.
    fn recent_training(&self, id: &str) -> Option<u32> {
        let name = name_at(&self.names.trainings);
        self.recent_trainings.iter().copied().find(|&k| name(k) == Some(id))
    }

    /// A training's code (`recent`: what [`CompactBuilder::recent_training`] said of it).
    fn training_code(&mut self, id: &str, recent: Option<u32>) -> Result<u32, Error> {
        let i = match recent {
            Some(i) => i,
            None => {
                let (h, found) = self.trainings.find(id, name_at(&self.names.trainings));
                match found {
                    Some(i) => i,
                    None => {
                        let i = count(self.names.trainings.len())?;
                        self.trainings.insert(h, id, i);
                        self.names.trainings.push(TrainingId::new(id));
                        i
                    }
                }
            }
        };
        // Newest first: the others move one place down (the oldest drops off).
        let at = self
            .recent_trainings
            .iter()
            .position(|&k| k == i)
            .unwrap_or(RECENT_TRAININGS - 1);
        self.recent_trainings.copy_within(..at, 1);
        if let Some(first) = self.recent_trainings.first_mut() {
            *first = i;
        }
        Ok(i)
    }

    /// Starts a session (SES-1): its id, training, date, local times, breaks and status. The
    /// participants that follow belong to it.
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] (naming the session) for a bad or duplicate id, times that do
    /// not make a session (end not after start, breaks outside it or overlapping, a local
    /// time the spring change skips) or a date outside [`YEARS`].
    #[allow(clippy::too_many_arguments)]
    pub fn session(
        &mut self,
        id: &str,
        training: &str,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        breaks: &[Break],
        status: SessionStatus,
    ) -> Result<(), Error> {
        let i = self.c.sessions.len();
        check_id(id).map_err(|p| id_error(&format!("sessions[{i}].id"), p))?;
        // A training of the last sessions was checked then.
        let recent = self.recent_training(training);
        if recent.is_none() {
            check_id(training).map_err(|p| id_error(&format!("sessions[{i}] (session {id}).training"), p))?;
        }
        let sessions = &self.names.sessions;
        let (id_hash, known) = self.session_ids.find(id, |k| sessions.get(k as usize));
        if known.is_some() {
            return Err(record(
                format!("sessions[{i}] (session {id}).id"),
                "SES-1",
                "another session of the records has the same id",
                "een andere sessie van de records heeft dezelfde id",
            ));
        }
        let path = || format!("sessions[{i}] (session {id})");
        date_in_range(|| format!("{}.date", path()), date)?;
        let limit = |e: Error| record_error(path(), &e);
        // Each limit names its own field inside the session's path.
        crate::limits::time("start", start).map_err(limit)?;
        crate::limits::time("end", end).map_err(limit)?;
        crate::limits::count("breaks", breaks.len(), crate::limits::MAX_BREAKS).map_err(limit)?;
        for b in breaks {
            crate::limits::time("breaks", b.start)
                .and(crate::limits::time("breaks", b.end))
                .map_err(limit)?;
        }
        // The breaks sorted in place at the end of the records' breaks, taken back if refused.
        let first = self.c.breaks.len();
        let span = Span {
            first: count(first)?,
            count: count(breaks.len())?,
        };
        self.c.breaks.extend_from_slice(breaks);
        let mine = self.c.breaks.get_mut(first..).unwrap_or(&mut []);
        mine.sort();
        let checked = Timing::check(date, start, end, mine)
            .map_err(|e| record_error(path(), &e))
            .and_then(|_| self.training_code(training, recent));
        let training = match checked {
            Ok(t) => t,
            Err(e) => {
                self.c.breaks.truncate(first);
                return Err(e);
            }
        };
        let breaks = span;
        self.c.sessions.push(CSession {
            training,
            date,
            start,
            end,
            status,
            breaks,
            participants: Span {
                first: count(self.c.participants.len())?,
                count: 0,
            },
        });
        self.session_ids.insert(id_hash, id, count(self.names.sessions.len())?);
        self.names.sessions.push(id)?;
        Ok(())
    }

    /// Adds a participant to the current session (ATT-5: `absent` marks an explicit
    /// absence). Their intervals follow.
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] when no session was started, for a bad id, or a person listed
    /// twice in one session.
    pub fn participant(&mut self, person: &str, absent: bool) -> Result<(), Error> {
        let p = self.open_session()?;
        let code = match self.persons.find(person, name_at(&self.names.persons)) {
            (_, Some(code)) => code,
            (h, None) => {
                check_id(person)
                    .map_err(|e| id_error(&format!("{}.participants[{p}].person", self.session_path()), e))?;
                self.new_person(h, person)?
            }
        };
        self.add_participant(code, absent)
    }

    /// The person of the participant added last, to add again with
    /// [`CompactBuilder::participant_again`] (readers that know a person from a row before).
    pub fn last_person(&self) -> Option<PersonCode> {
        self.c.participants.last().map(|x| PersonCode(x.person))
    }

    /// [`CompactBuilder::participant`] for a person added before to this builder (their id was
    /// checked and looked up then; it is not again). The same errors, but for the id. A code
    /// is this builder's: from another builder it names whoever has that number here, or is
    /// refused when none has.
    ///
    /// # Errors
    /// As [`CompactBuilder::participant`].
    pub fn participant_again(&mut self, person: PersonCode, absent: bool) -> Result<(), Error> {
        self.open_session()?;
        if person.0 as usize >= self.names.persons.len() {
            return Err(record(
                format!("{}.participants", self.session_path()),
                "AUD-3",
                "a participant names a person not added",
                "een deelnemer noemt een persoon die niet toegevoegd is",
            ));
        }
        self.add_participant(person.0, absent)
    }

    /// The number of the current session's next participant; an error without a session or
    /// when the session is full.
    fn open_session(&self) -> Result<u32, Error> {
        if self.c.sessions.is_empty() {
            return Err(record(
                "participants".into(),
                "AUD-3",
                "a participant needs a session first",
                "een deelnemer heeft eerst een sessie nodig",
            ));
        }
        let p = self.c.sessions.last().map_or(0, |x| x.participants.count);
        if p as usize >= crate::limits::MAX_PARTICIPANTS {
            return Err(record(
                format!("{}.participants", self.session_path()),
                "AUD-3",
                "at most 10000 participants in one session",
                "hoogstens 10000 deelnemers in één sessie",
            ));
        }
        Ok(p)
    }

    fn add_participant(&mut self, code: u32, absent: bool) -> Result<(), Error> {
        let s = count(self.c.sessions.len().saturating_sub(1))?;
        let p = self.c.sessions.last().map_or(0, |x| x.participants.count);
        if let Some(last) = self.person_last_session.get_mut(code as usize) {
            if *last == s {
                let person = self.names.persons.get(code as usize).map_or("", |x| x.as_str());
                return Err(record(
                    format!("{}.participants[{p}] (person {person})", self.session_path()),
                    "SES-1",
                    "the person is listed twice in this session",
                    "de persoon staat twee keer in deze sessie",
                ));
            }
            *last = s;
        }
        let first = count(self.c.intervals.len())?;
        self.c.participants.push(CParticipant {
            person: code,
            absent,
            intervals: Span { first, count: 0 },
        });
        if let Some(sess) = self.c.sessions.last_mut() {
            sess.participants.count = sess.participants.count.saturating_add(1);
        }
        Ok(())
    }

    /// Marks the current participant absent (ATT-5), for readers that learn it after the
    /// intervals.
    pub fn mark_absent(&mut self) {
        if let Some(p) = self.c.participants.last_mut() {
            p.absent = true;
        }
    }

    /// Sets the project (for readers that learn it after the records).
    ///
    /// # Errors
    /// [`Error::InvalidId`] for an id that is not one.
    pub fn set_project(&mut self, project: &str) -> Result<(), Error> {
        self.c.project = ProjectId::parse(project).map_err(|_| {
            check_id(project).map_or_else(
                |p| id_error("records.project", p),
                |()| id_error("records.project", IdProblem::Character),
            )
        })?;
        Ok(())
    }

    /// Adds an attendance interval to the current participant (ATT-1); `late` when it was
    /// registered inside a correction window (DL-2, SUB-3).
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] when no participant was added, the check-out lies before the
    /// check-in, or an instant lies outside [`YEARS`].
    pub fn interval(&mut self, check_in: DateTime<Utc>, check_out: DateTime<Utc>, late: bool) -> Result<(), Error> {
        self.interval_unix(check_in.timestamp(), check_out.timestamp(), late, false)
    }

    /// [`CompactBuilder::interval`] with instants in seconds since the epoch, and the ATT-6
    /// `clock_suspect` mark.
    ///
    /// # Errors
    /// As [`CompactBuilder::interval`].
    pub fn interval_unix(
        &mut self,
        check_in: i64,
        check_out: i64,
        late: bool,
        clock_suspect: bool,
    ) -> Result<(), Error> {
        if self.c.participants.is_empty() || self.c.sessions.last().is_none_or(|s| s.participants.count == 0) {
            return Err(record(
                "intervals".into(),
                "AUD-3",
                "an interval needs a participant first",
                "een interval heeft eerst een deelnemer nodig",
            ));
        }
        let k = self.c.participants.last().map_or(0, |p| p.intervals.count);
        let path = |f: &str| format!("{}.intervals[{k}].{f}", self.participant_path());
        if k as usize >= crate::limits::MAX_INTERVALS {
            return Err(record(
                format!("{}.intervals", self.participant_path()),
                "AUD-3",
                "at most 10000 intervals of one participant in one session",
                "hoogstens 10000 intervallen van één deelnemer in één sessie",
            ));
        }
        for (t, f) in [(check_in, "check_in"), (check_out, "check_out")] {
            if !INSTANTS.contains(&t) {
                return Err(record(
                    path(f),
                    "AUD-3",
                    "the instant must lie in the years 2000..=2099",
                    "het tijdstip moet in de jaren 2000..=2099 liggen",
                ));
            }
        }
        if check_out < check_in {
            return Err(record(
                path("check_out"),
                "ATT-1",
                "the check-out lies before the check-in",
                "de afmelding ligt voor de aanmelding",
            ));
        }
        self.c.intervals.push(CInterval {
            check_in,
            check_out,
            late,
            clock_suspect,
        });
        if let Some(p) = self.c.participants.last_mut() {
            p.intervals.count = p.intervals.count.saturating_add(1);
        }
        Ok(())
    }

    /// [`CompactBuilder::participant_again`] followed by [`CompactBuilder::interval_unix`] for
    /// each of `intervals`, checked as a whole: `true` when all were added; `false`, with
    /// nothing changed, when any of those calls would refuse — the caller then makes them one
    /// by one, and the first refusal names its record. Readers of columns add a participant's
    /// rows so (ADR 11): the same checks, made once per participant where they can be.
    pub(crate) fn participant_rows(&mut self, person: PersonCode, absent: bool, intervals: &[CInterval]) -> bool {
        let Some(s) = self.c.sessions.len().checked_sub(1).and_then(|s| u32::try_from(s).ok()) else {
            return false;
        };
        // A code past the persons added is not this builder's; a person twice in a session is
        // refused (SES-1); a full session too, and too many intervals (AUD-3).
        let full = self
            .c
            .sessions
            .last()
            .is_none_or(|x| x.participants.count as usize >= crate::limits::MAX_PARTICIPANTS);
        let Some(last) = self.person_last_session.get_mut(person.0 as usize) else {
            return false;
        };
        let first = self.c.intervals.len();
        let fits = first
            .checked_add(intervals.len())
            .is_some_and(|n| u32::try_from(n).is_ok());
        let valid = intervals.len() <= crate::limits::MAX_INTERVALS
            && intervals.iter().all(|x| {
                INSTANTS.contains(&x.check_in) && INSTANTS.contains(&x.check_out) && x.check_out >= x.check_in
            });
        if full || *last == s || !fits || !valid {
            return false;
        }
        *last = s;
        match intervals {
            // Most participants have one interval: no copy call for it.
            [one] => self.c.intervals.push(*one),
            _ => self.c.intervals.extend_from_slice(intervals),
        }
        self.c.participants.push(CParticipant {
            person: person.0,
            absent,
            intervals: Span {
                first: first as u32,
                count: intervals.len() as u32,
            },
        });
        if let Some(sess) = self.c.sessions.last_mut() {
            sess.participants.count = sess.participants.count.saturating_add(1);
        }
        true
    }

    /// Adds an e-learning entry (EL-1, SUB-7).
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] for a bad or duplicate id, a duration outside 1..=1440
    /// minutes, or a date outside [`YEARS`].
    #[allow(clippy::too_many_arguments)]
    pub fn entry(
        &mut self,
        id: &str,
        person: &str,
        training: &str,
        date: NaiveDate,
        minutes: u32,
        start: Option<NaiveTime>,
        status: EntryStatus,
    ) -> Result<(), Error> {
        let i = self.c.entries.len();
        check_id(id).map_err(|p| id_error(&format!("elearning[{i}].id"), p))?;
        let path = |f: &str| format!("elearning[{i}] (entry {id}).{f}");
        for (v, f) in [(person, "person"), (training, "training")] {
            check_id(v).map_err(|p| id_error(&path(f), p))?;
        }
        let entries = &self.names.entries;
        let (id_hash, known) = self.entry_ids.find(id, |k| entries.get(k as usize));
        if known.is_some() {
            return Err(record(
                path("id"),
                "EL-1",
                "another entry of the records has the same id",
                "een andere registratie van de records heeft dezelfde id",
            ));
        }
        date_in_range(|| path("date"), date)?;
        EntryInput {
            date,
            minutes,
            start: None,
            end: None,
        }
        .validate()
        .map_err(|e| record_error(path("minutes"), &e))?;
        if let Some(t) = start {
            crate::calendar::brussels_unix(date, t).map_err(|e| record_error(path("start"), &e))?;
        }
        let person = self.person_code(person)?;
        let training = self.training_code(training, self.recent_training(training))?;
        self.c.entries.push(CEntry {
            person,
            training,
            date,
            minutes,
            start,
            status,
        });
        self.entry_ids.insert(id_hash, id, count(self.names.entries.len())?);
        self.names.entries.push(id)?;
        Ok(())
    }

    /// The checked records.
    pub fn finish(mut self) -> Compact {
        self.c.names = Arc::new(self.names);
        self.c
    }
}

#[cfg(test)]
mod tests {
    use super::{CompactBuilder, IdIndex, IdList, name_at};
    use crate::ids::ProjectId;
    use crate::session::{Break, SessionStatus};
    use chrono::{NaiveDate, NaiveTime};

    #[test]
    fn ses_1_el_1_ids_kept_end_to_end_read_back_as_given() {
        let mut l = IdList::default();
        assert_eq!((l.len(), l.get(0), l.last()), (0, None, None));
        let ids = ["S-1", "", "sessie/2026-03-02#ochtend", "é-ü", "S-1"];
        for id in ids {
            assert!(l.push(id).is_ok());
        }
        assert_eq!(l.len(), ids.len());
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(l.get(i), Some(*id), "{i}");
        }
        assert_eq!(l.get(ids.len()), None);
        assert_eq!(l.last(), Some("S-1"));
        assert_eq!(l.iter().collect::<Vec<_>>(), ids);
        let text: usize = ids.iter().map(|x| x.len()).sum();
        assert!(l.heap_bytes() >= text + 4 * ids.len());
    }

    #[test]
    fn ses_1_ids_of_one_hash_are_told_apart() {
        // Two ids whose hashes collide (forced): the second is kept beside the first.
        let names = ["S-a", "S-b"];
        let mut ix = IdIndex::default();
        let h = 42;
        assert_eq!(ix.find_hashed(h, "S-a", name_at(&names)).1, None);
        ix.insert(h, "S-a", 0);
        assert_eq!(ix.find_hashed(h, "S-b", name_at(&names)).1, None);
        ix.insert(h, "S-b", 1);
        assert_eq!(ix.find_hashed(h, "S-a", name_at(&names)).1, Some(0));
        assert_eq!(ix.find_hashed(h, "S-b", name_at(&names)).1, Some(1));
        assert_eq!(ix.find_hashed(h, "S-c", name_at(&names)).1, None);
        // Found by their real hashes too.
        let mut ix = IdIndex::default();
        for (i, id) in names.iter().enumerate() {
            let (h, none) = ix.find(id, name_at(&names));
            assert_eq!(none, None);
            ix.insert(h, id, i as u32);
        }
        assert_eq!(ix.find("S-b", name_at(&names)).1, Some(1));
    }

    /// Trainings coded from the recent ones and from the index alike: sessions cycling through
    /// more trainings than are remembered, alternating between two, and coming back after
    /// many others get one code per training; a bad training id is refused wherever it comes.
    #[test]
    fn ses_1_a_sessions_training_is_coded_once_whatever_the_order() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
        let trainings: Vec<String> = (0..7).map(|k| format!("T-{k}")).collect();
        let order = [0usize, 1, 0, 1, 2, 3, 4, 5, 6, 0, 6, 5, 4, 3, 2, 1, 0, 0, 3];
        let mut b = CompactBuilder::new(ProjectId::new("P-1"));
        for (i, &k) in order.iter().enumerate() {
            b.session(
                &format!("S-{i}"),
                &trainings[k],
                day,
                t(9),
                t(12),
                &[],
                SessionStatus::Executed,
            )
            .expect("session");
        }
        let bad = b.session("S-bad", "T 1", day, t(9), t(12), &[], SessionStatus::Executed);
        let err = bad.expect_err("a space is no id character");
        assert!(err.to_string().contains("(session S-bad).training"), "{err}");
        let c = b.finish();
        let names: Vec<&str> = c.names.trainings.iter().map(|x| x.as_str()).collect();
        assert_eq!(names, ["T-0", "T-1", "T-2", "T-3", "T-4", "T-5", "T-6"]);
        for (s, &k) in c.sessions.iter().zip(&order) {
            assert_eq!(names.get(s.training as usize), Some(&trainings[k].as_str()));
        }
        assert_eq!(c.sessions.len(), order.len());
    }

    #[test]
    fn ses_1_a_refused_session_leaves_nothing_behind() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let brk = |a, b| Break { start: t(a), end: t(b) };
        let mut b = CompactBuilder::new(ProjectId::new("P-1"));
        // A break outside the session: refused (SES-1), its id and breaks not kept.
        let e = b
            .session("S-1", "T-1", day, t(9), t(12), &[brk(13, 14)], SessionStatus::Executed)
            .unwrap_err();
        assert_eq!(e.rule(), "SES-1");
        b.session(
            "S-1",
            "T-1",
            day,
            t(9),
            t(12),
            &[brk(11, 12), brk(10, 11)],
            SessionStatus::Executed,
        )
        .unwrap();
        let e = b
            .session("S-1", "T-1", day, t(13), t(15), &[], SessionStatus::Executed)
            .unwrap_err();
        assert!(e.message_en().contains("same id"), "{}", e.message_en());
        let c = b.finish();
        assert_eq!(c.breaks, vec![brk(10, 11), brk(11, 12)], "sorted, the refused one gone");
        assert_eq!(c.sessions.len(), 1);
        assert_eq!((c.sessions[0].breaks.first, c.sessions[0].breaks.count), (0, 2));
    }
}
