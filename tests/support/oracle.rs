//! The counting rules as they were before the compact kernel (issue 10): a slow, simple,
//! independently structured implementation kept as a test oracle. The property test
//! `kernel_agrees_with_the_reference` feeds random records to both and compares the JSON.
#![allow(missing_docs, clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use tijdreg::calendar::{brussels_instant, hm};
use tijdreg::elearning::EntryStatus;
use tijdreg::error::Error;
use tijdreg::ids::*;
use tijdreg::params::Params;
use tijdreg::session::SessionStatus;
use tijdreg::subsidy::{ElearningRecord, ParticipantRecord, Records, SessionRecord};

/// Why a stretch of planned time does not count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
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
}

/// An excluded part of a line (SUB-9). `from`/`until` are set when it is a stretch of time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// Reason code.
    pub reason: Reason,
    /// Rule ID.
    pub rule: String,
    /// Seconds excluded (negative only for rounding up).
    pub seconds: i64,
    /// Start of the stretch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// End of the stretch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Explanation, e.g. "09:00–09:12 before check-in".
    pub text: String,
}

/// Classroom session line or e-learning line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// A participant in a session.
    Classroom,
    /// An e-learning entry (SUB-7).
    Elearning,
}

/// One participant in one session, or one e-learning entry, explained (SUB-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Kind.
    pub kind: LineKind,
    /// Session (classroom) or entry id (e-learning).
    pub source: String,
    /// Participant.
    pub person: PersonId,
    /// Training.
    pub training: TrainingId,
    /// Day.
    pub date: NaiveDate,
    /// Realised (Executed/Submitted, approved) or provisional (SUB-3).
    pub realised: bool,
    /// Planned net duration in seconds (session minus breaks; entry duration).
    pub planned_seconds: i64,
    /// Attended seconds inside the planned net time.
    pub attended_seconds: i64,
    /// Counted whole minutes.
    pub counted_minutes: i64,
    /// Everything of the planned net time that did not count, with reason and rule.
    pub excluded: Vec<Excluded>,
    /// Planned breaks (not part of the net time), as text.
    #[serde(default)]
    pub breaks: Vec<String>,
    /// Contains a registration made late inside a correction window (SUB-3).
    pub late_registration: bool,
    /// Arrived more than `late_arrival_minutes` after the start.
    pub late_arrival: bool,
    /// Left more than `early_departure_minutes` before the end.
    pub early_departure: bool,
    /// Unit cost in force on the line's date (ORG-3).
    pub unit_cost: Decimal,
    /// counted_minutes / 60 × unit_cost, exact to 28 digits.
    pub amount: Decimal,
    #[serde(skip)]
    sort_start: i64,
}

/// Seconds as minutes, to the hundredth (for exports and bindings).
pub fn seconds_as_minutes(seconds: i64) -> Decimal {
    (Decimal::from(seconds) / Decimal::from(60)).round_dp(2).normalize()
}

/// Sums over lines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

/// The subsidy report of a project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Project.
    pub project: ProjectId,
    /// Lines, by date, start, source, person.
    pub lines: Vec<Line>,
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

type Stretch = (i64, i64);

fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}
fn dt(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}
fn span_text(a: i64, b: i64) -> String {
    format!("{}–{}", hm(dt(a)), hm(dt(b)))
}

/// Sorted, merged.
fn normalise(mut v: Vec<Stretch>) -> Vec<Stretch> {
    v.retain(|(a, b)| b > a);
    v.sort_unstable();
    let mut out: Vec<Stretch> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// `a − b`, both normalised.
fn subtract(a: &[Stretch], b: &[Stretch]) -> Vec<Stretch> {
    let mut out = Vec::new();
    for &(mut s, e) in a {
        for &(bs, be) in b {
            if be <= s || bs >= e {
                continue;
            }
            if bs > s {
                out.push((s, bs));
            }
            s = s.max(be);
            if s >= e {
                break;
            }
        }
        if s < e {
            out.push((s, e));
        }
    }
    out
}

fn intersect(a: &[Stretch], b: &[Stretch]) -> Vec<Stretch> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        let (s, e) = (a[i].0.max(b[j].0), a[i].1.min(b[j].1));
        if s < e {
            out.push((s, e));
        }
        if a[i].1 < b[j].1 { i += 1 } else { j += 1 }
    }
    out
}

fn total(v: &[Stretch]) -> i64 {
    v.iter().map(|(a, b)| b - a).sum()
}

fn excluded_stretch(reason: Reason, (a, b): Stretch, what: &str) -> Excluded {
    Excluded {
        reason,
        rule: reason.rule().into(),
        seconds: b - a,
        from: Some(dt(a)),
        until: Some(dt(b)),
        text: format!("{} {what}", span_text(a, b)),
    }
}

