//! Arrow columns in and out (issue 11): the Python side (`tijdreg/arrow.py`) turns any Arrow
//! table — pyarrow, pandas, polars, parquet — into plain buffers (little-endian integers as
//! `bytes`, strings as lists); here they become the core's columns
//! (`tijdreg::subsidy::columns`) without a Python object per row. Out, a report's lines and
//! excluded stretches as buffers that pyarrow wraps without copying. No rule lives here.

use crate::{PyReport, guarded};
use chrono::{NaiveDate, NaiveTime};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use rust_decimal::Decimal;
use std::collections::HashMap;
use tijdreg::Error;
use tijdreg::params::DatedParams;
use tijdreg::session::SessionStatus;
use tijdreg::subsidy::{self, IdHashState, columns as col};

fn invalid(en: String, nl: String) -> Error {
    Error::invalid(en, nl)
}

fn i32s(b: &[u8], what: &str) -> Result<Vec<i32>, Error> {
    if !b.len().is_multiple_of(4) {
        return Err(invalid(
            format!("{what}: not a column of 32-bit integers"),
            format!("{what}: geen kolom van 32-bit gehele getallen"),
        ));
    }
    Ok(b.chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// A timestamp column as `tijdreg.arrow` passes it: Arrow's int64 values in their unit, its
/// validity bitmap (none without nulls) and the bitmap's offset in bits, and the values per
/// second (1, 10³, 10⁶ or 10⁹).
type InstantCol<'py> = (Bound<'py, PyBytes>, Option<Bound<'py, PyBytes>>, usize, i64);

/// [`InstantCol`]'s bytes, borrowed.
#[derive(Clone, Copy)]
struct RawInstants<'a> {
    values: &'a [u8],
    validity: Option<&'a [u8]>,
    offset: usize,
    per_second: i64,
}

/// An instant column's bytes, borrowed.
fn raw_instants<'a>(c: &'a Option<InstantCol<'_>>) -> Option<RawInstants<'a>> {
    c.as_ref().map(|(values, validity, offset, per_second)| RawInstants {
        values: values.as_bytes(),
        validity: validity.as_ref().map(|v| v.as_bytes()),
        offset: *offset,
        per_second: *per_second,
    })
}

fn instant_col<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<InstantCol<'py>>> {
    match get(d, key)? {
        Some(v) if !v.is_none() => Ok(Some(v.extract()?)),
        _ => Ok(None),
    }
}

/// Seconds since the epoch (floored), `columns::NO_INSTANT` for a null, in one pass.
fn instants(col: Option<RawInstants<'_>>, what: &str) -> Result<Vec<i64>, Error> {
    let Some(RawInstants {
        values: bytes,
        validity: bits,
        offset,
        per_second,
    }) = col
    else {
        return Ok(Vec::new());
    };
    let bad = |en: &str, nl: &str| invalid(format!("{what}: {en}"), format!("{what}: {nl}"));
    if ![1, 1_000, 1_000_000, 1_000_000_000].contains(&per_second) {
        return Err(bad("an unknown time unit", "een onbekende tijdseenheid"));
    }
    if !bytes.len().is_multiple_of(8) {
        return Err(bad(
            "not a column of 64-bit integers",
            "geen kolom van 64-bit gehele getallen",
        ));
    }
    let n = bytes.len() / 8;
    if bits.is_some_and(|b| offset.saturating_add(n).div_ceil(8) > b.len()) {
        return Err(bad(
            "a validity bitmap shorter than the column",
            "een geldigheidsbitmap korter dan de kolom",
        ));
    }
    let mut out = match per_second {
        1 => per_unit::<1>(bytes),
        1_000 => per_unit::<1_000>(bytes),
        1_000_000 => per_unit::<1_000_000>(bytes),
        _ => per_unit::<1_000_000_000>(bytes),
    };
    // A null (a participant who never checked in) has its bit clear.
    let null = tijdreg::subsidy::columns::NO_INSTANT;
    match bits {
        None => {}
        // The bitmap starts on a byte: eight rows a byte, a byte of eight values passed over.
        Some(b) if offset.is_multiple_of(8) => {
            for (chunk, &byte) in out.chunks_mut(8).zip(b.get(offset / 8..).unwrap_or(&[])) {
                if byte == u8::MAX {
                    continue;
                }
                for (j, x) in chunk.iter_mut().enumerate() {
                    if byte >> j & 1 == 0 {
                        *x = null;
                    }
                }
            }
        }
        Some(b) => {
            for (i, x) in out.iter_mut().enumerate() {
                let k = offset.saturating_add(i);
                if b.get(k / 8).is_none_or(|byte| byte >> (k % 8) & 1 == 0) {
                    *x = null;
                }
            }
        }
    }
    Ok(out)
}

/// Little-endian 64-bit values in `UNIT`s a second to whole seconds, floored: one loop per
/// unit, so that the division is by a constant (a multiplication).
fn per_unit<const UNIT: i64>(bytes: &[u8]) -> Vec<i64> {
    let mut out = vec![0i64; bytes.len() / 8];
    for (x, c) in out.iter_mut().zip(bytes.chunks_exact(8)) {
        let v = i64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        *x = if UNIT == 1 { v } else { v.div_euclid(UNIT) };
    }
    out
}

/// A column of strings as Arrow lays it out: one UTF-8 buffer (Python's, borrowed) and
/// offsets into it.
pub(crate) struct StrCol<'a> {
    data: &'a str,
    offsets: Vec<usize>,
}

impl<'a> StrCol<'a> {
    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    fn get(&self, i: usize) -> &'a str {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.data.get(a..b).unwrap_or(""),
            _ => "",
        }
    }
}

/// `(offsets as int32 LE, data)`: a text column as `tijdreg.arrow` passes it.
type StrBytes<'py> = (Bound<'py, PyBytes>, Bound<'py, PyBytes>);

/// A text column as `tijdreg.arrow` passes it: `(offsets, data)`, or `(offsets, data, codes)`
/// for a dictionary's values and a code per row (int32 LE).
enum TextBytes<'py> {
    Plain(StrBytes<'py>),
    Dict(StrBytes<'py>, Bound<'py, PyBytes>),
}

/// [`TextBytes`] borrowed.
#[derive(Clone, Copy)]
enum RawText<'a> {
    Plain(&'a [u8], &'a [u8]),
    Dict(&'a [u8], &'a [u8], &'a [u8]),
}

fn str_bytes<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<StrBytes<'py>>> {
    get(d, key)?.map(|v| v.extract()).transpose()
}

