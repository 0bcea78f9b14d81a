//! Plain records as columns (`docs/records.md`, "Columns"): what a back office holds as
//! DataFrames or parquet files — one table of sessions, one of attendance rows, one of
//! e-learning entries — turned into the kernel's [`Compact`] form in one pass, with the same
//! checks as the JSON records (SUB, ATT-1, SES-1, AUD-3). Bindings pass Arrow columns here
//! without building a row object per interval.
//!
//! Attendance rows may come in any order: they are grouped by session and person here (one
//! sort of row indices). A participant who never checked in is a row without instants.
//! Errors name the table, the row and the column: `attendance[1234].check_out`.
//!
//! ```
//! use tijdreg::subsidy::columns::{Attendance, Columns, NO_INSTANT, SessionRow, compact_from_columns};
//! use tijdreg::session::SessionStatus;
//! use chrono::{NaiveDate, NaiveTime};
//!
//! let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
//! let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
//! let sessions = [SessionRow { id: "S-1", training: "T-1", date: day, start: t(9), end: t(12), status: SessionStatus::Executed }];
//! let persons = ["p-ann", "p-bart"];
//! // Ann 08:55–12:00 Brussels; Bart never came (a row without instants).
//! let attendance = Attendance {
//!     session: &[0, 0],
//!     person: &[0, 1],
//!     check_in: &[1_772_438_100, NO_INSTANT],
//!     check_out: &[1_772_449_200, NO_INSTANT],
//!     late: None,
//!     clock_suspect: None,
//!     absent: None,
//! };
//! let params = Default::default();
//! let c = compact_from_columns(&Columns {
//!     project: "P-1", params: &params, closures: &[], sessions: &sessions, breaks: &[],
//!     persons: &persons, attendance, elearning: &[],
//! })?;
//! let r = tijdreg::subsidy::report_compact(&c, "2026-03-10T12:00:00Z".parse().unwrap())?;
//! assert_eq!(r.realised.counted_minutes, 180);
//! # Ok::<(), tijdreg::Error>(())
//! ```

use super::compact::{CInterval, Compact, CompactBuilder, PersonCode};
use super::idhash::IdHashState;
use crate::elearning::EntryStatus;
use crate::error::Error;
use crate::params::DatedParams;
use crate::session::{Break, SessionStatus};
use chrono::{NaiveDate, NaiveTime};
use std::collections::HashMap;

/// One session (a row of the sessions table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionRow<'a> {
    /// Session id.
    pub id: &'a str,
    /// Training id.
    pub training: &'a str,
    /// Brussels date.
    pub date: NaiveDate,
    /// Local start.
    pub start: NaiveTime,
    /// Local end.
    pub end: NaiveTime,
    /// Status (SUB-3).
    pub status: SessionStatus,
}

/// A planned break (a row of the breaks table): the index of its session in the sessions
/// table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakRow {
    /// Row of the session in the sessions table.
    pub session: u32,
    /// Local start.
    pub start: NaiveTime,
    /// Local end.
    pub end: NaiveTime,
}

/// The attendance table, column by column (all of one length).
#[derive(Clone, Copy, Debug)]
pub struct Attendance<'a> {
    /// Row of the session in the sessions table.
    pub session: &'a [u32],
    /// Index into the persons dictionary.
    pub person: &'a [u32],
    /// Check-in, seconds since the epoch; [`NO_INSTANT`] for a participant who never
    /// checked in (Arrow's int64 column with its nulls filled so: 8 bytes a row, no copy).
    pub check_in: &'a [i64],
    /// Check-out, seconds since the epoch; [`NO_INSTANT`] with a check-in of none.
    pub check_out: &'a [i64],
    /// Registered late inside a correction window (SUB-3); default false.
    pub late: Option<&'a [bool]>,
    /// From an offline scan with a suspect device clock (ATT-6); default false.
    pub clock_suspect: Option<&'a [bool]>,
    /// Marked absent (ATT-5); default false.
    pub absent: Option<&'a [bool]>,
}

/// A check-in or check-out of none in [`Attendance`] (a row without instants).
pub const NO_INSTANT: i64 = i64::MIN;

/// Row `i`'s instant of an attendance column; none for [`NO_INSTANT`] (or no such row).
fn instant(col: &[i64], i: usize) -> Option<i64> {
    col.get(i).copied().filter(|&x| x != NO_INSTANT)
}

/// Row `i` of an optional flag column of [`Attendance`]; false without the column.
fn flag(col: Option<&[bool]>, i: usize) -> bool {
    col.and_then(|c| c.get(i)).copied().unwrap_or(false)
}

/// An e-learning entry (a row of the e-learning table, SUB-7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElearningRow<'a> {
    /// Entry id.
    pub id: &'a str,
    /// Person.
    pub person: &'a str,
    /// Training.
    pub training: &'a str,
    /// Day.
    pub date: NaiveDate,
    /// Minutes.
    pub minutes: u32,
    /// Optional local start.
    pub start: Option<NaiveTime>,
    /// Status.
    pub status: EntryStatus,
}

fn at_row(table: &str, row: usize, e: Error) -> Error {
    match e {
        Error::InvalidRecord {
            path,
            reason,
            reason_nl,
            rule,
        } => {
            // Keep the column the builder named (the last segment of its path).
            let column = path.rsplit('.').next().unwrap_or("").to_owned();
            Error::InvalidRecord {
                path: format!("{table}[{row}].{column}"),
                reason,
                reason_nl,
                rule,
            }
        }
        Error::InvalidId {
            field,
            reason,
            reason_nl,
            rule,
        } => {
            let column = field.rsplit('.').next().unwrap_or("").to_owned();
            Error::InvalidId {
                field: format!("{table}[{row}].{column}"),
                reason,
                reason_nl,
                rule,
            }
        }
        other => other,
    }
}

fn bad_column(table: &str, column: &str, en: &str, nl: &str) -> Error {
    Error::invalid(format!("{table}.{column}: {en}"), format!("{table}.{column}: {nl}"))
}

/// The attendance table's row count, which row indices (`u32`) must hold (hosts that number
/// rows before calling [`compact_from_columns`] or [`each_project`] check with it too).
///
/// # Errors
/// [`Error::InvalidInput`] for more rows than a `u32` holds.
pub fn attendance_rows(n: usize) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| {
        bad_column(
            "attendance",
            "*",
            "at most 4294967295 rows",
            "hoogstens 4294967295 rijen",
        )
    })
}

