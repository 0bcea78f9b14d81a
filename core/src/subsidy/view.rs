//! The report as computed facts, and views over it that render words only when asked
//! (SUB-9): [`Line`], [`Excluded`], [`Report::explain`], [`Report::to_csv`], JSON.

use super::compact::Names;
use super::kernel::{Kernel, LineRec, flag};
use super::{Amounts, LineKind, Reason, Receipt, Totals, cents, minutes_text, seconds_as_minutes};
use crate::calendar::{hm_unix, push_hm_unix};
use crate::ids::{PersonId, ProjectId, TrainingId};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Whose view a report is (ARC-2): the whole project, or the lines an actor may see. The
/// counting always runs on the whole project; a view only leaves lines out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every line of the project; amounts capped by `project_subsidy_cap`.
    WholeProject,
    /// Only the lines the asking actor may see, each exactly as in the whole project; the
    /// amounts are the sum of those lines (the project cap applies to the whole project only).
    VisibleLines,
}

/// The subsidy report of a project (SUB-1..9, AUD-4): lines as compact facts, totals, amounts
/// and the receipt. Lines are read through [`Report::lines`]; their explanations are
/// rendered when asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub(crate) project: ProjectId,
    pub(crate) names: Arc<Names>,
    pub(crate) session_training: Vec<u32>,
    pub(crate) entry_training: Vec<u32>,
    /// Per entry: its date and planned seconds.
    pub(crate) entry_facts: Vec<(NaiveDate, i32)>,
    pub(crate) k: Kernel,
    pub(crate) scope: Scope,
    /// In a view: which sessions the viewer may see (a SUB-6 stretch does not name another).
    pub(crate) visible_sessions: Option<Arc<Vec<bool>>>,
    /// The parameters in force on the project's last date (cap and shares, ADR 04).
    pub(crate) last: crate::params::Params,
    /// Realised totals (SUB-3).
    pub realised: Totals,
    /// Provisional totals (SUB-3).
    pub provisional: Totals,
    /// Amounts of the realised lines (SUB-8).
    pub amounts: Amounts,
    /// Provisional amount (uncapped, rounded to the cent), for information.
    pub provisional_amount: Decimal,
    /// Receipt (AUD-4).
    pub receipt: Receipt,
}

/// One line of a report: a participant in a session, or an e-learning entry (SUB-9).
#[derive(Clone, Copy)]
pub struct Line<'r> {
    r: &'r Report,
    l: &'r LineRec,
    /// Its index in the report's lines.
    i: usize,
}

impl std::fmt::Debug for Line<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Line")
            .field("source", &self.source())
            .field("person", self.person())
            .field("date", &self.date())
            .field("counted_minutes", &self.counted_minutes())
            .finish()
    }
}

