//! E-learning hours entered by the participant and approved by their supervisor. Rules
//! EL-1 (the participant enters date, training code, duration, optionally start and end;
//! needs `ProjectStaff` and a link to a supervisor made by the promoter), EL-2 (the linked
//! supervisor approves or rejects; never the person who entered) and EL-3 (approved entries
//! are immutable; rejected ones can be corrected; no future dates; daily caps).

use crate::ids::{EntryId, PersonId, ProjectId, TrainingId};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an entry stands (EL-2, EL-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryStatus {
    /// Awaiting the supervisor.
    Pending,
    /// Approved: counts (SUB-7), immutable.
    Approved,
    /// Rejected: can be corrected and submitted again.
    Rejected,
}

impl fmt::Display for EntryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One e-learning entry (EL-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Id.
    pub id: EntryId,
    /// The participant (who entered it).
    pub person: PersonId,
    /// Project.
    pub project: ProjectId,
    /// The e-learning training.
    pub training: TrainingId,
    /// Day.
    pub date: NaiveDate,
    /// Duration in minutes.
    pub minutes: u32,
    /// Optional local start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveTime>,
    /// Optional local end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveTime>,
    /// Status.
    pub status: EntryStatus,
    /// The supervisor's reason for a rejection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Who decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<PersonId>,
}

/// The fields of an entry as entered or corrected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInput {
    /// Day.
    pub date: NaiveDate,
    /// Duration in minutes (1..=1440).
    pub minutes: u32,
    /// Optional local start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<NaiveTime>,
    /// Optional local end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveTime>,
}

impl EntryInput {
    /// Checks duration and times (EL-1).
    ///
    /// # Errors
    /// [`crate::Error::InvalidEntry`] when the duration is 0 or above 24 h, only one of start
    /// and end is given, the end is not after the start, or the times disagree with the
    /// duration.
    pub fn validate(&self) -> Result<(), crate::Error> {
        let bad = |en: &str, nl: &str| {
            Err(crate::Error::InvalidEntry {
                reason: en.to_owned(),
                reason_nl: nl.to_owned(),
            })
        };
        if self.minutes == 0 || self.minutes > 24 * 60 {
            return bad(
                "the duration must be between 1 minute and 24 hours",
                "de duur moet tussen 1 minuut en 24 uur liggen",
            );
        }
        match (self.start, self.end) {
            (None, None) => Ok(()),
            (Some(s), Some(e)) if e > s => {
                if e.signed_duration_since(s).num_minutes() == i64::from(self.minutes) {
                    Ok(())
                } else {
                    bad(
                        "start and end do not match the duration",
                        "begin en einde komen niet overeen met de duur",
                    )
                }
            }
            (Some(_), Some(_)) => bad("the end must be after the start", "het einde moet na het begin liggen"),
            _ => bad(
                "give both start and end, or neither",
                "geef begin en einde, of geen van beide",
            ),
        }
    }
}