/// One project's records as tables.
#[derive(Clone, Copy, Debug)]
pub struct Columns<'a> {
    /// The project id.
    pub project: &'a str,
    /// The call's dated parameters (ORG-3).
    pub params: &'a DatedParams,
    /// The call's closure dates (DL-3; hashed in the receipt).
    pub closures: &'a [NaiveDate],
    /// Sessions.
    pub sessions: &'a [SessionRow<'a>],
    /// Planned breaks.
    pub breaks: &'a [BreakRow],
    /// The persons the attendance table's `person` column indexes.
    pub persons: &'a [&'a str],
    /// Attendance rows.
    pub attendance: Attendance<'a>,
    /// E-learning entries.
    pub elearning: &'a [ElearningRow<'a>],
}

/// The compact records of one project from columns (see the module example).
///
/// # Errors
/// [`Error::InvalidRecord`] or [`Error::InvalidId`] naming the table, row and column of the
/// first bad value and the rule it breaks; [`Error::InvalidParameter`] for a parameter out of
/// range; [`Error::InvalidInput`] for columns of different lengths or an index outside its
/// table.
pub fn compact_from_columns(c: &Columns<'_>) -> Result<Compact, Error> {
    let attendance = &c.attendance;
    let n = same_lengths(attendance)?;
    for (row, (&s, &p)) in attendance.session.iter().zip(attendance.person).enumerate() {
        if s as usize >= c.sessions.len() {
            return Err(no_session_row("attendance", row));
        }
        if p as usize >= c.persons.len() {
            return Err(no_person_entry(row));
        }
    }
    attendance_rows(n)?;
    // Each session's rows in the builder's order, a person's key being their dictionary entry:
    // in table order when the table is already so grouped, else grouped by a sort.
    let mut first: Vec<u32> = Vec::with_capacity(c.sessions.len().saturating_add(1));
    let mut rows: Vec<(u32, u32)> = Vec::with_capacity(n);
    let person = |i: usize| attendance.person.get(i).copied().unwrap_or(0);
    match grouped(attendance, c.persons.len(), c.sessions.len()) {
        Some(starts) => {
            for (s, &k) in starts.iter().enumerate() {
                first.push(rows.len() as u32);
                if k == u32::MAX {
                    continue;
                }
                let mut i = k as usize;
                while attendance.session.get(i).is_some_and(|&x| x as usize == s) {
                    rows.push((i as u32, person(i)));
                    i = i.saturating_add(1);
                }
            }
        }
        None => {
            let (starts, order) = bucket_rows(n, c.sessions.len(), |i| {
                attendance.session.get(i).map_or(usize::MAX, |&s| s as usize)
            });
            rows.extend(order.iter().map(|&i| (i, person(i as usize))));
            let (mut keyed, mut marks) = (Vec::new(), Marks::default());
            for w in starts.windows(2) {
                if let [a, b] = *w {
                    first.push(a);
                    by_person(
                        attendance,
                        rows.get_mut(a as usize..b as usize).unwrap_or(&mut []),
                        &mut keyed,
                        &mut marks,
                    );
                }
            }
        }
    }
    first.push(rows.len() as u32);
    build(
        c,
        &Grouped {
            first: &first,
            rows: &rows,
        },
    )
}

/// Every attendance column of one length: that length.
fn same_lengths(a: &Attendance<'_>) -> Result<usize, Error> {
    let n = a.session.len();
    let same = |len: usize| len == n;
    if same(a.person.len())
        && same(a.check_in.len())
        && same(a.check_out.len())
        && a.late.is_none_or(|c| same(c.len()))
        && a.clock_suspect.is_none_or(|c| same(c.len()))
        && a.absent.is_none_or(|c| same(c.len()))
    {
        Ok(n)
    } else {
        Err(bad_column(
            "attendance",
            "*",
            "every column has one value per row",
            "elke kolom heeft één waarde per rij",
        ))
    }
}

fn no_session_row(table: &str, row: usize) -> Error {
    bad_column(
        table,
        &format!("session (row {row})"),
        "names no row of the sessions table",
        "verwijst naar geen rij van de sessietabel",
    )
}

fn no_person_entry(row: usize) -> Error {
    bad_column(
        "attendance",
        &format!("person (row {row})"),
        "names no entry of the persons dictionary",
        "verwijst naar geen element van het personenwoordenboek",
    )
}

/// Persons met in the session being grouped ([`by_person`]): `seen[key] == stamp` once a
/// person's rows of it were passed. A new stamp per session, so that nothing is cleared.
#[derive(Default)]
struct Marks {
    seen: Vec<u32>,
    stamp: u32,
}

/// Whether a session's rows already have each person's rows together and in check-in order
/// (persons in any order), as the builder takes them: one pass, a mark per person.
fn grouped_as_is(a: &Attendance<'_>, rows: &[(u32, u32)], marks: &mut Marks) -> bool {
    marks.stamp = marks.stamp.wrapping_add(1);
    if marks.stamp == 0 {
        marks.seen.fill(0);
        marks.stamp = 1;
    }
    let stamp = marks.stamp;
    let mut prev: Option<(u32, i64)> = None;
    for &(row, person) in rows {
        let t = a.check_in.get(row as usize).copied().unwrap_or(NO_INSTANT);
        match prev {
            Some((p, pt)) if p == person => {
                if t < pt {
                    return false;
                }
            }
            _ => {
                let k = person as usize;
                if k >= marks.seen.len() {
                    marks.seen.resize(k.saturating_add(1), 0);
                }
                let Some(slot) = marks.seen.get_mut(k) else {
                    return false;
                };
                if *slot == stamp {
                    // Their rows were interrupted by another person's.
                    return false;
                }
                *slot = stamp;
            }
        }
        prev = Some((person, t));
    }
    true
}

/// A session's rows with each person's rows together and by check-in (no instants first):
/// left in table order when they already are so (nearly always), else ordered by person key,
/// then check-in. `keyed` and `marks` are scratch, reused.
fn by_person(a: &Attendance<'_>, rows: &mut [(u32, u32)], keyed: &mut Vec<(u32, i64, u32)>, marks: &mut Marks) {
    if grouped_as_is(a, rows, marks) {
        return;
    }
    // Each row's key read once.
    keyed.clear();
    keyed.extend(
        rows.iter()
            .map(|r| (r.1, a.check_in.get(r.0 as usize).copied().unwrap_or(NO_INSTANT), r.0)),
    );
    keyed.sort_unstable();
    for (r, &(person, _, row)) in rows.iter_mut().zip(keyed.iter()) {
        *r = (row, person);
    }
}

/// One project's attendance rows as the builder takes them: for session `s` of the
/// project's sessions table, `rows[first[s]..first[s + 1]]`, each `(row of the attendance
/// table, person key)` — a person's rows together and by check-in; the key indexes the
/// persons dictionary (two keys may hold one id).
struct Grouped<'g> {
    first: &'g [u32],
    rows: &'g [(u32, u32)],
}