/// A line under construction: its counted stretches.
struct Work {
    line: Line,
    counted: Vec<Stretch>,
    params: Params,
}

fn classroom_line(sess: &SessionRecord, part: &ParticipantRecord, params: Params) -> Result<Work, Error> {
    let start = ts(brussels_instant(sess.date, sess.start)?);
    let end = ts(brussels_instant(sess.date, sess.end)?);
    let mut breaks = Vec::new();
    for b in &sess.breaks {
        breaks.push((
            ts(brussels_instant(sess.date, b.start)?),
            ts(brussels_instant(sess.date, b.end)?),
        ));
    }
    let breaks = normalise(breaks);
    let net = subtract(&[(start, end)], &breaks);
    let attended_all = normalise(
        part.intervals
            .iter()
            .map(|i| (ts(i.check_in), ts(i.check_out)))
            .collect(),
    );
    let counted = intersect(&net, &attended_all);
    // SUB-1, SUB-9: every uncounted stretch of net time, with why.
    let first_in = attended_all.first().map(|x| x.0);
    let last_out = attended_all.last().map(|x| x.1);
    let excluded = subtract(&net, &counted)
        .into_iter()
        .map(|(a, b)| match (first_in, last_out) {
            (None, _) | (_, None) if part.absent => excluded_stretch(Reason::Absent, (a, b), "marked absent"),
            (None, _) | (_, None) => excluded_stretch(Reason::NotPresent, (a, b), "no attendance registered"),
            (Some(fi), _) if b <= fi => excluded_stretch(Reason::BeforeCheckIn, (a, b), "before check-in"),
            (_, Some(lo)) if a >= lo => excluded_stretch(Reason::AfterCheckOut, (a, b), "after check-out"),
            _ => excluded_stretch(Reason::Away, (a, b), "away (checked out)"),
        })
        .collect();
    let late_arrival = first_in.is_some_and(|fi| fi > start + i64::from(params.late_arrival_minutes) * 60);
    let early_departure = last_out.is_some_and(|lo| lo < end - i64::from(params.early_departure_minutes) * 60);
    let line = Line {
        kind: LineKind::Classroom,
        source: sess.id.to_string(),
        person: part.person.clone(),
        training: sess.training.clone(),
        date: sess.date,
        realised: matches!(sess.status, SessionStatus::Executed | SessionStatus::Submitted),
        planned_seconds: total(&net),
        attended_seconds: total(&counted),
        counted_minutes: 0,
        excluded,
        breaks: breaks
            .iter()
            .map(|(a, b)| format!("{} planned break (SUB-1)", span_text(*a, *b)))
            .collect(),
        late_registration: part.intervals.iter().any(|i| i.late),
        late_arrival,
        early_departure,
        unit_cost: params.unit_cost_per_participant_hour,
        amount: Decimal::ZERO,
        sort_start: start,
    };
    Ok(Work { line, counted, params })
}

fn elearning_line(e: &ElearningRecord, params: Params) -> Result<Work, Error> {
    let seconds = i64::from(e.minutes) * 60;
    // Untimed entries sort at the end of their day: the daily cap cuts them first (ADR 04).
    let sort_start = match e.start {
        Some(t) => ts(brussels_instant(e.date, t)?),
        None => ts(brussels_instant(e.date, NaiveTime::MIN)?) + 86_400,
    };
    let approved = e.status == EntryStatus::Approved;
    let excluded = if approved {
        vec![]
    } else {
        vec![Excluded {
            reason: Reason::NotApproved,
            rule: "SUB-7".into(),
            seconds,
            from: None,
            until: None,
            text: format!(
                "{} min e-learning {} by the supervisor",
                e.minutes,
                if e.status == EntryStatus::Rejected {
                    "rejected"
                } else {
                    "not yet approved"
                }
            ),
        }]
    };
    let line = Line {
        kind: LineKind::Elearning,
        source: e.id.to_string(),
        person: e.person.clone(),
        training: e.training.clone(),
        date: e.date,
        realised: approved,
        planned_seconds: seconds,
        attended_seconds: if approved { seconds } else { 0 },
        counted_minutes: 0,
        excluded,
        breaks: vec![],
        late_registration: false,
        late_arrival: false,
        early_departure: false,
        unit_cost: params.unit_cost_per_participant_hour,
        amount: Decimal::ZERO,
        sort_start,
    };
    // E-learning has no clock stretches (SUB-6 skips it): a stretch of its length stands in.
    let counted = if approved { vec![(0, seconds)] } else { vec![] };
    Ok(Work { line, counted, params })
}

