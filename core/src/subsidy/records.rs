//! Plain records: the documented export format (`docs/records.md`) a back-office script holds
//! instead of an event log. [`Records::compact`] checks them as the ledger checks commands
//! and turns them into the kernel's [`Compact`] form.

use super::compact::{Compact, CompactBuilder};
use crate::elearning::EntryStatus;
use crate::error::Error;
use crate::ids::*;
use crate::params::DatedParams;
use crate::session::{Break, SessionStatus};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// An attendance interval in plain records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalRecord {
    /// Check-in.
    pub check_in: DateTime<Utc>,
    /// Check-out (not before the check-in).
    pub check_out: DateTime<Utc>,
    /// Registered late inside a correction window (SUB-3, DL-2).
    #[serde(default)]
    pub late: bool,
    /// Registered from an offline scan whose device clock disagreed with the reconstructed
    /// instant (ATT-6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clock_suspect: bool,
}

/// A participant of a session in plain records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantRecord {
    /// Person (opaque id).
    pub person: PersonId,
    /// Attendance intervals.
    #[serde(default)]
    pub intervals: Vec<IntervalRecord>,
    /// Marked absent (ATT-5).
    #[serde(default)]
    pub absent: bool,
}

/// A session in plain records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRecord {
    /// Session.
    pub id: SessionId,
    /// Training.
    pub training: TrainingId,
    /// Date (Brussels).
    pub date: NaiveDate,
    /// Local start.
    pub start: NaiveTime,
    /// Local end (after the start, same day).
    pub end: NaiveTime,
    /// Planned breaks (inside the session, not overlapping).
    #[serde(default)]
    pub breaks: Vec<Break>,
    /// Status (SUB-3).
    pub status: SessionStatus,
    /// Participants (each once).
    #[serde(default)]
    pub participants: Vec<ParticipantRecord>,
}

/// An e-learning entry in plain records (SUB-7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElearningRecord {
    /// Entry.
    pub id: EntryId,
    /// Participant.
    pub person: PersonId,
    /// Training.
    pub training: TrainingId,
    /// Day.
    pub date: NaiveDate,
    /// Minutes (1..=1440).
    pub minutes: u32,
    /// Optional local start (orders the daily cap, SUB-5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveTime>,
    /// Status: only approved entries count.
    pub status: EntryStatus,
}

/// Everything a report needs, as plain data (the documented export format).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Records {
    /// The project.
    pub project: ProjectId,
    /// The call's dated parameters (ORG-3).
    #[serde(default)]
    pub params: DatedParams,
    /// The call's closure dates (part of the calendar hashed in the receipt).
    #[serde(default)]
    pub closures: BTreeSet<NaiveDate>,
    /// Sessions.
    #[serde(default)]
    pub sessions: Vec<SessionRecord>,
    /// E-learning entries.
    #[serde(default)]
    pub elearning: Vec<ElearningRecord>,
    /// How many ledger events the records were made from (0 for an export).
    #[serde(default)]
    pub source_events: u64,
}

impl Records {
    /// Decodes records from JSON (`docs/records.md`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the field path and what was expected, never the value.
    pub fn from_json(json: &str) -> Result<Records, Error> {
        crate::decode::from_str(json, "records")
    }

    /// Checks the records as the ledger checks commands and turns them into the kernel's
    /// compact form.
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] naming the first bad record and the rule it breaks;
    /// [`Error::InvalidParameter`] for a parameter out of range or under another name.
    pub fn compact(&self) -> Result<Compact, Error> {
        let mut b = CompactBuilder::new(self.project.clone());
        check_id(self.project.as_str()).map_err(|p| id_error("records.project", p))?;
        b.params(self.params.clone())?;
        b.closures(self.closures.iter().copied())?;
        b.source_events(self.source_events);
        let parts: usize = self.sessions.iter().map(|s| s.participants.len()).sum();
        let intervals: usize = self
            .sessions
            .iter()
            .flat_map(|s| &s.participants)
            .map(|p| p.intervals.len())
            .sum();
        b.reserve(self.sessions.len(), parts, intervals);
        for s in &self.sessions {
            b.session(
                s.id.as_str(),
                s.training.as_str(),
                s.date,
                s.start,
                s.end,
                &s.breaks,
                s.status,
            )?;
            for p in &s.participants {
                b.participant(p.person.as_str(), p.absent)?;
                for i in &p.intervals {
                    b.interval_unix(i.check_in.timestamp(), i.check_out.timestamp(), i.late, i.clock_suspect)?;
                }
            }
        }
        for e in &self.elearning {
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
}
