//! A seeded synthetic project for benchmarks: cohorts of 12–20 participants with a morning and
//! an afternoon session every working day (a lunch-time gap, a coffee break in the morning),
//! most present throughout, some late, some leaving early, some away and back (two intervals),
//! a few absent, a few also in an overlapping session of another cohort (SUB-6), some
//! e-learning. Deterministic: the same seed gives the same records.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use tijdreg::elearning::EntryStatus;
use tijdreg::ids::ProjectId;
use tijdreg::params::{DatedParams, ParamValue};
use tijdreg::session::{Break, SessionStatus};
use tijdreg::subsidy::{
    Compact, CompactBuilder, ElearningRecord, IntervalRecord, ParticipantRecord, Records, SessionRecord,
};

/// SplitMix64: small, fast, good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    /// True with probability `pct` percent.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }
}

/// What the generator feeds: the compact builder, or plain records.
pub trait Sink {
    /// A session.
    #[allow(clippy::too_many_arguments)]
    fn session(
        &mut self,
        id: &str,
        training: &str,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        breaks: &[Break],
    );
    /// A participant of the last session.
    fn participant(&mut self, person: &str, absent: bool);
    /// An interval of the last participant (seconds since the epoch).
    fn interval(&mut self, check_in: i64, check_out: i64);
    /// An e-learning entry.
    fn entry(&mut self, id: &str, person: &str, date: NaiveDate, minutes: u32, status: EntryStatus);
}

/// The call's parameters used by the synthetic project.
pub fn params() -> DatedParams {
    let mut p = DatedParams::default();
    let jan = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    p.set(
        jan,
        ParamValue::UnitCostPerParticipantHour(rust_decimal::Decimal::new(1250, 2)),
    );
    p.set(jan, ParamValue::MinPresenceRatio(rust_decimal::Decimal::new(25, 2)));
    p.set(
        jan,
        ParamValue::MaxParticipantHoursPerDay(Some(rust_decimal::Decimal::from(8))),
    );
    p
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// Generates a project of about `intervals` attendance intervals into `sink`; returns the
/// number of intervals made.
pub fn generate(seed: u64, intervals: usize, sink: &mut dyn Sink) -> usize {
    let mut rng = Rng::new(seed);
    // ~15.5 participants × 2 sessions × ~1.05 intervals per cohort-day.
    let per_cohort_day = 33;
    let days_needed = intervals.div_ceil(per_cohort_day);
    let cohorts = days_needed.div_ceil(250).max(1);
    let mut made = 0usize;
    let mut session_no = 0usize;
    let mut entry_no = 0usize;
    let mut date = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default();
    let sizes: Vec<u64> = (0..cohorts).map(|_| 12 + rng.below(9)).collect();
    while made < intervals {
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            date = date.succ_opt().unwrap_or(date);
            continue;
        }
        for (c, &size) in sizes.iter().enumerate() {
            if made >= intervals {
                break;
            }
            for (half, (start, end, brk)) in [
                (t(9, 0), t(12, 30), Some((t(10, 30), t(10, 45)))),
                (t(13, 30), t(16, 30), None),
            ]
            .into_iter()
            .enumerate()
            {
                session_no += 1;
                let id = format!("S-{session_no:07}");
                let breaks: Vec<Break> = brk.map(|(a, b)| Break { start: a, end: b }).into_iter().collect();
                sink.session(&id, &format!("T-{}", c % 7), date, start, end, &breaks);
                let day0 = Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)).timestamp() - 3_600;
                let s = day0 + i64::from(chrono::Timelike::num_seconds_from_midnight(&start));
                let e = day0 + i64::from(chrono::Timelike::num_seconds_from_midnight(&end));
                // A few of the previous cohort join this session (overlap with their own).
                let guests = if c > 0 && rng.pct(10) { 1 } else { 0 };
                let mut people: Vec<String> = (0..size).map(|i| format!("p-{c:04}-{i:02}")).collect();
                for g in 0..guests {
                    people.push(format!("p-{:04}-{g:02}", c - 1));
                }
                people.sort();
                for p in &people {
                    let roll = rng.below(100);
                    if roll < 3 {
                        sink.participant(p, true);
                        continue;
                    }
                    sink.participant(p, false);
                    let late = if roll < 15 {
                        rng.below(40 * 60) as i64
                    } else {
                        -(rng.below(10 * 60) as i64)
                    };
                    let early = if roll > 92 {
                        rng.below(45 * 60) as i64
                    } else {
                        -(rng.below(5 * 60) as i64)
                    };
                    let ci = s + late;
                    let co = (e - early).max(ci);
                    if (15..22).contains(&roll) && co - ci > 3_600 {
                        // Away for a while, then back.
                        let out = ci + 1_800 + rng.below(600) as i64;
                        let back = out + 600 + rng.below(900) as i64;
                        sink.interval(ci, out);
                        sink.interval(back.min(co), co);
                        made += 2;
                    } else {
                        sink.interval(ci, co);
                        made += 1;
                    }
                }
                let _ = half;
            }
            if rng.pct(5) {
                entry_no += 1;
                let who = format!("p-{c:04}-{:02}", rng.below(size));
                let status = match rng.below(10) {
                    0 => EntryStatus::Pending,
                    1 => EntryStatus::Rejected,
                    _ => EntryStatus::Approved,
                };
                sink.entry(
                    &format!("E-{entry_no:07}"),
                    &who,
                    date,
                    30 + rng.below(90) as u32,
                    status,
                );
            }
        }
        date = date.succ_opt().unwrap_or(date);
    }
    made
}

