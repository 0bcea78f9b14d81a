//! AUD-1, AUD-2: writing the log's commonest lines, and reading a line of the event log for
//! replay and snapshot loading.
//!
//! [`write_plain`] writes a check-in or check-out line byte for byte as serde_json writes it
//! (a property test holds them side by side), without serde, when its texts need no escapes;
//! anything else is written by serde ([`super::log`]).
//!
//! A line is decoded into a [`LineView`]: what the ledger keeps (the event, its instant, actor
//! and command id) is decoded; the fingerprint and hash are checked to be texts and borrowed
//! from the line. The two commonest events — a check-in and a check-out, nearly every line of a
//! year's log — are read by [`scan`] when the line is exactly as the engine writes it, without
//! serde; any other line, or one of those spelled otherwise (escapes, spaces, another field
//! order, an id or instant that does not pass), goes through serde. [`scan`] accepts only lines
//! serde reads to the same values (a property test holds them side by side on mutated lines);
//! whether a line is the log's is decided after, by its hash ([`super::log`]).

// Offsets within one line (bounded by its length).
#![allow(clippy::arithmetic_side_effects)]

use super::{Actor, Event, Recorded};
use crate::calendar::instant_serde;
use crate::ids::{CommandId, PersonId, SessionId, check_id};
use crate::session::Method;
use chrono::{DateTime, Utc};
use std::borrow::Cow;

/// A log line read for replay.
#[derive(Debug, PartialEq, serde::Deserialize)]
pub(crate) struct LineView<'a> {
    pub seq: u64,
    pub command_id: CommandId,
    pub actor: Actor,
    #[serde(with = "crate::calendar::instant_serde")]
    pub at: DateTime<Utc>,
    #[serde(borrow)]
    pub fingerprint: Cow<'a, str>,
    pub event: Event,
    #[serde(default, borrow)]
    pub hash: Cow<'a, str>,
}

impl LineView<'_> {
    /// The event as [`Recorded`] (to check a line that is not in canonical form on its values).
    pub fn into_recorded(self) -> Recorded {
        Recorded {
            seq: self.seq,
            command_id: self.command_id,
            actor: self.actor,
            at: self.at,
            fingerprint: self.fingerprint.into_owned(),
            event: self.event,
            hash: self.hash.into_owned(),
        }
    }
}

/// A check-in or check-out line as the engine writes it, read by [`scan_prefix`]: its texts
/// borrowed from the line (replay allocates nothing for them), its ids checked as decoding
/// checks them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Scanned<'a> {
    pub seq: u64,
    pub command_id: &'a str,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
    pub fingerprint: &'a str,
    /// A check-out (else a check-in).
    pub out: bool,
    pub session: &'a str,
    pub person: &'a str,
    pub time: DateTime<Utc>,
    pub method: Method,
    pub late: bool,
    pub hash: &'a str,
}

impl<'a> Scanned<'a> {
    /// The line's event as a check-in or check-out.
    pub fn event(&self) -> Event {
        let (session, person) = (SessionId::new(self.session), PersonId::new(self.person));
        let (time, method, late) = (self.time, self.method, self.late);
        if self.out {
            Event::CheckedOut {
                session,
                person,
                time,
                method,
                late,
            }
        } else {
            Event::CheckedIn {
                session,
                person,
                time,
                method,
                late,
            }
        }
    }

    /// The line as [`LineView`] (what serde reads of it).
    pub fn into_view(self) -> LineView<'a> {
        LineView {
            seq: self.seq,
            command_id: CommandId::new(self.command_id),
            actor: Actor::from(self.actor),
            at: self.at,
            fingerprint: Cow::Borrowed(self.fingerprint),
            event: self.event(),
            hash: Cow::Borrowed(self.hash),
        }
    }
}

