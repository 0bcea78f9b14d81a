//! The ledger: commands in, events or a typed rejection out. Rules AUD-1 (every event records
//! who, when, which command), AUD-2 (state is the fold of its events; snapshots carry a schema
//! version and round-trip through JSON), AUD-3 (stable codes, Dutch and English messages),
//! ATT-3 (the same command id returns the original outcome and changes nothing), AUD-5
//! (preview without change).
//!
//! # Example
//! ```
//! use tijdreg::ledger::{Envelope, Ledger};
//! let mut ledger = Ledger::new();
//! let cmd: Envelope = serde_json::from_str(r#"{"command_id": "c1", "actor": "system",
//!     "at": "2026-03-02T08:00:00+01:00",
//!     "command": {"type": "create_organisation", "organisation": "vdab", "name": "VDAB"}}"#)?;
//! let outcome = ledger.apply(&cmd)?;
//! assert_eq!(outcome.events[0].event.kind(), "organisation_created");
//! // A retry with the same command id returns the original outcome and changes nothing.
//! let again = ledger.apply(&cmd)?;
//! assert!(again.replayed);
//! assert_eq!(ledger.state().event_count, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authz;
pub mod command;
mod decide;
pub mod event;
mod fingerprint;
mod line;
mod log;
pub mod query;
pub mod report;
mod scan;
pub mod state;

pub use command::{Command, IntervalInput};
pub use event::{Event, Previewed};
pub use scan::ScanParts;
pub use state::State;

use crate::error::Error;
use crate::ids::{CommandId, PersonId, ProjectId};
use crate::qr::Keyring;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The snapshot schema version (AUD-2). Version 2 holds the hash-chained event log; version 1
/// (the state with each accepted command's events) still loads.
pub const SCHEMA_VERSION: u32 = 2;

/// Who issues a command: the system (identity feed, ESF back office) or a person.
/// Serialised as `"system"` or the person's id.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Actor {
    /// The identity feed or ESF back office.
    System,
    /// A person, by opaque id.
    Person(PersonId),
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::System => f.write_str("system"),
            Actor::Person(p) => f.write_str(p.as_str()),
        }
    }
}

impl From<String> for Actor {
    /// `"system"` is the system actor; anything else a person id.
    fn from(s: String) -> Actor {
        if s == "system" {
            Actor::System
        } else {
            Actor::Person(PersonId::from(s))
        }
    }
}

impl From<&str> for Actor {
    /// As `From<String>`.
    fn from(s: &str) -> Actor {
        if s == "system" {
            Actor::System
        } else {
            Actor::Person(PersonId::new(s))
        }
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Actor;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Actor, E> {
                Ok(Actor::from(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Actor, E> {
                Ok(Actor::from(s))
            }
        }
        d.deserialize_str(Text)
    }
}

/// A command with its client id, actor and instant. The instant is any RFC 3339 time; it is
/// judged in Europe/Brussels (DL-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The client's command id (ATT-3).
    pub command_id: CommandId,
    /// Who.
    pub actor: Actor,
    /// When.
    #[serde(with = "crate::calendar::instant_serde")]
    pub at: DateTime<Utc>,
    /// What.
    pub command: Command,
}

impl Envelope {
    /// Decodes a command from JSON.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming what does not fit (unknown command type, missing or
    /// unknown field, malformed instant).
    pub fn from_json(json: &str) -> Result<Envelope, Error> {
        // A check-in or check-out as clients write it, without serde (the same value, ADR 17).
        if let Some(e) = scan::envelope(json, crate::decode::MAX_COMMAND_BYTES) {
            return Ok(e);
        }
        crate::decode::decode_str(json, "", crate::decode::MAX_COMMAND_BYTES)
            .map_err(|p| Self::locate(p, || serde_json::from_str(json).ok()))
    }

    /// A decode problem that stops at `command` is looked up again inside the command.
    fn locate(p: crate::decode::Problem, value: impl FnOnce() -> Option<serde_json::Value>) -> Error {
        if p.path == "command"
            && let Some(v) = value()
            && let Some(c) = v.get("command")
            && let Some(deeper) = command::trace("command", c)
        {
            return deeper.into_error();
        }
        p.into_error()
    }

    /// Decodes a command from a JSON value.
    ///
    /// # Errors
    /// As [`Envelope::from_json`].
    pub fn from_value(v: serde_json::Value) -> Result<Envelope, Error> {
        crate::decode::decode_ref(&v, "").map_err(|p| Self::locate(p, || Some(v)))
    }
}

/// An event as recorded: sequence number, who, when, which command (AUD-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Position in the log, from 1.
    pub seq: u64,
    /// The command that produced it.
    pub command_id: CommandId,
    /// Who.
    pub actor: Actor,
    /// When.
    #[serde(with = "crate::calendar::instant_serde")]
    pub at: DateTime<Utc>,
    /// Fingerprint of the command, to tell a retry from a reused id (ATT-3).
    pub fingerprint: String,
    /// What happened.
    pub event: Event,
    /// SHA-256 chained over the previous event's hash and this event's canonical JSON
    /// (hex; empty until the event is in a log). See [`Ledger::events_jsonl`].
    #[serde(default)]
    pub hash: String,
}