/// The compact records of one project: `c`'s sessions (by which its breaks name them), its
/// e-learning entries, and the attendance rows as `g` groups them (`c.attendance` is read at
/// the rows `g` names, and errors name those rows). Rows and keys are in range (callers
/// check).
fn build(c: &Columns<'_>, g: &Grouped<'_>) -> Result<Compact, Error> {
    let (sessions, persons, attendance) = (c.sessions, c.persons, &c.attendance);
    let mut b = CompactBuilder::new(crate::ids::ProjectId::parse(c.project).map_err(|_| {
        crate::ids::check_id(c.project).map_or_else(
            |p| crate::ids::id_error("project", p),
            |()| crate::ids::id_error("project", crate::ids::IdProblem::Character),
        )
    })?);
    b.params(c.params.clone())?;
    b.closures(c.closures.iter().copied())?;
    b.reserve(sessions.len(), g.rows.len(), g.rows.len());
    b.reserve_persons(persons.len().min(g.rows.len()));
    // Breaks grouped by session (table order within one).
    for (row, br) in c.breaks.iter().enumerate() {
        if br.session as usize >= sessions.len() {
            return Err(no_session_row("breaks", row));
        }
    }
    let (b_first, b_order) = bucket_rows(c.breaks.len(), sessions.len(), |i| {
        c.breaks.get(i).map_or(usize::MAX, |x| x.session as usize)
    });
    let breaks: Vec<Break> = b_order
        .iter()
        .filter_map(|&i| c.breaks.get(i as usize))
        .map(|x| Break {
            start: x.start,
            end: x.end,
        })
        .collect();
    let span = |first: &[u32], s: usize| match (first.get(s), first.get(s.saturating_add(1))) {
        (Some(&a), Some(&b)) => a as usize..b as usize,
        _ => 0..0,
    };
    // Each key's person, once the builder has it: its id is checked and looked up at its
    // first row only.
    let mut code: Vec<Option<PersonCode>> = vec![None; persons.len()];
    // A person's intervals of a session, reused.
    let mut scratch: Vec<CInterval> = Vec::new();
    let at = |col: &[i64], i: usize| col.get(i).copied().unwrap_or(NO_INSTANT);
    for (s, row) in sessions.iter().enumerate() {
        let br = breaks.get(span(&b_first, s)).unwrap_or(&[]);
        b.session(row.id, row.training, row.date, row.start, row.end, br, row.status)
            .map_err(|e| at_row("sessions", s, e))?;
        let mut rows = g.rows.get(span(g.first, s)).unwrap_or(&[]);
        while let Some(&(_, person)) = rows.first() {
            // A person's rows of the session (together, as grouped).
            let n = rows.iter().position(|r| r.1 != person).unwrap_or(rows.len());
            let (mine, rest) = rows.split_at(n);
            rows = rest;
            // A person met before is added with their rows at once; the builder checks them as a
            // whole, and when any check fails the rows go one by one below, which names the row.
            if let Some(known) = code.get(person as usize).copied().flatten() {
                let mut absent = false;
                scratch.clear();
                for &(i, _) in mine {
                    let i = i as usize;
                    absent |= flag(attendance.absent, i);
                    let (ci, co) = (at(attendance.check_in, i), at(attendance.check_out, i));
                    // A row without instants is no interval; a row with one only is refused
                    // (ATT-1) one by one below: its marker lies outside every valid instant.
                    if ci != NO_INSTANT || co != NO_INSTANT {
                        scratch.push(CInterval {
                            check_in: ci,
                            check_out: co,
                            late: flag(attendance.late, i),
                            clock_suspect: flag(attendance.clock_suspect, i),
                        });
                    }
                }
                if b.participant_rows(known, absent, &scratch) {
                    continue;
                }
            }
            one_by_one(&mut b, c, mine, &mut code)?;
        }
    }
    for (row, e) in c.elearning.iter().enumerate() {
        b.entry(e.id, e.person, e.training, e.date, e.minutes, e.start, e.status)
            .map_err(|err| at_row("elearning", row, err))?;
    }
    Ok(b.finish())
}

/// A person's rows of the current session added one record at a time (their first rows in
/// the project, or rows that the builder refused as a whole): the first refusal names its row.
fn one_by_one(
    b: &mut CompactBuilder,
    c: &Columns<'_>,
    mine: &[(u32, u32)],
    code: &mut [Option<PersonCode>],
) -> Result<(), Error> {
    let (persons, attendance) = (c.persons, &c.attendance);
    let mut current: Option<u32> = None;
    for &(i, person) in mine {
        let i = i as usize;
        if current != Some(person) {
            let absent = flag(attendance.absent, i);
            let added = match code.get(person as usize).copied().flatten() {
                Some(known) => b.participant_again(known, absent),
                None => {
                    let name = persons.get(person as usize).copied().unwrap_or("");
                    let added = b.participant(name, absent);
                    if let Some(slot) = code.get_mut(person as usize) {
                        *slot = b.last_person();
                    }
                    added
                }
            };
            added.map_err(|e| at_row("attendance", i, e))?;
            current = Some(person);
        } else if flag(attendance.absent, i) {
            b.mark_absent();
        }
        match (instant(attendance.check_in, i), instant(attendance.check_out, i)) {
            (Some(ci), Some(co)) => b
                .interval_unix(ci, co, flag(attendance.late, i), flag(attendance.clock_suspect, i))
                .map_err(|e| at_row("attendance", i, e))?,
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => {
                return Err(Error::InvalidRecord {
                    path: format!("attendance[{i}].check_out"),
                    reason: "a check-in without a check-out (or the reverse): give both or neither".into(),
                    reason_nl: "een aanmelding zonder afmelding (of omgekeerd): geef beide of geen".into(),
                    rule: "ATT-1".into(),
                });
            }
        }
    }
    Ok(())
}

/// Row indices `0..n` grouped by a key in `0..buckets` (table order within a key), and where
/// each key's rows start (`buckets + 1` offsets): a counting sort. Rows whose key is out of
/// range are left out (callers check keys first).
fn bucket_rows(n: usize, buckets: usize, key: impl Fn(usize) -> usize) -> (Vec<u32>, Vec<u32>) {
    let first = bucket_starts(n, buckets, &key);
    let total = first.last().copied().unwrap_or(0);
    let mut fill = first.clone();
    let mut order = vec![0u32; total as usize];
    for i in 0..n {
        if let Some(at) = fill.get_mut(key(i)) {
            if let Some(slot) = order.get_mut(*at as usize) {
                *slot = i as u32;
            }
            *at = at.saturating_add(1);
        }
    }
    (first, order)
}

