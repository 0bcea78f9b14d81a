//! Subsidised hours and euros, explained stretch by stretch. Rules SUB-1..9, ORG-3 (the
//! parameters in force on each line's date) and AUD-4 (the receipt).
//!
//! The report is computed from plain records — sessions with planned times and breaks,
//! attendance intervals, e-learning entries, dated parameters — so that a back-office script
//! holding an export gets the same answer as the ledger (which turns its state into records
//! and calls the same counting). The counting order is the rulebook's (docs/rules.md, "Order of the counting rules"):
//! SUB-1 → SUB-4 → SUB-6 → SUB-2 → SUB-5 → SUB-8.
//!
//! Three ways in, one kernel ([`kernel`](self) in the source):
//! - [`report`] / [`totals`] from [`Records`] (the JSON export format, `docs/records.md`);
//! - [`report_compact`] / [`totals_compact`] from [`Compact`] records built column by column
//!   with [`CompactBuilder`] (what the Arrow importer of the Python package does);
//! - the ledger's `report` query, which builds [`Compact`] records from its state.
//!
//! A [`Report`] holds facts; its texts are rendered when asked ([`Line::excluded`],
//! [`Report::explain`], [`Report::to_csv`], JSON). [`totals`] skips the lines altogether.
//!
//! # Example
//! ```
//! use tijdreg::subsidy::{report, Records};
//! let records = Records::from_json(r#"{
//!   "project": "P-1",
//!   "params": {"unit_cost_per_participant_hour": {"2026-01-01": {"name": "unit_cost_per_participant_hour", "value": "12.00"}}},
//!   "sessions": [{"id": "S-1", "training": "T-1", "date": "2026-03-02", "start": "09:00:00", "end": "12:00:00",
//!                 "breaks": [{"start": "10:30:00", "end": "10:45:00"}], "status": "Executed",
//!                 "participants": [{"person": "p-ann", "intervals": [
//!                     {"check_in": "2026-03-02T08:12:00Z", "check_out": "2026-03-02T11:00:00Z"}]}]}]
//! }"#)?;
//! let r = report(&records, "2026-03-10T12:00:00Z".parse()?)?;
//! // 09:12–12:00 minus the 15-minute break: 153 minutes at 12 euro an hour.
//! assert_eq!(r.realised.counted_minutes, 153);
//! assert_eq!(r.amounts.total.to_string(), "30.60");
//! let line = r.lines().get(0).unwrap();
//! assert_eq!(line.excluded().next().unwrap().text(), "09:00–09:12 before check-in");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod columns;
mod compact;
mod idhash;
mod json;
mod kernel;
mod records;
mod view;

pub use compact::{Compact, CompactBuilder, PersonCode, YEARS};
pub use idhash::{IdHashState, IdHasher};
pub use json::compact_from_json;
pub use records::{ElearningRecord, IntervalRecord, ParticipantRecord, Records, SessionRecord};
pub use view::{Excluded, Group, Grouping, Line, Lines, Report, Scope, csv_cell};

/// Status of an e-learning entry in plain records.
pub use crate::elearning::EntryStatus;

use crate::error::Error;
use crate::params::DatedParams;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kernel::{Acc, Kernel, PSet};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Why a stretch of planned time does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Reason {
    /// Before the first check-in (SUB-1).
    BeforeCheckIn,
    /// Between a check-out and the next check-in (SUB-1).
    Away,
    /// After the last check-out (SUB-1).
    AfterCheckOut,
    /// No attendance at all (SUB-1).
    NotPresent,
    /// Marked absent (ATT-5).
    Absent,
    /// Below `min_presence_ratio` (SUB-4).
    BelowMinPresence,
    /// Already counted in an overlapping session (SUB-6).
    CountedElsewhere,
    /// Rounding (SUB-2).
    Rounding,
    /// Over the daily cap (SUB-5).
    DailyCap,
    /// E-learning not approved (SUB-7).
    NotApproved,
}