fn text_bytes<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<TextBytes<'py>>> {
    let Some(v) = get(d, key)? else {
        return Ok(None);
    };
    if let Ok((offsets, data, codes)) = v.extract::<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, Bound<'py, PyBytes>)>() {
        return Ok(Some(TextBytes::Dict((offsets, data), codes)));
    }
    Ok(Some(TextBytes::Plain(v.extract()?)))
}

fn raw_text<'a>(t: &'a Option<TextBytes<'_>>) -> Option<RawText<'a>> {
    t.as_ref().map(|t| match t {
        TextBytes::Plain((o, d)) => RawText::Plain(o.as_bytes(), d.as_bytes()),
        TextBytes::Dict((o, d), c) => RawText::Dict(o.as_bytes(), d.as_bytes(), c.as_bytes()),
    })
}

fn raw_str<'a>(t: &'a Option<StrBytes<'_>>) -> Option<(&'a [u8], &'a [u8])> {
    t.as_ref().map(|(o, d)| (o.as_bytes(), d.as_bytes()))
}

/// A string column from its borrowed bytes; none given is an empty column.
fn str_col<'a>(b: Option<(&'a [u8], &'a [u8])>, what: &str) -> Result<StrCol<'a>, Error> {
    match b {
        Some((offsets, data)) => checked_strings(offsets, data, what),
        None => Ok(StrCol {
            data: "",
            offsets: vec![0],
        }),
    }
}

fn checked_strings<'a>(offsets: &[u8], data: &'a [u8], what: &str) -> Result<StrCol<'a>, Error> {
    checked_texts(&i32s(offsets, what)?, data, what)
}

/// A string column from Arrow's int32 offsets and UTF-8 bytes, both checked.
pub(crate) fn checked_texts<'a>(offsets: &[i32], data: &'a [u8], what: &str) -> Result<StrCol<'a>, Error> {
    let data = std::str::from_utf8(data)
        .map_err(|_| invalid(format!("{what}: not UTF-8 text"), format!("{what}: geen UTF-8-tekst")))?;
    let offsets: Vec<usize> = offsets
        .iter()
        .map(|&o| usize::try_from(o).unwrap_or(usize::MAX))
        .collect();
    for w in offsets.windows(2) {
        if let [a, b] = w
            && (a > b || data.get(*a..*b).is_none())
        {
            return Err(invalid(
                format!("{what}: broken string offsets"),
                format!("{what}: kapotte tekstoffsets"),
            ));
        }
    }
    Ok(StrCol { data, offsets })
}

/// A text column as Arrow may hold it: every row's text, or dictionary-encoded (a code per
/// row into a table of values, as parquet stores repeated ids).
pub(crate) enum Text<'a> {
    Plain(StrCol<'a>),
    Dict { values: StrCol<'a>, codes: Vec<u32> },
}

impl Text<'_> {
    fn len(&self) -> usize {
        match self {
            Text::Plain(c) => c.len(),
            Text::Dict { codes, .. } => codes.len(),
        }
    }
}

/// A text column from its borrowed bytes, each dictionary code checked to name a value.
fn text_col<'a>(t: Option<RawText<'a>>, key: &str) -> Result<Text<'a>, Error> {
    let (offsets, data, codes) = match t {
        None => return str_col(None, key).map(Text::Plain),
        Some(RawText::Plain(o, d)) => return checked_strings(o, d, key).map(Text::Plain),
        Some(RawText::Dict(o, d, c)) => (o, d, c),
    };
    let values = checked_strings(offsets, data, key)?;
    if !codes.len().is_multiple_of(4) {
        return Err(invalid(
            format!("{key}: not a column of 32-bit integers"),
            format!("{key}: geen kolom van 32-bit gehele getallen"),
        ));
    }
    // The codes read in a plain loop, then checked by `coded`.
    let mut codes_out = vec![0u32; codes.len() / 4];
    for (k, c) in codes_out.iter_mut().zip(codes.chunks_exact(4)) {
        *k = i32::from_le_bytes(c.try_into().unwrap_or([0; 4])) as u32;
    }
    coded(values, codes_out, key)
}

/// A dictionary's values and a code per row, the largest code checked against the values
/// once (a negative code read as a large one): no branch per row.
pub(crate) fn coded<'a>(values: StrCol<'a>, codes: Vec<u32>, key: &str) -> Result<Text<'a>, Error> {
    let largest = codes.iter().copied().max().unwrap_or(0);
    if !codes.is_empty() && largest as usize >= values.len() {
        return Err(invalid(
            format!("{key}: a dictionary code names no value"),
            format!("{key}: een woordenboekcode verwijst naar geen waarde"),
        ));
    }
    Ok(Text::Dict { values, codes })
}

fn get<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    d.get_item(key)
}

/// A column passed as `bytes` (read in place, not copied), if given.
fn bytes_of<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyBytes>>> {
    Ok(match get(d, key)? {
        Some(v) if !v.is_none() => Some(v.cast_into::<PyBytes>()?),
        _ => None,
    })
}

/// The bytes of a column passed as `bytes`; none when it was not given.
fn raw<'a>(b: &'a Option<Bound<'_, PyBytes>>) -> &'a [u8] {
    raw_opt(b).unwrap_or(&[])
}

/// The bytes of an optional column, if given.
fn raw_opt<'a>(b: &'a Option<Bound<'_, PyBytes>>) -> Option<&'a [u8]> {
    b.as_ref().map(|b| b.as_bytes())
}

const EPOCH_DAYS: i32 = 719_163; // days from 0001-01-01 to 1970-01-01

/// A date column's value; `table`, `row` and `column` name it in an error.
fn day(d: i32, table: &str, row: usize, column: &str) -> Result<NaiveDate, Error> {
    d.checked_add(EPOCH_DAYS)
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| {
            invalid(
                format!("{table}[{row}].{column}: not a date"),
                format!("{table}[{row}].{column}: geen datum"),
            )
        })
}

/// A time-of-day column's value; `table`, `row` and `column` name it in an error.
fn time(s: i32, table: &str, row: usize, column: &str) -> Result<NaiveTime, Error> {
    u32::try_from(s)
        .ok()
        .and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, 0))
        .ok_or_else(|| {
            invalid(
                format!("{table}[{row}].{column}: not a time of day"),
                format!("{table}[{row}].{column}: geen tijdstip van de dag"),
            )
        })
}

