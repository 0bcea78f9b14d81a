//! The counting kernel: SUB-1 → SUB-4 → SUB-6 → SUB-2 → SUB-5 → SUB-8, in the rulebook's order,
//! over [`Compact`] records, to the second.
//!
//! How it stays near one flat pass:
//! - sources (sessions, e-learning entries) are taken by date (a counting sort when the
//!   input is not in date order); with explanations also by start and id within the day,
//!   which is the report's order, so no line is ever sorted;
//! - session plans (instants, breaks, net time, the SUB-4 threshold in whole seconds) are
//!   computed once per session, parameters once per distinct date;
//! - each participant's day is followed as its lines come (the lines so far, their counted
//!   minutes, where their counted time ends): a day needs a second look only when a line
//!   overlaps an earlier one (SUB-6), arrives out of order, or the day goes over the daily
//!   cap (SUB-5) — all other lines are finished in the pass;
//! - scratch is per day and reused; a line is 24 bytes (its seconds and minutes in bit
//!   fields: a day bounds them), an excluded stretch 12 (its start as seconds after 1999-12-30,
//!   which every instant of records fits in 32 bits); what only
//!   a second look at a day gives a line (SUB-6 stretches, a SUB-5 cut) is kept beside it;
//!   a second look counts its lines' stretches again from the records (few days need one), so
//!   the pass keeps none;
//! - the totals pass keeps no lines at all, only where a participant's first two lines of the
//!   day come from (beside their day's figures) and a chain of any more: a day that needs a
//!   second look makes its participants' lines again from the records and the sessions' kept
//!   facts ([`rebuild_queued`]); a session's net time
//!   of one stretch or two (nearly all) is walked in a loop made for that length, the common
//!   single interval counted right there ([`session_totals`]);
//! - a participant's single interval (the common line) is counted and explained in one walk
//!   over the session's net time, without the general intersection;
//! - explanations are facts (reason, from, length, the other session), kept only when asked
//!   for; texts are rendered later, on demand;
//! - money is summed as integer minutes per parameter set and turned into `Decimal` once per
//!   set at the end (exact: the products are integers times the unit cost).

// Integer arithmetic on bounded values (docs/limits.md): instants are seconds of the years
// 2000..=2099 (< 2^33), a line lasts at most a day (86 400 s), counts are u32; sums of seconds
// over at most 2^32 lines stay below 2^49. Money is summed with checked Decimal operations in
// `subsidy::summarise`.
#![allow(clippy::arithmetic_side_effects)]

use super::Reason;
use super::compact::{CEntry, CInterval, CParticipant, CSession, Compact, Names, Span};
use crate::calendar::brussels_unix;
use crate::elearning::EntryStatus;
use crate::error::Error;
use crate::params::{Params, Rounding};
use crate::session::SessionStatus;
use chrono::{Datelike, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use std::cmp::Ordering;

pub(crate) const NONE: u32 = u32::MAX;

/// Line flags.
pub(crate) mod flag {
    pub const ELEARNING: u8 = 1;
    pub const REALISED: u8 = 2;
    pub const LATE_REGISTRATION: u8 = 4;
    pub const LATE_ARRIVAL: u8 = 8;
    pub const EARLY_DEPARTURE: u8 = 16;
    pub const CLOCK_SUSPECT: u8 = 32;
    pub const REJECTED: u8 = 64;
    /// A second look at its day gave the line SUB-6 stretches or a SUB-5 cut, kept beside the
    /// lines (`Kernel::sub6_of`, `Kernel::cap_of`).
    pub const SECOND_LOOK: u8 = 128;
}

/// One line (a participant in a session, or an e-learning entry), 24 bytes. Its date,
/// planned time and start are its source's (see [`Kernel::sessions`], [`Kernel::entries`]).
/// Every figure is bounded by the planned net time, which lies within one day (SES-1: at most
/// 25 hours, 90,000 seconds, 1,500 minutes; an e-learning entry at most 1,440 minutes, EL-1),
/// so a line keeps its seconds and minutes in bit fields: attended seconds in 24 bits beside
/// the flags, counted seconds in 20 bits beside the minutes in 12.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineRec {
    /// First of its SUB-1/SUB-4/SUB-7 parts in `Kernel::parts`.
    pub parts: u32,
    /// Session index (classroom) or entry index (e-learning).
    pub source: u32,
    pub person: u32,
    /// Attended seconds (low 24 bits) and the flags (high 8).
    attended_flags: u32,
    /// Counted seconds after SUB-4 and SUB-6, before rounding (low 20 bits), and the final
    /// counted minutes after SUB-2 and SUB-5 (high 12).
    counted_minutes: u32,
    pub n_parts: u16,
    pub params: u16,
}

/// The largest attended seconds, counted seconds and minutes a line can hold (far above what
/// one day allows: see [`LineRec`]).
const ATTENDED_MAX: i64 = (1 << 24) - 1;
const COUNTED_MAX: i64 = (1 << 20) - 1;
const MINUTES_MAX: i64 = (1 << 12) - 1;

impl LineRec {
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn new(
        (parts, n_parts): (u32, u16),
        source: u32,
        person: u32,
        attended: i64,
        counted_secs: i64,
        minutes: i64,
        params: u16,
        flags: u8,
    ) -> LineRec {
        debug_assert!((0..=ATTENDED_MAX).contains(&attended), "attended {attended}");
        debug_assert!((0..=COUNTED_MAX).contains(&counted_secs), "counted {counted_secs}");
        debug_assert!((0..=MINUTES_MAX).contains(&minutes), "minutes {minutes}");
        // Each figure kept to its bits (a day's figures always fit: see above).
        LineRec {
            parts,
            source,
            person,
            attended_flags: (attended as u32 & ATTENDED_MAX as u32) | (u32::from(flags) << 24),
            counted_minutes: (counted_secs as u32 & COUNTED_MAX as u32) | ((minutes as u32 & MINUTES_MAX as u32) << 20),
            n_parts,
            params,
        }
    }
    #[inline(always)]
    pub fn has(&self, f: u8) -> bool {
        self.flags() & f != 0
    }
    #[inline(always)]
    pub fn flags(&self) -> u8 {
        (self.attended_flags >> 24) as u8
    }
    #[inline(always)]
    pub fn add_flag(&mut self, f: u8) {
        self.attended_flags |= u32::from(f) << 24;
    }
    #[inline(always)]
    pub fn attended(&self) -> i32 {
        (self.attended_flags & ATTENDED_MAX as u32) as i32
    }
    /// After SUB-4 and SUB-6, before rounding.
    #[inline(always)]
    pub fn counted_secs(&self) -> i32 {
        (self.counted_minutes & COUNTED_MAX as u32) as i32
    }
    #[inline(always)]
    pub fn set_counted_secs(&mut self, secs: i64) {
        debug_assert!((0..=COUNTED_MAX).contains(&secs), "counted {secs}");
        self.counted_minutes = (self.counted_minutes & !(COUNTED_MAX as u32)) | (secs as u32 & COUNTED_MAX as u32);
    }
    /// Final counted minutes (after SUB-2 and SUB-5).
    #[inline(always)]
    pub fn minutes(&self) -> i32 {
        (self.counted_minutes >> 20) as i32
    }
    #[inline(always)]
    pub fn set_minutes(&mut self, minutes: i64) {
        debug_assert!((0..=MINUTES_MAX).contains(&minutes), "minutes {minutes}");
        self.counted_minutes =
            (self.counted_minutes & COUNTED_MAX as u32) | ((minutes as u32 & MINUTES_MAX as u32) << 20);
    }
    /// Seconds lost (or, rounding up, gained: negative) to SUB-2, given the line's SUB-5 cut
    /// ([`Kernel::cap_cut`]).
    pub fn rounding_diff(&self, cap_cut: i32) -> i64 {
        i64::from(self.counted_secs()) - (i64::from(self.minutes()) + i64::from(cap_cut)) * 60
    }
}

/// An excluded stretch as facts (SUB-9), 12 bytes: its start, length, reason and, for SUB-6,
/// the other session. For parts without clock times (SUB-7) `from` is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    /// Seconds after [`PART_EPOCH`]; 0 for a part without clock times.
    at: u32,
    len: u32,
    /// Reason in the low 4 bits, the other session above.
    tag: u32,
}

/// What a part's start is counted from: a second before the first instant records may hold
/// (`compact::INSTANTS`: the years 2000..=2099 with a day's slack), so that every start of a
/// stretch of time lies 1 to 2³² − 1 seconds after it and 0 is left for "no clock time".
const PART_EPOCH: i64 = 946_598_400 - 1;

/// The most sessions a report can name as "counted elsewhere" (28 bits of a part).
pub(crate) const MAX_SESSIONS: usize = (1 << 28) - 1;

impl Part {
    pub fn new(reason: Reason, from: i64, until: i64, other: u32) -> Part {
        // Records' instants are checked to lie in their years, so a start of time always fits.
        debug_assert!(from == 0 || (1..=i64::from(u32::MAX)).contains(&(from - PART_EPOCH)));
        Part {
            at: if from == 0 { 0 } else { (from - PART_EPOCH) as u32 },
            len: (until - from) as u32,
            tag: (reason as u32) | (other.min(MAX_SESSIONS as u32) << 4),
        }
    }
    pub fn from(&self) -> i64 {
        if self.at == 0 {
            0
        } else {
            PART_EPOCH + i64::from(self.at)
        }
    }
    pub fn until(&self) -> i64 {
        self.from() + i64::from(self.len)
    }
    pub fn reason(&self) -> Reason {
        Reason::from_index(self.tag & 15)
    }
    pub fn other(&self) -> u32 {
        self.tag >> 4
    }
}

/// The parameters in force on a date, with what the kernel derives from them once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PSet {
    pub params: Params,
    pub rounding: Rounding,
    /// The default rounding (whole minutes, down): a division by a constant.
    pub whole_minutes_down: bool,
    pub cap_minutes: Option<i64>,
    pub late_arrival: i64,
    pub early_departure: i64,
}