/// What [`Ledger::apply_quiet`] returns for an accepted command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// How many events it recorded (for a retry: had recorded).
    pub events: usize,
    /// Whether this was a retry of an already applied command (ATT-3).
    pub replayed: bool,
}

/// What [`Ledger::record`] did with an accepted command.
enum Recording {
    /// A retry: the events the command recorded before (ATT-3).
    Retry(Vec<Recorded>),
    /// New: its events (recorded from sequence number `first` on) and fingerprint.
    New { first: u64, events: Vec<Event>, fp: String },
}

/// What [`Ledger::apply`] returns for an accepted command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The events (the original ones, for a retry).
    pub events: Vec<Recorded>,
    /// Whether this was a retry of an already applied command (ATT-3).
    pub replayed: bool,
}

/// The answer of [`Ledger::what_if`] (AUD-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WhatIf {
    /// The events the command would produce (for a retry: the ones it produced), national
    /// numbers masked in JSON (ID-3).
    pub events: Previewed,
    /// Whether the command id was already applied to this very command: a retry changes
    /// nothing (ATT-3), so `projects` is empty.
    #[serde(default)]
    pub replayed: bool,
    /// The change per affected project.
    pub projects: Vec<ProjectDelta>,
}

/// How a command would change one project's subsidy (AUD-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectDelta {
    /// Project.
    pub project: ProjectId,
    /// Realised counted minutes now.
    pub counted_minutes_before: i64,
    /// Realised counted minutes after the command.
    pub counted_minutes_after: i64,
    /// Provisional counted minutes now.
    pub provisional_minutes_before: i64,
    /// Provisional counted minutes after the command.
    pub provisional_minutes_after: i64,
    /// Total amount now.
    pub amount_before: rust_decimal::Decimal,
    /// Total amount after the command.
    pub amount_after: rust_decimal::Decimal,
    /// After − before.
    pub amount_change: rust_decimal::Decimal,
}

/// A ledger: its state, its event log and the host's QR keys (which are never serialised).
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    state: State,
    log: log::Log,
    keys: Keyring,
}

fn fingerprint(env: &Envelope) -> String {
    fingerprint::of(env)
}

/// How many check-ins and check-outs a replay or a snapshot load reads before folding them
/// ([`Ledger::fold_ahead`]).
const READ_AHEAD: usize = 8;

/// A check-in or check-out read ahead: what the scanner read, its line, and its hash when it
/// was worked out ahead.
type Ahead<'l> = (line::Scanned<'l>, &'l str, Option<log::Verdict>);

/// Check-ins and check-outs read ahead, as the state folds them.
fn scans<'a>(
    run: &'a [Ahead<'a>],
) -> impl Iterator<
    Item = (
        &'a str,
        &'a str,
        bool,
        (chrono::DateTime<chrono::Utc>, crate::session::Method, bool),
    ),
> {
    run.iter()
        .map(|(s, _, _)| (s.session, s.person, s.out, (s.time, s.method, s.late)))
}

/// How many lines of an event log a replay reads at a time for its helper thread (a multiple
/// of `READ_AHEAD`, so that lines are folded in the same groups as without it). The core's own
/// tests use batches of 16, so that their small logs span several.
const BATCH_LINES: usize = if cfg!(test) { 16 } else { 1024 };

/// Lines of an event log as a replay reads them: the text, each non-blank line's number and
/// where it lies in the text, and why the reading stopped after them, if it did. A replay
/// refills the same few batches (their buffers kept: a fresh one of this size would be
/// mapped, and its pages faulted in, each time).
#[derive(Default)]
struct Batch {
    text: String,
    lines: Vec<(usize, std::ops::Range<usize>)>,
    error: Option<Error>,
    end: bool,
}

/// What a replay's helper thread works out for a line ahead of its fold: its hash when it
/// chains, and what the scanner reads in it (`Some(None)`: not a check-in or check-out;
/// `None`: to be read where it is folded).
#[derive(Clone, Copy)]
struct Prepared {
    verdict: Option<log::Verdict>,
    scanned: Option<Option<line::ScannedAt>>,
}