fn status(s: &str, row: usize) -> Result<SessionStatus, Error> {
    SessionStatus::from_name(s).ok_or_else(|| {
        invalid(
            format!("sessions[{row}].status: one of Planned, InProgress, Executed, Submitted"),
            format!("sessions[{row}].status: een van Planned, InProgress, Executed, Submitted"),
        )
    })
}

/// Everything the tables hold, checked, before the core borrows it (strings stay where they
/// were read: in the `bytes` Python passed, or in the parquet reader's buffers).
pub(crate) struct Owned<'a> {
    project: String,
    params: DatedParams,
    closures: Vec<NaiveDate>,
    session_ids: StrCol<'a>,
    session_trainings: StrCol<'a>,
    session_status: Vec<SessionStatus>,
    session_dates: Vec<NaiveDate>,
    session_starts: Vec<NaiveTime>,
    session_ends: Vec<NaiveTime>,
    breaks: Vec<col::BreakRow>,
    /// The persons `att_person` indexes: distinct ids (one project's tables), or for a whole
    /// call the attendance table's own column, row by row (matched per project by the core).
    persons: Persons<'a>,
    att_session: Vec<u32>,
    att_person: Vec<u32>,
    att_in: Vec<i64>,
    att_out: Vec<i64>,
    late: Option<Vec<bool>>,
    suspect: Option<Vec<bool>>,
    absent: Option<Vec<bool>>,
    elearning: Vec<subsidy::ElearningRecord>,
}

enum Persons<'a> {
    Distinct(Vec<String>),
    /// Every row's person, or a dictionary's values (not necessarily distinct).
    Table(StrCol<'a>),
}

fn flags(b: Option<&[u8]>) -> Option<Vec<bool>> {
    b.map(|v| v.iter().map(|&x| x != 0).collect())
}

/// The three tables' columns as Python passed them (`bytes`), held while they are read.
struct Held<'py> {
    session_ids: Option<StrBytes<'py>>,
    session_trainings: Option<StrBytes<'py>>,
    status_names: Option<StrBytes<'py>>,
    dates: Option<Bound<'py, PyBytes>>,
    starts: Option<Bound<'py, PyBytes>>,
    ends: Option<Bound<'py, PyBytes>>,
    b_session: Option<TextBytes<'py>>,
    b_start: Option<Bound<'py, PyBytes>>,
    b_end: Option<Bound<'py, PyBytes>>,
    a_session: Option<TextBytes<'py>>,
    a_person: Option<TextBytes<'py>>,
    a_in: Option<InstantCol<'py>>,
    a_out: Option<InstantCol<'py>>,
    late: Option<Bound<'py, PyBytes>>,
    suspect: Option<Bound<'py, PyBytes>>,
    absent: Option<Bound<'py, PyBytes>>,
}

impl<'py> Held<'py> {
    /// The columns taken from the dicts (with the GIL; nothing is copied).
    fn gather(
        sessions: &Bound<'py, PyDict>,
        breaks: &Bound<'py, PyDict>,
        attendance: &Bound<'py, PyDict>,
    ) -> PyResult<Self> {
        Ok(Held {
            session_ids: str_bytes(sessions, "sessions.id")?,
            session_trainings: str_bytes(sessions, "sessions.training")?,
            status_names: str_bytes(sessions, "sessions.status")?,
            dates: bytes_of(sessions, "date")?,
            starts: bytes_of(sessions, "start")?,
            ends: bytes_of(sessions, "end")?,
            b_session: text_bytes(breaks, "breaks.session")?,
            b_start: bytes_of(breaks, "start")?,
            b_end: bytes_of(breaks, "end")?,
            a_session: text_bytes(attendance, "attendance.session")?,
            a_person: text_bytes(attendance, "attendance.person")?,
            a_in: instant_col(attendance, "check_in")?,
            a_out: instant_col(attendance, "check_out")?,
            late: bytes_of(attendance, "late")?,
            suspect: bytes_of(attendance, "clock_suspect")?,
            absent: bytes_of(attendance, "absent")?,
        })
    }

    /// Their bytes, borrowed: what [`read`] reads without the GIL (Python's `bytes` do not
    /// change, and are held here until the call returns).
    fn raw(&self) -> Raw<'_> {
        Raw {
            session_ids: raw_str(&self.session_ids),
            session_trainings: raw_str(&self.session_trainings),
            status_names: raw_str(&self.status_names),
            dates: raw(&self.dates),
            starts: raw(&self.starts),
            ends: raw(&self.ends),
            b_session: raw_text(&self.b_session),
            b_start: raw(&self.b_start),
            b_end: raw(&self.b_end),
            a_session: raw_text(&self.a_session),
            a_person: raw_text(&self.a_person),
            a_in: raw_instants(&self.a_in),
            a_out: raw_instants(&self.a_out),
            late: raw_opt(&self.late),
            suspect: raw_opt(&self.suspect),
            absent: raw_opt(&self.absent),
        }
    }
}

/// [`Held`]'s bytes, borrowed (`Send`: read on any thread).
#[derive(Clone, Copy)]
struct Raw<'a> {
    session_ids: Option<(&'a [u8], &'a [u8])>,
    session_trainings: Option<(&'a [u8], &'a [u8])>,
    status_names: Option<(&'a [u8], &'a [u8])>,
    dates: &'a [u8],
    starts: &'a [u8],
    ends: &'a [u8],
    b_session: Option<RawText<'a>>,
    b_start: &'a [u8],
    b_end: &'a [u8],
    a_session: Option<RawText<'a>>,
    a_person: Option<RawText<'a>>,
    a_in: Option<RawInstants<'a>>,
    a_out: Option<RawInstants<'a>>,
    late: Option<&'a [u8]>,
    suspect: Option<&'a [u8]>,
    absent: Option<&'a [u8]>,
}

/// What the rest of the call needs besides the tables.
pub(crate) struct Extra<'s> {
    pub(crate) intern_persons: bool,
    pub(crate) project: String,
    pub(crate) params_json: &'s str,
    pub(crate) closures: Vec<String>,
    pub(crate) elearning_json: &'s str,
}

impl<'s> Extra<'s> {
    /// One project's: its persons made distinct by the binding.
    pub(crate) fn project(
        project: String,
        params_json: &'s str,
        closures: Vec<String>,
        elearning_json: &'s str,
    ) -> Self {
        Extra {
            intern_persons: true,
            project,
            params_json,
            closures,
            elearning_json,
        }
    }

    /// A whole call's: persons matched per project by the core.
    pub(crate) fn call(params_json: &'s str, closures: Vec<String>, elearning_json: &'s str) -> Self {
        Extra {
            intern_persons: false,
            project: String::from("call"),
            params_json,
            closures,
            elearning_json,
        }
    }
}