/// What a session contributes to its lines, kept for the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SessionFacts {
    pub date: NaiveDate,
    pub planned: i32,
    /// SUB-4's threshold for its lines in whole seconds (0 without a minimum presence).
    pub need: i64,
    /// Its planned breaks as instants in `Kernel::breaks`, sorted and merged.
    pub breaks: Span,
}

/// What the kernel computed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Kernel {
    pub lines: Vec<LineRec>,
    pub parts: Vec<Part>,
    pub sub6: Vec<Part>,
    /// Per line with SUB-6 stretches (by line index, ascending): its first stretch in `sub6`
    /// and how many.
    pub sub6_of: Vec<(u32, u32, u32)>,
    /// Per line cut by SUB-5 (by line index, ascending): the minutes cut.
    pub cap_of: Vec<(u32, i32)>,
    pub psets: Vec<PSet>,
    pub sessions: Vec<SessionFacts>,
    pub breaks: Vec<(i64, i64)>,
    /// The last date of any session or entry (the cap and shares in force then, ADR 04).
    pub max_date: Option<NaiveDate>,
}

impl Kernel {
    /// The SUB-6 stretches of line `i`.
    pub fn sub6_parts(&self, i: usize, l: &LineRec) -> &[Part] {
        if !l.has(flag::SECOND_LOOK) {
            return &[];
        }
        match self.sub6_of.binary_search_by_key(&(i as u32), |e| e.0) {
            Ok(at) => self.sub6_of.get(at).map_or(&[][..], |&(_, first, n)| {
                let first = first as usize;
                self.sub6.get(first..first.saturating_add(n as usize)).unwrap_or(&[])
            }),
            Err(_) => &[],
        }
    }

    /// The minutes SUB-5 cut from line `i`.
    pub fn cap_cut(&self, i: usize, l: &LineRec) -> i32 {
        if !l.has(flag::SECOND_LOOK) {
            return 0;
        }
        match self.cap_of.binary_search_by_key(&(i as u32), |e| e.0) {
            Ok(at) => self.cap_of.get(at).map_or(0, |e| e.1),
            Err(_) => 0,
        }
    }

    /// Keeps the lines `keep` says, their SUB-6 stretches and SUB-5 cuts with them.
    pub fn retain_lines(&mut self, keep: impl Fn(&LineRec) -> bool) {
        let mut new_index: Vec<u32> = Vec::with_capacity(self.lines.len());
        let mut next = 0u32;
        for l in &self.lines {
            if keep(l) {
                new_index.push(next);
                next += 1;
            } else {
                new_index.push(NONE);
            }
        }
        let moved = |i: u32| new_index.get(i as usize).copied().filter(|&n| n != NONE);
        self.sub6_of = self
            .sub6_of
            .iter()
            .filter_map(|&(i, first, n)| moved(i).map(|j| (j, first, n)))
            .collect();
        self.cap_of = self
            .cap_of
            .iter()
            .filter_map(|&(i, cut)| moved(i).map(|j| (j, cut)))
            .collect();
        let mut i = 0usize;
        self.lines.retain(|_| {
            let k = new_index.get(i).is_some_and(|&n| n != NONE);
            i += 1;
            k
        });
    }

    /// A line's date and planned net seconds.
    pub fn date_and_planned(&self, c_entries: &[(NaiveDate, i32)], l: &LineRec) -> (NaiveDate, i32) {
        if l.has(flag::ELEARNING) {
            c_entries.get(l.source as usize).copied().unwrap_or((NaiveDate::MIN, 0))
        } else {
            self.sessions
                .get(l.source as usize)
                .map_or((NaiveDate::MIN, 0), |s| (s.date, s.planned))
        }
    }
}

/// Resolves parameters per date: once per stretch of dates between two changes of a value
/// (ORG-3: a value is in force from its date until the next one), so that a project whose
/// parameters never change resolves them once, whatever its number of days.
struct ParamCache<'c> {
    c: &'c Compact,
    /// The dates on which some value comes into force, in order.
    changes: Vec<NaiveDate>,
    /// The set of the last date asked, and the dates `[from, until)` it holds for.
    last: Option<(NaiveDate, NaiveDate, u16)>,
    sets: Vec<PSet>,
}

impl<'c> ParamCache<'c> {
    fn new(c: &'c Compact) -> ParamCache<'c> {
        ParamCache {
            c,
            changes: c.params.change_dates().into_iter().collect(),
            last: None,
            sets: Vec::new(),
        }
    }

    /// The set in force on `date`: the last one asked when the date is in its stretch.
    #[inline(always)]
    fn get(&mut self, date: NaiveDate) -> Result<u16, Error> {
        match self.last {
            Some((from, until, i)) if from <= date && date < until => Ok(i),
            _ => self.look_up(date),
        }
    }

    #[inline(never)]
    fn look_up(&mut self, date: NaiveDate) -> Result<u16, Error> {
        // The changes on or before the date decide it; the first after it ends the stretch.
        let after = self.changes.partition_point(|&d| d <= date);
        let from = after
            .checked_sub(1)
            .and_then(|k| self.changes.get(k))
            .copied()
            .unwrap_or(NaiveDate::MIN);
        let until = self.changes.get(after).copied().unwrap_or(NaiveDate::MAX);
        let params = self.c.params.on(date);
        let i = match self.sets.iter().rposition(|p| p.params == params) {
            Some(i) => i,
            None => {
                let cap_minutes = match params.max_participant_hours_per_day {
                    Some(h) => Some(
                        h.checked_mul(Decimal::from(60))
                            .map(|m| m.trunc())
                            .and_then(|m| i64::try_from(m).ok())
                            .ok_or_else(overflow)?,
                    ),
                    None => None,
                };
                self.sets.push(PSet {
                    whole_minutes_down: params.rounding == Rounding::default(),
                    rounding: params.rounding,
                    cap_minutes,
                    late_arrival: i64::from(params.late_arrival_minutes) * 60,
                    early_departure: i64::from(params.early_departure_minutes) * 60,
                    params,
                });
                self.sets.len() - 1
            }
        };
        let i = u16::try_from(i).map_err(|_| {
            Error::invalid(
                "more than 65535 different parameter sets in one report",
                "meer dan 65535 verschillende parametersets in één rapport",
            )
        })?;
        self.last = Some((from, until, i));
        Ok(i)
    }
}

fn overflow() -> Error {
    Error::invalid(
        "a figure of the report is too large to compute exactly",
        "een cijfer van het rapport is te groot om exact te berekenen",
    )
}

/// `a ∩ b`, both sorted and disjoint, appended to `out`; returns the total.
fn intersect_into(a: &[(i64, i64)], b: &[(i64, i64)], out: &mut Vec<(i64, i64)>) -> i64 {
    let (mut i, mut j, mut total) = (0, 0, 0);
    while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.get(i), b.get(j)) {
        let (s, e) = (a0.max(b0), a1.min(b1));
        if s < e {
            out.push((s, e));
            total += e - s;
        }
        if a1 < b1 { i += 1 } else { j += 1 }
    }
    total
}

/// `a − b` (old subtract: b sorted), appended to `out`.
fn subtract_into(a: &[(i64, i64)], b: &[(i64, i64)], out: &mut Vec<(i64, i64)>) {
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
}

/// SUB-1: a session's net time, `[start, end)` less its breaks (sorted and merged), made in
/// `out`; returns its length. Nearly every session has no break or one within it: made
/// directly.
#[inline(always)]
fn net_time((start, end): (i64, i64), breaks: &[(i64, i64)], out: &mut Vec<(i64, i64)>) -> i64 {
    out.clear();
    match *breaks {
        [] if start < end => {
            out.push((start, end));
            end - start
        }
        [(bs, be)] if start < bs && be < end => {
            out.extend_from_slice(&[(start, bs), (be, end)]);
            (bs - start) + (end - be)
        }
        _ => {
            subtract_into(&[(start, end)], breaks, out);
            total(out)
        }
    }
}

/// Sorts and merges stretches in place (touching ones merge), dropping empty ones.
#[inline(always)]
fn normalise(v: &mut Vec<(i64, i64)>) {
    match v.as_slice() {
        [] => {}
        [(a, b)] => {
            if b <= a {
                v.clear();
            }
        }
        _ => normalise_many(v),
    }
}

/// [`normalise`] of two stretches or more (also right for fewer).
fn normalise_many(v: &mut Vec<(i64, i64)>) {
    v.retain(|(a, b)| b > a);
    if !v.is_sorted() {
        v.sort_unstable();
    }
    let mut w = 0usize;
    for r in 0..v.len() {
        let Some(&(a, b)) = v.get(r) else { break };
        match w.checked_sub(1).and_then(|k| v.get_mut(k)) {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => {
                if let Some(slot) = v.get_mut(w) {
                    *slot = (a, b);
                }
                w += 1;
            }
        }
    }
    v.truncate(w);
}

fn total(v: &[(i64, i64)]) -> i64 {
    v.iter().map(|(a, b)| b - a).sum()
}

/// A 16-byte big-endian prefix of an id: comparing prefixes orders ids as strings do, except
/// that two ids equal in their first 16 bytes must still be compared in full.
fn id_key(s: &str) -> u128 {
    let bytes = s.as_bytes();
    if let Some(head) = bytes.first_chunk::<16>() {
        return u128::from_be_bytes(*head);
    }
    // Shorter: padded with zeros; ids whose keys are equal are compared in full ([`cmp_ids`]).
    let mut b = [0u8; 16];
    if let Some(d) = b.get_mut(..bytes.len()) {
        d.copy_from_slice(bytes);
    }
    u128::from_be_bytes(b)
}