/// Reads a line as the engine writes a check-in or check-out; `None` for anything else (serde
/// reads it then). A line up to `max_bytes` long.
pub(crate) fn scan(line: &str, max_bytes: usize) -> Option<Scanned<'_>> {
    if line.len() > max_bytes {
        return None;
    }
    scan_prefix(line).and_then(|(v, len)| (len == line.len()).then_some(v))
}

/// A [`Scanned`] line with its texts as places in the line (start, end), so that it can be made
/// on one thread and read on another beside the line (a replay's helper, ADR 22).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScannedAt {
    seq: u64,
    command_id: (u32, u32),
    actor: (u32, u32),
    at: DateTime<Utc>,
    fingerprint: (u32, u32),
    out: bool,
    session: (u32, u32),
    person: (u32, u32),
    time: DateTime<Utc>,
    method: Method,
    late: bool,
    hash: (u32, u32),
}

/// Where `part`, a slice of `line`, lies in it.
fn place(line: &str, part: &str) -> Option<(u32, u32)> {
    let start = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= line.len()).then_some(())?;
    Some((u32::try_from(start).ok()?, u32::try_from(end).ok()?))
}

impl ScannedAt {
    /// `s`, read from `line`, with its texts as places in it (`None` if one is not in it).
    pub fn of(s: &Scanned<'_>, line: &str) -> Option<ScannedAt> {
        Some(ScannedAt {
            seq: s.seq,
            command_id: place(line, s.command_id)?,
            actor: place(line, s.actor)?,
            at: s.at,
            fingerprint: place(line, s.fingerprint)?,
            out: s.out,
            session: place(line, s.session)?,
            person: place(line, s.person)?,
            time: s.time,
            method: s.method,
            late: s.late,
            hash: place(line, s.hash)?,
        })
    }

    /// The scanned line again, its texts borrowed from `line` (the line it was read from).
    pub fn in_line<'a>(&self, line: &'a str) -> Option<Scanned<'a>> {
        let text = |(a, b): (u32, u32)| line.get(a as usize..b as usize);
        Some(Scanned {
            seq: self.seq,
            command_id: text(self.command_id)?,
            actor: text(self.actor)?,
            at: self.at,
            fingerprint: text(self.fingerprint)?,
            out: self.out,
            session: text(self.session)?,
            person: text(self.person)?,
            time: self.time,
            method: self.method,
            late: self.late,
            hash: text(self.hash)?,
        })
    }
}

/// [`scan`] of the check-in or check-out line at the start of `text`, and its length in bytes
/// (what follows it is not read): a snapshot's log is its lines joined by commas.
pub(crate) fn scan_prefix(text: &str) -> Option<(Scanned<'_>, usize)> {
    let mut c = Cursor { rest: text };
    c.lit("{\"seq\":")?;
    let seq = c.number()?;
    c.lit(",\"command_id\":")?;
    let command_id = c.checked_id()?;
    c.lit(",\"actor\":")?;
    let actor = c.text()?;
    c.lit(",\"at\":")?;
    let at = c.instant()?;
    c.lit(",\"fingerprint\":")?;
    let fingerprint = c.text()?;
    c.lit(",\"event\":{\"type\":")?;
    let out = match c.text()? {
        "checked_in" => false,
        "checked_out" => true,
        _ => return None,
    };
    c.lit(",\"session\":")?;
    let session = c.checked_id()?;
    c.lit(",\"person\":")?;
    let person = c.checked_id()?;
    c.lit(",\"time\":")?;
    let time = c.instant()?;
    c.lit(",\"method\":")?;
    let method = match c.text()? {
        "scan" => Method::Scan,
        "manual" => Method::Manual,
        "closed_by_trainer" => Method::ClosedByTrainer,
        "correction" => Method::Correction,
        "offline_scan" => Method::OfflineScan,
        _ => return None,
    };
    c.lit(",\"late\":")?;
    let late = if c.lit("true").is_some() {
        true
    } else {
        c.lit("false")?;
        false
    };
    c.lit("},\"hash\":")?;
    let hash = c.text()?;
    c.lit("}")?;
    let len = text.len() - c.rest.len();
    let line = Scanned {
        seq,
        command_id,
        actor,
        at,
        fingerprint,
        out,
        session,
        person,
        time,
        method,
        late,
        hash,
    };
    Some((line, len))
}