#[cfg(test)]
thread_local! {
    /// What a replay took from its helper, counted for the tests on the reading thread: lines
    /// whose hash, and check-ins and check-outs whose reading, were worked out ahead and used.
    pub(crate) static USED_AHEAD: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// What the helper works out for each line of a batch ([`Prepared`]), into `out`; `prev` is
/// the hash the line before the batch states (see [`log::verify_ahead`]); `hashes` is scratch.
fn prepare(b: &Batch, prev: &mut Option<log::Hash>, hashes: &mut Vec<Option<log::Verdict>>, out: &mut Vec<Prepared>) {
    let line_of = |(_, r): &(usize, std::ops::Range<usize>)| b.text.get(r.clone()).unwrap_or("");
    hashes.clear();
    out.clear();
    log::verify_ahead(prev, b.lines.iter().map(line_of), hashes);
    let prepared = b
        .lines
        .iter()
        .map(line_of)
        .zip(hashes.iter().copied())
        .map(|(line, verdict)| Prepared {
            verdict,
            scanned: match line::scan(line, crate::decode::MAX_COMMAND_BYTES) {
                Some(s) => line::ScannedAt::of(&s, line).map(Some),
                None => Some(None),
            },
        });
    out.extend(prepared);
}

/// The error of an event log that cannot be read.
fn unreadable() -> Error {
    Error::invalid(
        "the event log could not be read",
        "het gebeurtenissenlogboek kon niet gelezen worden",
    )
}

/// Reads up to `BATCH_LINES` non-blank lines (a blank line is not kept). When the reading
/// fails, the lines of the unfinished group of `READ_AHEAD` before the failure are left out,
/// as a replay a group at a time never folds them, and the batch carries the error. `b` is
/// emptied first.
fn read_batch(reader: &mut impl std::io::BufRead, number: &mut usize, b: &mut Batch) {
    b.text.clear();
    b.lines.clear();
    b.error = None;
    b.end = false;
    while b.lines.len() < BATCH_LINES {
        let from = b.text.len();
        match reader.read_line(&mut b.text) {
            Err(_) => {
                b.text.truncate(from);
                let whole = b.lines.len().saturating_sub(b.lines.len() % READ_AHEAD);
                b.lines.truncate(whole);
                b.error = Some(unreadable());
                break;
            }
            Ok(0) => {
                b.end = true;
                break;
            }
            Ok(_) => {
                *number = number.saturating_add(1);
                let line = b.text.get(from..).unwrap_or("");
                let line = line.strip_suffix('\n').unwrap_or(line);
                let line = line.strip_suffix('\r').unwrap_or(line);
                if line.trim().is_empty() {
                    // Not kept: a log of blank lines never grows the batch.
                    b.text.truncate(from);
                } else {
                    let len = line.len();
                    b.lines.push((*number, from..from.saturating_add(len)));
                }
            }
        }
    }
}

impl Ledger {
    /// An empty ledger without QR keys.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// An empty ledger that verifies QR tokens with `keys`.
    pub fn with_keys(keys: Keyring) -> Ledger {
        Ledger {
            state: State::default(),
            log: log::Log::default(),
            keys,
        }
    }

    /// Replaces the QR keys (rotation).
    pub fn set_keys(&mut self, keys: Keyring) {
        self.keys = keys;
    }

    /// The QR keys.
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// The state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Checks a command and, if accepted, folds its events into the state.
    ///
    /// # Errors
    /// The first rule the command breaks, as an [`Error`] with code and rule; the state is
    /// then unchanged. [`Error::CommandIdReused`] when the id was used for another command.
    pub fn apply(&mut self, env: &Envelope) -> Result<Outcome, Error> {
        let mut hashes = Vec::new();
        match self.record(env, Some(&mut hashes))? {
            Recording::Retry(done) => Ok(Outcome {
                events: done,
                replayed: true,
            }),
            Recording::New { first, events, fp } => Ok(Outcome {
                events: events
                    .into_iter()
                    .zip(&hashes)
                    .enumerate()
                    .map(|(i, (event, hash))| Recorded {
                        seq: first.saturating_add(i as u64),
                        command_id: env.command_id.clone(),
                        actor: env.actor.clone(),
                        at: env.at,
                        fingerprint: fp.clone(),
                        event,
                        hash: log::hex(hash),
                    })
                    .collect(),
                replayed: false,
            }),
        }
    }

    /// [`Ledger::apply`] for a host that does not need the events back (a bulk load of
    /// scans): the same checks, refusals, log and state, but only how many events the
    /// command recorded (for a retry: had recorded) is returned, so that none is copied out.
    ///
    /// # Errors
    /// As [`Ledger::apply`].
    ///
    /// ```
    /// # use tijdreg::ledger::{Envelope, Ledger};
    /// let mut l = Ledger::new();
    /// let env = Envelope::from_json(r#"{"command_id": "c1", "actor": "system", "at": "2026-03-02T08:00:00Z",
    ///     "command": {"type": "create_organisation", "organisation": "vdab", "name": "VDAB"}}"#).unwrap();
    /// let first = l.apply_quiet(&env).unwrap();
    /// assert_eq!((first.events, first.replayed), (1, false));
    /// let again = l.apply_quiet(&env).unwrap();
    /// assert_eq!((again.events, again.replayed), (1, true));
    /// ```
    pub fn apply_quiet(&mut self, env: &Envelope) -> Result<Applied, Error> {
        Ok(match self.record(env, None)? {
            Recording::Retry(done) => Applied {
                events: done.len(),
                replayed: true,
            },
            Recording::New { events, .. } => Applied {
                events: events.len(),
                replayed: false,
            },
        })
    }

    /// Checks a command and, when it is accepted and new, writes its events in the log and
    /// folds them into the state; `hashes` (when given) receives each event's chain hash.
    fn record(&mut self, env: &Envelope, hashes: Option<&mut Vec<log::Hash>>) -> Result<Recording, Error> {
        let fp = fingerprint(env);
        if let Some(done) = self.log.of_command(&env.command_id) {
            let same = |r: &Recorded| r.fingerprint == fp || r.fingerprint == fingerprint::legacy(env);
            return if done.first().is_none_or(same) {
                Ok(Recording::Retry(done))
            } else {
                Err(Error::CommandIdReused {
                    command_id: env.command_id.to_string(),
                })
            };
        }
        let events = decide::decide(&self.state, &self.keys, env)?;
        // Sequence numbers are u64: 2^64 events will not be recorded.
        let first = self.state.event_count.saturating_add(1);
        let cmd = log::CommandParts {
            command_id: &env.command_id,
            actor: &env.actor,
            at: env.at,
            fingerprint: &fp,
        };
        self.log.append_new_parts(&cmd, first, &events, hashes);
        for event in &events {
            self.state.evolve_event(env.at, &env.actor, event);
        }
        Ok(Recording::New { first, events, fp })
    }

    /// The event log: every recorded event of the accepted commands, by sequence number.
    /// Feeding it to [`Ledger::replay`] rebuilds this ledger (AUD-2).
    pub fn events(&self) -> Vec<Recorded> {
        self.log.iter().collect()
    }

    /// The event log as JSON lines, one event per line, each with its chained hash (AUD-1,
    /// AUD-2): what [`Ledger::replay_jsonl`] reads back.
    pub fn events_jsonl(&self) -> String {
        let mut out = String::with_capacity(self.log.text_len());
        for c in self.log.chunks() {
            out.push_str(c);
        }
        out
    }

    /// The event log as one JSON list: the text serialising [`Ledger::events`] gives, written
    /// from the log's own lines (they are the canonical JSON of each event with its hash, ADR
    /// 08) without reading any of them back.
    ///
    /// ```
    /// # use tijdreg::ledger::Ledger;
    /// let l = Ledger::new();
    /// assert_eq!(l.events_json(), "[]");
    /// ```
    pub fn events_json(&self) -> String {
        let mut out = String::with_capacity(self.log.text_len().saturating_add(2));
        out.push('[');
        self.log.push_joined(&mut out);
        out.push(']');
        out
    }

    /// Writes the event log as JSON lines to `w` (streaming; see [`Ledger::events_jsonl`]).
    ///
    /// # Errors
    /// The writer's.
    pub fn write_events(&self, mut w: impl std::io::Write) -> std::io::Result<()> {
        for c in self.log.chunks() {
            w.write_all(c.as_bytes())?;
        }
        Ok(())
    }

    /// The hash of the last event (hex; 64 zeros for an empty log): a host that keeps it
    /// elsewhere can tell later that the log it reads is the one it wrote (AUD-2).
    pub fn log_head(&self) -> String {
        log::hex(self.log.head())
    }

    /// What a command would produce, without changing anything (AUD-5).
    ///
    /// # Errors
    /// As [`Ledger::apply`].
    /// The events serialise with the national number masked ([`Previewed`], ID-3).
    pub fn preview(&self, env: &Envelope) -> Result<Previewed, Error> {
        if let Some(done) = self.log.of_command(&env.command_id) {
            return Ok(Previewed(done.into_iter().map(|r| r.event).collect()));
        }
        decide::decide(&self.state, &self.keys, env).map(Previewed)
    }

    /// What-if (AUD-5): the events a command would produce and, for every project whose
    /// subsidy it would change, the counted minutes and amount before and after — without
    /// changing anything. Both reports are counted on the whole project at the command's
    /// instant and then cut to what the command's actor may see (ARC-2), so a partner sees the
    /// change of her own lines only. Only the affected projects are copied, never the whole
    /// state.
    ///
    /// # Errors
    /// As [`Ledger::apply`].
    pub fn what_if(&self, env: &Envelope) -> Result<WhatIf, Error> {
        if let Some(done) = self.log.of_command(&env.command_id) {
            let fp = fingerprint(env);
            if done
                .first()
                .is_none_or(|r| r.fingerprint == fp || r.fingerprint == fingerprint::legacy(env))
            {
                return Ok(WhatIf {
                    events: Previewed(done.into_iter().map(|r| r.event).collect()),
                    replayed: true,
                    projects: Vec::new(),
                });
            }
            return Err(Error::CommandIdReused {
                command_id: env.command_id.to_string(),
            });
        }
        let events = self.preview(env)?;
        let mut projects: Vec<ProjectId> = Vec::new();
        let mut add = |p: &ProjectId| {
            if !projects.contains(p) {
                projects.push(p.clone());
            }
        };
        for e in events.iter() {
            match e {
                Event::SessionPlanned { project, .. } | Event::ElearningParticipantCreated { project, .. } => {
                    add(project)
                }
                Event::ElearningHoursEntered { entry } => add(&entry.project),
                Event::ParameterSet { call, .. } | Event::ClosureDatesAdded { call, .. } => {
                    self.state
                        .projects
                        .values()
                        .filter(|p| p.call == *call)
                        .for_each(|p| add(&p.id));
                }
                other => {
                    if let Some(x) = other.session().and_then(|id| self.state.sessions.get(id)) {
                        add(&x.project);
                    }
                    if let Some(x) = other.entry().and_then(|id| self.state.entries.get(id)) {
                        add(&x.project);
                    }
                }
            }
        }
        let mut deltas = Vec::new();
        let az = authz::Authz::new(&self.state, &env.actor, env.at);
        for project in projects {
            let Some(p) = self.state.projects.get(&project) else {
                continue;
            };
            if !az.sees_project(p) {
                continue;
            }
            let mut before = crate::subsidy::report_compact(&report::compact(&self.state, p)?, env.at)?;
            report::cut(&self.state, &az, p, &mut before);
            let mut slice = self.state.project_slice(&project);
            for (i, event) in events.0.iter().enumerate() {
                slice.evolve(&Recorded {
                    seq: slice.event_count.saturating_add(1).saturating_add(i as u64),
                    command_id: env.command_id.clone(),
                    actor: env.actor.clone(),
                    at: env.at,
                    fingerprint: String::new(),
                    event: event.clone(),
                    hash: String::new(),
                });
            }
            let mut after = crate::subsidy::report_compact(&report::compact(&slice, p)?, env.at)?;
            report::cut(&slice, &az, p, &mut after);
            deltas.push(ProjectDelta {
                project,
                counted_minutes_before: before.realised.counted_minutes,
                counted_minutes_after: after.realised.counted_minutes,
                provisional_minutes_before: before.provisional.counted_minutes,
                provisional_minutes_after: after.provisional.counted_minutes,
                amount_before: before.amounts.total,
                amount_after: after.amounts.total,
                amount_change: after.amounts.total.saturating_sub(before.amounts.total),
            });
        }
        Ok(WhatIf {
            events,
            replayed: false,
            projects: deltas,
        })
    }

    /// Rebuilds a ledger from its event log (AUD-2), checking that it is the log the engine
    /// wrote: sequence numbers from 1 without gaps or repeats, every hash chained.
    ///
    /// # Errors
    /// [`Error::DamagedLog`] naming the first event that does not fit.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Recorded>, keys: Keyring) -> Result<Ledger, Error> {
        let mut l = Ledger::with_keys(keys);
        for r in events {
            l.push_checked(r.clone(), None)?;
        }
        Ok(l)
    }

    /// Rebuilds a ledger from its event log as JSON lines ([`Ledger::events_jsonl`]), read
    /// line by line (AUD-2). Empty lines are skipped.
    ///
    /// The lines' SHA-256 chain is worked out, and the check-ins and check-outs read, on a
    /// helper thread while they are folded here, a batch of lines ahead (ADR 22); where no
    /// thread can be started, everything is done here, with the same answer.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a line that is not an event (naming the line);
    /// [`Error::DamagedLog`] as [`Ledger::replay`].
    pub fn replay_jsonl(reader: impl std::io::BufRead, keys: Keyring) -> Result<Ledger, Error> {
        Self::replay_jsonl_helped(reader, keys, true)
    }

    /// [`Ledger::replay_jsonl`], with the helper thread or without it.
    pub(crate) fn replay_jsonl_helped(
        mut reader: impl std::io::BufRead,
        keys: Keyring,
        helper: bool,
    ) -> Result<Ledger, Error> {
        let mut l = Ledger::with_keys(keys);
        let mut number: usize = 0;
        let genesis = *l.log.head();
        std::thread::scope(|scope| {
            // A batch travels with the vector its lines' `Prepared` go into, both refilled.
            let (to_helper, batches) = std::sync::mpsc::sync_channel::<(Batch, Vec<Prepared>)>(1);
            let (verdicts_out, verdicts) = std::sync::mpsc::sync_channel::<(Batch, Vec<Prepared>)>(1);
            let hashing = move || {
                let (mut prev, mut hashes) = (Some(genesis), Vec::new());
                for (b, mut prepared) in batches {
                    prepare(&b, &mut prev, &mut hashes, &mut prepared);
                    if verdicts_out.send((b, prepared)).is_err() {
                        break;
                    }
                }
            };
            let started = helper
                && std::thread::Builder::new()
                    .name("tijdreg-replay-hash".into())
                    .spawn_scoped(scope, hashing)
                    .is_ok();
            if !started {
                // Read and fold in turn, every line hashed here.
                let mut b = Batch::default();
                loop {
                    read_batch(&mut reader, &mut number, &mut b);
                    l.fold_batch(&b, &[])?;
                    if let Some(e) = b.error.take() {
                        return Err(e);
                    }
                    if b.end {
                        return Ok(());
                    }
                }
            }
            // Two batches handed over before the first is folded: the helper hashes one while
            // this thread folds the other.
            let (mut more, mut pending, mut spare) = (true, 0usize, Vec::with_capacity(2));
            loop {
                while more && pending < 2 {
                    let (mut b, prepared) = spare.pop().unwrap_or_default();
                    read_batch(&mut reader, &mut number, &mut b);
                    more = b.error.is_none() && !b.end;
                    to_helper.send((b, prepared)).map_err(|_| unreadable())?;
                    pending = pending.saturating_add(1);
                }
                if pending == 0 {
                    return Ok(());
                }
                let (mut b, v) = verdicts.recv().map_err(|_| unreadable())?;
                pending = pending.saturating_sub(1);
                l.fold_batch(&b, &v)?;
                if let Some(e) = b.error.take() {
                    return Err(e);
                }
                spare.push((b, v));
            }
        })?;
        Ok(l)
    }

    /// Folds a batch of an event log's lines, `READ_AHEAD` at a time ([`Ledger::replay_lines`]),
    /// with what was worked out ahead for them (nothing: every line scanned and hashed here).
    fn fold_batch(&mut self, b: &Batch, prepared: &[Prepared]) -> Result<(), Error> {
        for (i, lines) in b.lines.chunks(READ_AHEAD).enumerate() {
            let from = i.saturating_mul(READ_AHEAD);
            let p = prepared.get(from..from.saturating_add(lines.len())).unwrap_or(&[]);
            self.replay_lines(&b.text, lines, p)?;
        }
        Ok(())
    }

    /// Folds a few lines of an event log in order, check-ins and check-outs read ahead
    /// ([`Ledger::fold_ahead`]) up to the next line serde must read; `prepared` (one a line,
    /// or none) is what was worked out for them ahead.
    fn replay_lines(
        &mut self,
        batch: &str,
        lines: &[(usize, std::ops::Range<usize>)],
        prepared: &[Prepared],
    ) -> Result<(), Error> {
        let mut ahead = Vec::with_capacity(READ_AHEAD);
        for (i, (number, range)) in lines.iter().enumerate() {
            let line = batch.get(range.clone()).unwrap_or("");
            let pre = prepared.get(i);
            let verdict = pre.and_then(|p| p.verdict);
            let scanned = match pre.and_then(|p| p.scanned) {
                Some(None) => None,
                // Scanned ahead; read here when it could not be (or its places do not fit).
                Some(Some(at)) => match at.in_line(line) {
                    Some(s) => {
                        #[cfg(test)]
                        USED_AHEAD.with(|c| c.set((c.get().0, c.get().1.saturating_add(1))));
                        Some(s)
                    }
                    None => line::scan(line, crate::decode::MAX_COMMAND_BYTES),
                },
                None => line::scan(line, crate::decode::MAX_COMMAND_BYTES),
            };
            match scanned {
                Some(s) => ahead.push((s, line, verdict)),
                None => {
                    self.fold_ahead(&mut ahead)?;
                    let v = crate::decode::from_str_max_lazy(
                        line,
                        || format!("log line {number}"),
                        crate::decode::MAX_COMMAND_BYTES,
                    )?;
                    self.push_view(v, line, verdict.as_ref())?;
                }
            }
        }
        self.fold_ahead(&mut ahead)
    }

    /// Folds check-ins and check-outs read ahead, in order. Each command id's slot in the log's
    /// index is read for all of them first, in a loop of its own: in a large log each is a
    /// cache miss, and so the processor waits for them together rather than once a line.
    ///
    /// Each canonical line is appended to the log as it comes, and folded into the state with
    /// the run of canonical lines it belongs to (a run in one session looks it up once); a line
    /// that is not canonical is checked on its values after the run before it is folded. (A
    /// refusal part way leaves the state behind the log: the ledger is then dropped.)
    fn fold_ahead(&mut self, ahead: &mut Vec<Ahead<'_>>) -> Result<(), Error> {
        for (s, _, _) in ahead.iter() {
            self.log.expect(s.command_id);
        }
        let mut from = 0;
        for (i, (s, line, verdict)) in ahead.iter().enumerate() {
            if !self.log.append_canonical(s.seq, s.command_id, line, verdict.as_ref())? {
                self.state.evolve_scans(scans(ahead.get(from..i).unwrap_or(&[])));
                self.push_checked(s.clone().into_view().into_recorded(), None)?;
                from = i.saturating_add(1);
            }
        }
        self.state.evolve_scans(scans(ahead.get(from..).unwrap_or(&[])));
        ahead.clear();
        Ok(())
    }

    fn push_checked(&mut self, r: Recorded, line: Option<&str>) -> Result<(), Error> {
        let r = self.log.append_checked(r, line)?;
        self.state.evolve(&r);
        Ok(())
    }

    /// [`Ledger::push_checked`] for a line read as a view: a canonical line is appended as it
    /// is, any other is checked on its values.
    fn push_view(&mut self, v: line::LineView<'_>, line: &str, verdict: Option<&log::Verdict>) -> Result<(), Error> {
        if self.log.append_canonical(v.seq, v.command_id.as_str(), line, verdict)? {
            self.state.evolve_event(v.at, &v.actor, &v.event);
            return Ok(());
        }
        self.push_checked(v.into_recorded(), None)
    }

    /// [`Ledger::push_view`] for a check-in or check-out read by [`line::scan`]: a canonical
    /// line is folded from the texts it holds (nothing allocated), any other is checked on its
    /// values.
    fn push_scanned(&mut self, s: line::Scanned<'_>, line: &str, verdict: Option<&log::Verdict>) -> Result<(), Error> {
        if self.log.append_canonical(s.seq, s.command_id, line, verdict)? {
            self.state
                .evolve_scan(s.session, s.person, s.out, (s.time, s.method, s.late));
            return Ok(());
        }
        self.push_checked(s.into_view().into_recorded(), None)
    }

    /// The ledger as JSON (AUD-2): its schema version, the engine version, the number of
    /// events, the head of the hash chain and the event log itself. Loading replays the log
    /// (the state is its fold), checking the chain.
    pub fn snapshot_json(&self) -> String {
        let mut out = String::with_capacity(self.log.text_len().saturating_add(256));
        out.push_str(&format!(
            "{{\"schema_version\":{SCHEMA_VERSION},\"engine_version\":\"{}\",\"events\":{},\"head\":\"{}\",\"log\":[",
            crate::VERSION,
            self.log.len(),
            log::hex(self.log.head())
        ));
        self.log.push_joined(&mut out);
        out.push_str("]}");
        out
    }

    /// Loads a snapshot made by [`Ledger::snapshot_json`] (schema 2), or by an earlier engine
    /// (schema 1: the state with its accepted commands, whose events are replayed and chained
    /// anew).
    ///
    /// # Errors
    /// [`Error::UnsupportedSchemaVersion`] for another version; [`Error::InvalidInput`] for
    /// JSON that is not a snapshot; [`Error::DamagedLog`] for a log that is not the one the
    /// engine wrote, or that does not end at the snapshot's head.
    pub fn from_snapshot_json(json: &str, keys: Keyring) -> Result<Ledger, Error> {
        snapshot::load(json, keys)
    }
}

