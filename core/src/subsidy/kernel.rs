//! The counting kernel: SUB-1 → SUB-4 → SUB-6 → SUB-2 → SUB-5 → SUB-8, in the rulebook's order,
//! over [`Compact`] records, to the second.
//!
//! How it stays near one flat pass:
//! - lines are produced in the report's order — by date, start, source, person — which also
//!   makes each person's days non-decreasing, so the lines of one participant on one day are
//!   chained as they come (`prev` links, per-person `last_day`): no global sort, no hashing;
//! - only days where a participant has two or more lines (SUB-6, SUB-5 between lines) are
//!   revisited; every other line is finished in the pass;
//! - session plans (instants, breaks, net time, the SUB-4 threshold in whole seconds) are
//!   computed once per session; parameters once per distinct date;
//! - explanations are facts (reason, from, until, the other session), pushed into flat arrays
//!   only when asked for; texts are rendered later, on demand;
//! - money is summed as integer minutes per parameter set and turned into `Decimal` once per
//!   set at the end (exact: the products are integers times the unit cost).

use super::Reason;
use super::compact::{CInterval, CParticipant, CSession, Compact, Span};
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
}

/// One line (a participant in a session, or an e-learning entry), 64 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LineRec {
    pub sort_start: i64,
    /// First of its SUB-1/SUB-4 parts in `Kernel::parts`.
    pub parts: u32,
    /// Session index (classroom) or entry index (e-learning).
    pub source: u32,
    pub person: u32,
    pub date: NaiveDate,
    pub planned: i32,
    pub attended: i32,
    /// After SUB-4 and SUB-6, before rounding.
    pub counted_secs: i32,
    /// Final counted minutes (after SUB-2 and SUB-5).
    pub minutes: i32,
    /// Seconds lost (or, rounding up, gained: negative) to SUB-2.
    pub rounding_diff: i32,
    /// Minutes cut by SUB-5.
    pub cap_cut: i32,
    /// First of its SUB-6 parts in `Kernel::sub6`.
    pub sub6: u32,
    pub n_sub6: u32,
    pub n_parts: u16,
    pub params: u16,
    pub flags: u8,
}

impl LineRec {
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// An excluded stretch as facts (SUB-9): why, from, until, and for SUB-6 the other session.
/// For parts without clock times (SUB-7) `from` is 0 and `until` the seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    pub from: i64,
    pub until: i64,
    pub other: u32,
    pub reason: Reason,
}

/// The parameters in force on a date, with what the kernel derives from them once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PSet {
    pub params: Params,
    pub rounding: Rounding,
    pub cap_minutes: Option<i64>,
    pub late_arrival: i64,
    pub early_departure: i64,
}

/// What the kernel computed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Kernel {
    pub lines: Vec<LineRec>,
    pub parts: Vec<Part>,
    pub sub6: Vec<Part>,
    pub psets: Vec<PSet>,
    /// Per session, its planned breaks as instants (explain mode).
    pub break_spans: Vec<Span>,
    pub breaks: Vec<(i64, i64)>,
    /// The last date of any session or entry (the cap and shares in force then, ADR 04).
    pub max_date: Option<NaiveDate>,
}

/// Resolves parameters per date, once per distinct date (sessions come by date).
struct ParamCache<'c> {
    c: &'c Compact,
    last: Option<(NaiveDate, u16)>,
    sets: Vec<PSet>,
}

impl ParamCache<'_> {
    fn get(&mut self, date: NaiveDate) -> Result<u16, Error> {
        if let Some((d, i)) = self.last
            && d == date
        {
            return Ok(i);
        }
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
        self.last = Some((date, i));
        Ok(i)
    }
}

fn overflow() -> Error {
    Error::invalid(
        "a figure of the report is too large to compute exactly",
        "een cijfer van het rapport is te groot om exact te berekenen",
    )
}