fn cmp_ids(ka: u128, a: &str, kb: u128, b: &str) -> Ordering {
    ka.cmp(&kb).then_with(|| {
        if a.len() > 16 || b.len() > 16 {
            a.cmp(b)
        } else {
            Ordering::Equal
        }
    })
}

/// Brussels midnight and offset per date, remembered for the last date asked (sources come
/// by date): a session's instants cost an addition unless its day has a clock change.
#[derive(Default)]
struct DayClock {
    date: Option<NaiveDate>,
    /// Seconds since the epoch of local midnight as if it were UTC, and the offset, when the
    /// whole day has one offset.
    base: Option<(i64, i64)>,
}

impl DayClock {
    #[inline(always)]
    fn at(&mut self, date: NaiveDate, time: NaiveTime) -> Result<i64, Error> {
        if self.date != Some(date) {
            self.switch(date);
        }
        match self.base {
            Some(day) => Ok(crate::calendar::on_day(day, time)),
            None => brussels_unix(date, time),
        }
    }

    /// A new date: its midnight and offset, if the whole day has one.
    #[inline(never)]
    fn switch(&mut self, date: NaiveDate) {
        self.date = Some(date);
        self.base = crate::calendar::brussels_day(date);
    }
}

/// The 16-byte prefixes of the sources' ids ([`id_key`]), made once for the report's order.
struct SourceKeys {
    sessions: Vec<u128>,
    entries: Vec<u128>,
}

impl SourceKeys {
    /// Each source's id prefix, made once per count.
    fn of(names: &Names) -> SourceKeys {
        SourceKeys {
            sessions: names.sessions.iter().map(id_key).collect(),
            entries: names.entries.iter().map(id_key).collect(),
        }
    }
}

/// A source of lines: a session or an e-learning entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    Session(u32),
    Entry(u32),
}

/// The sources in processing order: by date always (so that a participant's lines of one day
/// meet before the day is closed); with `explain`, also by start and id within a day, which is
/// the report's order.
fn order_sources(c: &Compact, starts: &[i64], e_starts: &[i64], keys: Option<&SourceKeys>) -> Vec<Src> {
    let s_dates = || c.sessions.iter().map(|s| s.date);
    let e_dates = || c.entries.iter().map(|e| e.date);
    let n_sessions = c.sessions.len();
    let mut out: Vec<Src> = Vec::with_capacity(n_sessions + c.entries.len());
    if s_dates().is_sorted() && e_dates().is_sorted() {
        // Each kind already in date order (as records nearly always come): merged, a session
        // before an entry of the same date, as the stable sort below orders them.
        let (sessions, entries) = (&c.sessions, &c.entries);
        let (mut si, mut ei) = (0usize, 0usize);
        while let Some(e) = entries.get(ei) {
            // The sessions up to the entry's date, then the entry.
            while let Some(s) = sessions.get(si)
                && s.date <= e.date
            {
                out.push(Src::Session(si as u32));
                si += 1;
            }
            out.push(Src::Entry(ei as u32));
            ei += 1;
        }
        out.extend((si..sessions.len()).map(|i| Src::Session(i as u32)));
    } else {
        // By date: a counting sort (stable), sessions before entries of the same date.
        let days: Vec<i64> = s_dates()
            .chain(e_dates())
            .map(|d| i64::from(d.num_days_from_ce()))
            .collect();
        let (lo, hi) = days
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        let span = (hi - lo + 1).max(0) as usize;
        let mut counts = vec![0u32; span + 1];
        for &d in &days {
            if let Some(x) = counts.get_mut((d - lo) as usize + 1) {
                *x += 1;
            }
        }
        for i in 1..counts.len() {
            let prev = counts.get(i - 1).copied().unwrap_or(0);
            if let Some(x) = counts.get_mut(i) {
                *x += prev;
            }
        }
        out.resize(days.len(), Src::Session(0));
        let sources = (0..n_sessions as u32)
            .map(Src::Session)
            .chain((0..c.entries.len() as u32).map(Src::Entry));
        for (s, &d) in sources.zip(&days) {
            if let Some(slot) = counts.get_mut((d - lo) as usize)
                && let Some(dst) = out.get_mut(*slot as usize)
            {
                *dst = s;
                *slot += 1;
            }
        }
    }
    let date_of = |s: &Src| match *s {
        Src::Session(i) => c.sessions.get(i as usize).map(|s| s.date),
        Src::Entry(i) => c.entries.get(i as usize).map(|e| e.date),
    };
    if let Some(keys) = keys {
        // Within a day: by start, then id (a session before an entry of the same id). The id
        // prefixes were made once; a full id is read only when two prefixes are equal.
        let names = &c.names;
        let key = |s: &Src| -> (i64, u128, u8) {
            match *s {
                Src::Session(i) => (
                    starts.get(i as usize).copied().unwrap_or(0),
                    keys.sessions.get(i as usize).copied().unwrap_or(0),
                    0,
                ),
                Src::Entry(i) => (
                    e_starts.get(i as usize).copied().unwrap_or(0),
                    keys.entries.get(i as usize).copied().unwrap_or(0),
                    1,
                ),
            }
        };
        let id = |s: &Src| match *s {
            Src::Session(i) => names.sessions.get(i as usize).unwrap_or(""),
            Src::Entry(i) => names.entries.get(i as usize).unwrap_or(""),
        };
        let cmp = |a: &Src, b: &Src| {
            let (sa, ka, ta) = key(a);
            let (sb, kb, tb) = key(b);
            // The ids are read only when their prefixes are equal.
            sa.cmp(&sb)
                .then(ka.cmp(&kb))
                .then_with(|| cmp_ids(ka, id(a), kb, id(b)))
                .then(ta.cmp(&tb))
        };
        // A day out of order is sorted on its keys made once (start, id prefix, kind), the
        // full ids read only when two prefixes are equal.
        let mut keyed: Vec<(i64, u128, u8, Src)> = Vec::new();
        let mut i = 0;
        while i < out.len() {
            let d = out.get(i).and_then(date_of);
            let mut j = i;
            while out.get(j).is_some_and(|s| date_of(s) == d) {
                j += 1;
            }
            if let Some(day_slice) = out.get_mut(i..j)
                && !day_slice
                    .windows(2)
                    .all(|w| matches!(w, [a, b] if cmp(a, b) != Ordering::Greater))
            {
                keyed.clear();
                keyed.extend(day_slice.iter().map(|s| {
                    let (start, k, tag) = key(s);
                    (start, k, tag, *s)
                }));
                keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then_with(|| cmp(&a.3, &b.3)));
                for (slot, k) in day_slice.iter_mut().zip(&keyed) {
                    *slot = k.3;
                }
            }
            i = j;
        }
    }
    out
}

/// The rank of each name in string order.
fn rank<T: AsRef<str>>(names: &[T]) -> Vec<u32> {
    let keys: Vec<u128> = names.iter().map(|n| id_key(n.as_ref())).collect();
    let name = |i: u32| names.get(i as usize).map_or("", |x| x.as_ref());
    let key = |i: u32| keys.get(i as usize).copied().unwrap_or(0);
    let cmp = |a: &u32, b: &u32| cmp_ids(key(*a), name(*a), key(*b), name(*b));
    let mut idx: Vec<u32> = (0..names.len() as u32).collect();
    if !idx
        .windows(2)
        .all(|w| matches!(w, [a, b] if cmp(a, b) != Ordering::Greater))
    {
        idx.sort_unstable_by(cmp);
    }
    let mut r = vec![0u32; names.len()];
    for (pos, &i) in idx.iter().enumerate() {
        if let Some(slot) = r.get_mut(i as usize) {
            *slot = pos as u32;
        }
    }
    r
}

/// Sums the kernel keeps while it counts (SUB-3, SUB-8): per side (provisional, realised) the
/// lines, planned seconds and minutes, and the minutes per parameter set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Acc {
    pub lines: [usize; 2],
    pub planned: [i64; 2],
    pub minutes: [i64; 2],
    /// `None` until a line of that set and side is seen.
    pub per_set: Vec<[Option<i64>; 2]>,
}

impl Acc {
    /// Room for `sets` parameter sets.
    pub fn reserve(&mut self, sets: usize) {
        if self.per_set.len() < sets {
            self.per_set.resize(sets, [None, None]);
        }
    }

    #[inline(always)]
    pub fn add(&mut self, l: &LineRec, planned: i32) {
        self.add_lines(
            l.has(flag::REALISED),
            l.params,
            1,
            i64::from(planned),
            i64::from(l.minutes()),
        );
    }

    /// Adds `lines` lines of one side and parameter set at once (a session's participants).
    #[inline(always)]
    fn add_lines(&mut self, realised: bool, params: u16, lines: usize, planned: i64, minutes: i64) {
        let r = usize::from(realised);
        if let (Some(n), Some(p), Some(m)) = (self.lines.get_mut(r), self.planned.get_mut(r), self.minutes.get_mut(r)) {
            *n += lines;
            *p += planned;
            *m += minutes;
        }
        let i = params as usize;
        self.reserve(i + 1);
        if let Some(slot) = self.per_set.get_mut(i).and_then(|s| s.get_mut(r)) {
            *slot = Some(slot.unwrap_or(0) + minutes);
        }
    }

    /// Moves a line already added by `by` minutes (a second look at its day changed it).
    fn shift(&mut self, l: &LineRec, by: i64) {
        let r = usize::from(l.has(flag::REALISED));
        if let Some(m) = self.minutes.get_mut(r) {
            *m += by;
        }
        if let Some(slot) = self.per_set.get_mut(l.params as usize).and_then(|s| s.get_mut(r)) {
            *slot = Some(slot.unwrap_or(0) + by);
        }
    }
}

/// What the day keeps of each of its lines, 12 bytes.
#[derive(Clone, Copy)]
struct DayLine {
    /// The session, or for e-learning (`who` is `NONE`) the entry.
    source: u32,
    /// The participant record of a classroom line (to count it again when needed).
    who: u32,
    /// Previous line of the same participant today.
    prev: u32,
}

