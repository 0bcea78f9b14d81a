//! Loading a snapshot (AUD-2): schema 2 is streamed — each event of its log is read, checked
//! against the hash chain and folded as it comes, so no JSON tree of the whole snapshot is
//! ever built and the peak memory stays close to the loaded ledger. Schema 1 (the state with
//! each accepted command's events, written by engine 0.1 before the log was chained) is read
//! whole and its events are replayed and chained anew.

// u64 sequence numbers (2^64 events will not be recorded).
#![allow(clippy::arithmetic_side_effects)]

use super::{Ledger, Recorded, SCHEMA_VERSION};
use crate::error::Error;
use crate::qr::Keyring;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

const REFUSED: &str = "tijdreg-snapshot-refused";

struct Loading {
    ledger: Ledger,
    err: Option<Error>,
    version: Option<u64>,
    events: Option<u64>,
    head: Option<String>,
    /// Schema 1: the document is read again as a whole.
    legacy: bool,
    /// Events read as typed values (the second reading, after a failure), not as raw text.
    typed: bool,
}

pub(super) fn load(json: &str, keys: Keyring) -> Result<Ledger, Error> {
    match direct(json, &keys) {
        Some(loaded) => loaded,
        None => streamed(json, keys),
    }
}

/// A snapshot exactly as [`Ledger::snapshot_json`] writes it (its header in that order and
/// spelling, its lines joined by commas, nothing after the closing brace but white space): each
/// check-in and check-out line is read where it lies by [`super::line::scan_prefix`], which
/// finds where it ends as it reads it, and any other line is delimited by serde — so no line is
/// read twice. `None`, with nothing decided, as soon as the text is written otherwise (white
/// space between lines, keys in another order, a line serde cannot read): [`streamed`] reads
/// it from the start then and gives the verdict (the same lines in the same order pass through
/// the same checks, so a refusal names the same event either way).
fn direct(json: &str, keys: &Keyring) -> Option<Result<Ledger, Error>> {
    let rest = json.strip_prefix("{\"schema_version\":")?;
    let (version, rest) = digits(rest)?;
    if version != u64::from(SCHEMA_VERSION) {
        return None;
    }
    let rest = rest.strip_prefix(",\"engine_version\":\"")?;
    let (engine, rest) = rest.split_once('"')?;
    if engine.contains('\\') {
        return None;
    }
    let (events, rest) = digits(rest.strip_prefix(",\"events\":")?)?;
    let (head, rest) = rest.strip_prefix(",\"head\":\"")?.split_once('"')?;
    let mut rest = rest.strip_prefix(",\"log\":[")?;
    let mut ledger = Ledger::with_keys(keys.clone());
    // Check-ins and check-outs read ahead, folded in order a few at a time.
    let mut ahead: Vec<super::Ahead<'_>> = Vec::with_capacity(super::READ_AHEAD);
    if let Some(after) = rest.strip_prefix(']') {
        rest = after;
    } else {
        loop {
            let after = match super::line::scan_prefix(rest) {
                Some((v, len)) => {
                    let (line, after) = rest.split_at_checked(len)?;
                    ahead.push((v, line, None));
                    if ahead.len() == super::READ_AHEAD
                        && let Err(e) = ledger.fold_ahead(&mut ahead)
                    {
                        return Some(Err(e));
                    }
                    after
                }
                None => {
                    if !rest.starts_with('{') {
                        return None;
                    }
                    // Read by serde in one pass, which says where the line ends.
                    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<super::line::LineView<'_>>();
                    let v = values.next()?.ok()?;
                    let (line, after) = rest.split_at_checked(values.byte_offset())?;
                    if let Err(e) = ledger
                        .fold_ahead(&mut ahead)
                        .and_then(|()| ledger.push_view(v, line, None))
                    {
                        return Some(Err(e));
                    }
                    after
                }
            };
            if let Some(next) = after.strip_prefix(',') {
                rest = next;
            } else {
                rest = after.strip_prefix(']')?;
                break;
            }
        }
        if let Err(e) = ledger.fold_ahead(&mut ahead) {
            return Some(Err(e));
        }
    }
    if !rest.strip_prefix('}')?.trim_ascii().is_empty() {
        return None;
    }
    Some(finish(ledger, Some(events), Some(head)))
}