/// Writes the canonical body of a check-in or check-out line (AUD-1: what its hash covers,
/// `{"seq":…,"event":{…}}`) into `buf` as serde_json writes it, and says so; writes nothing
/// and returns `false` for any other event, for a text that JSON would escape (a quote, a
/// backslash, a control character) and for an instant that is not whole seconds of a
/// four-digit year: serde writes those.
pub(crate) fn write_plain(
    seq: u64,
    command_id: &str,
    actor: &Actor,
    at: &DateTime<Utc>,
    fingerprint: &str,
    event: &Event,
    buf: &mut Vec<u8>,
) -> bool {
    let (kind, session, person, time, method, late) = match event {
        Event::CheckedIn {
            session,
            person,
            time,
            method,
            late,
        } => ("checked_in", session, person, time, method, late),
        Event::CheckedOut {
            session,
            person,
            time,
            method,
            late,
        } => ("checked_out", session, person, time, method, late),
        _ => return false,
    };
    let actor = match actor {
        Actor::System => "system",
        Actor::Person(p) => p.as_str(),
    };
    let texts = [command_id, actor, fingerprint, session.as_str(), person.as_str()];
    if !texts
        .iter()
        .all(|t| t.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\'))
    {
        return false;
    }
    let (Some(at), Some(time)) = (instant_serde::whole_text(at), instant_serde::whole_text(time)) else {
        return false;
    };
    let method = match method {
        Method::Scan => "scan",
        Method::Manual => "manual",
        Method::ClosedByTrainer => "closed_by_trainer",
        Method::Correction => "correction",
        Method::OfflineScan => "offline_scan",
    };
    let mut digits = [0u8; 20];
    let mut k = digits.len();
    let mut n = seq;
    loop {
        k -= 1;
        if let Some(d) = digits.get_mut(k) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let parts: [&[u8]; 23] = [
        b"{\"seq\":",
        digits.get(k..).unwrap_or_default(),
        b",\"command_id\":\"",
        command_id.as_bytes(),
        b"\",\"actor\":\"",
        actor.as_bytes(),
        b"\",\"at\":\"",
        &at,
        b"\",\"fingerprint\":\"",
        fingerprint.as_bytes(),
        b"\",\"event\":{\"type\":\"",
        kind.as_bytes(),
        b"\",\"session\":\"",
        session.as_str().as_bytes(),
        b"\",\"person\":\"",
        person.as_str().as_bytes(),
        b"\",\"time\":\"",
        &time,
        b"\",\"method\":\"",
        method.as_bytes(),
        b"\",\"late\":",
        if *late { b"true" } else { b"false" },
        b"}}",
    ];
    buf.reserve(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        buf.extend_from_slice(p);
    }
    true
}

/// How many bytes from the front are neither a quote, a backslash nor a control character
/// (below 0x20): eight at a time, as one word each (SWAR), then byte by byte where the word
/// holds one of them or fewer than eight are left.
fn plain_len(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `v` is zero (the borrow can flag bytes above a zero byte, never below one).
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut i = 0;
    for chunk in b.chunks_exact(8) {
        let Some(w) = chunk.first_chunk::<8>().map(|w| u64::from_le_bytes(*w)) else {
            break;
        };
        // Below 0x20: the byte minus 0x20 borrows and its high bit was clear.
        let special = (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            break;
        }
        i += 8;
    }
    i + b
        .get(i..)
        .unwrap_or_default()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len() - i)
}

/// Reads a text from the front: literals, JSON strings without escapes, ids, numbers.
pub(super) struct Cursor<'a> {
    pub rest: &'a str,
}