/// The most threads a call counts on: far more than cores gains nothing (the answer is the same
/// for any number), and a number in the thousands would ask the system for a thread per range of
/// projects — up to one per project — where a refused thread would end the call.
pub(crate) const MAX_THREADS: usize = 256;

/// `threads`, or every core the process may use when none is given: at least one, at most
/// [`MAX_THREADS`].
pub(crate) fn threads_or_cores(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
        .clamp(1, MAX_THREADS)
}

/// The attendance table's instants and flags (the larger half of the reading).
pub(crate) type AttendanceTimes = (
    Vec<i64>,
    Vec<i64>,
    Option<Vec<bool>>,
    Option<Vec<bool>>,
    Option<Vec<bool>>,
);

fn attendance_times(r: &Raw<'_>) -> Result<AttendanceTimes, Error> {
    Ok((
        instants(r.a_in, "attendance.check_in")?,
        instants(r.a_out, "attendance.check_out")?,
        flags(r.late),
        flags(r.suspect),
        flags(r.absent),
    ))
}

/// The tables read and checked, without the GIL: on two threads when `threads` > 1 (the
/// attendance table's instants and flags on one, the rest on the other); the first error in
/// the order one thread meets them.
fn read<'a>(r: Raw<'a>, x: Extra<'_>, threads: usize) -> Result<Owned<'a>, Error> {
    let (rest, times) = if threads > 1 {
        std::thread::scope(|scope| {
            let times = scope.spawn(move || attendance_times(&r));
            let rest = read_rest(&r, x);
            (rest, times.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        })
    } else {
        // One thread: the instants only once the rest is read (their errors come last).
        let rest = read_rest(&r, x)?;
        (Ok(rest), attendance_times(&r))
    };
    Ok(with_times(rest?, times?))
}

/// The tables with the attendance table's instants (seconds, `columns::NO_INSTANT` for none)
/// and flags.
pub(crate) fn with_times<'a>(rest: Owned<'a>, times: AttendanceTimes) -> Owned<'a> {
    let (att_in, att_out, late, suspect, absent) = times;
    Owned {
        att_in,
        att_out,
        late,
        suspect,
        absent,
        ..rest
    }
}

/// The tables' text and integer columns typed and checked (UTF-8, offsets, dictionary codes,
/// integer widths) but not yet matched: from the bytes Python passes ([`typed`]), or from
/// parquet files read natively (`parquet`, ADR 18).
pub(crate) struct Typed<'a> {
    pub(crate) session_ids: StrCol<'a>,
    pub(crate) session_trainings: StrCol<'a>,
    pub(crate) status_names: StrCol<'a>,
    pub(crate) a_session: Text<'a>,
    pub(crate) a_person: Text<'a>,
    pub(crate) b_session: Text<'a>,
    pub(crate) dates: Vec<i32>,
    pub(crate) starts: Vec<i32>,
    pub(crate) ends: Vec<i32>,
    pub(crate) b_start: Vec<i32>,
    pub(crate) b_end: Vec<i32>,
}

fn typed<'a>(r: &Raw<'a>) -> Result<Typed<'a>, Error> {
    Ok(Typed {
        session_ids: str_col(r.session_ids, "sessions.id")?,
        session_trainings: str_col(r.session_trainings, "sessions.training")?,
        status_names: str_col(r.status_names, "sessions.status")?,
        a_session: text_col(r.a_session, "attendance.session")?,
        a_person: text_col(r.a_person, "attendance.person")?,
        b_session: text_col(r.b_session, "breaks.session")?,
        dates: i32s(r.dates, "sessions.date")?,
        starts: i32s(r.starts, "sessions.start")?,
        ends: i32s(r.ends, "sessions.end")?,
        b_start: i32s(r.b_start, "breaks.start")?,
        b_end: i32s(r.b_end, "breaks.end")?,
    })
}

/// All but the attendance table's instants and flags (left empty).
fn read_rest<'a>(r: &Raw<'a>, x: Extra<'_>) -> Result<Owned<'a>, Error> {
    rest_of(typed(r)?, x)
}