mod snapshot;

pub(crate) use decide::{deadline, params_for};

#[cfg(test)]
mod replay_tests {
    use super::*;

    /// The conformance fixture `base` applied to a new ledger.
    pub(super) fn base_ledger() -> Ledger {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/conformance/fixtures/base.json")).unwrap_or_default();
        let mut l = Ledger::new();
        let steps = doc.get("steps").and_then(|s| s.as_array()).cloned().unwrap_or_default();
        for (i, mut s) in steps.into_iter().enumerate() {
            s["command_id"] = serde_json::json!(format!("base-{i}"));
            let applied = Envelope::from_value(s).map(|e| l.apply(&e).is_ok());
            assert_eq!(applied.ok(), Some(true), "step {i}");
        }
        l
    }

    /// The base fixture's ledger, a session planned and started and its participants checked
    /// in and out: a log of several batches.
    fn ledger() -> Ledger {
        let mut l = base_ledger();
        let plan = |session: &str, training: &str, start: &str, end: &str| {
            serde_json::json!({"type": "plan_session", "session": session, "training": training,
            "date": "2026-03-02", "start": start, "end": end, "trainers": ["p-tom"],
            "participants": ["p-ann", "p-bart", "p-cas"]})
        };
        let start = |session: &str| serde_json::json!({"type": "start_session", "session": session});
        let check = |kind: &str, person: &str| serde_json::json!({"type": kind, "session": "S-1", "person": person});
        let check2 = |kind: &str, person: &str| serde_json::json!({"type": kind, "session": "S-2", "person": person});
        let steps = [
            (
                "p-olivia",
                "2026-02-02T09:00:00+01:00",
                plan("S-1", "T-1", "09:00", "12:00"),
            ),
            ("p-tom", "2026-03-02T08:40:00+01:00", start("S-1")),
            ("p-tom", "2026-03-02T08:55:00+01:00", check("check_in", "p-ann")),
            ("p-tom", "2026-03-02T09:05:00+01:00", check("check_in", "p-bart")),
            ("p-tom", "2026-03-02T11:50:00+01:00", check("check_out", "p-ann")),
            ("p-tom", "2026-03-02T11:51:00+01:00", check("check_in", "p-cas")),
            ("p-tom", "2026-03-02T11:55:00+01:00", check("check_in", "p-ann")),
            ("p-tom", "2026-03-02T12:00:00+01:00", check("check_out", "p-bart")),
            // A second session in the afternoon, its check-ins between the first one's
            // check-outs: runs of scans that change session line by line.
            (
                "p-olivia",
                "2026-02-02T09:05:00+01:00",
                plan("S-2", "T-3", "12:15", "14:00"),
            ),
            ("p-tom", "2026-03-02T12:05:00+01:00", start("S-2")),
            ("p-tom", "2026-03-02T12:10:00+01:00", check("check_out", "p-cas")),
            ("p-tom", "2026-03-02T12:11:00+01:00", check2("check_in", "p-cas")),
            ("p-tom", "2026-03-02T12:12:00+01:00", check("check_out", "p-ann")),
            ("p-tom", "2026-03-02T12:13:00+01:00", check2("check_in", "p-ann")),
            ("p-tom", "2026-03-02T12:14:00+01:00", check2("check_in", "p-bart")),
            ("p-tom", "2026-03-02T13:58:00+01:00", check2("check_out", "p-bart")),
            ("p-tom", "2026-03-02T13:59:00+01:00", check2("check_out", "p-ann")),
        ];
        for (i, (actor, at, command)) in steps.into_iter().enumerate() {
            let e = serde_json::json!({"command_id": format!("s-{i}"), "actor": actor, "at": at, "command": command});
            let applied = Envelope::from_value(e).map(|e| l.apply(&e).map(|_| ()).map_err(|e| e.message_en()));
            assert_eq!(applied.ok(), Some(Ok(())), "scan step {i}");
        }
        l
    }

