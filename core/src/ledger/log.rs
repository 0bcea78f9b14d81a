//! The event log: every recorded event once, in order, as a canonical JSON line that ends
//! with a hash chained over the previous one (AUD-1, AUD-2, ATT-3).
//!
//! A line is the event's canonical JSON (`seq`, `command_id`, `actor`, `at`, `fingerprint`,
//! `event`) with `"hash"` added last, where
//! `hash(n) = SHA-256(hash(n−1) ‖ canonical JSON of event n without its hash)` and
//! `hash(0)` is 32 zero bytes. Canonical means: as the engine writes it — compact, fields in
//! that order, instants in UTC. A reader that parses a line and writes it again gets the same
//! bytes, so the chain is checked on values, not on formatting. A log is accepted only when it
//! starts at sequence number 1, counts up by one, and every hash matches: a reordered,
//! truncated, duplicated, gapped or altered log is refused naming its first bad event.
//!
//! Retries (ATT-3) are answered from the log: an index maps each command id (by a hash of it)
//! to its first event; nothing is kept twice.

// Offsets into a log held in memory (usize, bounded by the allocation itself) and u64 sequence
// numbers (2^64 events will not be recorded).
#![allow(clippy::arithmetic_side_effects)]

use super::Recorded;
use crate::error::Error;
use crate::ids::CommandId;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A chain hash.
pub(crate) type Hash = [u8; 32];

/// The canonical body of a recorded event: what its hash covers.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    command_id: &'a CommandId,
    actor: &'a super::Actor,
    #[serde(serialize_with = "crate::calendar::instant_serde::serialize")]
    at: chrono::DateTime<chrono::Utc>,
    fingerprint: &'a str,
    event: &'a super::Event,
}

pub(crate) fn hex(h: &Hash) -> String {
    let mut s = String::with_capacity(64);
    push_hex(&mut s, h);
    s
}

/// The lower-case hex digits.
const HEX: &[u8; 16] = b"0123456789abcdef";

/// The 64 lower-case hex digits of a hash, made on the stack and appended at once.
fn push_hex(s: &mut String, h: &Hash) {
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(h) {
        if let [hi, lo] = pair {
            *hi = hex_digit(b >> 4);
            *lo = hex_digit(b & 15);
        }
    }
    s.push_str(std::str::from_utf8(&out).unwrap_or_default());
}

/// The lower-case hex digit of a nibble (`n < 16`).
fn hex_digit(n: u8) -> u8 {
    HEX.get(usize::from(n & 15)).copied().unwrap_or(b'0')
}

/// Writes the canonical body of a recorded event into `buf` and returns its chained hash.
fn body(r: &Recorded, prev: &Hash, buf: &mut Vec<u8>) -> Hash {
    write_body(
        &Body {
            seq: r.seq,
            command_id: &r.command_id,
            actor: &r.actor,
            at: r.at,
            fingerprint: &r.fingerprint,
            event: &r.event,
        },
        prev,
        buf,
    )
}

fn write_body(b: &Body<'_>, prev: &Hash, buf: &mut Vec<u8>) -> Hash {
    buf.clear();
    // A check-in or check-out, nearly every line of a year's log, without serde (the same bytes).
    let plain = super::line::write_plain(
        b.seq,
        b.command_id.as_str(),
        b.actor,
        &b.at,
        b.fingerprint,
        b.event,
        buf,
    );
    if !plain {
        let _ = serde_json::to_writer(&mut *buf, b);
    }
    chain(prev, &buf[..], b"")
}

/// A command's part of its events' lines: who, when, which command and its fingerprint.
pub(crate) struct CommandParts<'a> {
    pub command_id: &'a CommandId,
    pub actor: &'a super::Actor,
    pub at: chrono::DateTime<chrono::Utc>,
    pub fingerprint: &'a str,
}

/// `SHA-256(prev ‖ body ‖ tail)`: the chain hash of a body given in up to two pieces.
fn chain(prev: &Hash, body: &[u8], tail: &[u8]) -> Hash {
    Sha256::new()
        .chain_update(prev)
        .chain_update(body)
        .chain_update(tail)
        .finalize()
        .into()
}