/// Where each key's rows start in [`bucket_rows`]' order (`buckets + 1` offsets, the last
/// the number of rows whose key is in range).
fn bucket_starts(n: usize, buckets: usize, key: impl Fn(usize) -> usize) -> Vec<u32> {
    let mut first = vec![0u32; buckets.saturating_add(1)];
    for i in 0..n {
        if let Some(x) = first.get_mut(key(i).saturating_add(1)) {
            *x = x.saturating_add(1);
        }
    }
    let mut total = 0u32;
    for x in &mut first {
        total = total.saturating_add(*x);
        *x = total;
    }
    first
}

/// Where each session's rows start when the rows in table order are already as the builder
/// takes them: each session's rows together (sessions in any order), each person's rows of a
/// session together and in check-in order (persons in any order); `u32::MAX` for a session
/// without rows. `None` otherwise (the rows are then sorted). One pass, a mark per person and
/// per session; rows naming no session or person are left to the builder's checks.
fn grouped(a: &Attendance<'_>, persons: usize, sessions: usize) -> Option<Vec<u32>> {
    const NONE: u32 = u32::MAX;
    let mut starts = vec![NONE; sessions];
    // The session in which each person's rows were last closed (another person came after).
    let mut closed = vec![NONE; persons];
    let key = |i: usize| {
        (
            a.session.get(i).copied().unwrap_or(0),
            a.person.get(i).copied().unwrap_or(0),
            a.check_in.get(i).copied().unwrap_or(NO_INSTANT),
        )
    };
    let mut prev: Option<(u32, u32, i64)> = None;
    for i in 0..a.session.len() {
        let (s, p, t) = key(i);
        let new_session = prev.is_none_or(|(ps, _, _)| ps != s);
        if new_session {
            // A session's block starts here; it must not have had one before.
            let start = starts.get_mut(s as usize)?;
            if *start != NONE {
                return None;
            }
            *start = u32::try_from(i).ok()?;
        }
        if let Some((ps, pp, pt)) = prev {
            if !new_session && p == pp && t < pt {
                return None;
            }
            if new_session || p != pp {
                // `pp`'s rows of `ps` are over; `p` must not have had rows of `s` before.
                if let Some(c) = closed.get_mut(pp as usize) {
                    *c = ps;
                }
                if closed.get(p as usize).copied() == Some(s) {
                    return None;
                }
            }
        }
        prev = Some((s, p, t));
    }
    Some(starts)
}

/// A whole call's records as tables: the sessions (and e-learning entries) say which project
/// they belong to; attendance and breaks follow their session. Projects are independent
/// (ADR 03): each is counted on its own.
#[derive(Clone, Copy, Debug)]
pub struct CallColumns<'a> {
    /// The project ids the `*_project` columns index.
    pub projects: &'a [&'a str],
    /// The project of each session (index into `projects`).
    pub session_project: &'a [u32],
    /// The project of each e-learning entry (index into `projects`).
    pub elearning_project: &'a [u32],
    /// The tables (their `project` field is not used).
    pub columns: Columns<'a>,
}

/// One [`Compact`] per project of a call's tables, in the order of `projects` (a project
/// without sessions or entries gets an empty one). [`each_project`] gives them one at a
/// time instead, without holding the whole call's compact records.
///
/// # Errors
/// As [`compact_from_columns`], the table and row named as in the whole call's tables.
pub fn compacts_by_project(c: &CallColumns<'_>) -> Result<Vec<Compact>, Error> {
    let mut out = Vec::with_capacity(c.projects.len());
    each_project(c, |_, compact| {
        out.push(compact);
        Ok(())
    })?;
    Ok(out)
}