impl DayLine {
    #[inline(always)]
    fn new(source: u32, who: u32) -> DayLine {
        DayLine {
            source,
            who,
            prev: NONE,
        }
    }
    /// Its start: the session's, or the entry's time (the end of the day when untimed).
    fn start(&self, ctx: &CloseCtx<'_>) -> i64 {
        let starts = if self.who == NONE { ctx.e_starts } else { ctx.starts };
        starts.get(self.source as usize).copied().unwrap_or(0)
    }
}

/// A line that counts nothing: its span never starts before a day's counted end, nor moves it.
const NO_SPAN: (i64, i64) = (i64::MAX, i64::MIN);

/// SUB-5's cap in minutes, `i64::MAX` when there is none (no day's minutes go over it).
#[inline(always)]
fn cap_of(pset: &PSet) -> i64 {
    pset.cap_minutes.unwrap_or(i64::MAX)
}

/// A participant's day so far.
#[derive(Clone, Copy)]
struct PersonDay {
    /// The day number this state belongs to.
    day: u32,
    /// Their last line today (an index into `Day::lines`); in the totals pass their last line
    /// beyond the first two (`Day::more`).
    last: u32,
    /// The totals pass: how many lines they have today, and the first two (source, record),
    /// so that a day needs no chain for the common participant of one or two lines a day.
    count: u32,
    first: [(u32, u32); 2],
    /// Queued for a second look at the close of the day.
    queued: bool,
    /// A line overlapped an earlier one or came out of order: SUB-6 again, in full.
    complex: bool,
    /// Σ rounded minutes of today's lines, before the cap.
    minutes: i64,
    /// Where today's counted classroom time ends so far.
    max_end: i64,
    /// The start of their last line (order check when the day is in input order).
    last_start: i64,
}

/// The lines of the day being counted, and what links a participant's lines of that day.
struct Day {
    /// Per line of the day: with explanations as the pass makes them; without, only the
    /// lines of the participants whose day needs a second look, made again when it closes.
    lines: Vec<DayLine>,
    /// The totals pass: a participant's lines of the day beyond their first two, each linked to
    /// their previous one here.
    more: Vec<DayLine>,
    /// Participants whose day needs a second look.
    queued: Vec<u32>,
    number: u32,
    persons: Vec<PersonDay>,
    /// Scratch of a second look, reused from day to day.
    again: Again,
}

/// What a second look at a day works in.
#[derive(Default)]
struct Again {
    members: Vec<u32>,
    /// A participant's lines of the totals pass, latest first (made again).
    chain: Vec<DayLine>,
    seen: Vec<(i64, i64, u32)>,
    mine: Vec<((i64, i64), u32)>,
    overlap: Vec<(i64, i64)>,
    now: Vec<(i64, i64)>,
    keyed: Vec<(i64, u128, u8, u32)>,
    /// A line's counted stretches, made again.
    own: Vec<(i64, i64)>,
    net: Vec<(i64, i64)>,
    att: Vec<(i64, i64)>,
}

impl Day {
    /// Follows the day's newest line (starting at `start`) in its participant's day and decides
    /// whether that day needs a second look. With `KEEP` (explanations) the line is kept in
    /// `lines`, linked to its participant's previous line; without, the participant's day keeps
    /// where its first two lines come from, and a chain of any more in `more`, from which a second
    /// look makes them again ([`rebuild_queued`]). `from`–`until` is where the line's counted
    /// time starts and ends, or wider (a second look then finds what SUB-6 takes), [`NO_SPAN`]
    /// when it counts nothing; `cap` is SUB-5's ([`cap_of`]).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn link<const KEEP: bool>(
        &mut self,
        person: u32,
        (mut line, start): (DayLine, i64),
        (from, until): (i64, i64),
        minutes: i64,
        cap: i64,
        ordered: bool,
    ) {
        let number = self.number;
        let i = if KEEP { self.lines.len() as u32 } else { NONE };
        let Some(pd) = self.persons.get_mut(person as usize) else {
            if KEEP {
                line.prev = NONE;
                self.lines.push(line);
            }
            return;
        };
        if pd.day == number {
            if KEEP {
                line.prev = pd.last;
                pd.last = i;
            } else if let Some(slot) = pd.first.get_mut(pd.count as usize) {
                *slot = (line.source, line.who);
            } else {
                line.prev = pd.last;
                pd.last = self.more.len() as u32;
                self.more.push(line);
            }
            // One more line of the day: a count never near the top of a u32.
            pd.count = pd.count.wrapping_add(1);
            if (!ordered && start <= pd.last_start) || from < pd.max_end {
                pd.complex = true;
            }
            pd.minutes += minutes;
        } else {
            line.prev = NONE;
            *pd = PersonDay {
                day: number,
                last: i,
                queued: false,
                complex: false,
                minutes,
                max_end: i64::MIN,
                last_start: start,
                // The report's pass keeps its lines: its days' first two are not written.
                ..*pd
            };
            if !KEEP {
                pd.count = 1;
                pd.first[0] = (line.source, line.who);
            }
        }
        pd.max_end = pd.max_end.max(until);
        pd.last_start = start;
        if !pd.queued && (pd.complex || pd.minutes > cap) {
            pd.queued = true;
            self.queued.push(person);
        }
        if KEEP {
            self.lines.push(line);
        }
    }
}

#[derive(Default)]
struct Scratch {
    net: Vec<(i64, i64)>,
    att: Vec<(i64, i64)>,
    /// A line's counted stretches (several intervals).
    counted: Vec<(i64, i64)>,
    order: Vec<u32>,
}

/// What a session contributes to each of its lines.
struct Plan {
    session: u32,
    /// The planned net time in whole minutes, rounded down: no line counts more (ADR 04).
    planned_minutes: i64,
    need: i64,
    /// A check-in after this instant is a late arrival; a check-out before `early_before`
    /// an early departure (flags of the line).
    late_after: i64,
    early_before: i64,
    pidx: u16,
    realised: bool,
}

/// Counts a project. With `explain`, lines are kept in the report's order with every excluded
/// stretch as a fact; without, only the sums are kept.
pub(crate) fn count(c: &Compact, explain: bool) -> Result<(Kernel, Acc), Error> {
    if explain {
        count_as::<true>(c)
    } else {
        count_as::<false>(c)
    }
}