/// The decimal digits at the start of `text` as a number, and what follows them.
fn digits(text: &str) -> Option<(u64, &str)> {
    let end = text.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(text.len());
    let (number, rest) = text.split_at_checked(end)?;
    if number.is_empty() || (number.len() > 1 && number.starts_with('0')) {
        return None;
    }
    Some((number.parse().ok()?, rest))
}

/// Reads the snapshot with serde, streaming its log through [`Events`]: any spelling JSON
/// allows, and the error that names where a snapshot that cannot be read fails.
fn streamed(json: &str, keys: Keyring) -> Result<Ledger, Error> {
    let fresh = |keys: Keyring| {
        let ledger = Ledger::with_keys(keys);
        Loading {
            ledger,
            err: None,
            version: None,
            events: None,
            head: None,
            legacy: false,
            typed: false,
        }
    };
    let mut st = fresh(keys.clone());
    let mut de = serde_json::Deserializer::from_str(json);
    let fast = Top(&mut st).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = st.err {
        return Err(e);
    }
    if st.legacy {
        return legacy(json, keys);
    }
    if fast.is_err() {
        let mut again = fresh(keys);
        again.typed = true;
        let mut de = serde_json::Deserializer::from_str(json);
        let mut track = serde_path_to_error::Track::new();
        let r = Top(&mut again).deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
        if let Some(e) = again.err {
            return Err(e);
        }
        if let Err(e) = r.and_then(|()| de.end()) {
            let e = serde_path_to_error::Error::new(track.path(), e);
            return Err(crate::decode::problem("snapshot", &e).into_error());
        }
        return Err(Error::invalid(
            "the snapshot could not be read",
            "de momentopname kon niet gelezen worden",
        ));
    }
    match st.version {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        found => {
            return Err(Error::UnsupportedSchemaVersion {
                found: found.and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
                expected: SCHEMA_VERSION,
            });
        }
    }
    finish(st.ledger, st.events, st.head.as_deref())
}

/// A snapshot's log folded: it must hold as many events as the snapshot says and end at its
/// head (AUD-2).
fn finish(ledger: Ledger, events: Option<u64>, head: Option<&str>) -> Result<Ledger, Error> {
    let n = ledger.log.len();
    let position = n + 1;
    if events.is_some_and(|e| e != n) {
        return Err(Error::DamagedLog {
            position,
            reason: "the snapshot says it holds another number of events (truncated at the end?)".into(),
            reason_nl: "de momentopname vermeldt een ander aantal gebeurtenissen (vooraan of achteraan afgekapt?)"
                .into(),
        });
    }
    if head.is_some_and(|h| h != super::log::hex(ledger.log.head())) {
        return Err(Error::DamagedLog {
            position,
            reason: "the last hash differs from the snapshot's head (truncated at the end?)".into(),
            reason_nl: "de laatste hash verschilt van de kop van de momentopname (achteraan afgekapt?)".into(),
        });
    }
    Ok(ledger)
}

/// Schema 1: `{"schema_version": 1, "state": {..., "applied": {id: {"events": [...]}}}}`.
fn legacy(json: &str, keys: Keyring) -> Result<Ledger, Error> {
    let v: serde_json::Value = crate::decode::from_str(json, "snapshot")?;
    let mut events: Vec<Recorded> = Vec::new();
    if let Some(applied) = v
        .get("state")
        .and_then(|s| s.get("applied"))
        .and_then(|a| a.as_object())
    {
        for a in applied.values() {
            let list: Vec<Recorded> =
                crate::decode::from_value(a.get("events").cloned().unwrap_or_default(), "snapshot.state.applied")?;
            events.extend(list);
        }
    }
    events.sort_by_key(|r| r.seq);
    let mut l = Ledger::with_keys(keys);
    for mut r in events {
        // Schema 1 had no chain: the events are chained now, in their order.
        let expected = l.log.len() + 1;
        if r.seq != expected {
            return Err(Error::DamagedLog {
                position: expected,
                reason: format!("sequence number {} where {expected} was expected", r.seq),
                reason_nl: format!("volgnummer {} waar {expected} verwacht werd", r.seq),
            });
        }
        l.log.append(std::slice::from_mut(&mut r));
        l.state.evolve(&r);
    }
    Ok(l)
}