impl<'r> Line<'r> {
    /// Classroom or e-learning.
    pub fn kind(&self) -> LineKind {
        if self.l.has(flag::ELEARNING) {
            LineKind::Elearning
        } else {
            LineKind::Classroom
        }
    }
    /// The session id (classroom) or entry id (e-learning).
    pub fn source(&self) -> &'r str {
        let n = &self.r.names;
        let i = self.l.source as usize;
        if self.l.has(flag::ELEARNING) {
            n.entries.get(i).unwrap_or("")
        } else {
            n.sessions.get(i).unwrap_or("")
        }
    }
    /// The participant.
    pub fn person(&self) -> &'r PersonId {
        static EMPTY: PersonId = PersonId::EMPTY;
        self.r.names.persons.get(self.l.person as usize).unwrap_or(&EMPTY)
    }
    /// The training.
    pub fn training(&self) -> &'r TrainingId {
        static EMPTY: TrainingId = TrainingId::EMPTY;
        let i = self.l.source as usize;
        let t = if self.l.has(flag::ELEARNING) {
            self.r.entry_training.get(i)
        } else {
            self.r.session_training.get(i)
        };
        t.and_then(|t| self.r.names.trainings.get(*t as usize))
            .unwrap_or(&EMPTY)
    }
    /// The day (Brussels).
    pub fn date(&self) -> NaiveDate {
        self.r.k.date_and_planned(&self.r.entry_facts, self.l).0
    }
    /// Realised (Executed/Submitted session, approved entry) or provisional (SUB-3).
    pub fn realised(&self) -> bool {
        self.l.has(flag::REALISED)
    }
    /// Planned net duration in seconds (session minus breaks; entry duration).
    pub fn planned_seconds(&self) -> i64 {
        i64::from(self.r.k.date_and_planned(&self.r.entry_facts, self.l).1)
    }
    /// Attended seconds inside the planned net time.
    pub fn attended_seconds(&self) -> i64 {
        i64::from(self.l.attended())
    }
    /// Planned net minutes, to the hundredth.
    pub fn planned_minutes(&self) -> Decimal {
        seconds_as_minutes(self.planned_seconds())
    }
    /// Attended minutes, to the hundredth.
    pub fn attended_minutes(&self) -> Decimal {
        seconds_as_minutes(self.attended_seconds())
    }
    /// Counted whole minutes.
    pub fn counted_minutes(&self) -> i64 {
        i64::from(self.l.minutes())
    }
    /// Contains a registration made late inside a correction window (SUB-3).
    pub fn late_registration(&self) -> bool {
        self.l.has(flag::LATE_REGISTRATION)
    }
    /// Arrived more than `late_arrival_minutes` after the start.
    pub fn late_arrival(&self) -> bool {
        self.l.has(flag::LATE_ARRIVAL)
    }
    /// Left more than `early_departure_minutes` before the end.
    pub fn early_departure(&self) -> bool {
        self.l.has(flag::EARLY_DEPARTURE)
    }
    /// Holds an offline scan whose device clock disagreed with the reconstructed instant (ATT-6).
    pub fn clock_suspect(&self) -> bool {
        self.l.has(flag::CLOCK_SUSPECT)
    }
    fn params(&self) -> Option<&'r super::kernel::PSet> {
        self.r.k.psets.get(self.l.params as usize)
    }
    /// The unit cost in force on the line's date (ORG-3).
    pub fn unit_cost(&self) -> Decimal {
        self.params()
            .map_or(Decimal::ZERO, |p| p.params.unit_cost_per_participant_hour)
    }
    /// counted minutes / 60 × unit cost, exact to 28 digits (SUB-8).
    pub fn amount(&self) -> Decimal {
        Decimal::from(self.l.minutes())
            .checked_mul(self.unit_cost())
            .and_then(|x| x.checked_div(Decimal::from(60)))
            .unwrap_or_default()
    }
    /// Everything of the planned net time that did not count, with reason and rule, in the
    /// order the rules ran: SUB-1/ATT-5/SUB-7, SUB-4, SUB-6, SUB-2, SUB-5.
    pub fn excluded(&self) -> impl Iterator<Item = Excluded<'r>> + 'r {
        let line = *self;
        let k = &self.r.k;
        let l = self.l;
        let first = l.parts as usize;
        let primary = k
            .parts
            .get(first..first.saturating_add(usize::from(l.n_parts)))
            .unwrap_or(&[]);
        let sub6 = k.sub6_parts(self.i, l);
        let stretch = move |p: &super::kernel::Part| Excluded {
            line,
            reason: p.reason(),
            from: p.from(),
            seconds: p.until().saturating_sub(p.from()),
            other: p.other(),
        };
        let cut = k.cap_cut(self.i, l);
        let diff = l.rounding_diff(cut);
        let rounding = (diff != 0).then_some(Excluded {
            line,
            reason: Reason::Rounding,
            from: 0,
            seconds: diff,
            other: 0,
        });
        let cap = (cut > 0).then_some(Excluded {
            line,
            reason: Reason::DailyCap,
            from: 0,
            seconds: i64::from(cut).saturating_mul(60),
            other: 0,
        });
        primary.iter().chain(sub6).map(stretch).chain(rounding).chain(cap)
    }
    /// The planned breaks of the session (not part of the net time), as instants.
    pub fn breaks(&self) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + 'r {
        let k = &self.r.k;
        let span = if self.l.has(flag::ELEARNING) {
            None
        } else {
            k.sessions.get(self.l.source as usize).map(|s| s.breaks)
        };
        span.and_then(|s| k.breaks.get(s.range()))
            .unwrap_or(&[])
            .iter()
            .map(|&(a, b)| (instant(a), instant(b)))
    }
    /// The planned breaks as text: `10:30–10:45 planned break (SUB-1)`.
    pub fn break_texts(&self) -> Vec<String> {
        self.breaks()
            .map(|(a, b)| {
                format!(
                    "{}–{} planned break (SUB-1)",
                    hm_unix(a.timestamp()),
                    hm_unix(b.timestamp())
                )
            })
            .collect()
    }
    /// The reason codes of what was excluded, `;`-separated (e.g. `before_check_in;away`).
    pub fn reason_codes(&self) -> String {
        let mut out = String::new();
        self.write_reason_codes(&mut out);
        out
    }
    fn write_reason_codes(&self, out: &mut String) {
        for (i, e) in self.excluded().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(e.reason().code());
        }
    }
    /// The explanations of what was excluded with their rules, `; `-separated.
    pub fn excluded_text(&self) -> String {
        let mut out = String::new();
        self.write_excluded_text(&mut out);
        out
    }
    fn write_excluded_text(&self, out: &mut String) {
        for (i, e) in self.excluded().enumerate() {
            if i > 0 {
                out.push_str("; ");
            }
            e.write_text(out);
            out.push_str(" [");
            out.push_str(e.rule());
            out.push(']');
        }
    }
}