/// [`count`], compiled once with and once without explanations.
fn count_as<const EXPLAIN: bool>(c: &Compact) -> Result<(Kernel, Acc), Error> {
    let explain = EXPLAIN;
    let names = &c.names;
    let mut clock = DayClock::default();
    let mut starts = Vec::with_capacity(c.sessions.len());
    let mut ends = Vec::with_capacity(c.sessions.len());
    for s in &c.sessions {
        starts.push(clock.at(s.date, s.start)?);
        ends.push(clock.at(s.date, s.end)?);
    }
    // E-learning: untimed entries sort at the end of their day (ADR 04).
    let mut e_starts = Vec::with_capacity(c.entries.len());
    for e in &c.entries {
        e_starts.push(match e.start {
            Some(t) => clock.at(e.date, t)?,
            None => clock.at(e.date, NaiveTime::MIN)? + 86_400,
        });
    }
    let keys = explain.then(|| SourceKeys::of(names));
    let order = order_sources(c, &starts, &e_starts, keys.as_ref());
    let person_rank = if explain { rank(&names.persons) } else { Vec::new() };
    let mut k = Kernel {
        sessions: c
            .sessions
            .iter()
            .map(|s| SessionFacts {
                date: s.date,
                planned: 0,
                need: 0,
                breaks: Span { first: 0, count: 0 },
            })
            .collect(),
        ..Kernel::default()
    };
    let e_facts: Vec<(NaiveDate, i32)> = c.entries.iter().map(|e| (e.date, (e.minutes * 60) as i32)).collect();
    if explain {
        k.lines.reserve_exact(c.participants.len() + c.entries.len());
        // About one excluded stretch a line (late, early, away, absent): room made once, so
        // that the array is not copied as it grows.
        k.parts.reserve(c.participants.len() + c.entries.len());
    }
    let mut cache = ParamCache::new(c);
    let mut acc = Acc::default();
    let mut day = Day {
        lines: Vec::new(),
        more: Vec::new(),
        queued: Vec::new(),
        number: 0,
        persons: vec![
            PersonDay {
                day: u32::MAX,
                last: NONE,
                count: 0,
                first: [(NONE, NONE); 2],
                queued: false,
                complex: false,
                minutes: 0,
                max_end: i64::MIN,
                last_start: i64::MIN,
            };
            names.persons.len()
        ],
        again: Again::default(),
    };
    let ctx = CloseCtx {
        c,
        starts: &starts,
        ends: &ends,
        e_starts: &e_starts,
        explain,
    };
    // Lines of the day without `explain`: only those of participants whose day needs a second
    // look, made again when the day closes (with it, the day's lines are the tail of k.lines).
    let mut day_lines: Vec<LineRec> = Vec::new();
    let mut day_start = 0usize;
    // The parameter set of the day's date.
    let mut day_pidx = 0u16;
    let mut current: Option<NaiveDate> = None;
    let mut sc = Scratch::default();
    let mut need_memo: [(u16, i64, i64); 2] = [(u16::MAX, 0, 0); 2];
    for src in order {
        let date = match src {
            Src::Session(i) => c.sessions.get(i as usize).map(|s| s.date),
            Src::Entry(i) => c.entries.get(i as usize).map(|e| e.date),
        };
        let Some(date) = date else { continue };
        if current != Some(date) {
            end_day::<EXPLAIN>(
                &mut k,
                &mut day,
                &mut day_lines,
                (day_start, day_pidx),
                &cache.sets,
                &e_facts,
                &ctx,
                &mut sc,
                &mut acc,
            )?;
            day_start = k.lines.len();
            current = Some(date);
            k.max_date = k.max_date.max(Some(date));
        }
        match src {
            Src::Session(s) => {
                let Some(sess) = c.sessions.get(s as usize) else {
                    continue;
                };
                let pidx = cache.get(sess.date)?;
                day_pidx = pidx;
                let pset = cache.sets.get(pidx as usize).ok_or_else(overflow)?;
                let start = starts.get(s as usize).copied().unwrap_or(0);
                let end = ends.get(s as usize).copied().unwrap_or(0);
                // Planned net time: the session minus its breaks (SUB-1).
                sc.att.clear();
                for b in c.breaks.get(sess.breaks.range()).unwrap_or(&[]) {
                    sc.att
                        .push((clock.at(sess.date, b.start)?, clock.at(sess.date, b.end)?));
                }
                normalise(&mut sc.att);
                let planned = net_time((start, end), &sc.att, &mut sc.net);
                let ratio = pset.params.min_presence_ratio;
                // SUB-4 in whole seconds: counted < ratio × planned ⟺ counted < ⌈ratio × planned⌉.
                let need = if ratio.is_zero() {
                    0
                } else if let Some(&(_, _, need)) = need_memo.iter().find(|m| m.0 == pidx && m.1 == planned) {
                    need
                } else {
                    let need = ratio
                        .checked_mul(Decimal::from(planned))
                        .map(|x| x.ceil())
                        .and_then(|x| i64::try_from(x).ok())
                        .ok_or_else(overflow)?;
                    need_memo = [(pidx, planned, need), need_memo[0]];
                    need
                };
                // Kept for the report and for a second look at a day (which counts again).
                if let Some(f) = k.sessions.get_mut(s as usize) {
                    f.planned = planned as i32;
                    f.need = need;
                    f.breaks = Span {
                        first: k.breaks.len() as u32,
                        count: sc.att.len() as u32,
                    };
                    k.breaks.extend_from_slice(&sc.att);
                }
                let plan = Plan {
                    session: s,
                    planned_minutes: planned / 60,
                    need,
                    late_after: start + pset.late_arrival,
                    early_before: end - pset.early_departure,
                    pidx,
                    realised: realised(sess),
                };
                let range = sess.participants.range();
                let mut order = std::mem::take(&mut sc.order);
                order.clear();
                if explain {
                    order.extend((range.start as u32)..(range.end as u32));
                    order_participants(c, &person_rank, &mut order);
                }
                // Without explanations the participants come as they are stored.
                let mut stored = (range.start as u32)..(range.end as u32);
                let mut ordered = order.iter().copied();
                let mut next = || if explain { ordered.next() } else { stored.next() };
                // The session's lines share their side and parameter set: summed here, added
                // to the sums once.
                // Without explanations a session of one or two net stretches (nearly all) has a
                // loop of its own; the others go line by line below.
                let fast = if EXPLAIN {
                    None
                } else {
                    session_totals(c, &plan, pset, &range, &mut sc, &mut day, (start, cap_of(pset)))?
                };
                let (mut lines, mut minutes_sum) = fast.unwrap_or((0, 0));
                let mut others = || if fast.is_none() { next() } else { None };
                while let Some(pi) = others() {
                    let Some(part) = c.participants.get(pi as usize) else {
                        continue;
                    };
                    let out = if EXPLAIN { Some(&mut k.lines) } else { None };
                    let (minutes, span) = classroom_line::<EXPLAIN>(c, &plan, part, pset, &mut sc, &mut k.parts, out)?;
                    lines += 1;
                    minutes_sum += minutes;
                    let line = (DayLine::new(s, pi), start);
                    day.link::<EXPLAIN>(
                        part.person,
                        line,
                        span.unwrap_or(NO_SPAN),
                        minutes,
                        cap_of(pset),
                        explain,
                    );
                }
                if lines > 0 {
                    acc.add_lines(plan.realised, pidx, lines, planned * lines as i64, minutes_sum);
                }
                sc.order = order;
            }
            Src::Entry(e) => {
                let Some(entry) = c.entries.get(e as usize) else {
                    continue;
                };
                let pidx = cache.get(entry.date)?;
                day_pidx = pidx;
                let pset = cache.sets.get(pidx as usize).ok_or_else(overflow)?;
                let line = entry_line::<EXPLAIN>(entry, e, pidx, pset, &mut k.parts);
                acc.add(&line, (i64::from(entry.minutes) * 60) as i32);
                let minutes = i64::from(line.minutes());
                if EXPLAIN {
                    k.lines.push(line);
                }
                let line = (DayLine::new(e, NONE), e_starts.get(e as usize).copied().unwrap_or(0));
                day.link::<EXPLAIN>(entry.person, line, NO_SPAN, minutes, cap_of(pset), explain);
            }
        }
    }
    end_day::<EXPLAIN>(
        &mut k,
        &mut day,
        &mut day_lines,
        (day_start, day_pidx),
        &cache.sets,
        &e_facts,
        &ctx,
        &mut sc,
        &mut acc,
    )?;
    k.psets = cache.sets;
    Ok((k, acc))
}

/// Whether a session's lines are realised (SUB-3): executed or submitted.
#[inline(always)]
fn realised(sess: &CSession) -> bool {
    matches!(sess.status, SessionStatus::Executed | SessionStatus::Submitted)
}

/// An e-learning entry's line (SUB-7: approved minutes count, others are excluded; SUB-2),
/// with its part when explained.
#[inline(always)]
fn entry_line<const EXPLAIN: bool>(
    entry: &CEntry,
    e: u32,
    pidx: u16,
    pset: &PSet,
    parts_out: &mut Vec<Part>,
) -> LineRec {
    let secs = i64::from(entry.minutes) * 60;
    let approved = entry.status == EntryStatus::Approved;
    let parts = parts_out.len() as u32;
    let mut n_parts = 0u16;
    if !approved && EXPLAIN {
        parts_out.push(Part::new(Reason::NotApproved, 0, secs, NONE));
        n_parts = 1;
    }
    let mut flags = flag::ELEARNING;
    if approved {
        flags |= flag::REALISED;
    }
    if entry.status == EntryStatus::Rejected {
        flags |= flag::REJECTED;
    }
    let counted_secs = if approved { secs } else { 0 };
    let minutes = round(pset, counted_secs, secs);
    LineRec::new(
        (parts, n_parts),
        e,
        entry.person,
        counted_secs,
        counted_secs,
        minutes,
        pidx,
        flags,
    )
}

/// Closes the day (`day_start`: its first line in `k.lines`; `pidx`: its date's parameter
/// set): without explanations the lines of the participants whose day needs a second look are
/// made again first ([`rebuild_queued`]); then [`close_day`].
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn end_day<const EXPLAIN: bool>(
    k: &mut Kernel,
    day: &mut Day,
    day_lines: &mut Vec<LineRec>,
    (day_start, pidx): (usize, u16),
    psets: &[PSet],
    e_facts: &[(NaiveDate, i32)],
    ctx: &CloseCtx<'_>,
    sc: &mut Scratch,
    acc: &mut Acc,
) -> Result<(), Error> {
    let again = !EXPLAIN && !day.queued.is_empty();
    if again {
        let pset = psets.get(pidx as usize).ok_or_else(overflow)?;
        rebuild_queued(ctx, (&k.sessions, &k.breaks), (pidx, pset), sc, day, day_lines)?;
    }
    let lines = if EXPLAIN {
        k.lines.get_mut(day_start..).unwrap_or(&mut [])
    } else {
        &mut day_lines[..]
    };
    close_day(
        lines,
        day,
        psets,
        Side {
            parts: &mut k.sub6,
            sub6_of: &mut k.sub6_of,
            cap_of: &mut k.cap_of,
            base: day_start,
        },
        (&k.sessions, &k.breaks),
        e_facts,
        ctx,
        acc,
    )?;
    day_lines.clear();
    Ok(())
}

/// The totals pass keeps no lines, only each participant's first two lines of the day (and a
/// chain of any more): the lines of the participants whose day needs a second look are made
/// again from the records and the sessions' kept facts (SUB-1, SUB-4, SUB-2 exactly as in the
/// pass) and linked in `day.lines` (empty until now), each participant's in the pass's order.
fn rebuild_queued(
    ctx: &CloseCtx<'_>,
    facts: (&[SessionFacts], &[(i64, i64)]),
    params: (u16, &PSet),
    sc: &mut Scratch,
    day: &mut Day,
    out: &mut Vec<LineRec>,
) -> Result<(), Error> {
    day.lines.clear();
    let mut members = std::mem::take(&mut day.again.chain);
    for &p in &day.queued {
        let Some(pd) = day.persons.get_mut(p as usize) else {
            continue;
        };
        members.clear();
        let mut l = pd.last;
        while let Some(x) = day.more.get(l as usize) {
            members.push(*x);
            l = x.prev;
        }
        let firsts = pd.first.iter().take(pd.count as usize);
        members.extend(firsts.rev().map(|&(source, who)| DayLine::new(source, who)));
        let mut last = NONE;
        for &m in members.iter().rev() {
            if !line_again(ctx, facts, params, sc, m, out)? {
                continue;
            }
            let i = day.lines.len() as u32;
            day.lines.push(DayLine { prev: last, ..m });
            last = i;
        }
        pd.last = last;
    }
    day.again.chain = members;
    Ok(())
}