/// Feeds a [`CompactBuilder`].
pub struct ToCompact(pub CompactBuilder);

impl Sink for ToCompact {
    fn session(
        &mut self,
        id: &str,
        training: &str,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        breaks: &[Break],
    ) {
        let _ = self
            .0
            .session(id, training, date, start, end, breaks, SessionStatus::Executed);
    }
    fn participant(&mut self, person: &str, absent: bool) {
        let _ = self.0.participant(person, absent);
    }
    fn interval(&mut self, check_in: i64, check_out: i64) {
        let _ = self.0.interval_unix(check_in, check_out, false, false);
    }
    fn entry(&mut self, id: &str, person: &str, date: NaiveDate, minutes: u32, status: EntryStatus) {
        let _ = self.0.entry(id, person, "T-EL", date, minutes, None, status);
    }
}

/// Builds [`Records`].
pub struct ToRecords(pub Records);

impl Sink for ToRecords {
    fn session(
        &mut self,
        id: &str,
        training: &str,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        breaks: &[Break],
    ) {
        self.0.sessions.push(SessionRecord {
            id: id.into(),
            training: training.into(),
            date,
            start,
            end,
            breaks: breaks.to_vec(),
            status: SessionStatus::Executed,
            participants: Vec::new(),
        });
    }
    fn participant(&mut self, person: &str, absent: bool) {
        if let Some(s) = self.0.sessions.last_mut() {
            s.participants.push(ParticipantRecord {
                person: person.into(),
                intervals: Vec::new(),
                absent,
            });
        }
    }
    fn interval(&mut self, check_in: i64, check_out: i64) {
        let at = |x: i64| Utc.timestamp_opt(x, 0).single().unwrap_or_default();
        if let Some(p) = self.0.sessions.last_mut().and_then(|s| s.participants.last_mut()) {
            p.intervals.push(IntervalRecord {
                check_in: at(check_in),
                check_out: at(check_out),
                late: false,
                clock_suspect: false,
            });
        }
    }
    fn entry(&mut self, id: &str, person: &str, date: NaiveDate, minutes: u32, status: EntryStatus) {
        self.0.elearning.push(ElearningRecord {
            id: id.into(),
            person: person.into(),
            training: "T-EL".into(),
            date,
            minutes,
            start: None,
            status,
        });
    }
}

/// A synthetic project as compact records.
pub fn compact(seed: u64, intervals: usize) -> Compact {
    let mut b = CompactBuilder::new(ProjectId::new("P-SYNTH"));
    let _ = b.params(params());
    let mut sink = ToCompact(b);
    generate(seed, intervals, &mut sink);
    sink.0.finish()
}

/// A synthetic project as plain records.
pub fn records(seed: u64, intervals: usize) -> Records {
    let mut sink = ToRecords(Records {
        project: ProjectId::new("P-SYNTH"),
        params: params(),
        ..Records::default()
    });
    generate(seed, intervals, &mut sink);
    sink.0
}

/// The same project as flat arrays for the floor: per interval its session's planned start,
/// end and one break, and the check-in and check-out (seconds).
#[derive(Clone, Debug, Default)]
pub struct Flat {
    /// Session start per interval.
    pub start: Vec<i64>,
    /// Session end per interval.
    pub end: Vec<i64>,
    /// Break start per interval (equal to break end when none).
    pub break_start: Vec<i64>,
    /// Break end per interval.
    pub break_end: Vec<i64>,
    /// Check-ins.
    pub check_in: Vec<i64>,
    /// Check-outs.
    pub check_out: Vec<i64>,
}

struct ToFlat {
    flat: Flat,
    cur: (i64, i64, i64, i64),
}