fn instant(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

/// An excluded part of a line (SUB-9): a stretch of time with its reason, or an amount of time
/// without clock times (rounding, the daily cap, unapproved e-learning).
#[derive(Clone, Copy)]
pub struct Excluded<'r> {
    line: Line<'r>,
    reason: Reason,
    from: i64,
    seconds: i64,
    other: u32,
}

impl std::fmt::Debug for Excluded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Excluded")
            .field("reason", &self.reason)
            .field("seconds", &self.seconds())
            .finish()
    }
}

impl<'r> Excluded<'r> {
    /// Why.
    pub fn reason(&self) -> Reason {
        self.reason
    }
    /// The rule.
    pub fn rule(&self) -> &'static str {
        self.reason.rule()
    }
    /// Seconds excluded (negative only for rounding up).
    pub fn seconds(&self) -> i64 {
        self.seconds
    }
    fn timed(&self) -> bool {
        !matches!(self.reason, Reason::Rounding | Reason::DailyCap | Reason::NotApproved)
    }
    /// Start of the stretch, for stretches of time.
    pub fn from(&self) -> Option<DateTime<Utc>> {
        self.timed().then(|| instant(self.from))
    }
    /// End of the stretch, for stretches of time.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.timed().then(|| instant(self.from.saturating_add(self.seconds)))
    }
    /// The session that already counted this time (SUB-6), unless the report is a view that
    /// may not name it (ARC-2).
    pub fn counted_in(&self) -> Option<&'r str> {
        let r = self.line.r;
        let shown = r
            .visible_sessions
            .as_ref()
            .is_none_or(|v| v.get(self.other as usize).copied().unwrap_or(false));
        (self.reason == Reason::CountedElsewhere && shown)
            .then(|| r.names.sessions.get(self.other as usize).unwrap_or(""))
    }
    /// The explanation, e.g. `09:00–09:12 before check-in`.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(48);
        self.write_text(&mut out);
        out
    }

    /// [`Excluded::text`] written at the end of `out` (for writers of many texts: no
    /// allocation per text).
    pub fn write_text(&self, out: &mut String) {
        use std::fmt::Write;
        let span = |out: &mut String| {
            push_hm_unix(out, self.from);
            out.push('–');
            push_hm_unix(out, self.from.saturating_add(self.seconds));
        };
        let p = self.line.params().map(|p| &p.params);
        // Writing into a `String` cannot fail.
        let _ = match self.reason {
            Reason::BeforeCheckIn => {
                span(out);
                out.write_str(" before check-in")
            }
            Reason::Away => {
                span(out);
                out.write_str(" away (checked out)")
            }
            Reason::AfterCheckOut => {
                span(out);
                out.write_str(" after check-out")
            }
            Reason::NotPresent => {
                span(out);
                out.write_str(" no attendance registered")
            }
            Reason::Absent => {
                span(out);
                out.write_str(" marked absent")
            }
            Reason::BelowMinPresence => {
                let pct = p
                    .map_or(Decimal::ZERO, |p| p.min_presence_ratio)
                    .saturating_mul(Decimal::from(100));
                span(out);
                write!(out, " present, but below the minimum presence of {}%", pct.normalize())
            }
            Reason::CountedElsewhere => {
                span(out);
                match self.counted_in() {
                    Some(other) => write!(out, " already counted in session {other}"),
                    None => out.write_str(" already counted in another session"),
                }
            }
            Reason::Rounding => {
                let r = p.map(|p| p.rounding).unwrap_or_default();
                let text = format!("{} s rounding to {} min {:?}", self.seconds(), r.minutes, r.direction);
                out.write_str(&text.to_lowercase())
            }
            Reason::DailyCap => {
                let cap = p.and_then(|p| p.max_participant_hours_per_day).unwrap_or_default();
                write!(
                    out,
                    "{} over the daily cap of {} h",
                    minutes_text(self.seconds() / 60),
                    cap.normalize()
                )
            }
            Reason::NotApproved => write!(
                out,
                "{} min e-learning {} by the supervisor",
                self.seconds() / 60,
                if self.line.l.has(flag::REJECTED) {
                    "rejected"
                } else {
                    "not yet approved"
                }
            ),
        };
    }
}