/// Computes the report from plain records at a reference instant (SUB-1..9, AUD-4).
///
/// # Errors
/// [`Error::NonexistentLocalTime`] when a session's local times do not exist in Brussels.
pub fn report(r: &Records, reference: DateTime<Utc>) -> Result<Report, Error> {
    let mut work: Vec<Work> = Vec::new();
    for s in &r.sessions {
        let params = r.params.on(s.date);
        for p in &s.participants {
            work.push(classroom_line(s, p, params.clone())?);
        }
    }
    for e in &r.elearning {
        work.push(elearning_line(e, r.params.on(e.date))?);
    }
    // SUB-4 per line.
    for w in &mut work {
        let need = w.params.min_presence_ratio * Decimal::from(w.line.planned_seconds);
        if w.line.kind == LineKind::Classroom && !w.counted.is_empty() && Decimal::from(total(&w.counted)) < need {
            let pct = (w.params.min_presence_ratio * Decimal::from(100)).normalize();
            for st in std::mem::take(&mut w.counted) {
                w.line.excluded.push(excluded_stretch(
                    Reason::BelowMinPresence,
                    st,
                    &format!("present, but below the minimum presence of {pct}%"),
                ));
            }
        }
    }
    // Group by participant and day (lines sorted by start, then source).
    work.sort_by(|a, b| {
        (&a.line.person, a.line.date, a.line.sort_start, &a.line.source).cmp(&(
            &b.line.person,
            b.line.date,
            b.line.sort_start,
            &b.line.source,
        ))
    });
    let mut i = 0;
    while i < work.len() {
        let mut j = i;
        while j < work.len() && work[j].line.person == work[i].line.person && work[j].line.date == work[i].line.date {
            j += 1;
        }
        count_day(&mut work[i..j]);
        i = j;
    }
    // SUB-8.
    let mut lines: Vec<Line> = work.into_iter().map(|w| w.line).collect();
    let mut numerator = Decimal::ZERO;
    let mut prov_numerator = Decimal::ZERO;
    let (mut realised, mut provisional) = (Totals::default(), Totals::default());
    let sixty = Decimal::from(60);
    for l in &mut lines {
        let n = Decimal::from(l.counted_minutes) * l.unit_cost;
        l.amount = n / sixty;
        let t = if l.realised { &mut realised } else { &mut provisional };
        t.lines += 1;
        t.planned_seconds += l.planned_seconds;
        t.counted_minutes += l.counted_minutes;
        if l.realised {
            numerator += n
        } else {
            prov_numerator += n
        }
    }
    for t in [&mut realised, &mut provisional] {
        t.counted_hours = Decimal::from(t.counted_minutes) / sixty;
    }
    let uncapped = numerator / sixty;
    let last_params = r.params.on(r
        .sessions
        .iter()
        .map(|s| s.date)
        .chain(r.elearning.iter().map(|e| e.date))
        .max()
        .unwrap_or(NaiveDate::MIN));
    let cap = last_params.project_subsidy_cap;
    let capped = cap.is_some_and(|c| uncapped > c);
    let total = cents(cap.filter(|_| capped).unwrap_or(uncapped));
    let esf = cents(total * last_params.shares.esf);
    let flemish = cents(total * last_params.shares.flemish);
    lines.sort_by(|a, b| {
        (a.date, a.sort_start, &a.source, &a.person).cmp(&(b.date, b.sort_start, &b.source, &b.person))
    });
    Ok(Report {
        project: r.project.clone(),
        lines,
        realised,
        provisional,
        amounts: Amounts {
            uncapped,
            cap,
            capped,
            total,
            esf,
            flemish,
            own: total - esf - flemish,
        },
        provisional_amount: cents(prov_numerator / sixty),
        receipt: Receipt {
            engine_version: tijdreg::VERSION.into(),
            parameters_hash: parameters_hash(r),
            reference_instant: reference,
            events: r.source_events,
            records: r.sessions.len() + r.elearning.len(),
        },
    })
}

/// Half-up to the cent, always shown with two decimals (SUB-8).
fn cents(x: Decimal) -> Decimal {
    let mut c = x.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    c.rescale(2);
    c
}