impl Sink for ToFlat {
    fn session(
        &mut self,
        _id: &str,
        _training: &str,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        breaks: &[Break],
    ) {
        let at = |time: NaiveTime| tijdreg::calendar::brussels_unix(date, time).unwrap_or_default();
        let (bs, be) = breaks.first().map_or((0, 0), |b| (at(b.start), at(b.end)));
        self.cur = (at(start), at(end), bs, be);
    }
    fn participant(&mut self, _person: &str, _absent: bool) {}
    fn interval(&mut self, check_in: i64, check_out: i64) {
        let f = &mut self.flat;
        f.start.push(self.cur.0);
        f.end.push(self.cur.1);
        f.break_start.push(self.cur.2);
        f.break_end.push(self.cur.3);
        f.check_in.push(check_in);
        f.check_out.push(check_out);
    }
    fn entry(&mut self, _id: &str, _person: &str, _date: NaiveDate, _minutes: u32, _status: EntryStatus) {}
}

/// A synthetic project as flat arrays (the floor's input).
pub fn flat(seed: u64, intervals: usize) -> Flat {
    let mut sink = ToFlat {
        flat: Flat::default(),
        cur: (0, 0, 0, 0),
    };
    generate(seed, intervals, &mut sink);
    sink.flat
}

/// The floor: one flat pass, attended ∩ (planned − break), summed in seconds; no lines, no
/// rounding per line, no texts. What any counting must at least do.
pub fn floor(f: &Flat) -> i64 {
    let mut total = 0i64;
    let n = f.check_in.len();
    for i in 0..n {
        let (s, e, bs, be, ci, co) = (
            f.start[i],
            f.end[i],
            f.break_start[i],
            f.break_end[i],
            f.check_in[i],
            f.check_out[i],
        );
        let a = ci.max(s);
        let b = co.min(e);
        let inside = (b - a).max(0);
        let in_break = (b.min(be) - a.max(bs)).max(0);
        total += inside - in_break;
    }
    total
}

/// Days since a date, for tests that need several dates.
pub fn days_after(d: NaiveDate, n: i64) -> NaiveDate {
    d + Duration::days(n)
}

/// A synthetic call as tables, the shape a back office exports (`docs/records.md`,
/// "Columns"): the project is cut into about `projects` projects, each one cohort's sessions
/// over a run of days; persons
/// are a call-wide dictionary (a person id may recur in several projects); attendance rows
/// come session by session, but a participant's second interval (away and back) is appended
/// at the end of the table, as an export by registration time puts it.
#[derive(Clone, Debug, Default)]
pub struct CallTables {
    /// Project ids.
    pub projects: Vec<String>,
    /// Per session: its project.
    pub session_project: Vec<u32>,
    /// Session id, training, date, start, end.
    pub sessions: Vec<(String, String, NaiveDate, NaiveTime, NaiveTime)>,
    /// Breaks (session row, start, end).
    pub breaks: Vec<tijdreg::subsidy::columns::BreakRow>,
    /// The persons dictionary.
    pub persons: Vec<String>,
    /// Attendance: session row.
    pub session: Vec<u32>,
    /// Attendance: person code.
    pub person: Vec<u32>,
    /// Attendance: check-in.
    pub check_in: Vec<i64>,
    /// Attendance: check-out.
    pub check_out: Vec<i64>,
    /// Attendance: marked absent.
    pub absent: Vec<bool>,
    /// E-learning: id, person, date, minutes, status.
    pub elearning: Vec<(String, String, NaiveDate, u32, EntryStatus)>,
    /// Per e-learning entry: its session's project (the last session made before it).
    pub elearning_session: Vec<u32>,
    /// The call's parameters.
    pub params: DatedParams,
    /// Attendance rows appended at the end (second intervals), moved there when finished.
    tail: Vec<(u32, u32, i64, i64)>,
    code: std::collections::HashMap<String, u32>,
    intervals_of_participant: u32,
}

impl CallTables {
    /// The number of attendance intervals (rows with instants).
    pub fn interval_count(&self) -> usize {
        self.check_in
            .iter()
            .filter(|&&x| x != tijdreg::subsidy::columns::NO_INSTANT)
            .count()
    }