/// A line of the totals pass made again from what its day kept of it, pushed onto `out`
/// (`false` when `dl` names nothing in the records).
fn line_again(
    ctx: &CloseCtx<'_>,
    (facts, breaks): (&[SessionFacts], &[(i64, i64)]),
    (pidx, pset): (u16, &PSet),
    sc: &mut Scratch,
    dl: DayLine,
    out: &mut Vec<LineRec>,
) -> Result<bool, Error> {
    let c = ctx.c;
    if dl.who == NONE {
        let e = dl.source;
        let Some(entry) = c.entries.get(e as usize) else {
            return Ok(false);
        };
        out.push(entry_line::<false>(entry, e, pidx, pset, &mut Vec::new()));
        return Ok(true);
    }
    let s = dl.source;
    let (Some(sess), Some(f), Some(part)) = (
        c.sessions.get(s as usize),
        facts.get(s as usize),
        c.participants.get(dl.who as usize),
    ) else {
        return Ok(false);
    };
    let start = ctx.starts.get(s as usize).copied().unwrap_or(0);
    let end = ctx.ends.get(s as usize).copied().unwrap_or(0);
    net_time((start, end), breaks.get(f.breaks.range()).unwrap_or(&[]), &mut sc.net);
    let plan = Plan {
        session: s,
        planned_minutes: i64::from(f.planned) / 60,
        need: f.need,
        late_after: i64::MAX,
        early_before: i64::MIN,
        pidx,
        realised: realised(sess),
    };
    classroom_line::<false>(c, &plan, part, pset, sc, &mut Vec::new(), Some(out))?;
    Ok(true)
}

/// The participants of a session by person id (the report's order).
fn order_participants(c: &Compact, rank: &[u32], order: &mut [u32]) {
    let key = |i: &u32| {
        c.participants
            .get(*i as usize)
            .and_then(|p| rank.get(p.person as usize))
            .copied()
            .unwrap_or(0)
    };
    // Usually stored in that order already: one key per participant to tell.
    let mut prev = 0u32;
    let sorted = order.iter().all(|i| {
        let k = key(i);
        let ok = k >= prev;
        prev = k;
        ok
    });
    if !sorted {
        order.sort_unstable_by_key(key);
    }
}

/// SUB-1, SUB-4 and SUB-2 for one participant in one session (SUB-6 and SUB-5 follow when
/// the day is closed); returns the rounded minutes and where the counted time starts and
/// ends, and pushes the line onto `out` when given.
/// With explanations every excluded stretch becomes a part; without, only the figures are
/// computed.
#[inline(always)]
fn classroom_line<const EXPLAIN: bool>(
    c: &Compact,
    plan: &Plan,
    part: &CParticipant,
    pset: &PSet,
    sc: &mut Scratch,
    parts_out: &mut Vec<Part>,
    out: Option<&mut Vec<LineRec>>,
) -> Result<(i64, Option<(i64, i64)>), Error> {
    let ints: &[CInterval] = c.intervals.get(part.intervals.range()).unwrap_or(&[]);
    let parts = parts_out.len();
    let (late, suspect, first_in, last_out, attended, counted_secs, span) = match ints {
        // Most participants have one interval: read where it is, without a scratch copy.
        [i] if i.check_in < i.check_out => {
            let (ci, co) = (i.check_in, i.check_out);
            let (attended, span) = unrolled(&sc.net, |net| {
                if EXPLAIN {
                    one_explained(net, ci, co, parts_out)
                } else {
                    intersect_one(net, ci, co)
                }
            });
            // SUB-4: below the minimum presence the line counts nothing.
            let (counted, span) = match span {
                Some(_) if attended < plan.need => {
                    if EXPLAIN {
                        for &(ns, ne) in &sc.net {
                            let (s, e) = (ns.max(ci), ne.min(co));
                            if s < e {
                                parts_out.push(Part::new(Reason::BelowMinPresence, s, e, NONE));
                            }
                        }
                    }
                    (0, None)
                }
                span => (attended, span),
            };
            (i.late, i.clock_suspect, Some(ci), Some(co), attended, counted, span)
        }
        _ => {
            let Scratch { net, att, counted, .. } = sc;
            let (mut late, mut suspect) = (false, false);
            att.clear();
            for i in ints {
                att.push((i.check_in, i.check_out));
                late |= i.late;
                suspect |= i.clock_suspect;
            }
            normalise(att);
            let (first_in, last_out) = (att.first().map(|x| x.0), att.last().map(|x| x.1));
            let (attended, span) = if EXPLAIN {
                counted.clear();
                let attended = intersect_into(net, att, counted);
                // SUB-1, SUB-9: every uncounted stretch of net time, with why.
                let mut j = 0usize;
                let mut push = |a: i64, b: i64| {
                    let reason = match (first_in, last_out) {
                        (Some(fi), _) if b <= fi => Reason::BeforeCheckIn,
                        (_, Some(lo)) if a >= lo => Reason::AfterCheckOut,
                        (Some(_), Some(_)) => Reason::Away,
                        _ if part.absent => Reason::Absent,
                        _ => Reason::NotPresent,
                    };
                    parts_out.push(Part::new(reason, a, b, NONE));
                };
                for &(ns, ne) in net.iter() {
                    let mut cur = ns;
                    while let Some(&(cs, ce)) = counted.get(j) {
                        if cs >= ne {
                            break;
                        }
                        if cs > cur {
                            push(cur, cs);
                        }
                        cur = ce;
                        j += 1;
                    }
                    if cur < ne {
                        push(cur, ne);
                    }
                }
                let span = counted.first().zip(counted.last()).map(|(f, l)| (f.0, l.1));
                (attended, span)
            } else {
                intersect_span(net, att)
            };
            // SUB-4: below the minimum presence the line counts nothing.
            let (counted_secs, span) = match span {
                Some(_) if attended < plan.need => {
                    if EXPLAIN {
                        for &(a, b) in counted.iter() {
                            parts_out.push(Part::new(Reason::BelowMinPresence, a, b, NONE));
                        }
                    }
                    (0, None)
                }
                span => (attended, span),
            };
            (late, suspect, first_in, last_out, attended, counted_secs, span)
        }
    };
    let mut flags = 0u8;
    if plan.realised {
        flags |= flag::REALISED;
    }
    if EXPLAIN {
        if late {
            flags |= flag::LATE_REGISTRATION;
        }
        if suspect {
            flags |= flag::CLOCK_SUSPECT;
        }
        if first_in.is_some_and(|fi| fi > plan.late_after) {
            flags |= flag::LATE_ARRIVAL;
        }
        if last_out.is_some_and(|lo| lo < plan.early_before) {
            flags |= flag::EARLY_DEPARTURE;
        }
    }
    let minutes = round_within(pset, counted_secs, plan.planned_minutes);
    if let Some(out) = out {
        // Made where it is kept (a report's lines, or a line made again).
        let n_parts = u16::try_from(parts_out.len() - parts).map_err(|_| overflow())?;
        out.push(LineRec::new(
            (parts as u32, n_parts),
            plan.session,
            part.person,
            attended,
            counted_secs,
            minutes,
            plan.pidx,
            flags,
        ));
    }
    Ok((minutes, span))
}

/// The totals pass over a session's participants when its net time (`sc.net`) is one stretch
/// or two around a break — nearly every session: [`session_totals_of`] with the stretches
/// as an array. `None` for other sessions, which go line by line through [`classroom_line`].
#[inline(always)]
fn session_totals(
    c: &Compact,
    plan: &Plan,
    pset: &PSet,
    range: &std::ops::Range<usize>,
    sc: &mut Scratch,
    day: &mut Day,
    at: (i64, i64),
) -> Result<Option<(usize, i64)>, Error> {
    let down = pset.whole_minutes_down;
    match (sc.net.as_slice(), down) {
        (&[a], true) => session_totals_of::<1, true>([a], c, plan, pset, range, sc, day, at).map(Some),
        (&[a], false) => session_totals_of::<1, false>([a], c, plan, pset, range, sc, day, at).map(Some),
        (&[a, b], true) => session_totals_of::<2, true>([a, b], c, plan, pset, range, sc, day, at).map(Some),
        (&[a, b], false) => session_totals_of::<2, false>([a, b], c, plan, pset, range, sc, day, at).map(Some),
        _ => Ok(None),
    }
}

/// The totals pass over a session's participants whose net time is `N` stretches: a single
/// interval, or two one after the other (away and back), counted inline (SUB-1, SUB-4, SUB-2 as
/// [`classroom_line`] counts them; `DOWN` when the call rounds to whole minutes down), anything
/// else through [`classroom_line`]; each line followed in its participant's day, none kept.
/// Returns the number of lines and their minutes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn session_totals_of<const N: usize, const DOWN: bool>(
    net: [(i64, i64); N],
    c: &Compact,
    plan: &Plan,
    pset: &PSet,
    range: &std::ops::Range<usize>,
    sc: &mut Scratch,
    day: &mut Day,
    (start, cap): (i64, i64),
) -> Result<(usize, i64), Error> {
    let parts = c.participants.get(range.clone()).unwrap_or(&[]);
    let mut minutes_sum = 0i64;
    let (first_start, last_end) = (net.first().map_or(0, |x| x.0), net.last().map_or(0, |x| x.1));
    // An interval's time within the net time: the stretches are disjoint, so the sum of the
    // overlaps.
    let within = |ci: i64, co: i64| -> i64 { net.iter().map(|&(a, b)| (b.min(co) - a.max(ci)).max(0)).sum() };
    for (pi, part) in (range.start as u32..).zip(parts) {
        // One interval, or two in order and apart, need no normalising: their overlaps with
        // the net time add up (SUB-1).
        let first = part.intervals.first as usize;
        let interval = |k: usize| c.intervals.get(k).filter(|i| i.check_in < i.check_out);
        let simple = match part.intervals.count {
            1 => interval(first).map(|i| (i.check_in, i.check_out, within(i.check_in, i.check_out))),
            2 => match (interval(first), interval(first.wrapping_add(1))) {
                (Some(i), Some(j)) if i.check_out <= j.check_in => Some((
                    i.check_in,
                    j.check_out,
                    within(i.check_in, i.check_out) + within(j.check_in, j.check_out),
                )),
                _ => None,
            },
            _ => None,
        };
        let (minutes, span) = match simple {
            Some((ci, co, attended)) => {
                // SUB-4: below the minimum presence the line counts nothing.
                if attended > 0 && attended >= plan.need {
                    // Where the counted time starts and ends, widened to the first check-in
                    // and the last check-out where they fall outside the net time: the day's
                    // order checks only ever flag more days for a second look, which counts
                    // them in full (ADR 28).
                    let span = (ci.max(first_start), co.min(last_end));
                    (round_as::<DOWN>(pset, attended, plan.planned_minutes), span)
                } else {
                    (0, NO_SPAN)
                }
            }
            None => {
                let (minutes, span) = classroom_line::<false>(c, plan, part, pset, sc, &mut Vec::new(), None)?;
                (minutes, span.unwrap_or(NO_SPAN))
            }
        };
        minutes_sum += minutes;
        day.link::<false>(
            part.person,
            (DayLine::new(plan.session, pi), start),
            span,
            minutes,
            cap,
            false,
        );
    }
    Ok((parts.len(), minutes_sum))
}