fn secs32(x: i64) -> Result<i32, Error> {
    i32::try_from(x).map_err(|_| overflow())
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

/// Sorts and merges stretches in place (touching ones merge), dropping empty ones.
fn normalise(v: &mut Vec<(i64, i64)>) {
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

/// A source of lines, in the report's order.
#[derive(Clone, Copy)]
enum Src {
    Session(u32),
    Entry(u32),
}

struct Scratch {
    net: Vec<(i64, i64)>,
    att: Vec<(i64, i64)>,
    order: Vec<u32>,
}

/// Counts a project. With `explain`, every excluded stretch is kept as a fact.
pub(crate) fn count(c: &Compact, explain: bool) -> Result<Kernel, Error> {
    let names = &c.names;
    // Session instants, once per session.
    let mut starts = Vec::with_capacity(c.sessions.len());
    let mut ends = Vec::with_capacity(c.sessions.len());
    for s in &c.sessions {
        starts.push(brussels_unix(s.date, s.start)?);
        ends.push(brussels_unix(s.date, s.end)?);
    }
    let s_key = |i: u32| -> (NaiveDate, i64) {
        let d = c.sessions.get(i as usize).map_or(NaiveDate::MIN, |s| s.date);
        (d, starts.get(i as usize).copied().unwrap_or(0))
    };
    let s_name = |i: u32| names.sessions.get(i as usize).map_or("", |x| x.as_str());
    let session_order = sorted_order(c.sessions.len(), |a, b| {
        s_key(a).cmp(&s_key(b)).then_with(|| s_name(a).cmp(s_name(b)))
    });
    // E-learning: untimed entries sort at the end of their day (ADR 04).
    let mut e_starts = Vec::with_capacity(c.entries.len());
    for e in &c.entries {
        e_starts.push(match e.start {
            Some(t) => brussels_unix(e.date, t)?,
            None => brussels_unix(e.date, NaiveTime::MIN)? + 86_400,
        });
    }
    let e_key = |i: u32| -> (NaiveDate, i64) {
        let d = c.entries.get(i as usize).map_or(NaiveDate::MIN, |e| e.date);
        (d, e_starts.get(i as usize).copied().unwrap_or(0))
    };
    let e_name = |i: u32| names.entries.get(i as usize).map_or("", |x| x.as_str());
    let entry_order = sorted_order(c.entries.len(), |a, b| {
        e_key(a).cmp(&e_key(b)).then_with(|| e_name(a).cmp(e_name(b)))
    });
    // Persons ranked by id, to order the participants of a session.
    let person_rank = rank(&names.persons);

    let n_lines = c.participants.len() + c.entries.len();
    let mut k = Kernel {
        lines: Vec::with_capacity(n_lines),
        ..Kernel::default()
    };
    if explain {
        k.break_spans = vec![Span { first: 0, count: 0 }; c.sessions.len()];
    }
    let mut cache = ParamCache {
        c,
        last: None,
        sets: Vec::new(),
    };
    let mut counted: Vec<(i64, i64)> = Vec::with_capacity(n_lines + n_lines / 4);
    let mut counted_at: Vec<u32> = Vec::with_capacity(n_lines + 1);
    let mut prev: Vec<u32> = Vec::with_capacity(n_lines);
    let np = names.persons.len();
    let mut last_day = vec![i32::MIN; np];
    let mut last_line = vec![NONE; np];
    let mut run_len = vec![0u32; np];
    let mut groups: Vec<u32> = Vec::new();
    let mut sc = Scratch {
        net: Vec::new(),
        att: Vec::new(),
        order: Vec::new(),
    };
    let mut chain = |k: &mut Kernel, person: u32, date: NaiveDate, prev: &mut Vec<u32>| {
        let line = (k.lines.len() - 1) as u32;
        let day = date.num_days_from_ce();
        let p = person as usize;
        let (Some(ld), Some(ll), Some(rl)) = (last_day.get_mut(p), last_line.get_mut(p), run_len.get_mut(p)) else {
            prev.push(NONE);
            return;
        };
        if *ld == day {
            prev.push(*ll);
            *rl += 1;
        } else {
            if *rl > 1 {
                groups.push(*ll);
            }
            prev.push(NONE);
            *rl = 1;
        }
        *ld = day;
        *ll = line;
    };

    let (mut si, mut ei) = (session_order.iter().peekable(), entry_order.iter().peekable());
    loop {
        let next = match (si.peek(), ei.peek()) {
            (Some(&&s), Some(&&e)) => {
                let ord = s_key(s).cmp(&e_key(e)).then_with(|| s_name(s).cmp(e_name(e)));
                if ord == Ordering::Greater {
                    ei.next();
                    Src::Entry(e)
                } else {
                    si.next();
                    Src::Session(s)
                }
            }
            (Some(&&s), None) => {
                si.next();
                Src::Session(s)
            }
            (None, Some(&&e)) => {
                ei.next();
                Src::Entry(e)
            }
            (None, None) => break,
        };
        match next {
            Src::Session(s) => {
                let Some(sess) = c.sessions.get(s as usize) else {
                    continue;
                };
                let start = starts.get(s as usize).copied().unwrap_or(0);
                let end = ends.get(s as usize).copied().unwrap_or(0);
                let pidx = cache.get(sess.date)?;
                k.max_date = k.max_date.max(Some(sess.date));
                // Planned net time: the session minus its breaks (SUB-1).
                sc.att.clear();
                for b in c.breaks.get(sess.breaks.range()).unwrap_or(&[]) {
                    sc.att
                        .push((brussels_unix(sess.date, b.start)?, brussels_unix(sess.date, b.end)?));
                }
                normalise(&mut sc.att);
                if explain {
                    if let Some(span) = k.break_spans.get_mut(s as usize) {
                        *span = Span {
                            first: k.breaks.len() as u32,
                            count: sc.att.len() as u32,
                        };
                    }
                    k.breaks.extend_from_slice(&sc.att);
                }
                sc.net.clear();
                subtract_into(&[(start, end)], &sc.att, &mut sc.net);
                let planned = total(&sc.net);
                let pset = cache.sets.get(pidx as usize).ok_or_else(overflow)?;
                let ratio = pset.params.min_presence_ratio;
                // SUB-4 in whole seconds: counted < ratio × planned ⟺ counted < ⌈ratio × planned⌉.
                let need = if ratio.is_zero() {
                    0
                } else {
                    ratio
                        .checked_mul(Decimal::from(planned))
                        .map(|x| x.ceil())
                        .and_then(|x| i64::try_from(x).ok())
                        .ok_or_else(overflow)?
                };
                let realised = matches!(sess.status, SessionStatus::Executed | SessionStatus::Submitted);
                let plan = Plan {
                    session: s,
                    sess,
                    start,
                    end,
                    planned,
                    need,
                    pidx,
                    realised,
                };
                order_participants(c, sess, &person_rank, &mut sc.order);
                for &pi in &sc.order {
                    let Some(part) = c.participants.get(pi as usize) else {
                        continue;
                    };
                    counted_at.push(counted.len() as u32);
                    classroom_line(
                        c,
                        &plan,
                        part,
                        pset,
                        explain,
                        &mut sc.att,
                        &sc.net,
                        &mut counted,
                        &mut k,
                    )?;
                    chain(&mut k, part.person, sess.date, &mut prev);
                }
            }
            Src::Entry(e) => {
                let Some(entry) = c.entries.get(e as usize) else {
                    continue;
                };
                let pidx = cache.get(entry.date)?;
                k.max_date = k.max_date.max(Some(entry.date));
                let pset = cache.sets.get(pidx as usize).ok_or_else(overflow)?;
                let secs = i64::from(entry.minutes) * 60;
                let approved = entry.status == EntryStatus::Approved;
                counted_at.push(counted.len() as u32);
                let parts = k.parts.len() as u32;
                let mut n_parts = 0u16;
                if approved {
                    counted.push((0, secs));
                } else if explain {
                    k.parts.push(Part {
                        from: 0,
                        until: secs,
                        other: NONE,
                        reason: Reason::NotApproved,
                    });
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
                let (minutes, rounding_diff, cap_cut) = round_and_cap(pset, counted_secs, secs)?;
                k.lines.push(LineRec {
                    sort_start: e_starts.get(e as usize).copied().unwrap_or(0),
                    parts,
                    source: e,
                    person: entry.person,
                    date: entry.date,
                    planned: secs32(secs)?,
                    attended: secs32(counted_secs)?,
                    counted_secs: secs32(counted_secs)?,
                    minutes,
                    rounding_diff,
                    cap_cut,
                    sub6: 0,
                    n_sub6: 0,
                    n_parts,
                    params: pidx,
                    flags,
                });
                chain(&mut k, entry.person, entry.date, &mut prev);
            }
        }
    }
    counted_at.push(counted.len() as u32);
    for (p, &n) in run_len.iter().enumerate() {
        if n > 1
            && let Some(&l) = last_line.get(p)
        {
            groups.push(l);
        }
    }
    k.psets = cache.sets;
    count_days(&mut k, &groups, &prev, &counted, &counted_at, explain)?;
    Ok(k)
}

/// What a session contributes to each of its lines.
struct Plan<'c> {
    session: u32,
    sess: &'c CSession,
    start: i64,
    end: i64,
    planned: i64,
    need: i64,
    pidx: u16,
    realised: bool,
}

/// The participants of a session by person id (the report's order).
fn order_participants(c: &Compact, sess: &CSession, rank: &[u32], order: &mut Vec<u32>) {
    order.clear();
    let r = sess.participants.range();
    order.extend((r.start as u32)..(r.end as u32));
    let key = |i: &u32| {
        c.participants
            .get(*i as usize)
            .and_then(|p| rank.get(p.person as usize))
            .copied()
            .unwrap_or(0)
    };
    if !order.windows(2).all(|w| matches!(w, [a, b] if key(a) <= key(b))) {
        order.sort_unstable_by_key(key);
    }
}

/// SUB-1 and SUB-4 for one participant in one session; SUB-2 and SUB-5 as if alone on the day
/// (redone by [`count_days`] when they are not).
#[allow(clippy::too_many_arguments)]
fn classroom_line(
    c: &Compact,
    plan: &Plan<'_>,
    part: &CParticipant,
    pset: &PSet,
    explain: bool,
    att: &mut Vec<(i64, i64)>,
    net: &[(i64, i64)],
    counted: &mut Vec<(i64, i64)>,
    k: &mut Kernel,
) -> Result<(), Error> {
    let ints: &[CInterval] = c.intervals.get(part.intervals.range()).unwrap_or(&[]);
    att.clear();
    let (mut late, mut suspect) = (false, false);
    for i in ints {
        att.push((i.check_in, i.check_out));
        late |= i.late;
        suspect |= i.clock_suspect;
    }
    normalise(att);
    let first_in = att.first().map(|x| x.0);
    let last_out = att.last().map(|x| x.1);
    let at = counted.len();
    let mut counted_secs = intersect_into(net, att, counted);
    let attended = counted_secs;
    let parts = k.parts.len();
    if explain {
        // SUB-1, SUB-9: every uncounted stretch of net time, with why.
        let mine = counted.get(at..).unwrap_or(&[]);
        let mut j = 0usize;
        let mut push = |a: i64, b: i64| {
            let reason = match (first_in, last_out) {
                (Some(fi), _) if b <= fi => Reason::BeforeCheckIn,
                (_, Some(lo)) if a >= lo => Reason::AfterCheckOut,
                (Some(_), Some(_)) => Reason::Away,
                _ if part.absent => Reason::Absent,
                _ => Reason::NotPresent,
            };
            k.parts.push(Part {
                from: a,
                until: b,
                other: NONE,
                reason,
            });
        };
        for &(ns, ne) in net {
            let mut cur = ns;
            while let Some(&(cs, ce)) = mine.get(j) {
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
    }
    // SUB-4: below the minimum presence the line counts nothing.
    if counted.len() > at && counted_secs < plan.need {
        if explain {
            for &(a, b) in counted.get(at..).unwrap_or(&[]) {
                k.parts.push(Part {
                    from: a,
                    until: b,
                    other: NONE,
                    reason: Reason::BelowMinPresence,
                });
            }
        }
        counted.truncate(at);
        counted_secs = 0;
    }
    let mut flags = 0u8;
    if plan.realised {
        flags |= flag::REALISED;
    }
    if late {
        flags |= flag::LATE_REGISTRATION;
    }
    if suspect {
        flags |= flag::CLOCK_SUSPECT;
    }
    if first_in.is_some_and(|fi| fi > plan.start + pset.late_arrival) {
        flags |= flag::LATE_ARRIVAL;
    }
    if last_out.is_some_and(|lo| lo < plan.end - pset.early_departure) {
        flags |= flag::EARLY_DEPARTURE;
    }
    let (minutes, rounding_diff, cap_cut) = round_and_cap(pset, counted_secs, plan.planned)?;
    k.lines.push(LineRec {
        sort_start: plan.start,
        parts: parts as u32,
        source: plan.session,
        person: part.person,
        date: plan.sess.date,
        planned: secs32(plan.planned)?,
        attended: secs32(attended)?,
        counted_secs: secs32(counted_secs)?,
        minutes,
        rounding_diff,
        cap_cut,
        sub6: 0,
        n_sub6: 0,
        n_parts: u16::try_from(k.parts.len() - parts).map_err(|_| overflow())?,
        params: plan.pidx,
        flags,
    });
    Ok(())
}

/// SUB-2 (never above the planned net time, ADR 04) and SUB-5 for a line alone on its day.
fn round_and_cap(pset: &PSet, counted_secs: i64, planned: i64) -> Result<(i32, i32, i32), Error> {
    let minutes = pset.rounding.apply(counted_secs).min(planned / 60);
    let diff = counted_secs - minutes * 60;
    let cut = match pset.cap_minutes {
        Some(cap) if minutes > cap => minutes - cap.max(0),
        _ => 0,
    };
    Ok((secs32(minutes - cut)?, secs32(diff)?, secs32(cut)?))
}

/// SUB-6, SUB-2 and SUB-5 for the days on which a participant has two or more lines.
fn count_days(
    k: &mut Kernel,
    groups: &[u32],
    prev: &[u32],
    counted: &[(i64, i64)],
    counted_at: &[u32],
    explain: bool,
) -> Result<(), Error> {
    let mut members: Vec<u32> = Vec::new();
    let mut seen: Vec<(i64, i64, u32)> = Vec::new();
    let mut mine: Vec<((i64, i64), u32)> = Vec::new();
    let mut overlap: Vec<(i64, i64)> = Vec::new();
    let mut now: Vec<(i64, i64)> = Vec::new();
    for &g in groups {
        members.clear();
        let mut l = g;
        while l != NONE {
            members.push(l);
            l = prev.get(l as usize).copied().unwrap_or(NONE);
        }
        members.reverse();
        // SUB-6: time already counted on an earlier line of the day is removed from a later one.
        seen.clear();
        for &m in &members {
            let Some(line) = k.lines.get(m as usize).copied() else {
                continue;
            };
            if line.has(flag::ELEARNING) {
                continue;
            }
            let from = counted_at.get(m as usize).copied().unwrap_or(0) as usize;
            let to = counted_at.get(m as usize + 1).copied().unwrap_or(0) as usize;
            let own = counted.get(from..to).unwrap_or(&[]);
            mine.clear();
            for &(sa, sb, src) in &seen {
                for &(ca, cb) in own {
                    let (a, b) = (sa.max(ca), sb.min(cb));
                    if a < b {
                        mine.push(((a, b), src));
                    }
                }
            }
            now.clear();
            if mine.is_empty() {
                now.extend_from_slice(own);
            } else {
                overlap.clear();
                overlap.extend(mine.iter().map(|x| x.0));
                normalise(&mut overlap);
                subtract_into(own, &overlap, &mut now);
                let at = k.sub6.len();
                if explain {
                    k.sub6.extend(mine.iter().map(|&((a, b), src)| Part {
                        from: a,
                        until: b,
                        other: src,
                        reason: Reason::CountedElsewhere,
                    }));
                }
                if let Some(x) = k.lines.get_mut(m as usize) {
                    x.counted_secs = secs32(total(&now))?;
                    x.sub6 = at as u32;
                    x.n_sub6 = (k.sub6.len() - at) as u32;
                }
            }
            seen.extend(now.iter().map(|&(a, b)| (a, b, line.source)));
        }
        // SUB-2 per line, then SUB-5 over the day: the excess comes off the latest lines first.
        let mut sum = 0i64;
        let mut cap = None;
        for &m in &members {
            let Some(x) = k.lines.get_mut(m as usize) else { continue };
            let Some(pset) = k.psets.get(x.params as usize) else {
                continue;
            };
            cap = cap.or(Some(pset.cap_minutes));
            let secs = i64::from(x.counted_secs);
            let minutes = pset.rounding.apply(secs).min(i64::from(x.planned) / 60);
            x.rounding_diff = secs32(secs - minutes * 60)?;
            x.minutes = secs32(minutes)?;
            x.cap_cut = 0;
            sum += minutes;
        }
        if let Some(Some(cap)) = cap {
            let mut excess = sum - cap;
            for &m in members.iter().rev() {
                if excess <= 0 {
                    break;
                }
                let Some(x) = k.lines.get_mut(m as usize) else { continue };
                let cut = excess.min(i64::from(x.minutes));
                if cut > 0 {
                    x.minutes = secs32(i64::from(x.minutes) - cut)?;
                    x.cap_cut = secs32(cut)?;
                    excess -= cut;
                }
            }
        }
    }
    Ok(())
}

/// The identity order when `cmp` finds it sorted, else the sorted indices.
fn sorted_order(n: usize, cmp: impl Fn(u32, u32) -> Ordering) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n as u32).collect();
    if !v
        .windows(2)
        .all(|w| matches!(w, [a, b] if cmp(*a, *b) != Ordering::Greater))
    {
        v.sort_unstable_by(|a, b| cmp(*a, *b));
    }
    v
}

/// The rank of each name in string order.
fn rank<T: AsRef<str>>(names: &[T]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..names.len() as u32).collect();
    let name = |i: &u32| names.get(*i as usize).map_or("", |x| x.as_ref());
    if !idx.windows(2).all(|w| matches!(w, [a, b] if name(a) <= name(b))) {
        idx.sort_unstable_by(|a, b| name(a).cmp(name(b)));
    }
    let mut r = vec![0u32; names.len()];
    for (pos, &i) in idx.iter().enumerate() {
        if let Some(slot) = r.get_mut(i as usize) {
            *slot = pos as u32;
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn sub_6_rank_orders_by_string() {
        let names = ["b", "a", "c", "a1"];
        assert_eq!(rank(&names), vec![2, 0, 3, 1]);
        assert_eq!(sorted_order(3, |a, b| b.cmp(&a)), vec![2, 1, 0]);
    }
}