impl Reason {
    /// The rule.
    pub fn rule(self) -> &'static str {
        match self {
            Reason::BeforeCheckIn | Reason::Away | Reason::AfterCheckOut | Reason::NotPresent => "SUB-1",
            Reason::Absent => "ATT-5",
            Reason::BelowMinPresence => "SUB-4",
            Reason::CountedElsewhere => "SUB-6",
            Reason::Rounding => "SUB-2",
            Reason::DailyCap => "SUB-5",
            Reason::NotApproved => "SUB-7",
        }
    }

    /// The reason with this discriminant (`Reason as u32`); anything else reads as NotPresent.
    pub(crate) fn from_index(i: u32) -> Reason {
        match i {
            0 => Reason::BeforeCheckIn,
            1 => Reason::Away,
            2 => Reason::AfterCheckOut,
            4 => Reason::Absent,
            5 => Reason::BelowMinPresence,
            6 => Reason::CountedElsewhere,
            7 => Reason::Rounding,
            8 => Reason::DailyCap,
            9 => Reason::NotApproved,
            _ => Reason::NotPresent,
        }
    }

    /// The snake_case code, as serialised.
    pub fn code(self) -> &'static str {
        match self {
            Reason::BeforeCheckIn => "before_check_in",
            Reason::Away => "away",
            Reason::AfterCheckOut => "after_check_out",
            Reason::NotPresent => "not_present",
            Reason::Absent => "absent",
            Reason::BelowMinPresence => "below_min_presence",
            Reason::CountedElsewhere => "counted_elsewhere",
            Reason::Rounding => "rounding",
            Reason::DailyCap => "daily_cap",
            Reason::NotApproved => "not_approved",
        }
    }
}

/// The snake_case code of a reason, as serialised.
pub fn reason_code(r: Reason) -> &'static str {
    r.code()
}

/// Classroom session line or e-learning line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A participant in a session.
    Classroom,
    /// An e-learning entry (SUB-7).
    Elearning,
}

impl LineKind {
    /// `classroom` or `elearning`.
    pub fn code(self) -> &'static str {
        match self {
            LineKind::Classroom => "classroom",
            LineKind::Elearning => "elearning",
        }
    }
}

/// Seconds as minutes, to the hundredth (for exports and bindings).
pub fn seconds_as_minutes(seconds: i64) -> Decimal {
    Decimal::from(seconds)
        .checked_div(Decimal::from(60))
        .unwrap_or_default()
        .round_dp(2)
        .normalize()
}

/// Seconds as hours, exact (Decimal division by 3600 cannot overflow).
pub fn seconds_as_hours(seconds: i64) -> Decimal {
    Decimal::from(seconds)
        .checked_div(Decimal::from(3600))
        .unwrap_or_default()
}

/// Sums over lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Lines.
    pub lines: usize,
    /// Planned net seconds.
    pub planned_seconds: i64,
    /// Counted minutes.
    pub counted_minutes: i64,
    /// Counted hours, exact.
    pub counted_hours: Decimal,
}

/// Amounts of the realised lines (SUB-8).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amounts {
    /// Σ minutes × unit cost / 60, exact, before the cap.
    pub uncapped: Decimal,
    /// The cap, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cap: Option<Decimal>,
    /// Whether the cap applied.
    pub capped: bool,
    /// Total, capped, rounded half-up to the cent.
    pub total: Decimal,
    /// ESF share.
    pub esf: Decimal,
    /// Flemish share.
    pub flemish: Decimal,
    /// Own share: total − ESF − Flemish.
    pub own: Decimal,
}

/// How to reproduce a report (AUD-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Engine version.
    pub engine_version: String,
    /// SHA-256 of the parameters and calendar (profile-resolved holidays of the years used,
    /// and closure dates).
    pub parameters_hash: String,
    /// The reference instant.
    pub reference_instant: DateTime<Utc>,
    /// Ledger events the report was computed from (0 when from an export).
    pub events: u64,
    /// Records (sessions + entries) it was computed from.
    pub records: usize,
}

/// The sums of a project without its lines: what [`totals`] returns (SUB-3, SUB-8, AUD-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Project.
    pub project: crate::ids::ProjectId,
    /// Realised totals.
    pub realised: Totals,
    /// Provisional totals.
    pub provisional: Totals,
    /// Amounts of the realised lines.
    pub amounts: Amounts,
    /// Provisional amount.
    pub provisional_amount: Decimal,
    /// Receipt.
    pub receipt: Receipt,
}

/// Half-up to the cent, always shown with two decimals (SUB-8).
pub(crate) fn cents(x: Decimal) -> Decimal {
    let mut c = x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    c.rescale(2);
    c
}