/// The typed columns matched (sessions to rows, persons to codes) and checked as the rules
/// need them (dates, times, statuses); the attendance table's instants and flags left empty.
pub(crate) fn rest_of<'a>(t: Typed<'a>, x: Extra<'_>) -> Result<Owned<'a>, Error> {
    let Extra {
        intern_persons,
        project,
        params_json,
        closures,
        elearning_json,
    } = x;
    let Typed {
        session_ids,
        session_trainings,
        status_names,
        a_session,
        a_person,
        b_session,
        dates,
        starts,
        ends,
        b_start: bst,
        b_end: ben,
    } = t;
    let params: DatedParams = tijdreg::decode::from_str(params_json, "params")?;
    let closures = closures
        .iter()
        .map(|d| {
            d.parse::<NaiveDate>().map_err(|_| {
                invalid(
                    "closures: expected YYYY-MM-DD".into(),
                    "closures: verwacht JJJJ-MM-DD".into(),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let n = session_ids.len();
    // Session ids to rows, person ids to codes (the attendance table names them as text).
    let mut row_of: HashMap<&str, u32, IdHashState> = HashMap::with_capacity_and_hasher(n, IdHashState::default());
    for i in 0..n {
        if row_of.insert(session_ids.get(i), i as u32).is_some() {
            return Err(Error::InvalidRecord {
                path: format!("sessions[{i}].id"),
                reason: "another session of the table has the same id".into(),
                reason_nl: "een andere sessie van de tabel heeft dezelfde id".into(),
                rule: "SES-1".into(),
            });
        }
    }
    let no_session = |table: &str, i: usize| {
        invalid(
            format!("{table}[{i}].session: no such session in the sessions table"),
            format!("{table}[{i}].session: geen sessie van de sessietabel"),
        )
    };
    let session_row = |c: Text, table: &str| -> Result<Vec<u32>, Error> {
        match c {
            Text::Plain(c) => {
                // Rows of one session usually follow each other: a row naming the same
                // session as the row before costs a comparison, not a lookup.
                let mut last: Option<(&str, u32)> = None;
                (0..c.len())
                    .map(|i| {
                        let id = c.get(i);
                        if let Some((prev, row)) = last
                            && prev == id
                        {
                            return Ok(row);
                        }
                        let row = row_of.get(id).copied().ok_or_else(|| no_session(table, i))?;
                        last = Some((id, row));
                        Ok(row)
                    })
                    .collect()
            }
            // A lookup per value of the dictionary, not per row; the codes become rows in
            // place.
            Text::Dict { values, mut codes } => {
                const NO_ROW: u32 = u32::MAX;
                // Parquet writes a dictionary in the order ids first appear, which is
                // usually the sessions table's: each value is first compared with the
                // sessions just after the one found before (ids are distinct: checked
                // above), then looked up.
                let mut next = 0usize;
                let rows: Vec<u32> = (0..values.len())
                    .map(|k| {
                        let v = values.get(k);
                        let near = (next..next.saturating_add(2).min(n)).find(|&r| session_ids.get(r) == v);
                        let row = match near {
                            Some(r) => r as u32,
                            None => row_of.get(v).copied().unwrap_or(NO_ROW),
                        };
                        if row != NO_ROW {
                            next = (row as usize).saturating_add(1);
                        }
                        row
                    })
                    .collect();
                // Codes were checked against the dictionary's length (`text_col`); a value
                // that names no session is found after the pass, for its message.
                let mut missing = false;
                for k in codes.iter_mut() {
                    let row = rows.get(*k as usize).copied().unwrap_or(NO_ROW);
                    missing |= row == NO_ROW;
                    *k = row;
                }
                if missing && let Some(i) = codes.iter().position(|&r| r == NO_ROW) {
                    return Err(no_session(table, i));
                }
                Ok(codes)
            }
        }
    };
    let att_session = session_row(a_session, "attendance")?;
    let bs = session_row(b_session, "breaks")?;
    let rows = col::attendance_rows(a_person.len())?;
    let (persons, att_person) = match (intern_persons, a_person) {
        // One project: its persons made distinct here, once per value.
        (true, a_person) => {
            let (table, codes) = match a_person {
                Text::Plain(c) => (c, (0..rows).collect::<Vec<u32>>()),
                Text::Dict { values, codes } => (values, codes),
            };
            let table = &table;
            let mut person_code: HashMap<&str, u32, IdHashState> =
                HashMap::with_capacity_and_hasher(table.len(), IdHashState::default());
            let mut persons: Vec<String> = Vec::new();
            let distinct: Vec<u32> = (0..table.len())
                .map(|k| {
                    let p = table.get(k);
                    *person_code.entry(p).or_insert_with(|| {
                        persons.push(p.to_owned());
                        (persons.len() - 1) as u32
                    })
                })
                .collect();
            let att_person = codes
                .iter()
                .map(|&k| distinct.get(k as usize).copied().unwrap_or(u32::MAX))
                .collect();
            (Persons::Distinct(persons), att_person)
        }
        // A whole call: the column as it is, persons matched per project by the core.
        (false, Text::Plain(c)) => (Persons::Table(c), (0..rows).collect()),
        (false, Text::Dict { values, codes }) => (Persons::Table(values), codes),
    };
    if [
        session_trainings.len(),
        status_names.len(),
        dates.len(),
        starts.len(),
        ends.len(),
    ]
    .iter()
    .any(|&l| l != n)
    {
        return Err(invalid(
            "sessions: every column has one value per row".into(),
            "sessions: elke kolom heeft één waarde per rij".into(),
        ));
    }
    let mut session_status = Vec::with_capacity(n);
    let mut session_dates = Vec::with_capacity(n);
    let mut session_starts = Vec::with_capacity(n);
    let mut session_ends = Vec::with_capacity(n);
    for row in 0..n {
        session_status.push(status(status_names.get(row), row)?);
        session_dates.push(day(dates[row], "sessions", row, "date")?);
        session_starts.push(time(starts[row], "sessions", row, "start")?);
        session_ends.push(time(ends[row], "sessions", row, "end")?);
    }
    let mut breaks = Vec::with_capacity(bs.len());
    for (row, ((s, a), b)) in bs.iter().zip(&bst).zip(&ben).enumerate() {
        breaks.push(col::BreakRow {
            session: *s,
            start: time(*a, "breaks", row, "start")?,
            end: time(*b, "breaks", row, "end")?,
        });
    }
    let elearning: Vec<subsidy::ElearningRecord> = if elearning_json.is_empty() {
        Vec::new()
    } else {
        tijdreg::decode::from_str(elearning_json, "elearning")?
    };
    Ok(Owned {
        project,
        params,
        closures,
        session_ids,
        session_trainings,
        session_status,
        session_dates,
        session_starts,
        session_ends,
        breaks,
        persons,
        att_session,
        att_person,
        att_in: Vec::new(),
        att_out: Vec::new(),
        late: None,
        suspect: None,
        absent: None,
        elearning,
    })
}

type Rows<'a> = (Vec<col::SessionRow<'a>>, Vec<&'a str>, Vec<col::ElearningRow<'a>>);

fn rows<'a>(o: &'a Owned<'_>) -> Rows<'a> {
    let sessions: Vec<col::SessionRow<'_>> = (0..o.session_ids.len())
        .map(|i| col::SessionRow {
            id: o.session_ids.get(i),
            training: o.session_trainings.get(i),
            date: o.session_dates[i],
            start: o.session_starts[i],
            end: o.session_ends[i],
            status: o.session_status[i],
        })
        .collect();
    let persons: Vec<&str> = match &o.persons {
        Persons::Distinct(v) => v.iter().map(String::as_str).collect(),
        Persons::Table(c) => (0..c.len()).map(|i| c.get(i)).collect(),
    };
    let elearning: Vec<col::ElearningRow<'_>> = o
        .elearning
        .iter()
        .map(|e| col::ElearningRow {
            id: e.id.as_str(),
            person: e.person.as_str(),
            training: e.training.as_str(),
            date: e.date,
            minutes: e.minutes,
            start: e.start,
            status: e.status,
        })
        .collect();
    (sessions, persons, elearning)
}

fn columns_of<'a>(
    o: &'a Owned,
    sessions: &'a [col::SessionRow<'a>],
    persons: &'a [&'a str],
    elearning: &'a [col::ElearningRow<'a>],
) -> col::Columns<'a> {
    col::Columns {
        project: &o.project,
        params: &o.params,
        closures: &o.closures,
        sessions,
        breaks: &o.breaks,
        persons,
        attendance: col::Attendance {
            session: &o.att_session,
            person: &o.att_person,
            check_in: &o.att_in,
            check_out: &o.att_out,
            late: o.late.as_deref(),
            clock_suspect: o.suspect.as_deref(),
            absent: o.absent.as_deref(),
        },
        elearning,
    }
}