/// `f` of a session's net time, which is one stretch or two around a break: for those, `f`
/// sees a slice of known length, so that its walk is unrolled.
#[inline(always)]
fn unrolled<R>(net: &[(i64, i64)], f: impl FnOnce(&[(i64, i64)]) -> R) -> R {
    match *net {
        [x] => f(&[x]),
        [x, y] => f(&[x, y]),
        _ => f(net),
    }
}

/// A single interval `[ci, co)` against the net time `net` (SUB-1, [`intersect_one`]), with
/// every stretch of net time it leaves out as a part (SUB-9): before the check-in or after the
/// check-out — one interval leaves no gap in between. The parts come in the order of the net
/// time, as [`intersect_into`] and the general walk make them.
#[inline(always)]
fn one_explained(net: &[(i64, i64)], ci: i64, co: i64, parts_out: &mut Vec<Part>) -> (i64, Option<(i64, i64)>) {
    for &(ns, ne) in net {
        let before = ne.min(ci);
        if ns < before {
            parts_out.push(Part::new(Reason::BeforeCheckIn, ns, before, NONE));
        }
        let after = ns.max(co);
        if after < ne {
            parts_out.push(Part::new(Reason::AfterCheckOut, after, ne, NONE));
        }
    }
    intersect_one(net, ci, co)
}

/// `a ∩ b` (both sorted, disjoint): the total and where it starts and ends.
fn intersect_span(a: &[(i64, i64)], b: &[(i64, i64)]) -> (i64, Option<(i64, i64)>) {
    let (mut i, mut j, mut total) = (0, 0, 0);
    let (mut first, mut last) = (None, 0);
    while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.get(i), b.get(j)) {
        let (s, e) = (a0.max(b0), a1.min(b1));
        if s < e {
            total += e - s;
            first = first.or(Some(s));
            last = e;
        }
        if a1 < b1 { i += 1 } else { j += 1 }
    }
    (total, first.map(|f| (f, last)))
}

/// `a ∩ [from, to)` (`a` sorted, disjoint): the total and where it starts and ends, without a
/// branch on the data — a participant's single interval against the session's net time.
#[inline(always)]
fn intersect_one(a: &[(i64, i64)], from: i64, to: i64) -> (i64, Option<(i64, i64)>) {
    let (mut total, mut first, mut last) = (0, i64::MAX, i64::MIN);
    for &(a0, a1) in a {
        let (s, e) = (a0.max(from), a1.min(to));
        let len = (e - s).max(0);
        total += len;
        first = first.min(if len > 0 { s } else { i64::MAX });
        last = last.max(if len > 0 { e } else { i64::MIN });
    }
    (total, (total > 0).then_some((first, last)))
}

/// Stretches of time, `[from, until)` in seconds since the epoch.
type Stretches = Vec<(i64, i64)>;

/// The counted stretches (SUB-1 after SUB-4) of a classroom line, computed again from the
/// records and its session's facts: for the days that need SUB-6 in full (the pass keeps only
/// figures).
fn recount(
    ctx: &CloseCtx<'_>,
    facts: &SessionFacts,
    breaks: &[(i64, i64)],
    session: u32,
    participant: u32,
    (net, att): (&mut Stretches, &mut Stretches),
    out: &mut Vec<(i64, i64)>,
) {
    out.clear();
    let Some(part) = ctx.c.participants.get(participant as usize) else {
        return;
    };
    let start = ctx.starts.get(session as usize).copied().unwrap_or(0);
    let end = ctx.ends.get(session as usize).copied().unwrap_or(0);
    net_time((start, end), breaks, net);
    att.clear();
    let ints = ctx.c.intervals.get(part.intervals.range()).unwrap_or(&[]);
    att.extend(ints.iter().map(|i| (i.check_in, i.check_out)));
    normalise(att);
    let secs = intersect_into(net, att, out);
    if secs < facts.need {
        out.clear();
    }
}

/// SUB-2: whole minutes by the call's rounding, never above the planned net time (ADR 04).
#[inline(always)]
fn round(pset: &PSet, secs: i64, planned: i64) -> i64 {
    round_within(pset, secs, planned / 60)
}

/// [`round`] with the planned net time already in whole minutes (once per session).
#[inline(always)]
fn round_within(pset: &PSet, secs: i64, planned_minutes: i64) -> i64 {
    if pset.whole_minutes_down {
        round_as::<true>(pset, secs, planned_minutes)
    } else {
        round_as::<false>(pset, secs, planned_minutes)
    }
}

/// [`round_within`] with `DOWN` telling whether the call rounds to whole minutes down, for a
/// loop that decided it once.
#[inline(always)]
fn round_as<const DOWN: bool>(pset: &PSet, secs: i64, planned_minutes: i64) -> i64 {
    let minutes = if DOWN {
        // Counted seconds are never negative: a plain division (a multiplication) is exact.
        match u64::try_from(secs) {
            Ok(s) => (s / 60) as i64,
            Err(_) => secs.div_euclid(60),
        }
    } else {
        pset.rounding.apply(secs)
    };
    minutes.min(planned_minutes)
}

/// What closing a day needs besides the day.
struct CloseCtx<'a> {
    c: &'a Compact,
    starts: &'a [i64],
    ends: &'a [i64],
    /// E-learning entries' places in their day (untimed at its end).
    e_starts: &'a [i64],
    explain: bool,
}

/// Where a second look at a day puts what it gives lines beside them (explain mode): the SUB-6
/// stretches, and per line its stretches and its SUB-5 cut, by line index (`base` is the index
/// of the day's first line).
struct Side<'a> {
    parts: &'a mut Vec<Part>,
    sub6_of: &'a mut Vec<(u32, u32, u32)>,
    cap_of: &'a mut Vec<(u32, i32)>,
    base: usize,
}