impl<'a> Cursor<'a> {
    /// Skips JSON white space.
    pub fn ws(&mut self) {
        let skip = self
            .rest
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        // White space is ASCII: the cut is at a character boundary.
        self.rest = self.rest.get(skip..).unwrap_or_default();
    }

    pub fn lit(&mut self, l: &str) -> Option<()> {
        self.rest = self.rest.strip_prefix(l)?;
        Some(())
    }

    /// A JSON string without escapes or control characters (serde_json refuses the latter;
    /// the former it would read to other text).
    pub fn text(&mut self) -> Option<&'a str> {
        let body = self.rest.strip_prefix('"')?;
        let end = plain_len(body.as_bytes());
        let (text, after) = body.split_at(end);
        self.rest = after.strip_prefix('"')?;
        Some(text)
    }

    /// An instant as a JSON string, parsed as decoding parses it.
    pub fn instant(&mut self) -> Option<DateTime<Utc>> {
        instant_serde::parse(self.text()?)
    }

    /// An id, checked as decoding checks it (AUD-3, ID-3), borrowed from the text.
    pub fn checked_id(&mut self) -> Option<&'a str> {
        let t = self.text()?;
        check_id(t).ok()?;
        Some(t)
    }

    /// An unsigned integer as JSON writes it (no sign, no leading zero), within `u64`.
    fn number(&mut self) -> Option<u64> {
        let end = self
            .rest
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(self.rest.len());
        let (digits, after) = self.rest.split_at(end);
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return None;
        }
        let n = digits.parse().ok()?;
        self.rest = after;
        Some(n)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(seq: u64, id: &str, actor: &str, at: DateTime<Utc>, ev: Event, fp: &str, hash: &str) -> String {
        let r = Recorded {
            seq,
            command_id: CommandId::new(id),
            actor: Actor::from(actor),
            at,
            fingerprint: fp.into(),
            event: ev,
            hash: hash.into(),
        };
        serde_json::to_string(&r).unwrap_or_default()
    }

    /// A text edited at random: each edit inserts, removes or replaces a character, or cuts
    /// the text there; an insertion may go after the last character when `append`.
    pub(in crate::ledger) fn edit(text: &str, edits: &[(prop::sample::Index, usize, char)], append: bool) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, op, ch) in edits {
            let i = at.index(chars.len().max(1));
            match op {
                0 if append => chars.insert(at.index(chars.len().saturating_add(1)), *ch),
                0 => chars.insert(i, *ch),
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                2 if i < chars.len() => {
                    if let Some(c) = chars.get_mut(i) {
                        *c = *ch;
                    }
                }
                _ => chars.truncate(i),
            }
        }
        chars.into_iter().collect()
    }

    fn serde_view(l: &str) -> Option<LineView<'_>> {
        serde_json::from_str(l).ok()
    }

    const METHODS: [Method; 5] = [
        Method::Scan,
        Method::Manual,
        Method::ClosedByTrainer,
        Method::Correction,
        Method::OfflineScan,
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// AUD-2: a line the scanner reads, serde reads to the same values; a check-in or
        /// check-out as the engine writes it (ids that pass, no escapes) the scanner reads.
        #[test]
        fn aud_2_the_line_scanner_reads_what_serde_reads(
            seq in prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()],
            id in "[a-zA-Z0-9_-]{1,12}|[ -~]{0,6}|[a-zé\"\\\u{1}]{1,5}",
            person in "p-[0-9]{1,5}|[a-z ]{0,4}|85073003328",
            actor in "system|p-[a-z]{1,6}|[ -~é]{0,5}",
            secs in prop_oneof![Just(0i64), 946_684_800i64..4_102_444_800, Just(253_402_300_799i64)],
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
            method in 0usize..5,
            late: bool,
            out: bool,
            hash in "[0-9a-f]{64}|[ -~]{0,4}",
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, prop::sample::select(vec![' ', '\\', '"', '0', ',', '}', 'x', '1', 'Z', 'é'])), 0..3),
        ) {
            let t = DateTime::from_timestamp(secs, nanos).unwrap_or_default();
            let session = SessionId::new(id.clone());
            let person = PersonId::new(person);
            let method = METHODS.get(method).copied().unwrap_or(Method::Scan);
            let ev = if out {
                Event::CheckedOut { session, person, time: t, method, late }
            } else {
                Event::CheckedIn { session, person, time: t, method, late }
            };
            let clean = line(seq, &id, &actor, t, ev.clone(), "a1b2", &hash);
            // Untouched: read by the scanner exactly when serde reads it and the texts need no
            // escapes; the same values either way.
            let plain = !clean.contains('\\');
            match (scan(&clean, usize::MAX).map(Scanned::into_view), serde_view(&clean)) {
                (Some(a), Some(b)) => prop_assert_eq!(a, b),
                (Some(a), None) => prop_assert!(false, "scanner read what serde refuses: {:?}", a),
                (None, Some(_)) => prop_assert!(!plain, "a plain line left to serde: {}", clean),
                (None, None) => {}
            }
            // Edited anywhere (spaces, escapes, quotes, digits, braces): never a different verdict
            // in the scanner's favour.
            let edited = edit(&clean, &edits, false);
            if let Some(a) = scan(&edited, usize::MAX).map(Scanned::into_view) {
                let b = serde_view(&edited);
                prop_assert!(b.is_some(), "scanner read what serde refuses: {}", edited);
                prop_assert_eq!(Some(a), b);
            }
            // In a snapshot's log (lines joined by commas): a line read at the start of a text
            // ends where the line ends, whatever follows; what it reads, serde reads to the
            // same values in the text up to there.
            for follows in [",", "]}", ",{\"seq\":1}", "", " "] {
                let joined = format!("{clean}{follows}");
                let read = scan_prefix(&joined);
                prop_assert_eq!(read.as_ref().map(|x| x.1), scan(&clean, usize::MAX).map(|_| clean.len()));
                let joined = format!("{edited}{follows}");
                if let Some((a, len)) = scan_prefix(&joined) {
                    let text = joined.get(..len).unwrap_or_default();
                    prop_assert_eq!(Some(a.into_view()), serde_view(text), "{}", joined);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// AUD-2: the word-wise search for a string's end finds the first quote, backslash or
        /// control character the byte-wise one finds, wherever it is (or none).
        #[test]
        fn aud_2_plain_length_is_the_byte_wise_one(b in proptest::collection::vec(prop_oneof![30 => 32u8..127, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => 0u8..32, 1 => Just(0x1f), 3 => 127u8..=255], 0..40), pad in 0usize..20) {
            let mut b = b;
            b.splice(0..0, std::iter::repeat_n(b'a', pad));
            let want = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).unwrap_or(b.len());
            prop_assert_eq!(plain_len(&b), want);
        }
    }

    #[test]
    fn aud_2_other_events_and_long_lines_go_to_serde() {
        let t = DateTime::from_timestamp(1_772_438_400, 0).unwrap_or_default();
        let started = line(
            1,
            "c-1",
            "p-a",
            t,
            Event::SessionStarted {
                session: SessionId::new("S-1"),
            },
            "f",
            "h",
        );
        assert!(scan(&started, usize::MAX).is_none());
        assert!(serde_view(&started).is_some());
        let ev = Event::CheckedIn {
            session: SessionId::new("S-1"),
            person: PersonId::new("p-1"),
            time: t,
            method: Method::Scan,
            late: false,
        };
        let l = line(7, "c-1", "system", t, ev, "f", "h");
        let v = scan(&l, usize::MAX).map(|v| (v.seq, v.into_view().actor));
        assert_eq!(v, Some((7, Actor::System)));
        assert!(
            scan(&l, l.len() - 1).is_none(),
            "above the size limit: decoding names it"
        );
        assert!(scan(&format!("{l} "), usize::MAX).is_none(), "trailing space: serde");
        assert!(serde_view(&format!("{l} ")).is_some());
    }
}