/// The end of a line as the engine writes it: `,"hash":"`, 64 hex digits, `"}`.
const TAIL: usize = 75;

/// Splits a line as the engine writes it into its body without the closing brace and its
/// hash (hex); `None` for any other shape (another field order, spaces, a pretty-printed
/// line).
fn split_line(line: &str) -> Option<(&str, &[u8])> {
    let cut = line.len().checked_sub(TAIL)?;
    let open = line.get(..cut)?;
    let hash = line.get(cut..)?.strip_prefix(",\"hash\":\"")?.strip_suffix("\"}")?;
    (hash.len() == 64).then_some((open, hash.as_bytes()))
}

/// A line's hash worked out ahead (on a helper thread, [`verify_ahead`]): the line has the
/// engine's shape and its stated hash is the chain of `prev` and its body. It holds for the log
/// being folded when `prev` is the log's head as the line comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub prev: Hash,
    pub hash: Hash,
}

/// For lines of an event log in order (blank ones left out), each one's [`Verdict`], worked out
/// from the text alone: it chains to the hash the line before it states (`prev`: the head of an
/// empty log before the first line; unknown after a line without the engine's shape). The
/// SHA-256 of every line, done where it does not hold the fold up (AUD-2, ADR 22).
pub(crate) fn verify_ahead<'l>(
    prev: &mut Option<Hash>,
    lines: impl Iterator<Item = &'l str>,
    out: &mut Vec<Option<Verdict>>,
) {
    for line in lines {
        let split = split_line(line);
        let stated = split.and_then(|(_, hex)| unhex(hex));
        out.push(match (split, stated, *prev) {
            (Some((open, _)), Some(stated), Some(p)) => {
                let hash = chain(&p, open.as_bytes(), b"}");
                (hash == stated).then_some(Verdict { prev: p, hash })
            }
            _ => None,
        });
        *prev = stated;
    }
}

