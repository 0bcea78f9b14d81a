//! Sessions: planning, the overlap index, status and attendance records. Rules SES-1
//! (planned in local time within one day, with breaks), SES-2 (no overlap within a training
//! or for a trainer; touching is fine), SES-3 (status machine), SES-5 (reopened flag kept),
//! ATT-1/ATT-3/ATT-5 (intervals, several per participant, explicit absence).

use crate::calendar::brussels_unix;
use crate::error::Error;
use crate::ids::{OrgId, PersonId, ProjectId, SessionId, TrainingId};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Status of a session (SES-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SessionStatus {
    /// Gepland.
    Planned,
    /// In uitvoering.
    InProgress,
    /// Uitgevoerd.
    Executed,
    /// Ingediend bij ESF.
    Submitted,
}

impl SessionStatus {
    /// The status its name stands for, as [`fmt::Display`] writes it and the records
    /// serialise it (`Planned`, `InProgress`, `Executed`, `Submitted`); `None` for any other
    /// text. For readers of columns, without a JSON value per row.
    ///
    /// ```
    /// use tijdreg::session::SessionStatus;
    /// assert_eq!(SessionStatus::from_name("Executed"), Some(SessionStatus::Executed));
    /// assert_eq!(SessionStatus::from_name("executed"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<SessionStatus> {
        match name {
            "Planned" => Some(SessionStatus::Planned),
            "InProgress" => Some(SessionStatus::InProgress),
            "Executed" => Some(SessionStatus::Executed),
            "Submitted" => Some(SessionStatus::Submitted),
            _ => None,
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A planned break, local wall-clock times (SES-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Break {
    /// Start.
    pub start: NaiveTime,
    /// End.
    pub end: NaiveTime,
}

/// When a session takes place: date and local times, with the instants they stand for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Brussels date (DL-1).
    pub date: NaiveDate,
    /// Local start.
    pub start: NaiveTime,
    /// Local end.
    pub end: NaiveTime,
    /// Planned breaks, sorted, inside the session, not overlapping.
    #[serde(default)]
    pub breaks: Vec<Break>,
    /// Start instant.
    pub start_at: DateTime<Utc>,
    /// End instant.
    pub end_at: DateTime<Utc>,
}

impl Timing {
    /// Checks and builds a timing (SES-1, DL-4).
    ///
    /// # Errors
    /// [`Error::InvalidSessionTimes`] when the end is not after the start, or a break is
    /// empty, outside the session or overlaps another; [`Error::NonexistentLocalTime`] for a
    /// time skipped by the spring change.
    pub fn new(date: NaiveDate, start: NaiveTime, end: NaiveTime, mut breaks: Vec<Break>) -> Result<Timing, Error> {
        breaks.sort();
        let (start_unix, end_unix) = Timing::check(date, start, end, &breaks)?;
        let at = |unix: i64, time: NaiveTime| {
            DateTime::from_timestamp(unix, 0).ok_or(Error::NonexistentLocalTime { date, time })
        };
        let (start_at, end_at) = (at(start_unix, start)?, at(end_unix, end)?);
        Ok(Timing {
            date,
            start,
            end,
            breaks,
            start_at,
            end_at,
        })
    }

    /// [`Timing::new`]'s checks of breaks already sorted, without building a timing: the
    /// start and end instants in seconds since the epoch.
    ///
    /// # Errors
    /// As [`Timing::new`].
    pub fn check(date: NaiveDate, start: NaiveTime, end: NaiveTime, breaks: &[Break]) -> Result<(i64, i64), Error> {
        let bad = |en: String, nl: String| {
            Err(Error::InvalidSessionTimes {
                reason: en,
                reason_nl: nl,
            })
        };
        let hm = |t: NaiveTime| t.format("%H:%M").to_string();
        if end <= start {
            return bad(
                format!(
                    "the end {} must be after the start {} on the same day",
                    hm(end),
                    hm(start)
                ),
                format!(
                    "het einde {} moet na het begin {} op dezelfde dag liggen",
                    hm(end),
                    hm(start)
                ),
            );
        }
        let mut prev_end = start;
        for b in breaks {
            if b.end <= b.start || b.start < start || b.end > end {
                return bad(
                    format!(
                        "break {}–{} must be non-empty and inside {}–{}",
                        hm(b.start),
                        hm(b.end),
                        hm(start),
                        hm(end)
                    ),
                    format!(
                        "pauze {}–{} moet niet-leeg zijn en binnen {}–{} vallen",
                        hm(b.start),
                        hm(b.end),
                        hm(start),
                        hm(end)
                    ),
                );
            }
            if b.start < prev_end {
                return bad(
                    format!("break {}–{} overlaps another break", hm(b.start), hm(b.end)),
                    format!("pauze {}–{} overlapt met een andere pauze", hm(b.start), hm(b.end)),
                );
            }
            prev_end = b.end;
        }
        // A day without a clock change (all but two a year): every time exists, the instants
        // are additions, and the end stays after the start.
        if let Some(day) = crate::calendar::brussels_day(date) {
            return Ok((crate::calendar::on_day(day, start), crate::calendar::on_day(day, end)));
        }
        let start_at = brussels_unix(date, start)?;
        let end_at = brussels_unix(date, end)?;
        if end_at <= start_at {
            return bad(
                "the end falls before the start once daylight saving is applied".into(),
                "het einde valt voor het begin door de zomertijdwissel".into(),
            );
        }
        for b in breaks {
            brussels_unix(date, b.start)?;
            brussels_unix(date, b.end)?;
        }
        Ok((start_at, end_at))
    }
}

/// How an attendance instant was registered (ATT-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// QR token scanned.
    Scan,
    /// By hand.
    Manual,
    /// Checked out by closing the session (SES-6).
    ClosedByTrainer,
    /// Set by the promoter while the session was reopened (SES-5).
    Correction,
    /// Scanned without a network and applied from the device's batch (ATT-6).
    OfflineScan,
}

/// One stretch of presence (ATT-1, ATT-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// Check-in.
    pub check_in: DateTime<Utc>,
    /// Check-out.
    pub check_out: DateTime<Utc>,
    /// How the check-in was registered.
    pub check_in_method: Method,
    /// How the check-out was registered.
    pub check_out_method: Method,
    /// Registered after the training day inside a correction window (DL-2, SUB-3).
    #[serde(default)]
    pub late: bool,
    /// Holds an offline scan whose device clock was more than `offline_clock_skew_minutes`
    /// from the reconstructed instant (ATT-6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clock_suspect: bool,
}

/// A participant's record in one session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantRecord {
    /// Completed intervals.
    #[serde(default)]
    pub intervals: Vec<Interval>,
    /// Open check-in: instant, method, late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present_since: Option<(DateTime<Utc>, Method, bool)>,
    /// Marked absent (ATT-5).
    #[serde(default)]
    pub absent: bool,
    /// The open check-in came from an offline scan whose device clock was suspect (ATT-6).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub present_clock_suspect: bool,
}