pub(crate) fn minutes_text(m: i64) -> String {
    match (m / 60, m % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Totals and amounts of a kernel's lines (SUB-3, SUB-8), with the shares (and, for the whole
/// project, the cap) in force on the project's last date (ADR 04). A view of some lines
/// sums them as they are: the cap is a project figure (ADR 07).
pub(crate) struct Sums {
    pub realised: Totals,
    pub provisional: Totals,
    pub amounts: Amounts,
    pub provisional_amount: Decimal,
}

fn overflow() -> Error {
    Error::invalid(
        "a figure of the report is too large to compute exactly",
        "een cijfer van het rapport is te groot om exact te berekenen",
    )
}

pub(crate) fn summarise(
    acc: &Acc,
    psets: &[PSet],
    last: &crate::params::Params,
    apply_cap: bool,
) -> Result<Sums, Error> {
    let side = |r: usize| Totals {
        lines: acc.lines.get(r).copied().unwrap_or(0),
        planned_seconds: acc.planned.get(r).copied().unwrap_or(0),
        counted_minutes: acc.minutes.get(r).copied().unwrap_or(0),
        counted_hours: Decimal::ZERO,
    };
    let (mut provisional, mut realised) = (side(0), side(1));
    // Minutes per parameter set, provisional and realised; a set with lines contributes
    // minutes × its unit cost (0 × it fixes the decimal scale exactly as a line-by-line sum
    // would); the products are exact.
    let sixty = Decimal::from(60);
    let (mut numerator, mut prov_numerator) = (Decimal::ZERO, Decimal::ZERO);
    for (set, sums) in psets.iter().zip(&acc.per_set) {
        let uc = set.params.unit_cost_per_participant_hour;
        for (r, m) in sums.iter().enumerate() {
            if let Some(m) = m {
                let x = Decimal::from(*m).checked_mul(uc).ok_or_else(overflow)?;
                let acc = if r == 1 { &mut numerator } else { &mut prov_numerator };
                *acc = acc.checked_add(x).ok_or_else(overflow)?;
            }
        }
    }
    for t in [&mut realised, &mut provisional] {
        t.counted_hours = Decimal::from(t.counted_minutes)
            .checked_div(sixty)
            .ok_or_else(overflow)?;
    }
    let uncapped = numerator.checked_div(sixty).ok_or_else(overflow)?;
    let cap = if apply_cap { last.project_subsidy_cap } else { None };
    let capped = cap.is_some_and(|c| uncapped > c);
    let total = cents(cap.filter(|_| capped).unwrap_or(uncapped));
    let esf = cents(total.checked_mul(last.shares.esf).ok_or_else(overflow)?);
    let flemish = cents(total.checked_mul(last.shares.flemish).ok_or_else(overflow)?);
    Ok(Sums {
        realised,
        provisional,
        amounts: Amounts {
            uncapped,
            cap,
            capped,
            total,
            esf,
            flemish,
            own: total
                .checked_sub(esf)
                .and_then(|x| x.checked_sub(flemish))
                .ok_or_else(overflow)?,
        },
        provisional_amount: cents(prov_numerator.checked_div(sixty).ok_or_else(overflow)?),
    })
}

/// SHA-256 over the parameters, the closure dates and the holidays of the years the records
/// span under each profile in force (AUD-4).
/// The years of a project's sessions and entries (their holidays are in the receipt's hash).
fn years_of(c: &Compact) -> BTreeSet<i32> {
    let mut years: BTreeSet<i32> = BTreeSet::new();
    let mut last = None;
    for d in c
        .sessions
        .iter()
        .map(|s| s.date)
        .chain(c.entries.iter().map(|e| e.date))
    {
        let y = d.year();
        if last != Some(y) {
            years.insert(y);
            last = Some(y);
        }
    }
    years
}

fn parameters_hash(c: &Compact, years: &BTreeSet<i32>) -> String {
    let holidays: BTreeMap<i32, Vec<NaiveDate>> = years
        .iter()
        .map(|y| {
            let profile = c
                .params
                .on(NaiveDate::from_ymd_opt(*y, 12, 31).unwrap_or(NaiveDate::MIN))
                .holiday_profile;
            (*y, profile.holidays(*y).into_iter().map(|h| h.0).collect())
        })
        .collect();
    let doc = serde_json::json!({"params": c.params, "closures": c.closures, "holidays": holidays});
    let digest = Sha256::digest(serde_json::to_vec(&doc).unwrap_or_default());
    let mut hex = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// The receipts' parameter hashes (AUD-4) of the projects of one call, remembered: projects
/// of a call share their parameters and closures, and the hash — of the parameters, the
/// closures and the holidays of the project's years — costs more than counting a small
/// project. Pass one memo to [`totals_compact_with`] for each project in turn; a project
/// with other parameters, closures or years is hashed anew (the memo keeps the last). The
/// answers are those of [`totals_compact`].
#[derive(Debug, Default)]
pub struct ReceiptMemo {
    last: Option<(DatedParams, BTreeSet<NaiveDate>, BTreeSet<i32>, String)>,
}

impl ReceiptMemo {
    fn hash(&mut self, c: &Compact) -> String {
        let years = years_of(c);
        if let Some((p, cl, y, h)) = &self.last
            && *p == c.params
            && *cl == c.closures
            && *y == years
        {
            return h.clone();
        }
        let h = parameters_hash(c, &years);
        self.last = Some((c.params.clone(), c.closures.clone(), years, h.clone()));
        h
    }
}

fn receipt(c: &Compact, reference: DateTime<Utc>, memo: &mut ReceiptMemo) -> Receipt {
    Receipt {
        engine_version: crate::VERSION.into(),
        parameters_hash: memo.hash(c),
        reference_instant: reference,
        events: c.source_events,
        records: c.sessions.len().saturating_add(c.entries.len()),
    }
}

fn last_params(c: &Compact, k: &Kernel) -> crate::params::Params {
    c.params.on(k.max_date.unwrap_or(NaiveDate::MIN))
}

/// Computes the report from plain records at a reference instant (SUB-1..9, AUD-4).
///
/// # Errors
/// As [`Records::compact`]: [`Error::InvalidRecord`] naming the first record the ledger would
/// refuse, [`Error::InvalidParameter`] for a parameter out of range.
pub fn report(r: &Records, reference: DateTime<Utc>) -> Result<Report, Error> {
    report_compact(&r.compact()?, reference)
}

/// Computes the report from compact records (SUB-1..9, AUD-4).
///
/// # Errors
/// [`Error::InvalidInput`] only if a figure would not fit (the parameter ranges prevent it).
pub fn report_compact(c: &Compact, reference: DateTime<Utc>) -> Result<Report, Error> {
    let (k, acc) = kernel::count(c, true)?;
    let last = last_params(c, &k);
    let s = summarise(&acc, &k.psets, &last, true)?;
    Ok(Report {
        last,
        project: c.project.clone(),
        names: std::sync::Arc::clone(&c.names),
        session_training: c.sessions.iter().map(|s| s.training).collect(),
        entry_training: c.entries.iter().map(|e| e.training).collect(),
        entry_facts: c
            .entries
            .iter()
            .map(|e| (e.date, i32::try_from(e.minutes.saturating_mul(60)).unwrap_or(i32::MAX)))
            .collect(),
        k,
        scope: Scope::WholeProject,
        visible_sessions: None,
        realised: s.realised,
        provisional: s.provisional,
        amounts: s.amounts,
        provisional_amount: s.provisional_amount,
        receipt: receipt(c, reference, &mut ReceiptMemo::default()),
    })
}

/// The report of plain records JSON (`docs/records.md`), read in one pass straight into the
/// kernel's form ([`compact_from_json`]).
///
/// # Errors
/// As [`compact_from_json`] and [`report_compact`].
pub fn report_json(json: &str, reference: DateTime<Utc>) -> Result<Report, Error> {
    report_compact(&compact_from_json(json)?, reference)
}

/// The sums of plain records JSON without their lines.
///
/// # Errors
/// As [`report_json`].
pub fn totals_json(json: &str, reference: DateTime<Utc>) -> Result<Summary, Error> {
    totals_compact(&compact_from_json(json)?, reference)
}

/// The sums of plain records without their lines: minutes, euros, shares, receipt (the same
/// figures as [`report`], faster and in far less memory).
///
/// # Errors
/// As [`report`].
pub fn totals(r: &Records, reference: DateTime<Utc>) -> Result<Summary, Error> {
    totals_compact(&r.compact()?, reference)
}

/// [`totals`] from compact records.
///
/// # Errors
/// As [`report_compact`].
pub fn totals_compact(c: &Compact, reference: DateTime<Utc>) -> Result<Summary, Error> {
    totals_compact_with(c, reference, &mut ReceiptMemo::default())
}

/// [`totals_compact`] for one project of a call among others: the receipt's parameter hash
/// taken from `memo` when the project before had the same parameters, closures and years.
///
/// # Errors
/// As [`report_compact`].
pub fn totals_compact_with(c: &Compact, reference: DateTime<Utc>, memo: &mut ReceiptMemo) -> Result<Summary, Error> {
    let (k, acc) = kernel::count(c, false)?;
    let s = summarise(&acc, &k.psets, &last_params(c, &k), true)?;
    Ok(Summary {
        project: c.project.clone(),
        realised: s.realised,
        provisional: s.provisional,
        amounts: s.amounts,
        provisional_amount: s.provisional_amount,
        receipt: receipt(c, reference, memo),
    })
}

impl Report {
    /// The sums of the report without its lines.
    pub fn summary(&self) -> Summary {
        Summary {
            project: self.project.clone(),
            realised: self.realised.clone(),
            provisional: self.provisional.clone(),
            amounts: self.amounts.clone(),
            provisional_amount: self.provisional_amount,
            receipt: self.receipt.clone(),
        }
    }
}