struct Top<'a>(&'a mut Loading);

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Snapshot")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = m.next_key::<String>()? {
            match key.as_str() {
                "schema_version" => {
                    let v: u64 = m.next_value()?;
                    st.version = Some(v);
                    if v == 1 {
                        st.legacy = true;
                        return Ok(());
                    }
                    if v != u64::from(SCHEMA_VERSION) {
                        // Read no further: the version decides.
                        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        return Ok(());
                    }
                }
                "engine_version" => {
                    let _: String = m.next_value()?;
                }
                "events" => st.events = Some(m.next_value()?),
                "head" => st.head = Some(m.next_value()?),
                "log" => m.next_value_seed(Events(st))?,
                "state" => {
                    // Schema 1.
                    st.legacy = true;
                    return Ok(());
                }
                _ => {
                    return Err(de::Error::unknown_field(
                        "?",
                        &["schema_version", "engine_version", "events", "head", "log"],
                    ));
                }
            }
        }
        Ok(())
    }
}

struct Events<'a>(&'a mut Loading);

impl<'de> DeserializeSeed<'de> for Events<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Events<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        let st = self.0;
        if st.typed {
            while let Some(r) = s.next_element::<Recorded>()? {
                if let Err(e) = st.ledger.push_checked(r, None) {
                    st.err.get_or_insert(e);
                    return Err(de::Error::custom(REFUSED));
                }
            }
            return Ok(());
        }
        // Each event's own text, so that its bytes are hashed as they are (no writing again);
        // an event that does not decode sends the loader to its second, typed reading, which
        // names where it failed.
        while let Some(raw) = s.next_element::<&'de serde_json::value::RawValue>()? {
            let line = raw.get();
            let pushed = match super::line::scan(line, usize::MAX) {
                Some(v) => st.ledger.push_scanned(v, line, None),
                None => {
                    let v = serde_json::from_str(line).map_err(|_| de::Error::custom(REFUSED))?;
                    st.ledger.push_view(v, line, None)
                }
            };
            if let Err(e) = pushed {
                st.err.get_or_insert(e);
                return Err(de::Error::custom(REFUSED));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::replay_tests::base_ledger as ledger;

    /// AUD-2: the engine's own snapshot is read where its lines lie; a snapshot written
    /// otherwise (white space, another order of its keys, a version written with a leading
    /// zero) is left, with nothing decided, to the serde reading — which loads the same ledger.
    #[test]
    fn aud_2_the_engines_own_snapshot_is_read_directly_and_others_by_serde() {
        let l = ledger();
        let snap = l.snapshot_json();
        let direct_read = direct(&snap, &Keyring::default()).and_then(Result::ok);
        assert_eq!(direct_read.as_ref().map(|x| x.state()), Some(l.state()));
        assert_eq!(direct_read.map(|x| x.events_jsonl()), Some(l.events_jsonl()));
        let otherwise = [
            snap.replacen("},{", "}, {", 1),
            snap.replacen("{\"schema_version\":2", "{ \"schema_version\":2", 1),
            snap.replacen("\"schema_version\":2", "\"schema_version\":02", 1),
            snap.replacen("\"log\":[", "\"log\": [", 1),
            format!("{}\u{0020}x", snap),
        ];
        for text in &otherwise {
            assert!(direct(text, &Keyring::default()).is_none(), "{}", &text[..80]);
        }
        let spaced = streamed(&otherwise[0], Keyring::default()).map(|x| x.state().clone());
        assert_eq!(spaced.as_ref().ok(), Some(l.state()));
        let two = streamed(&otherwise[1], Keyring::default()).map(|x| x.log_head());
        assert_eq!(two.ok(), Some(l.log_head()));
        assert_eq!(digits("0,"), Some((0, ",")));
        assert_eq!(digits("12a"), Some((12, "a")));
        assert_eq!(digits("a"), None);
        assert_eq!(digits("99999999999999999999"), None, "above u64: serde names it");
    }
}