/// SUB-6, SUB-2 and SUB-5 for the lines of one participant on one day, sorted by start.
fn count_day(day: &mut [Work]) {
    // SUB-6: time already counted on an earlier line is removed from the later one.
    let mut seen: Vec<(Stretch, String)> = Vec::new();
    for w in day.iter_mut().filter(|w| w.line.kind == LineKind::Classroom) {
        let mut mine = Vec::new();
        for (st, src) in &seen {
            for o in intersect(&w.counted, &[*st]) {
                mine.push((o, src.clone()));
            }
        }
        if !mine.is_empty() {
            let overlap = normalise(mine.iter().map(|x| x.0).collect());
            w.counted = subtract(&w.counted, &overlap);
            for (o, src) in mine {
                w.line.excluded.push(excluded_stretch(
                    Reason::CountedElsewhere,
                    o,
                    &format!("already counted in session {src}"),
                ));
            }
        }
        seen.extend(w.counted.iter().map(|st| (*st, w.line.source.clone())));
    }
    // SUB-2: round each line; never above its planned net time.
    for w in day.iter_mut() {
        let secs = total(&w.counted);
        let minutes = w.params.rounding.apply(secs).min(w.line.planned_seconds / 60);
        let diff = secs - minutes * 60;
        if diff != 0 {
            w.line.excluded.push(Excluded {
                reason: Reason::Rounding,
                rule: "SUB-2".into(),
                seconds: diff,
                from: None,
                until: None,
                text: format!(
                    "{diff} s rounding to {} min {:?}",
                    w.params.rounding.minutes, w.params.rounding.direction
                )
                .to_lowercase(),
            });
        }
        w.line.counted_minutes = minutes;
    }
    // SUB-5: the cap in force on the day; the excess comes off the latest lines first.
    let Some(cap_h) = day.first().and_then(|w| w.params.max_participant_hours_per_day) else {
        return;
    };
    let cap = (cap_h * Decimal::from(60)).trunc().try_into().unwrap_or(i64::MAX);
    let mut excess = day.iter().map(|w| w.line.counted_minutes).sum::<i64>() - cap;
    for w in day.iter_mut().rev() {
        if excess <= 0 {
            break;
        }
        let cut = excess.min(w.line.counted_minutes);
        if cut > 0 {
            w.line.counted_minutes -= cut;
            excess -= cut;
            w.line.excluded.push(Excluded {
                reason: Reason::DailyCap,
                rule: "SUB-5".into(),
                seconds: cut * 60,
                from: None,
                until: None,
                text: format!("{} over the daily cap of {} h", minutes_text(cut), cap_h.normalize()),
            });
        }
    }
}

fn minutes_text(m: i64) -> String {
    match (m / 60, m % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// SHA-256 over the parameters, the closure dates and the holidays of the years the records
/// span under each profile in force (AUD-4).
fn parameters_hash(r: &Records) -> String {
    let mut years: BTreeSet<i32> = r.sessions.iter().map(|s| chrono::Datelike::year(&s.date)).collect();
    years.extend(r.elearning.iter().map(|e| chrono::Datelike::year(&e.date)));
    let holidays: BTreeMap<i32, Vec<NaiveDate>> = years
        .iter()
        .map(|y| {
            let profile = r
                .params
                .on(NaiveDate::from_ymd_opt(*y, 12, 31).unwrap_or(NaiveDate::MIN))
                .holiday_profile;
            (*y, profile.holidays(*y).into_iter().map(|h| h.0).collect())
        })
        .collect();
    let doc = serde_json::json!({"params": r.params, "closures": r.closures, "holidays": holidays});
    let digest = Sha256::digest(serde_json::to_vec(&doc).unwrap_or_default());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The report's CSV as the engine wrote it before its writer was made fast (ninth session): a
/// cell per field through `to_string`, quoted when it holds a comma, quote or line break, and
/// a cell that starts with `=`, `+`, `-`, `@`, tab or CR quoted behind `'` (OWASP). The
/// property test holds [`tijdreg::subsidy::Report::to_csv`] to this text byte for byte.
pub fn csv(report: &tijdreg::subsidy::Report) -> String {
    let mut out = String::from(
        "kind,source,person,training,date,realised,planned_minutes,attended_minutes,counted_minutes,unit_cost,amount,late_registration,late_arrival,early_departure,reasons,excluded\n",
    );
    for l in report.lines().iter() {
        let row = [
            l.kind().code().to_owned(),
            l.source().to_owned(),
            l.person().to_string(),
            l.training().to_string(),
            l.date().to_string(),
            l.realised().to_string(),
            l.planned_minutes().to_string(),
            l.attended_minutes().to_string(),
            l.counted_minutes().to_string(),
            l.unit_cost().to_string(),
            l.amount().round_dp(2).to_string(),
            l.late_registration().to_string(),
            l.late_arrival().to_string(),
            l.early_departure().to_string(),
            l.reason_codes(),
            l.excluded_text(),
        ];
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
            if formula || cell.contains([',', '"', '\n', '\r']) {
                out.push('"');
                if formula {
                    out.push('\'');
                }
                out.push_str(&cell.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(cell);
            }
        }
        out.push('\n');
    }
    out
}