/// The lines of a report, in order: by date, start, source, person.
#[derive(Clone, Copy)]
pub struct Lines<'r> {
    r: &'r Report,
}

impl<'r> Lines<'r> {
    /// Number of lines.
    pub fn len(&self) -> usize {
        self.r.k.lines.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.r.k.lines.is_empty()
    }
    /// The line at `i`.
    pub fn get(&self, i: usize) -> Option<Line<'r>> {
        self.r.k.lines.get(i).map(|l| Line { r: self.r, l, i })
    }
    /// Iterates the lines.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Line<'r>> + 'r {
        let r = self.r;
        r.k.lines.iter().enumerate().map(move |(i, l)| Line { r, l, i })
    }
}

impl<'r> IntoIterator for Lines<'r> {
    type Item = Line<'r>;
    type IntoIter = Box<dyn ExactSizeIterator<Item = Line<'r>> + 'r>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl Report {
    /// The project.
    pub fn project(&self) -> &ProjectId {
        &self.project
    }
    /// Whose view this is.
    pub fn scope(&self) -> Scope {
        self.scope
    }
    /// The lines.
    pub fn lines(&self) -> Lines<'_> {
        Lines { r: self }
    }

    /// Keeps only the lines of the sessions and entries `visible` accepts (ARC-2), each line
    /// unchanged; totals and amounts are recomputed over what is left and the scope becomes
    /// [`Scope::VisibleLines`] (unless every source is visible). The counting already ran on
    /// the whole project, so a line reads the same in every view.
    pub fn restrict(&mut self, visible_session: impl Fn(&str) -> bool, visible_entry: impl Fn(&str) -> bool) {
        let names = Arc::clone(&self.names);
        let sessions: Vec<bool> = names.sessions.iter().map(visible_session).collect();
        let entries: Vec<bool> = names.entries.iter().map(visible_entry).collect();
        if sessions.iter().chain(&entries).all(|v| *v) {
            return;
        }
        self.k.retain_lines(|l| {
            let v = if l.has(flag::ELEARNING) { &entries } else { &sessions };
            v.get(l.source as usize).copied().unwrap_or(false)
        });
        self.scope = Scope::VisibleLines;
        let records = sessions.iter().chain(&entries).filter(|v| **v).count();
        self.visible_sessions = Some(Arc::new(sessions));
        let mut acc = super::kernel::Acc::default();
        for l in &self.k.lines {
            acc.add(l, self.k.date_and_planned(&self.entry_facts, l).1);
        }
        let Ok(s) = super::summarise(&acc, &self.k.psets, &self.last, false) else {
            return;
        };
        self.realised = s.realised;
        self.provisional = s.provisional;
        self.amounts = s.amounts;
        self.provisional_amount = s.provisional_amount;
        self.receipt.records = records;
    }