/// Each byte's value as a lower-case hex digit; 16 for a byte that is not one.
#[allow(clippy::indexing_slicing)] // Worked out when compiling: an index out of range fails the build.
const UNHEX: [u8; 256] = {
    let mut t = [16u8; 256];
    let mut i = 0;
    while i < 16 {
        t[HEX[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// 64 lower-case hex digits as a hash (`None` for anything else). Every digit is looked up,
/// and the hash refused at the end if any was not one (no branch a digit: this reads the
/// stated hash of every line of a replay).
fn unhex(hex: &[u8]) -> Option<Hash> {
    let (pairs, []) = <&[u8; 64]>::try_from(hex).ok()?.as_chunks::<2>() else {
        return None;
    };
    let value = |c: u8| UNHEX.get(usize::from(c)).copied().unwrap_or(16);
    let mut h = [0u8; 32];
    let mut not_hex = 0u8;
    for (b, &[hi, lo]) in h.iter_mut().zip(pairs) {
        let (hi, lo) = (value(hi), value(lo));
        not_hex |= hi | lo;
        *b = (hi << 4) | (lo & 15);
    }
    (not_hex & 16 == 0).then_some(h)
}

/// Whether `hex` is the lower-case hex of `h`.
fn hex_is(hex: &[u8], h: &Hash) -> bool {
    hex.len() == 64
        && h.iter().zip(hex.chunks_exact(2)).all(|(b, pair)| {
            pair.first().copied() == Some(hex_digit(b >> 4)) && pair.get(1).copied() == Some(hex_digit(b & 15))
        })
}

/// A command id's tag in the index: its FNV-1a hash folded to 32 bits. Ids may share a tag;
/// the index tells them apart by reading the id back from the log.
fn tag(id: &str) -> u32 {
    let h = super::fingerprint::fnv(id.as_bytes());
    (h ^ (h >> 32)) as u32
}

/// Command id → index of its first event: an open-addressing table of (tag, index + 1)
/// pairs, 8 bytes a slot, at most 3/4 full, probed linearly from the tag. A lookup touches
/// one or two neighbouring slots (a B-tree of a million hashed ids walked four or five nodes,
/// each a cache miss, twice a command); it stores no id, so it costs about what the B-tree
/// did (11–21 bytes a command).
#[derive(Clone, Debug, Default)]
struct IdIndex {
    slots: Vec<Slot>,
    len: usize,
}

#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    tag: u32,
    /// The event index plus one; 0 for an empty slot.
    at: u32,
}

impl IdIndex {
    /// The first events of the commands whose id has `tag`, in no particular order.
    fn candidates(&self, tag: u32) -> impl Iterator<Item = u32> + '_ {
        let mask = self.slots.len().wrapping_sub(1);
        let start = tag as usize & mask;
        // An empty table has no slot to probe; a table always keeps an empty slot, which ends
        // the probe.
        (0..self.slots.len())
            .map(move |k| self.slots.get((start + k) & mask).copied().unwrap_or_default())
            .take_while(|s| s.at != 0)
            .filter(move |s| s.tag == tag)
            .map(|s| s.at - 1)
    }

    /// The slot a probe for `tag` starts at (read only to bring it into the cache early).
    fn first_slot(&self, tag: u32) -> u32 {
        let mask = self.slots.len().wrapping_sub(1);
        self.slots.get(tag as usize & mask).map_or(0, |s| s.at)
    }

    /// Adds a command's first event (an index beyond `u32::MAX - 1` is not indexed: the log
    /// counts events in `u32`).
    fn insert(&mut self, tag: u32, at: u32) {
        let Some(at) = at.checked_add(1) else { return };
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        Self::place(&mut self.slots, Slot { tag, at });
        self.len += 1;
    }

    fn place(slots: &mut [Slot], slot: Slot) {
        let mask = slots.len().wrapping_sub(1);
        let mut i = slot.tag as usize & mask;
        while let Some(s) = slots.get_mut(i) {
            if s.at == 0 {
                *s = slot;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let mut slots = vec![Slot::default(); size];
        for s in self.slots.iter().filter(|s| s.at != 0) {
            Self::place(&mut slots, *s);
        }
        self.slots = slots;
    }
}

/// The log text is kept in chunks of this size, so that it never holds twice its length
/// while it grows.
const CHUNK: usize = 4 << 20;

/// A piece of the log text with where its lines start. The offsets are kept per chunk (4 bytes
/// an event, growing with the chunk) rather than in one array for the whole log, which would
/// double past the need as it grows.
#[derive(Clone, Debug, Default)]
struct Chunk {
    text: String,
    /// The index of the chunk's first event.
    first: u32,
    /// Where each line starts in `text`.
    starts: Vec<u32>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Log {
    /// The lines, each followed by a newline; no line spans two chunks.
    chunks: Vec<Chunk>,
    /// The number of events.
    len: u32,
    /// Command id → index of its first event.
    index: IdIndex,
    head: Hash,
    /// The command of the last event.
    last: Option<CommandId>,
    scratch: Vec<u8>,
}

impl Log {
    pub fn len(&self) -> u64 {
        u64::from(self.len)
    }

    pub fn head(&self) -> &Hash {
        &self.head
    }

    /// Writes the line of the body in `scratch` (hash `hash`) at the end of the log.
    fn push_line(&mut self, hash: &Hash) {
        let scratch = std::mem::take(&mut self.scratch);
        let body = std::str::from_utf8(&scratch).unwrap_or("{}");
        self.push_open(body.strip_suffix('}').unwrap_or(body), hash);
        self.scratch = scratch;
    }

    /// Writes a line: `open` is the canonical body without its closing brace.
    fn push_open(&mut self, open: &str, hash: &Hash) {
        if let Some(c) = self.room(open.len() + TAIL + 1) {
            c.push_str(open);
            c.push_str(",\"hash\":\"");
            push_hex(c, hash);
            c.push_str("\"}\n");
        }
    }

    /// Writes a line that is already the canonical body with its hash (as read from a log and
    /// checked), copied as it is.
    fn push_whole(&mut self, line: &str) {
        if let Some(c) = self.room(line.len() + 1) {
            c.push_str(line);
            c.push('\n');
        }
    }

    /// The text a new line of `need` bytes goes into, its start noted and the line counted.
    fn room(&mut self, need: usize) -> Option<&mut String> {
        if self
            .chunks
            .last()
            .is_none_or(|c| c.text.len() + need > c.text.capacity())
        {
            self.chunks.push(Chunk {
                text: String::with_capacity(CHUNK.max(need)),
                first: self.len,
                starts: Vec::new(),
            });
        }
        let Chunk { text, starts, .. } = self.chunks.last_mut()?;
        starts.push(text.len() as u32);
        self.len += 1;
        Some(text)
    }

    /// Indexes a command starting at event `at`, unless its id is taken by an earlier command
    /// (then `false`, nothing changed).
    fn claim(&mut self, id: &str, at: u32) -> bool {
        let t = tag(id);
        if self.first_of(id, t).is_some() {
            return false;
        }
        self.index.insert(t, at);
        self.remember(id);
        true
    }

    /// Keeps the last command's id (held inline: no allocation for an id of up to 23 bytes).
    fn remember(&mut self, id: &str) {
        self.last = Some(CommandId::new(id));
    }

    /// The first event of the command `id` (whose tag is `t`), if it is in the log.
    fn first_of(&self, id: &str, t: u32) -> Option<u32> {
        self.index
            .candidates(t)
            .find(|&i| self.command_of(i).is_some_and(|c| c.as_str() == id))
    }

    /// Appends the events of one command (their `seq` follow the log's); fills in their
    /// hashes. Its id is indexed unless an earlier command holds it.
    pub fn append(&mut self, events: &mut [Recorded]) {
        let Some(first) = events.first() else { return };
        let (at, t) = (self.len, tag(first.command_id.as_str()));
        self.write(events);
        if let Some(first) = events.first()
            && self.first_of(first.command_id.as_str(), t).is_none()
        {
            self.index.insert(t, at);
            self.remember(first.command_id.as_str());
        }
    }

    /// Appends the events of a command [`Log::of_command`] has just found new (ATT-3), from
    /// the command's parts and its events, with no [`Recorded`] made (indexed without looking
    /// again): the events get the sequence numbers from `first_seq` on, and `hashes` (when
    /// given) each one's chain hash in order.
    pub fn append_new_parts(
        &mut self,
        cmd: &CommandParts<'_>,
        first_seq: u64,
        events: &[super::Event],
        mut hashes: Option<&mut Vec<Hash>>,
    ) {
        if events.is_empty() {
            return;
        }
        let (at, t) = (self.len, tag(cmd.command_id.as_str()));
        for (i, event) in events.iter().enumerate() {
            let b = Body {
                seq: first_seq.saturating_add(i as u64),
                command_id: cmd.command_id,
                actor: cmd.actor,
                at: cmd.at,
                fingerprint: cmd.fingerprint,
                event,
            };
            let mut scratch = std::mem::take(&mut self.scratch);
            let hash = write_body(&b, &self.head, &mut scratch);
            self.scratch = scratch;
            if let Some(h) = hashes.as_deref_mut() {
                h.push(hash);
            }
            self.push_line(&hash);
            self.head = hash;
        }
        self.index.insert(t, at);
        self.remember(cmd.command_id.as_str());
    }

    /// Writes events at the end of the log, chained, filling in their hashes.
    fn write(&mut self, events: &mut [Recorded]) {
        for r in events.iter_mut() {
            let mut scratch = std::mem::take(&mut self.scratch);
            let hash = body(r, &self.head, &mut scratch);
            self.scratch = scratch;
            r.hash = hex(&hash);
            self.push_line(&hash);
            self.head = hash;
        }
    }

    fn raw(&self, i: u32) -> Option<&str> {
        // The last chunk whose first event is at or before `i`.
        let c = self
            .chunks
            .get(self.chunks.partition_point(|c| c.first <= i).checked_sub(1)?)?;
        let k = (i - c.first) as usize;
        let at = *c.starts.get(k)? as usize;
        let end = c.starts.get(k + 1).map_or(c.text.len(), |&n| n as usize);
        c.text.get(at..end).map(str::trim_end)
    }

    /// The event at index `i`.
    pub fn get(&self, i: u32) -> Option<Recorded> {
        serde_json::from_str(self.raw(i)?).ok()
    }

    fn command_of(&self, i: u32) -> Option<CommandId> {
        #[derive(serde::Deserialize)]
        struct Id {
            command_id: CommandId,
        }
        serde_json::from_str::<Id>(self.raw(i)?).ok().map(|x| x.command_id)
    }

    /// The events of an already accepted command (ATT-3).
    pub fn of_command(&self, id: &CommandId) -> Option<Vec<Recorded>> {
        let first = self.first_of(id.as_str(), tag(id.as_str()))?;
        let mut out = Vec::new();
        let mut i = first;
        while let Some(r) = self.get(i) {
            if r.command_id != *id {
                break;
            }
            out.push(r);
            i += 1;
        }
        Some(out)
    }

    /// The chunks of the log text (JSON lines).
    pub fn chunks(&self) -> impl Iterator<Item = &str> {
        self.chunks.iter().map(|c| c.text.as_str())
    }

    /// The lines of the log, without their newlines.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.chunks.iter().flat_map(|c| c.text.lines())
    }

    /// The log's text in bytes (its lines with their newlines).
    pub fn text_len(&self) -> usize {
        self.chunks().map(str::len).fold(0, usize::saturating_add)
    }

    /// Writes the lines, comma-separated, at the end of `out`: the items of a JSON list of
    /// the events (each line is one event's canonical JSON).
    pub fn push_joined(&self, out: &mut String) {
        for (i, line) in self.lines().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(line);
        }
    }

    /// Every event, in order.
    pub fn iter(&self) -> impl Iterator<Item = Recorded> + '_ {
        (0..self.len).filter_map(|i| self.get(i))
    }

    /// Appends an event read back from a log, checking its place and its hash (AUD-2).
    ///
    /// # Errors
    /// [`Error::DamagedLog`] naming the event's position when its sequence number is not the
    /// next one or its hash does not match.
    ///
    /// `line` is the text `r` was read from, when there is one. When it has the shape the
    /// engine writes, its own bytes are hashed and kept (a match proves they are the canonical
    /// bytes the chain was made of); otherwise — a log reformatted by some tool — `r` is
    /// written canonically again and that is hashed, so the chain is checked on values.
    pub fn append_checked(&mut self, r: Recorded, line: Option<&str>) -> Result<Recorded, Error> {
        let position = self.check_seq(r.seq)?;
        let raw = line.and_then(|l| self.canonical(l));
        let hash = match raw {
            Some((_, hash)) => hash,
            None => {
                let mut scratch = std::mem::take(&mut self.scratch);
                let hash = body(&r, &self.head, &mut scratch);
                self.scratch = scratch;
                if !hex_is(r.hash.as_bytes(), &hash) {
                    return Err(Error::DamagedLog {
                        position,
                        reason: "its hash does not match its content and the events before it (altered, or a log with events left out)".into(),
                        reason_nl: "de hash klopt niet met de inhoud en de voorgaande gebeurtenissen (gewijzigd, of een logboek waaruit gebeurtenissen weggelaten zijn)".into(),
                    });
                }
                hash
            }
        };
        self.commit(position, r.command_id.as_str(), raw.map(|(whole, _)| whole), &hash)?;
        Ok(r)
    }

    /// [`Log::append_checked`] for a line read as a `line::LineView`: `Ok(true)` when `line` is
    /// the engine's canonical text of the next event and chains (then it is appended);
    /// `Ok(false)`, nothing changed, when it is not (the caller checks it on values);
    /// an error for a sequence number out of place or a command id already taken.
    /// A `verdict` worked out ahead for the line ([`verify_ahead`]) spares hashing it when it
    /// chains to the log's head as it is.
    pub fn append_canonical(
        &mut self,
        seq: u64,
        command_id: &str,
        line: &str,
        verdict: Option<&Verdict>,
    ) -> Result<bool, Error> {
        let position = self.check_seq(seq)?;
        // The index slot the command id will be looked up in is read first, so that the
        // processor fetches it (a cache miss in a large log) while the line is hashed.
        self.expect(command_id);
        let known = verdict.filter(|v| v.prev == self.head).map(|v| (line, v.hash));
        #[cfg(test)]
        if known.is_some() {
            super::USED_AHEAD.with(|c| c.set((c.get().0.saturating_add(1), c.get().1)));
        }
        let Some((whole, hash)) = known.or_else(|| self.canonical(line)) else {
            return Ok(false);
        };
        self.commit(position, command_id, Some(whole), &hash)?;
        Ok(true)
    }

    /// Reads the index slot the command id `id` will be looked up in, so that the processor
    /// fetches it (a cache miss in a large log) before it is needed: lines folded a few at a
    /// time have their slots read together.
    pub fn expect(&self, id: &str) {
        std::hint::black_box(self.index.first_slot(tag(id)));
    }

    /// The position the next event must have (AUD-2), or why `seq` is not it.
    fn check_seq(&self, seq: u64) -> Result<u64, Error> {
        let position = self.len() + 1;
        if seq == position {
            return Ok(position);
        }
        Err(Error::DamagedLog {
            position,
            reason: if seq < position {
                format!("sequence number {seq} repeats or goes back (expected {position})")
            } else {
                format!("sequence number {seq} skips ahead (expected {position})")
            },
            reason_nl: if seq < position {
                format!("volgnummer {seq} herhaalt of gaat terug (verwacht {position})")
            } else {
                format!("volgnummer {seq} springt vooruit (verwacht {position})")
            },
        })
    }

    /// The line and its chained hash when the line is as the engine writes it and its hash
    /// matches (its bytes are then the canonical bytes the chain was made of, and the line is
    /// kept as it is).
    fn canonical<'l>(&self, line: &'l str) -> Option<(&'l str, Hash)> {
        let (open, hex) = split_line(line)?;
        let hash = chain(&self.head, open.as_bytes(), b"}");
        hex_is(hex, &hash).then_some((line, hash))
    }

    /// Indexes the event's command when it starts one (refused when its id was used by an
    /// earlier command) and appends it: its canonical line `whole` (read, and checked to chain
    /// to `hash`) when known, else the body in `scratch` with `hash`.
    fn commit(&mut self, position: u64, command_id: &str, whole: Option<&str>, hash: &Hash) -> Result<(), Error> {
        let at = self.len;
        let new_command = self.last.as_ref().map(CommandId::as_str) != Some(command_id);
        if new_command && !self.claim(command_id, at) {
            return Err(Error::DamagedLog {
                position,
                reason: "its command id was used by an earlier command".into(),
                reason_nl: "de opdracht-id werd al door een eerdere opdracht gebruikt".into(),
            });
        }
        match whole {
            Some(line) => self.push_whole(line),
            None => self.push_line(hash),
        }
        self.head = *hash;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SessionId;
    use crate::ledger::{Actor, Event};

    /// AUD-2 (retries answered from the log): the index of command ids grows by doubling at
    /// three quarters full, so it holds at most 8/3 slots a command (8 bytes each) — part of
    /// the ledger's ≤ 500 bytes a command — and every command stays findable.
    #[test]
    fn aud_2_the_retry_index_keeps_its_load_factor() {
        let mut index = IdIndex::default();
        for n in 1..=100_000u32 {
            index.insert(n.wrapping_mul(2_654_435_761), n - 1);
            let slots = index.slots.len();
            assert!(slots.is_power_of_two());
            assert!(index.len * 4 <= slots * 3, "{n} commands in {slots} slots");
            assert!(
                slots <= 16 || slots * 3 < n as usize * 8,
                "{n} commands in {slots} slots"
            );
        }
        for n in [1u32, 77, 65_536, 100_000] {
            assert!(index.candidates(n.wrapping_mul(2_654_435_761)).any(|at| at == n - 1));
        }
    }

    fn event(id: &str, seq: u64) -> Recorded {
        Recorded {
            seq,
            command_id: CommandId::new(id),
            actor: Actor::System,
            at: chrono::DateTime::from_timestamp(1_772_438_400, 0).unwrap_or_default(),
            fingerprint: "0".into(),
            event: Event::SessionStarted {
                session: SessionId::new("S-1"),
            },
            hash: String::new(),
        }
    }

    /// ATT-3, AUD-2: a retry is answered from the log in constant time because command ids
    /// spread over the index: ten thousand ids of one shape share hardly any tag (a constant
    /// tag would still find every command, one long chain at a time).
    #[test]
    fn att_3_command_ids_spread_over_the_index() {
        let tags: std::collections::HashSet<u32> = (0..10_000).map(|i| tag(&format!("cmd-{i}"))).collect();
        assert!(tags.len() >= 9_990, "{} distinct tags", tags.len());
        let slots: std::collections::HashSet<u32> = (0..10_000).map(|i| tag(&format!("cmd-{i}")) & 0xffff).collect();
        assert!(slots.len() >= 7_000, "{} distinct low bits", slots.len());
    }

    #[test]
    fn att_3_index_keeps_ids_that_share_a_tag_apart() {
        // Two ids with one tag (found by search), and a third command of several events.
        let (a, b) = (CommandId::new("cmd-75882"), CommandId::new("cmd-79898"));
        assert_eq!(tag(a.as_str()), tag(b.as_str()));
        let mut log = Log::default();
        log.append(&mut [event("cmd-75882", 1)]);
        assert!(log.of_command(&b).is_none(), "a shared tag is not the same command");
        log.append(&mut [event("cmd-79898", 2), event("cmd-79898", 3)]);
        log.append(&mut [event("other", 4)]);
        let seqs = |id: &CommandId| log.of_command(id).map(|v| v.iter().map(|r| r.seq).collect::<Vec<_>>());
        assert_eq!(seqs(&a), Some(vec![1]));
        assert_eq!(seqs(&b), Some(vec![2, 3]));
        assert_eq!(seqs(&CommandId::new("other")), Some(vec![4]));
        assert_eq!(seqs(&CommandId::new("never")), None);
        // An id already in the log cannot be claimed again; a new one with its tag can.
        assert!(!log.claim(b.as_str(), 9));
        assert!(log.claim("fresh", 4));
    }

    #[test]
    fn att_3_index_grows_and_finds_every_command() {
        let mut index = IdIndex::default();
        assert_eq!(index.candidates(7).count(), 0, "an empty index");
        // Many commands, a few hundred sharing one tag (long probe runs, wrapping the table).
        for at in 0..20_000u32 {
            let t = if at % 50 == 0 {
                u32::MAX
            } else {
                at.wrapping_mul(2_654_435_761)
            };
            index.insert(t, at);
        }
        assert!(index.len * 4 <= index.slots.len() * 3);
        assert_eq!(index.candidates(u32::MAX).count(), 400);
        for at in (1..20_000u32).filter(|at| at % 50 != 0) {
            let t = at.wrapping_mul(2_654_435_761);
            assert!(index.candidates(t).any(|x| x == at), "{at}");
        }
        // An index past what the log counts is not stored (and does not panic).
        index.insert(1, u32::MAX);
        assert_eq!(index.candidates(1).filter(|&x| x == u32::MAX).count(), 0);
    }

    /// AUD-2: a line's stated hash is read only as the 64 lower-case hex digits the engine
    /// writes: every hash reads back from its hex; a digit altered to anything that is not a
    /// lower-case hex digit (upper case, a letter past `f`, a byte on either side of the digit
    /// and letter ranges), both digits of a pair so altered, a digit more or less, refuses it.
    #[test]
    fn aud_2_a_stated_hash_is_read_only_as_lower_case_hex() {
        for seed in 0u8..16 {
            let h: Hash = chain(&[seed; 32], &[seed], b"}");
            let text = hex(&h);
            assert_eq!(unhex(text.as_bytes()), Some(h));
            for at in 0..64 {
                for c in (0u8..=255).filter(|c| !HEX.contains(c)) {
                    let mut altered = text.clone().into_bytes();
                    altered[at] = c;
                    assert_eq!(unhex(&altered), None, "{c} at {at}");
                }
            }
            // Both digits of a pair altered (their refusals must not cancel out).
            for pair in 0..32 {
                for (c, d) in [(b'g', b'g'), (b'G', b'x'), (0, 255), (b'/', b':'), (b'`', b'A')] {
                    let mut altered = text.clone().into_bytes();
                    altered[2 * pair] = c;
                    altered[2 * pair + 1] = d;
                    assert_eq!(unhex(&altered), None, "{c} {d} at pair {pair}");
                }
            }
            assert_eq!(unhex(&text.as_bytes()[1..]), None);
            assert_eq!(unhex(format!("{text}0").as_bytes()), None);
        }
        assert_eq!(unhex(b""), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// AUD-1: a check-in or check-out line written by hand is, byte for byte, the body
        /// serde_json writes — or the writer leaves it to serde (texts JSON escapes, instants
        /// not in whole seconds); a plain line is always written by hand, and the scanner
        /// reads it back to the same event.
        #[test]
        fn aud_1_a_check_in_written_by_hand_is_the_body_serde_writes(
            seq in proptest::prop_oneof![proptest::strategy::Just(0u64), proptest::strategy::Just(u64::MAX), proptest::prelude::any::<u64>()],
            id in "[a-zA-Z0-9_-]{1,12}|[ -~]{0,6}|[a-zé\"\\\u{1}\u{7f}]{1,5}",
            person in "p-[0-9]{1,5}|[a-z ]{0,4}|[\u{0}-\u{7f}]{0,3}",
            actor in "system|p-[a-z]{1,6}|[ -~é]{0,5}",
            fingerprint in "[0-9a-f]{16}|[ -~\u{80}]{0,3}",
            secs in proptest::prop_oneof![proptest::strategy::Just(0i64), 946_684_800i64..4_102_444_800, proptest::strategy::Just(253_402_300_799i64), -62_167_219_200i64..0],
            nanos in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..1_000_000_000],
            method in 0usize..5,
            late: bool,
            out: bool,
            other: bool,
        ) {
            use crate::ids::PersonId;
            use crate::session::Method;
            let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap_or_default();
            let at = chrono::DateTime::from_timestamp(secs.saturating_add(3), 0).unwrap_or_default();
            let session = SessionId::new(id.clone());
            let person = PersonId::new(person);
            let method = [Method::Scan, Method::Manual, Method::ClosedByTrainer, Method::Correction, Method::OfflineScan]
                .get(method).copied().unwrap_or(Method::Scan);
            let event = if other {
                Event::SessionStarted { session }
            } else if out {
                Event::CheckedOut { session, person, time: t, method, late }
            } else {
                Event::CheckedIn { session, person, time: t, method, late }
            };
            let (command_id, actor) = (CommandId::new(id.clone()), Actor::from(actor.as_str()));
            let b = Body { seq, command_id: &command_id, actor: &actor, at, fingerprint: &fingerprint, event: &event };
            let serde = serde_json::to_vec(&b).unwrap_or_default();
            let mut hand = Vec::new();
            let wrote = crate::ledger::line::write_plain(seq, &id, &actor, &at, &fingerprint, &event, &mut hand);
            if wrote {
                proptest::prop_assert_eq!(String::from_utf8_lossy(&hand), String::from_utf8_lossy(&serde));
            } else {
                proptest::prop_assert!(hand.is_empty(), "nothing written when the writer declines");
                let years = -62_167_219_200..=253_402_300_799; // 0000 to 9999
                let plain = !serde.contains(&b'\\') && nanos == 0 && years.contains(&secs) && years.contains(&(secs + 3));
                proptest::prop_assert!(other || !plain, "a plain line left to serde: {}", String::from_utf8_lossy(&serde));
            }
            // Through the log: the line ends with its hash, and a plain one is read back whole.
            let mut buf = Vec::new();
            let h = write_body(&b, &[0; 32], &mut buf);
            proptest::prop_assert_eq!(&buf, &serde);
            proptest::prop_assert_eq!(h, chain(&[0; 32], &serde, b""));
            if wrote {
                let open = String::from_utf8_lossy(&hand);
                let line = format!("{},\"hash\":\"{}\"}}", open.strip_suffix('}').unwrap_or(&open), hex(&h));
                if let Some(v) = crate::ledger::line::scan(&line, usize::MAX) {
                    proptest::prop_assert_eq!(v.event(), event);
                    proptest::prop_assert_eq!(v.seq, seq);
                }
            }
        }
    }
}
