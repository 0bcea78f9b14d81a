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
//! Retries (ATT-3) are answered from the log: an index maps each command id (hashed) to its
//! first event; nothing is kept twice.

// Offsets into a log held in memory (usize, bounded by the allocation itself) and u64 sequence
// numbers (2^64 events will not be recorded).
#![allow(clippy::arithmetic_side_effects)]

use super::Recorded;
use crate::error::Error;
use crate::ids::CommandId;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A chain hash.
pub(crate) type Hash = [u8; 32];

/// The canonical body of a recorded event: what its hash covers.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    command_id: &'a CommandId,
    actor: &'a super::Actor,
    at: chrono::DateTime<chrono::Utc>,
    fingerprint: &'a str,
    event: &'a super::Event,
}

pub(crate) fn hex(h: &Hash) -> String {
    let mut s = String::with_capacity(64);
    push_hex(&mut s, h);
    s
}

fn push_hex(s: &mut String, h: &Hash) {
    for b in h {
        s.push(hex_digit(b >> 4));
        s.push(hex_digit(b & 15));
    }
}

/// The lower-case hex digit of a nibble (`n < 16`).
fn hex_digit(n: u8) -> char {
    char::from_digit(u32::from(n & 15), 16).unwrap_or('0')
}

/// Writes the canonical body of a recorded event into `buf` and returns its chained hash.
fn body(r: &Recorded, prev: &Hash, buf: &mut Vec<u8>) -> Hash {
    buf.clear();
    let b = Body {
        seq: r.seq,
        command_id: &r.command_id,
        actor: &r.actor,
        at: r.at,
        fingerprint: &r.fingerprint,
        event: &r.event,
    };
    let _ = serde_json::to_writer(&mut *buf, &b);
    Sha256::new()
        .chain_update(prev)
        .chain_update(&buf[..])
        .finalize()
        .into()
}

/// Where a command's events are: the FNV-1a hash of its id (clashes are kept apart).
fn key(id: &CommandId) -> u64 {
    super::fingerprint::fnv(id.as_str().as_bytes())
}

/// The log text is kept in chunks of this size, so that it never holds twice its length
/// while it grows.
const CHUNK: usize = 4 << 20;

#[derive(Clone, Debug, Default)]
pub(crate) struct Log {
    /// The lines, each followed by a newline; no line spans two chunks.
    chunks: Vec<String>,
    /// Where each event's line starts: chunk index (high 32 bits) and offset.
    starts: Vec<u64>,
    /// Command id (hashed) → index of its first event. Ids whose hash is taken by another id
    /// go to `clashes`.
    index: BTreeMap<u64, u32>,
    clashes: BTreeMap<String, u32>,
    head: Hash,
    /// The command of the last event.
    last: Option<CommandId>,
    scratch: Vec<u8>,
}

impl Log {
    pub fn len(&self) -> u64 {
        self.starts.len() as u64
    }

    /// Room for about this many events.
    pub fn reserve(&mut self, events: usize) {
        self.starts.reserve(events);
    }

    pub fn head(&self) -> &Hash {
        &self.head
    }

    /// Writes the line of the body in `scratch` (hash `hash`) at the end of the log.
    fn push_line(&mut self, hash: &Hash) {
        let body = std::str::from_utf8(&self.scratch).unwrap_or("{}");
        let need = body.len() + 80;
        if self.chunks.last().is_none_or(|c| c.len() + need > c.capacity()) {
            self.chunks.push(String::with_capacity(CHUNK.max(need)));
        }
        let n = self.chunks.len() - 1;
        if let Some(c) = self.chunks.last_mut() {
            self.starts.push(((n as u64) << 32) | c.len() as u64);
            c.push_str(body.strip_suffix('}').unwrap_or(body));
            c.push_str(",\"hash\":\"");
            push_hex(c, hash);
            c.push_str("\"}\n");
        }
    }

    fn index_command(&mut self, id: &CommandId, at: u32) {
        match self.index.entry(key(id)) {
            std::collections::btree_map::Entry::Occupied(_) => {
                self.clashes.insert(id.0.clone(), at);
            }
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(at);
            }
        }
        self.last = Some(id.clone());
    }

    /// Appends the events of one accepted command (their `seq` follow the log's); fills in
    /// their hashes.
    pub fn append(&mut self, events: &mut [Recorded]) {
        let Some(first) = events.first() else { return };
        let at = self.starts.len() as u32;
        let id = first.command_id.clone();
        for r in events.iter_mut() {
            let mut scratch = std::mem::take(&mut self.scratch);
            let hash = body(r, &self.head, &mut scratch);
            self.scratch = scratch;
            r.hash = hex(&hash);
            self.push_line(&hash);
            self.head = hash;
        }
        self.index_command(&id, at);
    }

    fn raw(&self, i: u32) -> Option<&str> {
        let s = *self.starts.get(i as usize)?;
        let (chunk, at) = ((s >> 32) as usize, (s & 0xffff_ffff) as usize);
        let c = self.chunks.get(chunk)?;
        let end = match self.starts.get(i as usize + 1) {
            Some(&n) if (n >> 32) as usize == chunk => (n & 0xffff_ffff) as usize,
            _ => c.len(),
        };
        c.get(at..end).map(str::trim_end)
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
        let first = match self.index.get(&key(id)) {
            Some(&i) if self.command_of(i).as_ref() == Some(id) => i,
            _ => *self.clashes.get(id.as_str())?,
        };
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
        self.chunks.iter().map(String::as_str)
    }

    /// The lines of the log, without their newlines.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.chunks.iter().flat_map(|c| c.lines())
    }

    /// Every event, in order.
    pub fn iter(&self) -> impl Iterator<Item = Recorded> + '_ {
        (0..self.starts.len() as u32).filter_map(|i| self.get(i))
    }

    /// Appends an event read back from a log, checking its place and its hash (AUD-2).
    ///
    /// # Errors
    /// [`Error::DamagedLog`] naming the event's position when its sequence number is not the
    /// next one or its hash does not match.
    pub fn append_checked(&mut self, r: Recorded) -> Result<Recorded, Error> {
        let position = self.len() + 1;
        if r.seq != position {
            return Err(Error::DamagedLog {
                position,
                reason: if r.seq < position {
                    format!("sequence number {} repeats or goes back (expected {position})", r.seq)
                } else {
                    format!("sequence number {} skips ahead (expected {position})", r.seq)
                },
                reason_nl: if r.seq < position {
                    format!("volgnummer {} herhaalt of gaat terug (verwacht {position})", r.seq)
                } else {
                    format!("volgnummer {} springt vooruit (verwacht {position})", r.seq)
                },
            });
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let hash = body(&r, &self.head, &mut scratch);
        self.scratch = scratch;
        if r.hash != hex(&hash) {
            return Err(Error::DamagedLog {
                position,
                reason: "its hash does not match its content and the events before it (altered, or a log with events left out)".into(),
                reason_nl: "de hash klopt niet met de inhoud en de voorgaande gebeurtenissen (gewijzigd, of een logboek waaruit gebeurtenissen weggelaten zijn)".into(),
            });
        }
        let at = self.starts.len() as u32;
        let new_command = self.last.as_ref() != Some(&r.command_id);
        if new_command && self.of_command(&r.command_id).is_some() {
            return Err(Error::DamagedLog {
                position,
                reason: "its command id was used by an earlier command".into(),
                reason_nl: "de opdracht-id werd al door een eerdere opdracht gebruikt".into(),
            });
        }
        self.push_line(&hash);
        self.head = hash;
        if new_command {
            self.index_command(&r.command_id, at);
        }
        Ok(r)
    }
}
