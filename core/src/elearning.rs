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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(minutes: u32, start: Option<(u32, u32)>, end: Option<(u32, u32)>) -> EntryInput {
        let t = |(h, m): (u32, u32)| NaiveTime::from_hms_opt(h, m, 0).expect("time");
        EntryInput {
            date: NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
            minutes,
            start: start.map(t),
            end: end.map(t),
        }
    }

    fn reason(e: &EntryInput) -> Option<String> {
        match e.validate() {
            Ok(()) => None,
            Err(crate::Error::InvalidEntry { reason, .. }) => Some(reason),
            Err(other) => panic!("not an entry error: {other:?}"),
        }
    }

    #[test]
    fn el_1_each_refusal_of_an_entry_says_what_is_wrong() {
        assert_eq!(reason(&entry(90, None, None)), None);
        assert_eq!(reason(&entry(90, Some((9, 0)), Some((10, 30)))), None);
        assert_eq!(reason(&entry(24 * 60, None, None)), None);
        let duration = Some("the duration must be between 1 minute and 24 hours".to_owned());
        assert_eq!(reason(&entry(0, None, None)), duration);
        assert_eq!(reason(&entry(24 * 60 + 1, None, None)), duration);
        let one = Some("give both start and end, or neither".to_owned());
        assert_eq!(reason(&entry(90, Some((9, 0)), None)), one);
        assert_eq!(reason(&entry(90, None, Some((10, 30)))), one);
        // An end at or before the start is named as such, not as a missing time.
        let order = Some("the end must be after the start".to_owned());
        assert_eq!(reason(&entry(90, Some((10, 30)), Some((9, 0)))), order);
        assert_eq!(reason(&entry(90, Some((9, 0)), Some((9, 0)))), order);
        assert_eq!(
            reason(&entry(60, Some((9, 0)), Some((10, 30)))),
            Some("start and end do not match the duration".to_owned())
        );
    }
}