    /// Borrowed as the core's [`tijdreg::subsidy::columns::CallColumns`], handed to `f`.
    pub fn with_columns<R>(&self, f: impl FnOnce(&tijdreg::subsidy::columns::CallColumns<'_>) -> R) -> R {
        use tijdreg::subsidy::columns::{Attendance, CallColumns, Columns, ElearningRow, SessionRow};
        let sessions: Vec<SessionRow<'_>> = self
            .sessions
            .iter()
            .map(|(id, training, date, start, end)| SessionRow {
                id,
                training,
                date: *date,
                start: *start,
                end: *end,
                status: SessionStatus::Executed,
            })
            .collect();
        let persons: Vec<&str> = self.persons.iter().map(String::as_str).collect();
        let projects: Vec<&str> = self.projects.iter().map(String::as_str).collect();
        let elearning: Vec<ElearningRow<'_>> = self
            .elearning
            .iter()
            .map(|(id, person, date, minutes, status)| ElearningRow {
                id,
                person,
                training: "T-EL",
                date: *date,
                minutes: *minutes,
                start: None,
                status: *status,
            })
            .collect();
        let elearning_project: Vec<u32> = self
            .elearning_session
            .iter()
            .map(|&s| self.session_project.get(s as usize).copied().unwrap_or(0))
            .collect();
        let call = CallColumns {
            projects: &projects,
            session_project: &self.session_project,
            elearning_project: &elearning_project,
            columns: Columns {
                project: "",
                params: &self.params,
                closures: &[],
                sessions: &sessions,
                breaks: &self.breaks,
                persons: &persons,
                attendance: Attendance {
                    session: &self.session,
                    person: &self.person,
                    check_in: &self.check_in,
                    check_out: &self.check_out,
                    late: None,
                    clock_suspect: None,
                    absent: Some(&self.absent),
                },
                elearning: &elearning,
            },
        };
        f(&call)
    }
}

impl Sink for CallTables {
    fn session(
        &mut self,
        id: &str,
        training: &str,
        date: NaiveDate,
        start: NaiveTime,
        end: NaiveTime,
        breaks: &[Break],
    ) {
        let row = self.sessions.len() as u32;
        self.sessions.push((id.into(), training.into(), date, start, end));
        for b in breaks {
            self.breaks.push(tijdreg::subsidy::columns::BreakRow {
                session: row,
                start: b.start,
                end: b.end,
            });
        }
    }
    fn participant(&mut self, person: &str, absent: bool) {
        let next = self.persons.len() as u32;
        let code = *self.code.entry(person.to_owned()).or_insert(next);
        if code == next {
            self.persons.push(person.to_owned());
        }
        self.session.push(self.sessions.len().saturating_sub(1) as u32);
        self.person.push(code);
        self.check_in.push(tijdreg::subsidy::columns::NO_INSTANT);
        self.check_out.push(tijdreg::subsidy::columns::NO_INSTANT);
        self.absent.push(absent);
        self.intervals_of_participant = 0;
    }
    fn interval(&mut self, check_in: i64, check_out: i64) {
        self.intervals_of_participant += 1;
        if self.intervals_of_participant == 1 {
            if let (Some(ci), Some(co)) = (self.check_in.last_mut(), self.check_out.last_mut()) {
                *ci = check_in;
                *co = check_out;
            }
        } else if let (Some(&s), Some(&p)) = (self.session.last(), self.person.last()) {
            self.tail.push((s, p, check_in, check_out));
        }
    }
    fn entry(&mut self, id: &str, person: &str, date: NaiveDate, minutes: u32, status: EntryStatus) {
        self.elearning.push((id.into(), person.into(), date, minutes, status));
        self.elearning_session
            .push(self.sessions.len().saturating_sub(1) as u32);
    }
}

/// A synthetic call of about `intervals` attendance intervals in `projects` projects.
pub fn call_tables(seed: u64, intervals: usize, projects: usize) -> CallTables {
    let mut t = CallTables {
        params: params(),
        ..CallTables::default()
    };
    generate(seed, intervals, &mut t);
    for (s, p, ci, co) in std::mem::take(&mut t.tail) {
        t.session.push(s);
        t.person.push(p);
        t.check_in.push(ci);
        t.check_out.push(co);
        t.absent.push(false);
    }
    // The generator makes, day after day, a morning and an afternoon session per cohort: a
    // project is one cohort's sessions over a run of days (its people meet again and again).
    let first = t.sessions.first().map(|s| s.2);
    let per_day = t.sessions.iter().take_while(|s| Some(s.2) == first).count().max(1);
    let cohorts = (per_day / 2).max(1);
    let days = t.sessions.len().div_ceil(per_day).max(1);
    let cohort_days = cohorts * days;
    let days_per_project = cohort_days.div_ceil(projects.max(1)).clamp(1, days);
    let blocks = days.div_ceil(days_per_project);
    let mut dense = std::collections::HashMap::new();
    t.session_project = (0..t.sessions.len())
        .map(|s| {
            let (day, cohort) = (s / per_day, (s % per_day) / 2);
            let key = cohort * blocks + day / days_per_project;
            let next = dense.len() as u32;
            *dense.entry(key).or_insert(next)
        })
        .collect();
    t.projects = (0..dense.len()).map(|p| format!("P-{p:05}")).collect();
    t
}