/// Closes a day: a second look at the participants whose day needs one — SUB-6 in full when a
/// line overlapped an earlier one (or came out of order), then SUB-2 again; SUB-5 when the day
/// goes over the cap (the excess off the latest lines first) — then the day's lines are added
/// to the sums.
#[allow(clippy::too_many_arguments)]
fn close_day(
    lines: &mut [LineRec],
    day: &mut Day,
    psets: &[PSet],
    side: Side<'_>,
    sessions: (&[SessionFacts], &[(i64, i64)]),
    entries: &[(NaiveDate, i32)],
    ctx: &CloseCtx<'_>,
    acc: &mut Acc,
) -> Result<(), Error> {
    let (sessions, breaks) = sessions;
    let planned_of = |l: &LineRec| {
        if l.has(flag::ELEARNING) {
            entries.get(l.source as usize).map_or(0, |e| e.1)
        } else {
            sessions.get(l.source as usize).map_or(0, |s| s.planned)
        }
    };
    let Side {
        parts: sub6_out,
        sub6_of,
        cap_of,
        base,
    } = side;
    let (sub6_from, cap_from) = (sub6_of.len(), cap_of.len());
    let Again {
        mut members,
        mut seen,
        mut mine,
        mut overlap,
        mut now,
        mut keyed,
        mut own,
        mut net,
        mut att,
        chain,
    } = std::mem::take(&mut day.again);
    for &person in &day.queued {
        let Some(pd) = day.persons.get(person as usize).copied() else {
            continue;
        };
        members.clear();
        let mut l = pd.last;
        while l != NONE {
            members.push(l);
            l = day.lines.get(l as usize).map_or(NONE, |x| x.prev);
        }
        members.reverse();
        // The lines were added to the sums as they came: take them out, put them back after.
        for &m in &members {
            if let Some(x) = lines.get(m as usize) {
                acc.shift(x, -i64::from(x.minutes()));
            }
        }
        if pd.complex {
            if !ctx.explain {
                // The day came in input order: order the participant's lines by start, then
                // id (a session before an entry of the same id).
                keyed.clear();
                for &m in &members {
                    let x = lines.get(m as usize);
                    let el = x.is_some_and(|x| x.has(flag::ELEARNING));
                    let src = x.map_or(0, |x| x.source);
                    let names = &ctx.c.names;
                    let id = if el {
                        names.entries.get(src as usize)
                    } else {
                        names.sessions.get(src as usize)
                    };
                    let k = id.map_or(0, id_key);
                    keyed.push((
                        day.lines.get(m as usize).map_or(0, |x| x.start(ctx)),
                        k,
                        u8::from(el),
                        m,
                    ));
                }
                let name = |&(_, _, el, m): &(i64, u128, u8, u32)| {
                    let src = lines.get(m as usize).map_or(0, |x| x.source) as usize;
                    if el == 1 {
                        ctx.c.names.entries.get(src).unwrap_or("")
                    } else {
                        ctx.c.names.sessions.get(src).unwrap_or("")
                    }
                };
                keyed.sort_by(|a, b| {
                    a.0.cmp(&b.0)
                        .then_with(|| cmp_ids(a.1, name(a), b.1, name(b)))
                        .then(a.2.cmp(&b.2))
                });
                members.clear();
                members.extend(keyed.iter().map(|x| x.3));
            }
            // SUB-6: time already counted on an earlier line of the day is removed from a
            // later one.
            seen.clear();
            for &m in &members {
                let Some(line) = lines.get(m as usize) else { continue };
                if line.has(flag::ELEARNING) {
                    continue;
                }
                let source = line.source;
                // The pass kept only figures: the line's counted stretches are made again.
                let who = day.lines.get(m as usize).map_or(NONE, |x| x.who);
                own.clear();
                if let Some(f) = sessions.get(source as usize) {
                    let breaks = breaks.get(f.breaks.range()).unwrap_or(&[]);
                    recount(ctx, f, breaks, source, who, (&mut net, &mut att), &mut own);
                }
                mine.clear();
                for &(sa, sb, src) in &seen {
                    for &(ca, cb) in own.iter() {
                        let (a, b) = (sa.max(ca), sb.min(cb));
                        if a < b {
                            mine.push(((a, b), src));
                        }
                    }
                }
                now.clear();
                if mine.is_empty() {
                    now.extend_from_slice(&own);
                } else {
                    overlap.clear();
                    overlap.extend(mine.iter().map(|x| x.0));
                    normalise(&mut overlap);
                    subtract_into(&own, &overlap, &mut now);
                    let at = sub6_out.len();
                    if ctx.explain {
                        sub6_out.extend(
                            mine.iter()
                                .map(|&((a, b), src)| Part::new(Reason::CountedElsewhere, a, b, src)),
                        );
                    }
                    if let Some(x) = lines.get_mut(m as usize) {
                        x.set_counted_secs(total(&now));
                        if ctx.explain {
                            x.add_flag(flag::SECOND_LOOK);
                            sub6_of.push(((base + m as usize) as u32, at as u32, (sub6_out.len() - at) as u32));
                        }
                    }
                }
                seen.extend(now.iter().map(|&(a, b)| (a, b, source)));
            }
            // SUB-2 again on what SUB-6 left.
            for &m in &members {
                let Some(x) = lines.get_mut(m as usize) else { continue };
                let Some(pset) = psets.get(x.params as usize) else {
                    continue;
                };
                x.set_minutes(round(pset, i64::from(x.counted_secs()), i64::from(planned_of(x))));
            }
        }
        // SUB-5: over the cap in force that day, the excess comes off the latest lines first.
        let cap = members
            .first()
            .and_then(|m| lines.get(*m as usize))
            .and_then(|x| psets.get(x.params as usize))
            .and_then(|p| p.cap_minutes);
        if let Some(cap) = cap {
            let sum: i64 = members
                .iter()
                .filter_map(|m| lines.get(*m as usize))
                .map(|x| i64::from(x.minutes()))
                .sum();
            let mut excess = sum - cap;
            for &m in members.iter().rev() {
                if excess <= 0 {
                    break;
                }
                let Some(x) = lines.get_mut(m as usize) else { continue };
                let cut = excess.min(i64::from(x.minutes()));
                if cut > 0 {
                    x.set_minutes(i64::from(x.minutes()) - cut);
                    if ctx.explain {
                        x.add_flag(flag::SECOND_LOOK);
                        cap_of.push(((base + m as usize) as u32, cut as i32));
                    }
                    excess -= cut;
                }
            }
        }
        for &m in &members {
            if let Some(x) = lines.get(m as usize) {
                acc.shift(x, i64::from(x.minutes()));
            }
        }
    }
    // The day's lines come after every earlier day's: sorting the day's own entries keeps both
    // lists in line order.
    if let Some(new) = sub6_of.get_mut(sub6_from..) {
        new.sort_unstable_by_key(|e| e.0);
    }
    if let Some(new) = cap_of.get_mut(cap_from..) {
        new.sort_unstable_by_key(|e| e.0);
    }
    acc.reserve(psets.len());
    for &p in &day.queued {
        if let Some(pd) = day.persons.get_mut(p as usize) {
            pd.queued = false;
        }
    }
    day.lines.clear();
    day.more.clear();
    day.queued.clear();
    day.number = day.number.wrapping_add(1);
    day.again = Again {
        chain,
        members,
        seen,
        mine,
        overlap,
        now,
        keyed,
        own,
        net,
        att,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_2_sub_5_a_line_keeps_its_figures_in_24_bytes() {
        assert_eq!(std::mem::size_of::<LineRec>(), 24);
        // The largest figures a day allows (25 hours on the autumn change), every flag, and
        // each field set without disturbing its neighbour.
        let mut l = LineRec::new((7, 3), 11, 13, 90_000, 89_999, 1_500, 2, u8::MAX);
        assert_eq!(
            (l.attended(), l.counted_secs(), l.minutes(), l.flags()),
            (90_000, 89_999, 1_500, u8::MAX)
        );
        assert_eq!((l.parts, l.n_parts, l.source, l.person, l.params), (7, 3, 11, 13, 2));
        l.set_minutes(1_440);
        l.set_counted_secs(86_400);
        assert_eq!(
            (l.attended(), l.counted_secs(), l.minutes(), l.flags()),
            (90_000, 86_400, 1_440, u8::MAX)
        );
        let mut z = LineRec::new((0, 0), 0, 0, 0, 0, 0, 0, 0);
        assert!(!z.has(flag::SECOND_LOOK) && z.flags() == 0);
        z.add_flag(flag::SECOND_LOOK);
        assert!(z.has(flag::SECOND_LOOK) && !z.has(flag::LATE_ARRIVAL));
        assert_eq!((z.attended(), z.counted_secs(), z.minutes()), (0, 0, 0));
        assert_eq!(l.rounding_diff(0), 86_400 - 1_440 * 60);
    }

    #[test]
    fn sub_9_a_part_keeps_its_stretch_in_twelve_bytes() {
        assert_eq!(std::mem::size_of::<Part>(), 12);
        // The first and last instants records may hold, a second inside them, and a part
        // without clock times (SUB-7): from and until come back as given.
        let (first, last) = (946_598_400, 4_102_531_200);
        for (from, until) in [(first, first + 60), (last - 60, last), (first + 1, last), (0, 5_400)] {
            let p = Part::new(Reason::BeforeCheckIn, from, until, 7);
            assert_eq!((p.from(), p.until(), p.other()), (from, until, 7), "{from}");
            assert_eq!(p.reason(), Reason::BeforeCheckIn);
        }
    }

    /// ORG-3: a value is in force from its date until the next one. The cache answers a
    /// stretch of dates between two changes from one set; asked in any order, on the change
    /// days themselves, before the first change and after the last, every date gets the set
    /// of `DatedParams::on`.
    #[test]
    fn org_3_parameters_resolved_per_stretch_are_those_in_force_on_each_date() {
        use crate::params::{DatedParams, ParamValue};
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let mut params = DatedParams::default();
        params.set(d(1, 1), ParamValue::UnitCostPerParticipantHour(Decimal::new(1200, 2)));
        params.set(d(3, 3), ParamValue::UnitCostPerParticipantHour(Decimal::new(1425, 2)));
        params.set(d(5, 1), ParamValue::MinPresenceRatio(Decimal::new(25, 2)));
        params.set(d(9, 1), ParamValue::UnitCostPerParticipantHour(Decimal::new(1200, 2)));
        let mut b = crate::subsidy::CompactBuilder::new(crate::ids::ProjectId::new("P-1"));
        b.params(params.clone()).expect("params");
        let c = b.finish();
        let mut cache = ParamCache::new(&c);
        let dates = [
            d(3, 2),
            d(3, 3),
            d(3, 4),
            d(3, 2),
            d(4, 30),
            d(5, 1),
            d(8, 31),
            d(9, 1),
            d(12, 31),
            NaiveDate::from_ymd_opt(2025, 12, 31).expect("date"),
            d(1, 1),
            d(3, 3),
            d(2, 28),
        ];
        for date in dates {
            let i = cache.get(date).expect("set");
            let got = &cache.sets.get(usize::from(i)).expect("set").params;
            assert_eq!(got, &params.on(date), "{date}");
        }
        // 2026-09-01 brings back January's unit cost with May's ratio: a set of its own; and
        // 2025 has the defaults. Five distinct sets in all.
        assert_eq!(cache.sets.len(), 5);
    }

    #[test]
    fn sub_1_stretch_arithmetic() {
        let mut v = vec![(5, 7), (1, 3), (3, 4), (9, 9)];
        normalise(&mut v);
        assert_eq!(v, vec![(1, 4), (5, 7)], "sorted, touching merged, empty dropped");
        let mut out = Vec::new();
        assert_eq!(intersect_into(&[(0, 10)], &v, &mut out), 5);
        assert_eq!(out, vec![(1, 4), (5, 7)]);
        out.clear();
        subtract_into(&[(0, 10)], &v, &mut out);
        assert_eq!(out, vec![(0, 1), (4, 5), (7, 10)]);
    }

    #[test]
    fn sub_1_normalise_of_one_stretch_is_the_general_one() {
        // Every stretch with ends in 0..5 (empty and reversed ones too): the short path gives
        // what the general merge gives.
        for a in 0..5i64 {
            for b in 0..5i64 {
                let (mut short, mut general) = (vec![(a, b)], vec![(a, b)]);
                normalise(&mut short);
                normalise_many(&mut general);
                assert_eq!(short, general, "{a} {b}");
                assert_eq!(short.is_empty(), b <= a, "{a} {b}");
            }
        }
    }

    #[test]
    fn sub_6_ids_order_as_strings() {
        let names = [
            "b",
            "a",
            "c",
            "a1",
            "S-10",
            "S-9",
            "a-very-long-identifier-17",
            "a-very-long-identifier-1",
        ];
        let r = rank(&names);
        let mut by_string: Vec<&str> = names.to_vec();
        by_string.sort();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(by_string[r[i] as usize], *n);
        }
    }
}