/// Each project's [`Compact`] records in the order of `projects`, handed to `f` as soon as
/// they are built (its index and the records); an error of `f` stops the walk and is returned.
///
/// A call is split in one pass (attendance rows taken by project with a counting sort); each
/// project's rows are then gathered into buffers reused from project to project, and its
/// persons are matched by id within the project only (persons of different projects never
/// meet, ADR 03), so the work and memory per project follow the project, not the call.
///
/// ```
/// use tijdreg::subsidy::columns::{Attendance, CallColumns, Columns, SessionRow, each_project};
/// use tijdreg::session::SessionStatus;
/// use chrono::{NaiveDate, NaiveTime};
///
/// let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
/// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
/// let s = |id| SessionRow { id, training: "T-1", date: day, start: t(9), end: t(12), status: SessionStatus::Executed };
/// let sessions = [s("S-1"), s("S-2")];
/// // One row each: Ann in S-1 (project P-1), Ann in S-2 (project P-2), 09:00–12:00 Brussels.
/// let attendance = Attendance {
///     session: &[0, 1],
///     person: &[0, 0],
///     check_in: &[1_772_438_400, 1_772_438_400],
///     check_out: &[1_772_449_200, 1_772_449_200],
///     late: None,
///     clock_suspect: None,
///     absent: None,
/// };
/// let params = Default::default();
/// let call = CallColumns {
///     projects: &["P-1", "P-2"],
///     session_project: &[0, 1],
///     elearning_project: &[],
///     columns: Columns {
///         project: "", params: &params, closures: &[], sessions: &sessions, breaks: &[],
///         persons: &["p-ann"], attendance, elearning: &[],
///     },
/// };
/// let at = "2026-03-10T12:00:00Z".parse().unwrap();
/// let mut minutes = Vec::new();
/// each_project(&call, |_, c| {
///     minutes.push(tijdreg::subsidy::totals_compact(&c, at)?.realised.counted_minutes);
///     Ok(())
/// })?;
/// assert_eq!(minutes, [180, 180]);
/// # Ok::<(), tijdreg::Error>(())
/// ```
///
/// # Errors
/// As [`compacts_by_project`], or the first error of `f`.
pub fn each_project<F>(c: &CallColumns<'_>, f: F) -> Result<(), Error>
where
    F: FnMut(usize, Compact) -> Result<(), Error>,
{
    each_project_in(c, 0..c.projects.len(), f)
}

/// [`each_project`] for the projects `range` only (indices into `projects`; out of range ones
/// are none). The whole call's tables are still checked (an error outside the range that
/// [`compacts_by_project`] finds before reaching any project is found here too); an error of
/// a project outside the range is not. Hosts that split a call over threads by ranges make
/// the [`CallIndex`] once and share it instead: this makes one for the range.
///
/// # Errors
/// As [`each_project`].
pub fn each_project_in<F>(c: &CallColumns<'_>, range: std::ops::Range<usize>, f: F) -> Result<(), Error>
where
    F: FnMut(usize, Compact) -> Result<(), Error>,
{
    CallIndex::new(c)?.each_project_in(range, f)
}

/// A call's tables checked and grouped once (sessions, breaks and entries by project,
/// attendance rows by session: counting sorts), for any number of walks over ranges of its
/// projects. Hosts that count a call on several threads make it once and share it (it is
/// `Sync`); each thread walks its own range ([`CallIndex::each_project_in`]), so the call's
/// grouping is neither repeated per thread nor held per thread.
///
/// ```
/// use tijdreg::subsidy::columns::{Attendance, CallColumns, CallIndex, Columns, SessionRow};
/// use tijdreg::session::SessionStatus;
/// use chrono::{NaiveDate, NaiveTime};
///
/// let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
/// let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
/// let s = |id| SessionRow { id, training: "T-1", date: day, start: t(9), end: t(12), status: SessionStatus::Executed };
/// let sessions = [s("S-1"), s("S-2")];
/// let attendance = Attendance {
///     session: &[0, 1],
///     person: &[0, 0],
///     check_in: &[1_772_438_400, 1_772_438_400],
///     check_out: &[1_772_449_200, 1_772_449_200],
///     late: None,
///     clock_suspect: None,
///     absent: None,
/// };
/// let params = Default::default();
/// let call = CallColumns {
///     projects: &["P-1", "P-2"],
///     session_project: &[0, 1],
///     elearning_project: &[],
///     columns: Columns {
///         project: "", params: &params, closures: &[], sessions: &sessions, breaks: &[],
///         persons: &["p-ann"], attendance, elearning: &[],
///     },
/// };
/// let at = "2026-03-10T12:00:00Z".parse().unwrap();
/// let index = CallIndex::new(&call)?;
/// // Two threads, a project each, sharing the index.
/// let minutes = std::thread::scope(|scope| {
///     let walk = |range: std::ops::Range<usize>| {
///         let index = &index;
///         scope.spawn(move || {
///             let mut m = Vec::new();
///             index.each_project_in(range, |_, c| {
///                 m.push(tijdreg::subsidy::totals_compact(&c, at)?.realised.counted_minutes);
///                 Ok(())
///             })?;
///             Ok::<_, tijdreg::Error>(m)
///         })
///     };
///     let (a, b) = (walk(0..1), walk(1..2));
///     Ok::<_, tijdreg::Error>([a.join().unwrap()?, b.join().unwrap()?].concat())
/// })?;
/// assert_eq!(minutes, [180, 180]);
/// # Ok::<(), tijdreg::Error>(())
/// ```
pub struct CallIndex<'c> {
    call: &'c CallColumns<'c>,
    /// The sessions by project (table order within one), and their rows in the whole table:
    /// project `p`'s are `sessions[p_sessions[p]..p_sessions[p + 1]]`.
    p_sessions: Vec<u32>,
    sessions: Vec<SessionRow<'c>>,
    session_rows: Vec<u32>,
    /// The breaks by project, each naming its session's row within the project.
    p_breaks: Vec<u32>,
    breaks: Vec<BreakRow>,
    /// Attendance rows by session (table order within one): session `s`'s rows are
    /// `by_session[s_first[s]..s_first[s + 1]]`; `None` when the table already lists them so
    /// (each session's rows together, sessions in the sessions table's order): they are then
    /// the rows `s_first[s]..s_first[s + 1]` themselves.
    s_first: Vec<u32>,
    by_session: Option<Vec<u32>>,
    /// The e-learning entries by project.
    p_entries: Vec<u32>,
    entries: Vec<ElearningRow<'c>>,
}

impl<'c> CallIndex<'c> {
    /// Checks the call's tables as a whole (every session and entry names a project, every
    /// break and attendance row a session, every attendance row a person, the attendance
    /// columns are of one length) and groups them.
    ///
    /// # Errors
    /// [`Error::InvalidRecord`] naming the table, column and row, as [`each_project`].
    pub fn new(c: &'c CallColumns<'c>) -> Result<CallIndex<'c>, Error> {
        let cols = &c.columns;
        let p_count = c.projects.len();
        if c.session_project.len() != cols.sessions.len() || c.elearning_project.len() != cols.elearning.len() {
            return Err(bad_column(
                "sessions",
                "project",
                "every session and entry names its project",
                "elke sessie en registratie noemt haar project",
            ));
        }
        let project_of = |p: u32, table: &str, row: usize| -> Result<usize, Error> {
            let p = p as usize;
            if p < p_count {
                Ok(p)
            } else {
                Err(bad_column(
                    table,
                    &format!("project (row {row})"),
                    "names no project",
                    "verwijst naar geen project",
                ))
            }
        };
        // Sessions by project (a counting sort: table order within a project), and each
        // session's project and row within it.
        for (row, &p) in c.session_project.iter().enumerate() {
            project_of(p, "sessions", row)?;
        }
        let (p_sessions, session_rows) = bucket_rows(cols.sessions.len(), p_count, |i| {
            c.session_project.get(i).map_or(usize::MAX, |&p| p as usize)
        });
        let mut local = vec![(0usize, 0u32); cols.sessions.len()];
        for (p, w) in p_sessions.windows(2).enumerate() {
            if let [from, to] = *w {
                for (k, &row) in session_rows
                    .get(from as usize..to as usize)
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                {
                    if let Some(x) = local.get_mut(row as usize) {
                        *x = (p, k as u32);
                    }
                }
            }
        }
        let sessions: Vec<SessionRow<'c>> = session_rows
            .iter()
            .filter_map(|&row| cols.sessions.get(row as usize).copied())
            .collect();
        let owner = |s: u32, table: &str, row: usize| -> Result<(usize, u32), Error> {
            local.get(s as usize).copied().ok_or_else(|| no_session_row(table, row))
        };
        for (row, b) in cols.breaks.iter().enumerate() {
            owner(b.session, "breaks", row)?;
        }
        let (p_breaks, b_order) = bucket_rows(cols.breaks.len(), p_count, |i| {
            cols.breaks
                .get(i)
                .and_then(|b| local.get(b.session as usize))
                .map_or(usize::MAX, |x| x.0)
        });
        let breaks: Vec<BreakRow> = b_order
            .iter()
            .filter_map(|&i| cols.breaks.get(i as usize))
            .map(|b| BreakRow {
                session: local.get(b.session as usize).map_or(0, |x| x.1),
                ..*b
            })
            .collect();
        let a = &cols.attendance;
        let n = same_lengths(a)?;
        attendance_rows(n)?;
        // Whether the rows come session by session in the sessions table's order (as exports
        // sorted by session do), checked as the rows are.
        let mut in_order = true;
        let mut prev = 0u32;
        for (i, (&s, &g)) in a.session.iter().zip(a.person).enumerate() {
            owner(s, "attendance", i)?;
            if g as usize >= cols.persons.len() {
                return Err(no_person_entry(i));
            }
            in_order &= s >= prev;
            prev = s;
        }
        // Attendance rows by session, in table order within a session: where each session's
        // rows start, and (unless they are in order already) which rows they are.
        let session_of = |i: usize| a.session.get(i).map_or(usize::MAX, |&s| s as usize);
        let (s_first, by_session) = if in_order {
            (bucket_starts(n, cols.sessions.len(), session_of), None)
        } else {
            let (first, order) = bucket_rows(n, cols.sessions.len(), session_of);
            (first, Some(order))
        };
        for (row, &p) in c.elearning_project.iter().enumerate() {
            project_of(p, "elearning", row)?;
        }
        let (p_entries, e_order) = bucket_rows(cols.elearning.len(), p_count, |i| {
            c.elearning_project.get(i).map_or(usize::MAX, |&p| p as usize)
        });
        let entries: Vec<ElearningRow<'c>> = e_order
            .iter()
            .filter_map(|&i| cols.elearning.get(i as usize).copied())
            .collect();
        Ok(CallIndex {
            call: c,
            p_sessions,
            sessions,
            session_rows,
            p_breaks,
            breaks,
            s_first,
            by_session,
            p_entries,
            entries,
        })
    }

    /// [`each_project_in`] on the index: the projects `range` (indices into the call's
    /// `projects`; out of range ones are none), in order, each built and handed to `f` as
    /// soon as it is (an error of `f` stops the walk). Threads sharing the index walk
    /// disjoint ranges.
    ///
    /// # Errors
    /// As [`each_project`], for the projects of `range`; or the first error of `f`.
    pub fn each_project_in<F>(&self, range: std::ops::Range<usize>, mut f: F) -> Result<(), Error>
    where
        F: FnMut(usize, Compact) -> Result<(), Error>,
    {
        let c = self.call;
        let cols = &c.columns;
        let a = &cols.attendance;
        let (s_first, by_session) = (&self.s_first, &self.by_session);
        let span = |first: &[u32], k: usize| match (first.get(k), first.get(k.saturating_add(1))) {
            (Some(&a), Some(&b)) => a as usize..b as usize,
            _ => 0..0,
        };
        // One project's grouping and persons, reused from project to project.
        const NONE: u32 = u32::MAX;
        let mut first: Vec<u32> = Vec::new();
        let mut rows: Vec<(u32, u32)> = Vec::new();
        let mut persons: Vec<&str> = Vec::new();
        let mut code: HashMap<&str, u32, IdHashState> = HashMap::default();
        // Per entry of the call's persons dictionary, its person's key in this project (`NONE`
        // until met); `met` lists the entries to reset for the next project.
        let mut key_of: Vec<u32> = vec![NONE; cols.persons.len()];
        let mut met: Vec<u32> = Vec::new();
        let (mut keyed, mut marks) = (Vec::new(), Marks::default());
        for (p, project) in c.projects.iter().enumerate() {
            if !range.contains(&p) {
                continue;
            }
            first.clear();
            rows.clear();
            persons.clear();
            code.clear();
            for g in met.drain(..) {
                if let Some(x) = key_of.get_mut(g as usize) {
                    *x = NONE;
                }
            }
            for &gs in self.session_rows.get(span(&self.p_sessions, p)).unwrap_or(&[]) {
                let from = rows.len();
                first.push(from as u32);
                let mine = span(s_first, gs as usize);
                // The session's rows: as listed, or (in order already) the span itself.
                let (listed, in_table) = match by_session {
                    Some(order) => (order.get(mine).unwrap_or(&[]), 0..0),
                    None => (&[][..], mine.start as u32..mine.end as u32),
                };
                for i in listed.iter().copied().chain(in_table) {
                    // A dictionary entry is matched by id once per project (two entries may hold
                    // the same id: they are one person).
                    let g = a.person.get(i as usize).copied().unwrap_or(0);
                    let key = match key_of.get(g as usize).copied() {
                        Some(k) if k != NONE => k,
                        _ => {
                            let name = cols.persons.get(g as usize).copied().unwrap_or("");
                            let next = u32::try_from(persons.len()).unwrap_or(NONE);
                            let k = *code.entry(name).or_insert_with(|| {
                                persons.push(name);
                                next
                            });
                            if let Some(x) = key_of.get_mut(g as usize) {
                                *x = k;
                            }
                            met.push(g);
                            k
                        }
                    };
                    rows.push((i, key));
                }
                by_person(a, rows.get_mut(from..).unwrap_or(&mut []), &mut keyed, &mut marks);
            }
            first.push(rows.len() as u32);
            let one = Columns {
                project,
                params: cols.params,
                closures: cols.closures,
                sessions: self.sessions.get(span(&self.p_sessions, p)).unwrap_or(&[]),
                breaks: self.breaks.get(span(&self.p_breaks, p)).unwrap_or(&[]),
                persons: &persons,
                attendance: *a,
                elearning: self.entries.get(span(&self.p_entries, p)).unwrap_or(&[]),
            };
            let compact = build(
                &one,
                &Grouped {
                    first: &first,
                    rows: &rows,
                },
            )
            .map_err(|e| in_project(project, e))?;
            f(p, compact)?;
        }
        Ok(())
    }
}