    /// The lines as CSV, one row per line: the figures, the reason codes of what was excluded
    /// (`reasons`, e.g. `before_check_in;away`) and their explanations with rules (`excluded`).
    /// Cells that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab
    /// or carriage return) are prefixed with `'` (OWASP CSV injection).
    pub fn to_csv(&self) -> String {
        use std::fmt::Write;
        const HEADER: &str = "kind,source,person,training,date,realised,planned_minutes,attended_minutes,counted_minutes,unit_cost,amount,late_registration,late_arrival,early_departure,reasons,excluded\n";
        let lines = self.lines();
        // About 160 bytes a line: room made once (the text is not copied as it grows).
        let mut out = String::with_capacity(HEADER.len().saturating_add(lines.len().saturating_mul(160)));
        out.push_str(HEADER);
        // A cell made before it is written (numbers, dates, texts), its room reused.
        let mut cell = String::new();
        let put = |out: &mut String, cell: &mut String, f: &dyn Fn(&mut String)| {
            cell.clear();
            f(cell);
            csv_field(out, cell);
        };
        for l in lines.iter() {
            csv_field(&mut out, l.kind().code());
            for text in [l.source(), l.person().as_str(), l.training().as_str()] {
                out.push(',');
                csv_field(&mut out, text);
            }
            out.push(',');
            put(&mut out, &mut cell, &|c| {
                let _ = write!(c, "{}", l.date());
            });
            out.push(',');
            out.push_str(if l.realised() { "true" } else { "false" });
            for d in [l.planned_minutes(), l.attended_minutes()] {
                out.push(',');
                put(&mut out, &mut cell, &|c| {
                    let _ = write!(c, "{d}");
                });
            }
            out.push(',');
            let counted = l.counted_minutes();
            put(&mut out, &mut cell, &|c| {
                let _ = write!(c, "{counted}");
            });
            for d in [l.unit_cost(), l.amount().round_dp(2)] {
                out.push(',');
                put(&mut out, &mut cell, &|c| {
                    let _ = write!(c, "{d}");
                });
            }
            for b in [l.late_registration(), l.late_arrival(), l.early_departure()] {
                out.push(',');
                out.push_str(if b { "true" } else { "false" });
            }
            out.push(',');
            put(&mut out, &mut cell, &|c| l.write_reason_codes(c));
            out.push(',');
            put(&mut out, &mut cell, &|c| l.write_excluded_text(c));
            out.push('\n');
        }
        out
    }

    /// Counted minutes and exact amount grouped by a key: `person`, `training`, `date` or
    /// `project` (realised lines only).
    pub fn group_by(&self, key: Grouping) -> Vec<Group> {
        let mut m: BTreeMap<String, (i64, Decimal)> = BTreeMap::new();
        for l in self.lines().iter().filter(Line::realised) {
            let k = match key {
                Grouping::Person => l.person().to_string(),
                Grouping::Training => l.training().to_string(),
                Grouping::Date => l.date().to_string(),
                Grouping::Project => self.project.to_string(),
            };
            let e = m.entry(k).or_default();
            e.0 = e.0.saturating_add(l.counted_minutes());
            e.1 = e.1.saturating_add(l.amount());
        }
        m.into_iter()
            .map(|(key, (minutes, amount))| Group {
                key,
                counted_minutes: minutes,
                amount: cents(amount),
            })
            .collect()
    }

    /// A readable explanation, line by line, for people (SUB-9).
    pub fn explain(&self) -> String {
        let mut out = String::new();
        for l in self.lines().iter() {
            let _ = writeln!(
                out,
                "{} {} {}{}: planned {}, counted {}{}{}{}",
                l.date(),
                l.source(),
                l.person(),
                if l.realised() { "" } else { " (provisional)" },
                minutes_text(l.planned_seconds() / 60),
                minutes_text(l.counted_minutes()),
                if l.late_registration() {
                    ", registered late in a correction window"
                } else {
                    ""
                },
                if l.clock_suspect() {
                    ", holds an offline scan with a suspect device clock (ATT-6)"
                } else {
                    ""
                },
                if l.counted_minutes() > 0 {
                    format!(" = EUR {}", l.amount().round_dp(2))
                } else {
                    String::new()
                },
            );
            for b in l.break_texts() {
                let _ = writeln!(out, "    not counted: {b}");
            }
            for e in l.excluded() {
                let _ = writeln!(out, "    not counted: {} ({})", e.text(), e.rule());
            }
        }
        out
    }
}