pub(crate) fn compact(o: &Owned) -> Result<subsidy::Compact, Error> {
    let (sessions, persons, elearning) = rows(o);
    col::compact_from_columns(&columns_of(o, &sessions, &persons, &elearning))
}

/// The report (or, with `totals_only`, the summary as JSON) of one project's tables.
#[pyfunction]
#[pyo3(signature = (project, params_json, closures, sessions, breaks, attendance, elearning_json, at, totals_only=false))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn report_from_columns(
    py: Python<'_>,
    project: String,
    params_json: &str,
    closures: Vec<String>,
    sessions: &Bound<'_, PyDict>,
    breaks: &Bound<'_, PyDict>,
    attendance: &Bound<'_, PyDict>,
    elearning_json: &str,
    at: &str,
    totals_only: bool,
) -> PyResult<Py<PyAny>> {
    let held = Held::gather(sessions, breaks, attendance)?;
    let raw = held.raw();
    let extra = Extra::project(project, params_json, closures, elearning_json);
    let at = at.to_owned();
    if totals_only {
        let s = guarded(py, move || {
            let c = compact(&read(raw, extra, 1)?)?;
            let s = subsidy::totals_compact(&c, tijdreg::calendar::parse_instant(&at)?)?;
            serde_json::to_string(&s).map_err(|_| Error::invalid("the summary as JSON", "de samenvatting als JSON"))
        })?;
        return Ok(s.into_pyobject(py)?.into_any().unbind());
    }
    let r = guarded(py, move || {
        let c = compact(&read(raw, extra, 1)?)?;
        subsidy::report_compact(&c, tijdreg::calendar::parse_instant(&at)?)
    })?;
    Ok(Py::new(py, PyReport { inner: r })?.into_any())
}

fn le<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len().saturating_mul(N));
    for x in v {
        out.extend_from_slice(&f(*x));
    }
    out
}

/// A column of strings as a dictionary: indices (int32 LE) and the distinct values.
struct Dict<'a> {
    index: HashMap<&'a str, i32>,
    values: Vec<&'a str>,
    codes: Vec<i32>,
}

impl<'a> Dict<'a> {
    fn new() -> Self {
        Dict {
            index: HashMap::new(),
            values: Vec::new(),
            codes: Vec::new(),
        }
    }
    fn push(&mut self, s: &'a str) {
        let next = i32::try_from(self.values.len()).unwrap_or(i32::MAX);
        let code = *self.index.entry(s).or_insert_with(|| {
            self.values.push(s);
            next
        });
        self.codes.push(code);
    }
    fn into_py<'py>(self, py: Python<'py>, d: &Bound<'py, PyDict>, name: &str) -> PyResult<()> {
        d.set_item(
            format!("{name}.codes"),
            PyBytes::new(py, &le(&self.codes, i32::to_le_bytes)),
        )?;
        d.set_item(format!("{name}.values"), self.values)?;
        Ok(())
    }
}

/// A decimal as an integer scaled by 10^scale (for Arrow's decimal128).
fn scaled(x: Decimal, scale: u32) -> i128 {
    let mut y = x.round_dp(scale);
    y.rescale(scale);
    y.mantissa()
}

/// The lines of a report as columns (for `Report.to_arrow`): per column either
/// little-endian bytes or, for strings, dictionary codes and values.
#[pyfunction]
pub(crate) fn report_line_columns<'py>(py: Python<'py>, report: PyRef<'_, PyReport>) -> PyResult<Bound<'py, PyDict>> {
    {
        let r = &report.inner;
        let d = PyDict::new(py);
        let lines = r.lines();
        let n = lines.len();
        let (mut kind, mut source, mut person, mut training) = (Dict::new(), Dict::new(), Dict::new(), Dict::new());
        let mut date = Vec::with_capacity(n);
        let mut realised = Vec::with_capacity(n);
        let (mut planned, mut attended, mut counted) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut unit_cost, mut amount) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut bools: [Vec<u8>; 4] = Default::default();
        for l in lines.iter() {
            kind.push(l.kind().code());
            source.push(l.source());
            person.push(l.person().as_str());
            training.push(l.training().as_str());
            date.push(
                l.date()
                    .signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default())
                    .num_days() as i32,
            );
            realised.push(u8::from(l.realised()));
            planned.push(l.planned_seconds());
            attended.push(l.attended_seconds());
            counted.push(l.counted_minutes());
            unit_cost.push(scaled(l.unit_cost(), 6));
            amount.push(scaled(l.amount(), 12));
            for (b, v) in bools.iter_mut().zip([
                l.late_registration(),
                l.late_arrival(),
                l.early_departure(),
                l.clock_suspect(),
            ]) {
                b.push(u8::from(v));
            }
        }
        kind.into_py(py, &d, "kind")?;
        source.into_py(py, &d, "source")?;
        person.into_py(py, &d, "person")?;
        training.into_py(py, &d, "training")?;
        d.set_item("date", PyBytes::new(py, &le(&date, i32::to_le_bytes)))?;
        d.set_item("realised", PyBytes::new(py, &realised))?;
        d.set_item("planned_seconds", PyBytes::new(py, &le(&planned, i64::to_le_bytes)))?;
        d.set_item("attended_seconds", PyBytes::new(py, &le(&attended, i64::to_le_bytes)))?;
        d.set_item("counted_minutes", PyBytes::new(py, &le(&counted, i64::to_le_bytes)))?;
        d.set_item("unit_cost", PyBytes::new(py, &le(&unit_cost, i128::to_le_bytes)))?;
        d.set_item("amount", PyBytes::new(py, &le(&amount, i128::to_le_bytes)))?;
        for (name, b) in ["late_registration", "late_arrival", "early_departure", "clock_suspect"]
            .iter()
            .zip(&bools)
        {
            d.set_item(*name, PyBytes::new(py, b))?;
        }
        d.set_item("rows", n)?;
        Ok(d)
    }
}