    /// What a replay gives, as comparable text: the log and state, or the refusal.
    fn verdict(text: &[u8], helper: bool) -> Result<(String, State), (String, String)> {
        Ledger::replay_jsonl_helped(text, Keyring::default(), helper)
            .map(|l| (l.events_jsonl(), l.state().clone()))
            .map_err(|e| (e.code().to_owned(), e.message_en()))
    }

    /// AUD-2: a replay whose lines are hashed and scanned on a helper thread, a batch ahead,
    /// gives what the replay that does every line itself gives, whatever is wrong with the log
    /// and wherever:
    /// the log as written, with blank lines and CRLF; each line altered in its body or its
    /// hash, spaced (not the engine's shape: read on its values, and the line after it hashed
    /// here), left out, swapped with the next, cut, or made invalid UTF-8.
    #[test]
    fn aud_2_a_replay_hashing_ahead_on_a_helper_gives_the_verdict_of_one_that_does_not() {
        let l = ledger();
        let text = l.events_jsonl();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 2 * BATCH_LINES, "{} lines", lines.len());
        let scans = lines.iter().filter(|x| x.contains("\"type\":\"checked_")).count();
        assert!(scans >= 6, "{scans} check-ins and check-outs");
        let whole = verdict(text.as_bytes(), true);
        assert_eq!(whole.as_ref().map(|(t, s)| (t, s)), Ok((&text, l.state())));
        // A scanned line's texts as places in it, and back.
        for line in &lines {
            if let Some(s) = line::scan(line, usize::MAX) {
                assert_eq!(line::ScannedAt::of(&s, "another text"), None);
                let at = line::ScannedAt::of(&s, line);
                assert_eq!(at.and_then(|a| a.in_line(line)), Some(s));
            }
        }
        let mut variants: Vec<Vec<u8>> = vec![lines.join("\r\n\n").into_bytes()];
        for k in 0..lines.len() {
            let edit = |f: &dyn Fn(&mut Vec<String>)| {
                let mut v: Vec<String> = lines.iter().map(|x| (*x).to_owned()).collect();
                f(&mut v);
                v.join("\n").into_bytes()
            };
            let spaced = edit(&|v| v[k] = v[k].replacen("\"seq\":", "\"seq\": ", 1));
            // Read on its values, wherever it lies in a run of scans: the same ledger.
            assert_eq!(
                verdict(&spaced, false).as_ref().map(|(t, s)| (t, s)),
                Ok((&text, l.state())),
                "line {k} spaced"
            );
            variants.push(spaced);
            variants.push(edit(&|v| v[k] = v[k].replacen("\"actor\":\"", "\"actor\":\"x", 1)));
            variants.push(edit(&|v| {
                let n = v[k].len();
                let last = if v[k].as_bytes()[n - 3] == b'0' { "1" } else { "0" };
                v[k].replace_range(n - 3..n - 2, last);
            }));
            variants.push(edit(&|v| {
                v.remove(k);
            }));
            variants.push(edit(&|v| {
                if k + 1 < v.len() {
                    v.swap(k, k + 1);
                }
            }));
            variants.push(edit(&|v| v[k] = v[k][..v[k].len() / 2].to_owned()));
            let mut bad = edit(&|_| {});
            let at = lines[..k].iter().map(|x| x.len() + 1).sum::<usize>() + 2;
            bad[at] = 0xff;
            variants.push(bad);
        }
        let mut refused = 0;
        for (i, t) in variants.iter().enumerate() {
            let helped = verdict(t, true);
            refused += usize::from(helped.is_err());
            assert_eq!(helped, verdict(t, false), "variant {i}");
        }
        assert!(refused > lines.len() * 4, "{refused} of {} refused", variants.len());
    }

    /// AUD-2, ADR 22: a helped replay of an undamaged log takes every line's hash and every
    /// check-in's and check-out's reading from its helper (none is worked out again where the
    /// lines are folded); a replay without a helper takes none.
    #[test]
    fn aud_2_a_helped_replay_uses_what_its_helper_worked_out_for_every_line() {
        let text = ledger().events_jsonl();
        let lines = text.lines().count();
        let scans = text.lines().filter(|x| line::scan(x, usize::MAX).is_some()).count();
        assert!(lines > 2 * BATCH_LINES && scans >= 6, "{lines} lines, {scans} scans");
        for (helper, want) in [(true, (lines, scans)), (false, (0, 0))] {
            USED_AHEAD.with(|c| c.set((0, 0)));
            assert!(verdict(text.as_bytes(), helper).is_ok(), "helper {helper}");
            assert_eq!(USED_AHEAD.with(std::cell::Cell::get), want, "helper {helper}");
        }
    }

    /// AUD-2: lines are folded in groups of eight (blank lines not counted), with a helper or
    /// without: when the log cannot be read at line `k` (invalid UTF-8), a damaged line `j`
    /// before it is refused when it lies in an earlier group, and the reading error comes
    /// first when both lie in one group (that group is never folded).
    #[test]
    fn aud_2_a_replay_folds_its_lines_in_groups_of_eight_up_to_a_line_it_cannot_read() {
        let text = ledger().events_jsonl();
        let lines: Vec<&str> = text.lines().collect();
        for j in 0..lines.len() {
            for k in j + 1..lines.len().min(j + 12) {
                let mut v: Vec<String> = lines.iter().map(|x| (*x).to_owned()).collect();
                v[j] = v[j].replacen("\"actor\":\"", "\"actor\":\"x", 1);
                let mut bytes = v.join("\n").into_bytes();
                let at = v[..k].iter().map(|x| x.len() + 1).sum::<usize>() + 2;
                bytes[at] = 0xff;
                let expected = if j / READ_AHEAD == k / READ_AHEAD {
                    "the event log could not be read".to_owned()
                } else {
                    format!("event {}", j + 1)
                };
                for helper in [true, false] {
                    let e = verdict(&bytes, helper).map(|_| ()).expect_err("damaged");
                    assert!(e.1.contains(&expected), "j {j}, k {k}, helper {helper}: {}", e.1);
                }
            }
        }
    }
}