impl ParticipantRecord {
    /// Whether anything was registered.
    pub fn has_attendance(&self) -> bool {
        !self.intervals.is_empty() || self.present_since.is_some()
    }
}

/// A stretch of a session's life (SES-3, SES-5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// New status.
    pub status: SessionStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether this change was a reopening by ESF support.
    #[serde(default)]
    pub reopened: bool,
}

/// A correction window granted by ESF support (DL-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionWindow {
    /// From.
    pub from: DateTime<Utc>,
    /// Until.
    pub until: DateTime<Utc>,
}

/// A session (opleidingssessie).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Id.
    pub id: SessionId,
    /// Project.
    pub project: ProjectId,
    /// Training.
    pub training: TrainingId,
    /// The organisation that planned it: the promoter or a partner (ORG-4).
    pub owner: OrgId,
    /// When.
    pub timing: Timing,
    /// Location.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Assigned trainers (ACC-5).
    pub trainers: BTreeSet<PersonId>,
    /// Participants with their attendance.
    pub participants: BTreeMap<PersonId, ParticipantRecord>,
    /// Status.
    pub status: SessionStatus,
    /// Reopened at least once (SES-5), filterable in the archive (ARC-1).
    #[serde(default)]
    pub reopened: bool,
    /// Status history.
    #[serde(default)]
    pub history: Vec<StatusChange>,
    /// When a registration problem was reported on time (DL-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem_reported_at: Option<DateTime<Utc>>,
    /// Correction windows granted (DL-2).
    #[serde(default)]
    pub correction_windows: Vec<CorrectionWindow>,
}

impl Session {
    /// Whether any participant has attendance (SES-4).
    pub fn has_attendance(&self) -> bool {
        self.participants.values().any(ParticipantRecord::has_attendance)
    }

    /// Whether `at` lies in a granted correction window (DL-2).
    pub fn in_correction_window(&self, at: DateTime<Utc>) -> bool {
        self.correction_windows.iter().any(|w| w.from <= at && at <= w.until)
    }
}