/// The excluded stretches of a report as columns (for `Report.excluded_to_arrow`).
#[pyfunction]
#[pyo3(signature = (report, text=false))]
pub(crate) fn report_excluded_columns<'py>(
    py: Python<'py>,
    report: PyRef<'_, PyReport>,
    text: bool,
) -> PyResult<Bound<'py, PyDict>> {
    {
        let r = &report.inner;
        let d = PyDict::new(py);
        let (mut reason, mut rule) = (Dict::new(), Dict::new());
        let (mut line, mut seconds, mut from, mut until) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // The explanations as Arrow holds a string column: their bytes one after the other
        // and where each ends (no Python string per stretch).
        let (mut text_data, mut text_ends) = (String::new(), vec![0usize]);
        for (i, l) in r.lines().iter().enumerate() {
            for e in l.excluded() {
                line.push(i as i64);
                reason.push(e.reason().code());
                rule.push(e.rule());
                seconds.push(e.seconds());
                from.push(e.from().map_or(i64::MIN, |t| t.timestamp()));
                until.push(e.until().map_or(i64::MIN, |t| t.timestamp()));
                if text {
                    e.write_text(&mut text_data);
                    text_ends.push(text_data.len());
                }
            }
        }
        d.set_item("rows", line.len())?;
        d.set_item("line", PyBytes::new(py, &le(&line, i64::to_le_bytes)))?;
        reason.into_py(py, &d, "reason")?;
        rule.into_py(py, &d, "rule")?;
        d.set_item("seconds", PyBytes::new(py, &le(&seconds, i64::to_le_bytes)))?;
        d.set_item("from", PyBytes::new(py, &le(&from, i64::to_le_bytes)))?;
        d.set_item("until", PyBytes::new(py, &le(&until, i64::to_le_bytes)))?;
        if text {
            // 32-bit offsets (Arrow's `string`) unless the texts pass 2 GiB (`large_string`).
            let large = text_data.len() > i32::MAX as usize;
            let offsets = if large {
                le(&text_ends, |x| (x as i64).to_le_bytes())
            } else {
                le(&text_ends, |x| (x as i32).to_le_bytes())
            };
            d.set_item("text.large", large)?;
            d.set_item("text.offsets", PyBytes::new(py, &offsets))?;
            d.set_item("text.data", PyBytes::new(py, text_data.as_bytes()))?;
        }
        Ok(d)
    }
}

/// The totals of every project of a call's tables, as a list of summaries (dicts with
/// `Decimal` money and `datetime` instants, as `from_json` of the summaries' JSON gives them)
/// in the order of `projects` (`sessions["project"]` holds each session's index into it,
/// int32 LE).
#[pyfunction]
#[pyo3(signature = (projects, params_json, closures, sessions, breaks, attendance, elearning_json, elearning_project, at, threads=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn call_totals_from_columns<'py>(
    py: Python<'py>,
    projects: Vec<String>,
    params_json: &str,
    closures: Vec<String>,
    sessions: &Bound<'_, PyDict>,
    breaks: &Bound<'_, PyDict>,
    attendance: &Bound<'_, PyDict>,
    elearning_json: &str,
    elearning_project: Vec<u32>,
    at: &str,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let project_codes = bytes_of(sessions, "project")?;
    let held = Held::gather(sessions, breaks, attendance)?;
    let raw_tables = held.raw();
    let session_project = raw(&project_codes);
    let extra = Extra::call(params_json, closures, elearning_json);
    let at = at.to_owned();
    let summaries = guarded(py, move || {
        let session_project = i32s(session_project, "sessions.project");
        let threads = threads_or_cores(threads);
        // The tables are read without the GIL, on as many threads as the counting.
        let o = read(raw_tables, extra, threads)?;
        let session_project: Vec<u32> = session_project?
            .into_iter()
            .map(|x| u32::try_from(x).unwrap_or(u32::MAX))
            .collect();
        let at = tijdreg::calendar::parse_instant(&at)?;
        count_call(&o, &session_project, &projects, &elearning_project, at, threads)
    })?;
    crate::pyser::plain(py, &summaries)
}

/// Every project's totals of a call's tables, in the order of `projects` (`session_project`
/// holds each session's index into it), counted on `threads` threads.
pub(crate) fn count_call(
    o: &Owned<'_>,
    session_project: &[u32],
    projects: &[String],
    elearning_project: &[u32],
    at: chrono::DateTime<chrono::Utc>,
    threads: usize,
) -> Result<Vec<subsidy::Summary>, Error> {
    let names: Vec<&str> = projects.iter().map(String::as_str).collect();
    let (sessions, persons, elearning) = rows(o);
    let call = col::CallColumns {
        projects: &names,
        session_project,
        elearning_project,
        columns: columns_of(o, &sessions, &persons, &elearning),
    };
    // Projects are independent (ADR 03): the call's tables are checked and grouped once
    // (shared by the threads), then contiguous ranges of projects, of about as many
    // attendance rows each, are counted on threads of their own; in each, a project is
    // counted as soon as it is built and its records dropped before the next. The answer
    // (and the first error, by project) is the one project-by-project order gives.
    let index = col::CallIndex::new(&call)?;
    let threads = threads.clamp(1, names.len().max(1));
    let ranges = split_by_rows(session_project, &o.att_session, names.len(), threads);
    let count = |range: std::ops::Range<usize>| -> Result<Vec<subsidy::Summary>, Error> {
        let mut out = Vec::with_capacity(range.len());
        let mut memo = subsidy::ReceiptMemo::default();
        index.each_project_in(range, |_, c| {
            out.push(subsidy::totals_compact_with(&c, at, &mut memo)?);
            Ok(())
        })?;
        Ok(out)
    };
    // The first range is counted in this thread (no thread at all for one range: a new
    // thread's allocations come from a fresh malloc arena, whose pages fault in anew).
    let mut ranges = ranges.into_iter();
    let first = ranges.next().unwrap_or(0..0);
    let parts: Vec<Result<Vec<subsidy::Summary>, Error>> = std::thread::scope(|scope| {
        let count = &count;
        let handles: Vec<_> = ranges.map(|range| scope.spawn(move || count(range))).collect();
        let mut parts = vec![count(first)];
        // A thread's panic goes on here, where `guarded` turns it into an internal error.
        parts.extend(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        );
        parts
    });
    let mut out = Vec::with_capacity(names.len());
    for part in parts {
        out.extend(part?);
    }
    Ok(out)
}

/// `parts` contiguous ranges of `0..projects` of about as many attendance rows each (a
/// project weighing one row more, so that empty ones spread too). Rows naming no session or
/// project are not weighed (the core refuses them).
fn split_by_rows(
    session_project: &[u32],
    att_session: &[u32],
    projects: usize,
    parts: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut rows = vec![1usize; projects];
    for &s in att_session {
        if let Some(x) = session_project.get(s as usize).and_then(|&p| rows.get_mut(p as usize)) {
            *x += 1;
        }
    }
    let total: usize = rows.iter().sum();
    let mut out = Vec::with_capacity(parts);
    let (mut start, mut acc) = (0usize, 0usize);
    for (p, r) in rows.iter().enumerate() {
        acc += r;
        if out.len() + 1 < parts && acc * parts >= total * (out.len() + 1) {
            out.push(start..p + 1);
            start = p + 1;
        }
    }
    out.push(start..projects);
    out
}

