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
//! use tijdreg::subsidy::columns::{Attendance, Columns, SessionRow, compact_from_columns};
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
//!     check_in: &[Some(1_772_438_100), None],
//!     check_out: &[Some(1_772_449_200), None],
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

use super::compact::{Compact, CompactBuilder, PersonCode};
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
    /// Check-in, seconds since the epoch; none for a participant who never checked in.
    pub check_in: &'a [Option<i64>],
    /// Check-out, seconds since the epoch.
    pub check_out: &'a [Option<i64>],
    /// Registered late inside a correction window (SUB-3); default false.
    pub late: Option<&'a [bool]>,
    /// From an offline scan with a suspect device clock (ATT-6); default false.
    pub clock_suspect: Option<&'a [bool]>,
    /// Marked absent (ATT-5); default false.
    pub absent: Option<&'a [bool]>,
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
    let (project, sessions, breaks, persons, elearning) = (c.project, c.sessions, c.breaks, c.persons, c.elearning);
    let attendance = &c.attendance;
    let n = attendance.session.len();
    let same = |len: usize| len == n;
    if !(same(attendance.person.len())
        && same(attendance.check_in.len())
        && same(attendance.check_out.len())
        && attendance.late.is_none_or(|c| same(c.len()))
        && attendance.clock_suspect.is_none_or(|c| same(c.len()))
        && attendance.absent.is_none_or(|c| same(c.len())))
    {
        return Err(bad_column(
            "attendance",
            "*",
            "every column has one value per row",
            "elke kolom heeft één waarde per rij",
        ));
    }
    let mut b = CompactBuilder::new(crate::ids::ProjectId::parse(project).map_err(|_| {
        crate::ids::check_id(project).map_or_else(
            |p| crate::ids::id_error("project", p),
            |()| crate::ids::id_error("project", crate::ids::IdProblem::Character),
        )
    })?);
    b.params(c.params.clone())?;
    b.closures(c.closures.iter().copied())?;
    b.reserve(sessions.len(), n, n);
    // Rows grouped by session, then person, then check-in: one sort of indices.
    for (row, (&s, &p)) in attendance.session.iter().zip(attendance.person).enumerate() {
        if s as usize >= sessions.len() {
            return Err(bad_column(
                "attendance",
                &format!("session (row {row})"),
                "names no row of the sessions table",
                "verwijst naar geen rij van de sessietabel",
            ));
        }
        if p as usize >= persons.len() {
            return Err(bad_column(
                "attendance",
                &format!("person (row {row})"),
                "names no entry of the persons dictionary",
                "verwijst naar geen element van het personenwoordenboek",
            ));
        }
    }
    let rows = attendance_rows(n)?;
    // Rows in table order when each session's rows are together as the builder takes them
    // (the first row of each session's block), else grouped by a sort.
    let starts = grouped(attendance, persons.len(), sessions.len());
    let sorted: Vec<u32> = match starts {
        Some(_) => Vec::new(),
        None => group_by_session(attendance, sessions.len()),
    };
    let total = rows as usize;
    let row_at = |k: usize| -> Option<usize> {
        match starts {
            Some(_) => (k < total).then_some(k),
            None => sorted.get(k).map(|&i| i as usize),
        }
    };
    let mut by_session: Vec<Vec<Break>> = vec![Vec::new(); sessions.len()];
    for (row, br) in breaks.iter().enumerate() {
        let Some(list) = by_session.get_mut(br.session as usize) else {
            return Err(bad_column(
                "breaks",
                &format!("session (row {row})"),
                "names no row of the sessions table",
                "verwijst naar geen rij van de sessietabel",
            ));
        };
        list.push(Break {
            start: br.start,
            end: br.end,
        });
    }
    let flag = |c: Option<&[bool]>, i: usize| c.and_then(|c| c.get(i)).copied().unwrap_or(false);
    // Each dictionary entry's person, once the builder has it: its id is checked and looked
    // up at its first row only.
    let mut code: Vec<Option<PersonCode>> = vec![None; persons.len()];
    let mut next = 0usize;
    for (s, row) in sessions.iter().enumerate() {
        let br = by_session.get(s).map_or(&[][..], Vec::as_slice);
        b.session(row.id, row.training, row.date, row.start, row.end, br, row.status)
            .map_err(|e| at_row("sessions", s, e))?;
        let mut current: Option<u32> = None;
        if let Some(starts) = &starts {
            next = starts
                .get(s)
                .map_or(total, |&k| if k == u32::MAX { total } else { k as usize });
        }
        while let Some(i) = row_at(next) {
            if attendance.session.get(i).copied() != u32::try_from(s).ok() {
                break;
            }
            next = next.saturating_add(1);
            let person = attendance.person.get(i).copied().unwrap_or(0);
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
            match (
                attendance.check_in.get(i).copied().flatten(),
                attendance.check_out.get(i).copied().flatten(),
            ) {
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
    }
    for (row, e) in elearning.iter().enumerate() {
        b.entry(e.id, e.person, e.training, e.date, e.minutes, e.start, e.status)
            .map_err(|err| at_row("elearning", row, err))?;
    }
    Ok(b.finish())
}

/// Row indices `0..n` grouped by a key in `0..buckets` (table order within a key), and where
/// each key's rows start (`buckets + 1` offsets): a counting sort. Rows whose key is out of
/// range are left out (callers check keys first).
fn bucket_rows(n: usize, buckets: usize, key: impl Fn(usize) -> usize) -> (Vec<u32>, Vec<u32>) {
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
            a.check_in.get(i).copied().flatten().unwrap_or(i64::MIN),
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

/// Attendance rows ordered by session, person and check-in: grouped by session (the sessions
/// are a table's rows), then each session's few rows sorted by person and check-in.
fn group_by_session(a: &Attendance<'_>, sessions: usize) -> Vec<u32> {
    let n = a.session.len();
    let (first, mut order) = bucket_rows(n, sessions, |i| a.session.get(i).map_or(usize::MAX, |&s| s as usize));
    let key = |i: &u32| {
        let i = *i as usize;
        (
            a.person.get(i).copied().unwrap_or(0),
            a.check_in.get(i).copied().flatten().unwrap_or(i64::MIN),
        )
    };
    for w in first.windows(2) {
        if let [from, to] = *w
            && let Some(rows) = order.get_mut(from as usize..to as usize)
            && !rows.windows(2).all(|p| matches!(p, [x, y] if key(x) <= key(y)))
        {
            rows.sort_unstable_by_key(key);
        }
    }
    order
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
///     check_in: &[Some(1_772_438_400), Some(1_772_438_400)],
///     check_out: &[Some(1_772_449_200), Some(1_772_449_200)],
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
/// are none): hosts split a call over threads by contiguous ranges, each counting its own
/// projects. The whole call's tables are still checked (an error outside the range that
/// [`compacts_by_project`] finds before reaching any project is found here too); an error of
/// a project outside the range is not.
///
/// # Errors
/// As [`each_project`].
pub fn each_project_in<F>(c: &CallColumns<'_>, range: std::ops::Range<usize>, mut f: F) -> Result<(), Error>
where
    F: FnMut(usize, Compact) -> Result<(), Error>,
{
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
    // Sessions per project, and each session's row within its project.
    let mut sessions: Vec<Vec<SessionRow<'_>>> = vec![Vec::new(); p_count];
    let mut local = Vec::with_capacity(cols.sessions.len());
    for (row, (s, &p)) in cols.sessions.iter().zip(c.session_project).enumerate() {
        let p = project_of(p, "sessions", row)?;
        let list = sessions
            .get_mut(p)
            .ok_or_else(|| bad_column("sessions", "project", "", ""))?;
        local.push((p, u32::try_from(list.len()).unwrap_or(u32::MAX)));
        list.push(*s);
    }
    let owner = |s: u32, table: &str, row: usize| -> Result<(usize, u32), Error> {
        local.get(s as usize).copied().ok_or_else(|| {
            bad_column(
                table,
                &format!("session (row {row})"),
                "names no row of the sessions table",
                "verwijst naar geen rij van de sessietabel",
            )
        })
    };
    let mut breaks: Vec<Vec<BreakRow>> = vec![Vec::new(); p_count];
    for (row, b) in cols.breaks.iter().enumerate() {
        let (p, s) = owner(b.session, "breaks", row)?;
        if let Some(list) = breaks.get_mut(p) {
            list.push(BreakRow { session: s, ..*b });
        }
    }
    let a = &cols.attendance;
    let n = a.session.len();
    attendance_rows(n)?;
    // Attendance rows by project, in table order within a project.
    for (i, &s) in a.session.iter().enumerate() {
        owner(s, "attendance", i)?;
    }
    let (first, by_project) = bucket_rows(n, p_count, |i| {
        a.session
            .get(i)
            .and_then(|&s| local.get(s as usize))
            .map_or(usize::MAX, |x| x.0)
    });
    let mut entries: Vec<Vec<ElearningRow<'_>>> = vec![Vec::new(); p_count];
    for (row, (e, &p)) in cols.elearning.iter().zip(c.elearning_project).enumerate() {
        let p = project_of(p, "elearning", row)?;
        if let Some(list) = entries.get_mut(p) {
            list.push(*e);
        }
    }
    // One project's rows, reused from project to project.
    #[derive(Default)]
    struct Rows<'a> {
        session: Vec<u32>,
        person: Vec<u32>,
        check_in: Vec<Option<i64>>,
        check_out: Vec<Option<i64>>,
        late: Vec<bool>,
        suspect: Vec<bool>,
        absent: Vec<bool>,
        persons: Vec<&'a str>,
        code: HashMap<&'a str, u32>,
        /// Per entry of the call's persons dictionary, its person's code in this project
        /// (`NONE` until met); `met` lists the entries to reset for the next project.
        local: Vec<u32>,
        met: Vec<u32>,
    }
    const NONE: u32 = u32::MAX;
    let mut r = Rows {
        local: vec![NONE; cols.persons.len()],
        ..Rows::default()
    };
    let flag = |col: Option<&[bool]>, i: usize| col.and_then(|x| x.get(i)).copied().unwrap_or(false);
    for (p, project) in c.projects.iter().enumerate() {
        if !range.contains(&p) {
            continue;
        }
        let rows = match (first.get(p), first.get(p.saturating_add(1))) {
            (Some(&a), Some(&b)) => by_project.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        };
        r.session.clear();
        r.person.clear();
        r.check_in.clear();
        r.check_out.clear();
        r.late.clear();
        r.suspect.clear();
        r.absent.clear();
        r.persons.clear();
        r.code.clear();
        for g in r.met.drain(..) {
            if let Some(x) = r.local.get_mut(g as usize) {
                *x = NONE;
            }
        }
        for &i in rows {
            let i = i as usize;
            let s = a.session.get(i).and_then(|&s| local.get(s as usize)).map_or(0, |x| x.1);
            // A dictionary entry is matched by id once per project (two entries may hold the
            // same id); a code that names no entry stays out of range, for
            // `compact_from_columns` to refuse.
            let g = a.person.get(i).copied().unwrap_or(NONE);
            let person = match (r.local.get(g as usize).copied(), cols.persons.get(g as usize)) {
                (Some(code), _) if code != NONE => code,
                (Some(_), Some(&name)) => {
                    let next = u32::try_from(r.persons.len()).unwrap_or(NONE);
                    let code = *r.code.entry(name).or_insert_with(|| {
                        r.persons.push(name);
                        next
                    });
                    if let Some(x) = r.local.get_mut(g as usize) {
                        *x = code;
                    }
                    r.met.push(g);
                    code
                }
                _ => NONE,
            };
            r.session.push(s);
            r.person.push(person);
            r.check_in.push(a.check_in.get(i).copied().flatten());
            r.check_out.push(a.check_out.get(i).copied().flatten());
            r.late.push(flag(a.late, i));
            r.suspect.push(flag(a.clock_suspect, i));
            r.absent.push(flag(a.absent, i));
        }
        let one = Columns {
            project,
            params: cols.params,
            closures: cols.closures,
            sessions: sessions.get(p).map_or(&[][..], Vec::as_slice),
            breaks: breaks.get(p).map_or(&[][..], Vec::as_slice),
            persons: &r.persons,
            attendance: Attendance {
                session: &r.session,
                person: &r.person,
                check_in: &r.check_in,
                check_out: &r.check_out,
                late: Some(&r.late),
                clock_suspect: Some(&r.suspect),
                absent: Some(&r.absent),
            },
            elearning: entries.get(p).map_or(&[][..], Vec::as_slice),
        };
        let compact = compact_from_columns(&one).map_err(|e| in_project(project, rows, e))?;
        f(p, compact)?;
    }
    Ok(())
}

/// An error of one project's tables, saying which project, with attendance rows numbered as
/// in the whole call's table.
fn in_project(project: &str, global: &[u32], e: Error) -> Error {
    let renumber = |path: String| -> String {
        let Some(rest) = path.strip_prefix("attendance[") else {
            return path;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse::<usize>().ok().and_then(|k| global.get(k)) {
            Some(g) => format!("attendance[{g}]{}", rest.get(digits.len()..).unwrap_or("")),
            None => path,
        }
    };
    match e {
        Error::InvalidRecord {
            path,
            reason,
            reason_nl,
            rule,
        } => Error::InvalidRecord {
            path: format!("{} (project {project})", renumber(path)),
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
            field: format!("{} (project {project})", renumber(field)),
            reason,
            reason_nl,
            rule,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::{Attendance, grouped};

    fn rows(session: &[u32], person: &[u32], check_in: &[Option<i64>]) -> bool {
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

    #[test]
    fn att_1_rows_taken_in_table_order_only_when_grouped() {
        let t = |x: i64| Some(x);
        // Persons in any order within a session, a person's rows together and in order.
        assert!(rows(
            &[0, 0, 0, 1, 1],
            &[2, 0, 0, 0, 2],
            &[t(1), t(1), t(5), t(1), None]
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