/// Sessions of one key (a training, a trainer) by start instant. The sessions under one key
/// never overlap (SES-2), so ends grow with starts and the one candidate for an overlap with
/// `[s, e)` is the session with the greatest start before `e`: one O(log n) lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlapIndex<K: Ord> {
    by_key: BTreeMap<K, Starts>,
}

/// Sessions by (start, id), with their end.
type Starts = BTreeMap<(DateTime<Utc>, SessionId), DateTime<Utc>>;

impl<K: Ord> Default for OverlapIndex<K> {
    fn default() -> Self {
        OverlapIndex {
            by_key: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Clone> OverlapIndex<K> {
    /// Adds a session interval.
    pub fn insert(&mut self, key: &K, session: &SessionId, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.by_key
            .entry(key.clone())
            .or_default()
            .insert((start, session.clone()), end);
    }

    /// Removes a session interval.
    pub fn remove(&mut self, key: &K, session: &SessionId, start: DateTime<Utc>) {
        if let Some(m) = self.by_key.get_mut(key) {
            m.remove(&(start, session.clone()));
            if m.is_empty() {
                self.by_key.remove(key);
            }
        }
    }

    /// The session of `key` that overlaps `[start, end)`, ignoring `except`; touching is not
    /// overlapping.
    pub fn overlapping(
        &self,
        key: &K,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        except: Option<&SessionId>,
    ) -> Option<(SessionId, DateTime<Utc>, DateTime<Utc>)> {
        let m = self.by_key.get(key)?;
        let lower = (end, SessionId::new(""));
        // Skip `except` (at most one entry), then the nearest earlier start decides.
        m.range(..lower)
            .rev()
            .find(|((_, id), _)| Some(id) != except)
            .filter(|(_, e)| **e > start)
            .map(|((s, id), e)| (id.clone(), *s, *e))
    }

    /// Sessions of `key` starting in `[from, to)`.
    pub fn range(&self, key: &K, from: DateTime<Utc>, to: DateTime<Utc>) -> impl Iterator<Item = &SessionId> {
        self.by_key.get(key).into_iter().flat_map(move |m| {
            m.range((from, SessionId::new(""))..(to, SessionId::new("")))
                .map(|((_, id), _)| id)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Break, SessionStatus, Timing};
    use crate::calendar::brussels_unix;
    use chrono::{Datelike, NaiveDate, NaiveTime};

    #[test]
    fn ses_1_dl_4_a_sessions_instants_on_every_day_of_a_year_are_its_times_in_brussels() {
        // Every day of 2026 (both clock changes among them), at times around the changes'
        // hours: the instants are brussels_unix's, and a time the spring night skips is refused.
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        let mut day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        let mut refused = 0;
        while day.year() == 2026 {
            for (start, end, brk) in [
                (t(1, 30), t(4, 0), Some((t(2, 30), t(2, 45)))),
                (t(9, 0), t(12, 30), Some((t(10, 30), t(10, 45)))),
                (t(0, 0), t(23, 59), None),
            ] {
                let breaks: Vec<Break> = brk.map(|(start, end)| Break { start, end }).into_iter().collect();
                let want = brussels_unix(day, start)
                    .and_then(|a| brussels_unix(day, end).map(|b| (a, b)))
                    .and_then(|x| {
                        for b in &breaks {
                            brussels_unix(day, b.start)?;
                            brussels_unix(day, b.end)?;
                        }
                        Ok(x)
                    });
                match (Timing::check(day, start, end, &breaks), want) {
                    (Ok(got), Ok(want)) => assert_eq!(got, want, "{day} {start}"),
                    (Err(_), Err(_)) => refused += 1,
                    (got, want) => panic!("{day} {start}: {got:?} against {want:?}"),
                }
            }
            day = day.succ_opt().unwrap_or(day);
        }
        // The spring night's 02:30 break only.
        assert_eq!(refused, 1);
    }

    #[test]
    fn ses_3_a_status_is_read_from_its_name_as_serde_reads_it() {
        for s in [
            SessionStatus::Planned,
            SessionStatus::InProgress,
            SessionStatus::Executed,
            SessionStatus::Submitted,
        ] {
            let name = s.to_string();
            let by_serde: SessionStatus =
                serde_json::from_value(serde_json::Value::String(name.clone())).expect("serde reads the name");
            assert_eq!(SessionStatus::from_name(&name), Some(by_serde));
        }
        for bad in ["", "planned", "Executed ", "Uitgevoerd", "Cancelled"] {
            assert_eq!(SessionStatus::from_name(bad), None, "{bad:?}");
            assert!(serde_json::from_value::<SessionStatus>(serde_json::Value::String(bad.into())).is_err());
        }
    }
}