/// A refused row: its index, code, rule, Dutch and English message.
type Refusal = (usize, String, String, String, String);

/// The token of the scan before, kept to be written over by the next one (ids are held inline:
/// making one allocates nothing).
#[derive(Default)]
struct Spare {
    token: String,
}

impl Spare {
    /// Takes back the token of a scan's command.
    fn reclaim(&mut self, c: tijdreg::ledger::Command) {
        use tijdreg::ledger::Command;
        if let Command::CheckIn { token: Some(t), .. } | Command::CheckOut { token: Some(t), .. } = c {
            self.token = t;
        }
    }
}

/// `text` in the room of `spare` (taken from it: no allocation once it has grown).
fn overwrite(spare: &mut String, text: &str) -> String {
    let mut s = std::mem::take(spare);
    s.clear();
    s.push_str(text);
    s
}

/// Applies a columnar batch of scans — check-ins, check-outs, absences — in order, in one
/// native call without the GIL: per row a command id, actor, instant, kind, session, and a
/// person or a token (and optionally the registered time). Returns the number applied and,
/// per refused row, `(row, code, rule, message_nl, message_en)`; a refusal does not stop the
/// batch (each command stands alone, ATT-3 retries included).
#[pyfunction]
pub(crate) fn apply_scan_columns(
    py: Python<'_>,
    ledger: &Bound<'_, crate::PyLedger>,
    scans: &Bound<'_, PyDict>,
) -> PyResult<(usize, Vec<Refusal>)> {
    use tijdreg::ledger::{Actor, Command, Envelope};
    // The columns held (with the GIL), read where Python keeps them (without it).
    let held: Vec<Option<StrBytes<'_>>> = ["command_id", "actor", "kind", "session", "person", "token"]
        .iter()
        .map(|k| str_bytes(scans, k))
        .collect::<PyResult<_>>()?;
    let (at_col, time_col) = (instant_col(scans, "at")?, instant_col(scans, "time")?);
    let person_set = raw(&bytes_of(scans, "person_set")?).to_vec();
    let texts: Vec<Option<(&[u8], &[u8])>> = held.iter().map(raw_str).collect();
    let (at_raw, time_raw) = (raw_instants(&at_col), raw_instants(&time_col));
    let ledger = ledger.get();
    ledger.with(py, move |l| {
        let text = |i: usize, what: &str| str_col(texts.get(i).copied().flatten(), what);
        let (ids, actors, kinds) = (text(0, "command_id")?, text(1, "actor")?, text(2, "kind")?);
        let (sessions_, persons, tokens) = (text(3, "session")?, text(4, "person")?, text(5, "token")?);
        let at = instants(at_raw, "scans.at")?;
        let time = time_raw.map(|t| instants(Some(t), "scans.time")).transpose()?;
        let n = ids.len();
        if [actors.len(), kinds.len(), sessions_.len(), at.len()]
            .iter()
            .any(|&x| x != n)
        {
            return Err(invalid(
                "scans: every column has one value per row".into(),
                "scans: elke kolom heeft één waarde per rij".into(),
            ));
        }
        // An error names the row and column; the name is made only then.
        let instant = |s: i64, row: usize, column: &str| {
            chrono::DateTime::from_timestamp(s, 0).ok_or_else(|| {
                invalid(
                    format!("scans[{row}].{column}: not an instant"),
                    format!("scans[{row}].{column}: geen tijdstip"),
                )
            })
        };
        let mut applied = 0usize;
        let mut refused = Vec::new();
        // One envelope, its texts written over from row to row: once they have grown, a scan
        // allocates nothing before the engine sees it.
        let mut env = Envelope {
            command_id: tijdreg::ids::CommandId::default(),
            actor: Actor::System,
            at: chrono::DateTime::UNIX_EPOCH,
            command: Command::MarkAbsent {
                session: tijdreg::ids::SessionId::default(),
                person: tijdreg::ids::PersonId::default(),
            },
        };
        let mut spare = Spare::default();
        for i in 0..n {
            let has_person = person_set.get(i).is_some_and(|b| *b != 0);
            let when = time
                .as_ref()
                .and_then(|t| t.get(i).copied())
                .filter(|s| *s != i64::MIN)
                .map(|s| instant(s, i, "time"))
                .transpose()?;
            spare.reclaim(std::mem::replace(
                &mut env.command,
                Command::StartSession {
                    session: tijdreg::ids::SessionId::default(),
                },
            ));
            let session = tijdreg::ids::SessionId::new(sessions_.get(i));
            let person = has_person.then(|| tijdreg::ids::PersonId::new(persons.get(i)));
            let token = (!has_person && i < tokens.len()).then(|| overwrite(&mut spare.token, tokens.get(i)));
            env.command = match kinds.get(i) {
                "check_in" => Command::CheckIn {
                    session,
                    person,
                    token,
                    time: when,
                },
                "check_out" => Command::CheckOut {
                    session,
                    person,
                    token,
                    time: when,
                },
                "mark_absent" => Command::MarkAbsent {
                    session,
                    person: person.unwrap_or_default(),
                },
                _ => {
                    return Err(invalid(
                        format!("scans[{i}].kind: one of check_in, check_out, mark_absent"),
                        format!("scans[{i}].kind: een van check_in, check_out, mark_absent"),
                    ));
                }
            };
            env.command_id = tijdreg::ids::CommandId::new(ids.get(i));
            env.actor = Actor::from(actors.get(i));
            env.at = instant(at.get(i).copied().unwrap_or_default(), i, "at")?;
            match l.apply_quiet(&env) {
                Ok(_) => applied += 1,
                Err(e) => refused.push((
                    i,
                    e.code().to_owned(),
                    e.rule().to_owned(),
                    e.message_nl(),
                    e.message_en(),
                )),
            }
        }
        Ok((applied, refused))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any number of threads asked for is at least one and at most `MAX_THREADS`; none asked
    /// for is every core, within the same bounds.
    #[test]
    fn threads_asked_for_are_bounded() {
        assert_eq!(threads_or_cores(Some(0)), 1);
        assert_eq!(threads_or_cores(Some(3)), 3);
        assert_eq!(threads_or_cores(Some(usize::MAX)), MAX_THREADS);
        assert!((1..=MAX_THREADS).contains(&threads_or_cores(None)));
    }
}