/// An error of one project's tables, saying which project (rows are numbered as in the
/// whole call's tables).
fn in_project(project: &str, e: Error) -> Error {
    match e {
        Error::InvalidRecord {
            path,
            reason,
            reason_nl,
            rule,
        } => Error::InvalidRecord {
            path: format!("{path} (project {project})"),
            reason,
            reason_nl,
            rule,
        },
        Error::InvalidId {
            field,
            reason,
            reason_nl,
            rule,
        } => Error::InvalidId {
            field: format!("{field} (project {project})"),
            reason,
            reason_nl,
            rule,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{
        Attendance, CallColumns, CallIndex, Columns, NO_INSTANT, SessionRow, compact_from_columns, each_project,
        grouped,
    };
    use crate::session::SessionStatus;
    use chrono::{NaiveDate, NaiveTime};

    /// Session `id` of 09:00–12:00 on `d` March 2026.
    fn march(id: &str, d: u32) -> SessionRow<'_> {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        SessionRow {
            id,
            training: "T-1",
            date: NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or(NaiveDate::MIN),
            start: t(9),
            end: t(12),
            status: SessionStatus::Executed,
        }
    }

    /// 09:00 Brussels on `d` March 2026 (2026-03-02T09:00 Brussels is 08:00Z).
    fn nine(d: i64) -> i64 {
        d.saturating_sub(2).saturating_mul(86_400).saturating_add(1_772_438_400)
    }

    /// One project's records from `sessions`, `persons` and attendance columns.
    fn records(
        sessions: &[SessionRow<'_>],
        persons: &[&str],
        (session, person): (&[u32], &[u32]),
        (check_in, check_out): (&[i64], &[i64]),
    ) -> Result<super::Compact, crate::Error> {
        let params = Default::default();
        compact_from_columns(&Columns {
            project: "P-1",
            params: &params,
            closures: &[],
            sessions,
            breaks: &[],
            persons,
            attendance: Attendance {
                session,
                person,
                check_in,
                check_out,
                late: None,
                clock_suspect: None,
                absent: None,
            },
            elearning: &[],
        })
    }

    /// Two sessions of 09:00–12:00 on 2 and 3 March 2026; Ann in both, her rows of the second
    /// (rows 1..) given by `second`: (check-in, check-out) as seconds from 09:00 that day.
    fn two_sessions(second: &[(i64, i64)]) -> Result<super::Compact, crate::Error> {
        let at = |d, x: i64| if x == NO_INSTANT { x } else { nine(d).saturating_add(x) };
        let mut session = vec![0];
        let mut check_in = vec![nine(2)];
        let mut check_out = vec![nine(2).saturating_add(10_800)];
        for &(a, b) in second {
            session.push(1);
            check_in.push(at(3, a));
            check_out.push(at(3, b));
        }
        let person = vec![0; session.len()];
        records(
            &[march("S-1", 2), march("S-2", 3)],
            &["p-ann"],
            (&session, &person),
            (&check_in, &check_out),
        )
    }

    #[test]
    fn att_1_aud_3_a_known_persons_bad_row_is_named_as_a_new_persons() {
        // Ann's rows of the second session are added as a whole (she was met in the first);
        // a bad one among them is still refused naming its row, column and rule.
        let ok = two_sessions(&[(0, 3_600), (5_400, 10_800)]).map(|c| c.interval_count());
        assert_eq!(ok.ok(), Some(3));
        let far = 5_000_000_000;
        type Case<'a> = (&'a [(i64, i64)], &'a str, &'a str);
        let cases: [Case<'_>; 5] = [
            (&[(0, 3_600), (5_400, NO_INSTANT)], "attendance[2].check_out", "ATT-1"),
            (&[(0, 3_600), (5_400, 3_600)], "attendance[2].check_out", "ATT-1"),
            (&[(0, 3_600), (NO_INSTANT, NO_INSTANT), (0, 0)], "attendance[3]", ""),
            (&[(0, 3_600), (0, far)], "attendance[2].check_out", "AUD-3"),
            (&[(0, 3_600), (-far, 0)], "attendance[2].check_in", "AUD-3"),
        ];
        // A known person's only row of the session is a bad one (the group checked as a whole
        // is that row alone).
        let alone = two_sessions(&[(5_400, 3_600)]).err().map(|e| e.rule().to_owned());
        assert_eq!(alone.as_deref(), Some("ATT-1"));
        for (rows, path, rule) in cases {
            match two_sessions(rows) {
                Err(e) if rule.is_empty() => panic!("{path}: refused {}", e.message_en()),
                Err(e) => {
                    assert!(e.message_en().contains(path), "{path}: {}", e.message_en());
                    assert_eq!(e.rule(), rule, "{path}");
                }
                // A row without instants is no interval; an empty one (0, 0) is.
                Ok(c) => assert!(rule.is_empty() && c.interval_count() == 3, "{path}"),
            }
        }
        // More intervals than one participant may have in a session (AUD-3), named at its row.
        let many: Vec<(i64, i64)> = (0..=crate::limits::MAX_INTERVALS as i64).map(|k| (k, k)).collect();
        let e = two_sessions(&many).err().map(|e| (e.message_en(), e.rule().to_owned()));
        let (msg, rule) = e.unwrap_or_default();
        assert!(msg.contains("attendance[10001]"), "{msg}");
        assert_eq!(rule, "AUD-3");
    }

    fn rows(session: &[u32], person: &[u32], check_in: &[i64]) -> bool {
        let a = Attendance {
            session,
            person,
            check_in,
            check_out: check_in,
            late: None,
            clock_suspect: None,
            absent: None,
        };
        grouped(&a, 4, 3).is_some()
    }

    /// A call of two projects (P-1: S-1 on 2 March, P-2: S-2 on 3 March), Ann once in each;
    /// `session` and `check_out` as given.
    fn two_projects(session: &[u32], check_out: &[i64], f: impl FnOnce(&CallColumns<'_>)) {
        two_projects_in(session, &[nine(2), nine(3)], check_out, f);
    }

    /// [`two_projects`] with the check-ins given too.
    fn two_projects_in(session: &[u32], check_in: &[i64], check_out: &[i64], f: impl FnOnce(&CallColumns<'_>)) {
        let params = Default::default();
        let sessions = [march("S-1", 2), march("S-2", 3)];
        let call = CallColumns {
            projects: &["P-1", "P-2"],
            session_project: &[0, 1],
            elearning_project: &[],
            columns: Columns {
                project: "",
                params: &params,
                closures: &[],
                sessions: &sessions,
                breaks: &[],
                persons: &["p-ann"],
                attendance: Attendance {
                    session,
                    person: &[0, 0],
                    check_in,
                    check_out,
                    late: None,
                    clock_suspect: None,
                    absent: None,
                },
                elearning: &[],
            },
        };
        f(&call);
    }

    #[test]
    fn att_1_a_calls_rows_in_session_order_are_taken_as_they_are() {
        // Ann in P-1's S-1 (2 March) and P-2's S-2 (3 March), 09:00–12:00 each; `days` gives
        // each row's day (1: S-1, 2: S-2).
        let run = |days: [u32; 2]| {
            let session = days.map(|d| d - 1);
            let check_in = days.map(|d| nine(i64::from(d) + 1));
            let check_out = check_in.map(|t| t.saturating_add(10_800));
            let mut got = (false, Vec::new());
            two_projects_in(&session, &check_in, &check_out, |call| {
                let index = CallIndex::new(call).expect("index");
                let at = chrono::DateTime::from_timestamp(nine(30), 0).unwrap_or_default();
                index
                    .each_project_in(0..2, |p, c| {
                        let s = crate::subsidy::totals_compact(&c, at)?;
                        got.1.push((p, s.realised.counted_minutes));
                        Ok(())
                    })
                    .expect("walk");
                got.0 = index.by_session.is_none();
            });
            got
        };
        // Session by session in the sessions table's order: no list of rows is made.
        assert_eq!(run([1, 2]), (true, vec![(0, 180), (1, 180)]));
        // The other way round: listed by session, the same answer.
        assert_eq!(run([2, 1]), (false, vec![(0, 180), (1, 180)]));
    }

    #[test]
    fn aud_3_att_1_a_calls_tables_are_checked_once_and_its_projects_per_walk() {
        let hours = |d| nine(d).saturating_add(10_800);
        let message = |r: Result<(), crate::Error>| r.err().map(|e| e.message_en()).unwrap_or_default();
        // A row naming no session: the index refuses it, as a walk of every project does
        // before reaching any, and naming the same row.
        two_projects(&[0, 7], &[hours(2), hours(3)], |call| {
            let index = CallIndex::new(call).map(|_| ());
            let walk = each_project(call, |_, _| Ok(()));
            assert!(
                message(index.clone()).contains("attendance.session (row 1)"),
                "{index:?}"
            );
            assert_eq!(message(index), message(walk));
        });
        // A bad row of P-2 (a check-out before its check-in, ATT-1): the index is made; a walk
        // of P-1 alone never meets the row, a walk of P-2 refuses it naming row and project.
        two_projects(&[0, 1], &[hours(2), nine(3).saturating_sub(60)], |call| {
            let Ok(index) = CallIndex::new(call) else {
                panic!("the call's tables are whole")
            };
            let mut walked = Vec::new();
            let first = index.each_project_in(0..1, |p, c| {
                walked.push((p, c.interval_count()));
                Ok(())
            });
            assert!(first.is_ok(), "{first:?}");
            assert_eq!(walked, [(0, 1)]);
            let e = index.each_project_in(1..2, |_, _| Ok(())).err();
            let (msg, rule) = e.map(|e| (e.message_en(), e.rule().to_owned())).unwrap_or_default();
            assert!(msg.contains("attendance[1].check_out") && msg.contains("P-2"), "{msg}");
            assert_eq!(rule, "ATT-1");
        });
    }

    #[test]
    fn ses_1_one_person_under_two_dictionary_entries_is_refused_twice_in_a_session() {
        // Entries 0 and 1 both hold p-ann; each is met alone first (sessions 1 and 2), so both
        // are known when session 3 lists them: the second is still refused (SES-1).
        let check_in = [nine(2), nine(3), nine(4), nine(4)];
        let check_out = check_in.map(|x| x.saturating_add(3_600));
        let e = records(
            &[march("S-1", 2), march("S-2", 3), march("S-3", 4)],
            &["p-ann", "p-ann"],
            (&[0, 1, 2, 2], &[0, 1, 0, 1]),
            (&check_in, &check_out),
        )
        .err()
        .map(|e| (e.message_en(), e.rule().to_owned()))
        .unwrap_or_default();
        assert!(e.0.contains("attendance[3]"), "{}", e.0);
        assert_eq!(e.1, "SES-1");
    }

    #[test]
    fn att_1_a_sessions_rows_are_ordered_by_person_then_check_in() {
        // Sessions of 10 and of 100 rows (the two ways of sorting), in scrambled order; rows
        // without instants first within a person.
        for n in [10u32, 100] {
            let person: Vec<u32> = (0..n).map(|i| i.wrapping_mul(7) % 5).collect();
            let check_in: Vec<i64> = (0..n)
                .map(|i| {
                    if i % 9 == 0 {
                        NO_INSTANT
                    } else {
                        i64::from(i.wrapping_mul(37) % 11)
                    }
                })
                .collect();
            let session = vec![0; n as usize];
            let a = Attendance {
                session: &session,
                person: &person,
                check_in: &check_in,
                check_out: &check_in,
                late: None,
                clock_suspect: None,
                absent: None,
            };
            let mut rows: Vec<(u32, u32)> = (0..n).rev().map(|i| (i, person[i as usize])).collect();
            let mut want = rows.clone();
            want.sort_by_key(|&(i, p)| (p, check_in[i as usize], i));
            let mut marks = super::Marks::default();
            super::by_person(&a, &mut rows, &mut Vec::new(), &mut marks);
            assert_eq!(rows, want, "{n}");
            // Already in order: left as it is.
            super::by_person(&a, &mut rows, &mut Vec::new(), &mut marks);
            assert_eq!(rows, want, "{n}");
            // Persons in another order, each one's rows together and by check-in: left as
            // they are (the builder takes persons in any order).
            let mut blocks: Vec<Vec<(u32, u32)>> = Vec::new();
            for r in &want {
                match blocks.last_mut() {
                    Some(b) if b.first().is_some_and(|x| x.1 == r.1) => b.push(*r),
                    _ => blocks.push(vec![*r]),
                }
            }
            blocks.reverse();
            let grouped: Vec<(u32, u32)> = blocks.concat();
            let mut rows = grouped.clone();
            super::by_person(&a, &mut rows, &mut Vec::new(), &mut marks);
            assert_eq!(rows, grouped, "{n}");
            // One person's rows split by another's: ordered again.
            let mut split = grouped.clone();
            if let Some(last) = split.pop() {
                split.insert(0, last);
            }
            super::by_person(&a, &mut split, &mut Vec::new(), &mut marks);
            assert_eq!(split, want, "{n}");
        }
    }

    #[test]
    fn att_1_rows_taken_in_table_order_only_when_grouped() {
        let t = |x: i64| x;
        // Persons in any order within a session, a person's rows together and in order.
        assert!(rows(
            &[0, 0, 0, 1, 1],
            &[2, 0, 0, 0, 2],
            &[t(1), t(1), t(5), t(1), NO_INSTANT]
        ));
        // A person met again in a later session, right after themselves in the one before.
        assert!(rows(&[0, 1], &[3, 3], &[t(9), t(1)]));
        // A person's rows of one session apart.
        assert!(!rows(&[0, 0, 0], &[1, 2, 1], &[t(1), t(2), t(3)]));
        // A person's check-ins going back.
        assert!(!rows(&[0, 0], &[1, 1], &[t(5), t(1)]));
        // Sessions in any order, each once; a session met again after another is not grouped.
        assert!(rows(&[1, 0], &[1, 2], &[t(1), t(1)]));
        assert!(!rows(&[1, 0, 1], &[1, 2, 3], &[t(1), t(1), t(1)]));
        assert!(rows(&[], &[], &[]));
    }
}