/// One CSV cell as [`Report::to_csv`] writes it: quoted when it holds a comma, quote or line
/// break, and prefixed with `'` inside quotes when a spreadsheet would read it as a formula
/// (it starts with `=`, `+`, `-`, `@`, tab or carriage return; OWASP CSV injection).
///
/// ```
/// assert_eq!(tijdreg::subsidy::csv_cell("=1+1"), "\"'=1+1\"");
/// assert_eq!(tijdreg::subsidy::csv_cell("plain"), "plain");
/// ```
pub fn csv_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    csv_field(&mut out, s);
    out
}

fn csv_field(out: &mut String, s: &str) {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula || s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        out.push('"');
        if formula {
            out.push('\'');
        }
        for (i, part) in s.split('"').enumerate() {
            if i > 0 {
                out.push_str("\"\"");
            }
            out.push_str(part);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A grouping key for [`Report::group_by`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// Per participant.
    Person,
    /// Per training.
    Training,
    /// Per day.
    Date,
    /// The whole project.
    Project,
}

/// One group of [`Report::group_by`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Group {
    /// The key.
    pub key: String,
    /// Counted minutes.
    pub counted_minutes: i64,
    /// Amount, rounded half-up to the cent.
    pub amount: Decimal,
}

impl Serialize for Excluded<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let timed = self.timed();
        let mut m = s.serialize_map(Some(if timed { 6 } else { 4 }))?;
        m.serialize_entry("reason", &self.reason())?;
        m.serialize_entry("rule", self.rule())?;
        m.serialize_entry("seconds", &self.seconds())?;
        if timed {
            m.serialize_entry("from", &instant(self.from))?;
            m.serialize_entry("until", &instant(self.from.saturating_add(self.seconds)))?;
        }
        m.serialize_entry("text", &self.text())?;
        m.end()
    }
}

struct Seq<I>(std::cell::Cell<Option<I>>);

impl<I: Iterator<Item = T>, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        if let Some(it) = self.0.take() {
            for x in it {
                seq.serialize_element(&x)?;
            }
        }
        seq.end()
    }
}

fn seq<I>(it: I) -> Seq<I> {
    Seq(std::cell::Cell::new(Some(it)))
}

impl Serialize for Line<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", &self.kind())?;
        m.serialize_entry("source", self.source())?;
        m.serialize_entry("person", self.person())?;
        m.serialize_entry("training", self.training())?;
        m.serialize_entry("date", &self.date())?;
        m.serialize_entry("realised", &self.realised())?;
        m.serialize_entry("planned_seconds", &self.planned_seconds())?;
        m.serialize_entry("attended_seconds", &self.attended_seconds())?;
        m.serialize_entry("counted_minutes", &self.counted_minutes())?;
        m.serialize_entry("excluded", &seq(self.excluded()))?;
        m.serialize_entry("breaks", &self.break_texts())?;
        m.serialize_entry("late_registration", &self.late_registration())?;
        m.serialize_entry("late_arrival", &self.late_arrival())?;
        m.serialize_entry("early_departure", &self.early_departure())?;
        if self.clock_suspect() {
            m.serialize_entry("clock_suspect", &true)?;
        }
        m.serialize_entry("unit_cost", &self.unit_cost())?;
        m.serialize_entry("amount", &self.amount())?;
        m.end()
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("project", &self.project)?;
        if self.scope != Scope::WholeProject {
            m.serialize_entry("scope", &self.scope)?;
        }
        m.serialize_entry("lines", &seq(self.lines().iter()))?;
        m.serialize_entry("realised", &self.realised)?;
        m.serialize_entry("provisional", &self.provisional)?;
        m.serialize_entry("amounts", &self.amounts)?;
        m.serialize_entry("provisional_amount", &self.provisional_amount)?;
        m.serialize_entry("receipt", &self.receipt)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_9_clock_times_written_in_place_are_hm_unix() {
        // Every quarter of an hour over 2026 (both clock changes) and around midnight.
        let start = 1_767_222_000i64; // 2025-12-31T23:00:00Z
        for k in 0..(366 * 96) {
            let unix = start + k * 900 + (k % 7) * 59;
            let mut s = String::new();
            push_hm_unix(&mut s, unix);
            assert_eq!(s, hm_unix(unix), "{unix}");
        }
    }

    #[test]
    fn sub_9_csv_cells_quote_what_they_must() {
        let cell = |s: &str| {
            let mut out = String::new();
            csv_field(&mut out, s);
            out
        };
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
        assert_eq!(cell("-3"), "\"'-3\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(cell(""), "");
    }
}
