//! Plain records JSON read straight into [`Compact`] records: one pass over the text, strings
//! borrowed where they hold no escapes, ids interned as they come, instants parsed without a
//! general date parser, nothing kept of the text. Errors name the field path (like every
//! decoder of the engine) or, for a record the ledger would refuse, the record
//! ([`Error::InvalidRecord`]).

use super::compact::{Compact, CompactBuilder};
use super::records::{ElearningRecord, ParticipantRecord};
use crate::decode::Problem;
use crate::error::Error;
use crate::ids::ProjectId;
use crate::params::DatedParams;
use crate::session::{Break, SessionStatus};
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Marks a serde error raised because the builder refused a record (kept in [`Loader::err`]).
const REFUSED: &str = "tijdreg-record-refused";

struct Loader {
    b: CompactBuilder,
    err: Option<Error>,
    project: bool,
}

impl Loader {
    fn refuse<E: de::Error>(&mut self, e: Error) -> E {
        if self.err.is_none() {
            self.err = Some(e);
        }
        E::custom(REFUSED)
    }
}

/// Decodes plain records JSON (`docs/records.md`) into checked compact records.
///
/// # Errors
/// [`Error::InvalidInput`] naming the field path for JSON that is not records;
/// [`Error::InvalidRecord`] or [`Error::InvalidParameter`] for records the ledger would refuse.
pub fn compact_from_json(json: &str) -> Result<Compact, Error> {
    compact_from_json_within(json, crate::decode::MAX_RECORDS_BYTES)
}

/// [`compact_from_json`] with `max` bytes of text allowed (AUD-3; the tests use a small one).
fn compact_from_json_within(json: &str, max: usize) -> Result<Compact, Error> {
    if json.len() > max {
        return Err(crate::decode::too_large(max).into_error());
    }
    // First without tracking the field path (it costs on every value); only a failed read is
    // read again with it, to name where it failed.
    let fresh = || Loader {
        b: CompactBuilder::new(ProjectId::default()),
        err: None,
        project: false,
    };
    let mut loader = fresh();
    let mut de = serde_json::Deserializer::from_str(json);
    let fast = TopSeed(&mut loader).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = loader.err {
        return Err(e);
    }
    if fast.is_ok() {
        if !loader.project {
            return Err(Problem::missing("records", "project").into_error());
        }
        return Ok(loader.b.finish());
    }
    let mut loader = fresh();
    let mut de = serde_json::Deserializer::from_str(json);
    let mut track = serde_path_to_error::Track::new();
    let result = TopSeed(&mut loader).deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
    let result = result.and_then(|()| de.end());
    if let Some(e) = loader.err {
        return Err(e);
    }
    match result {
        Err(e) => {
            let e = serde_path_to_error::Error::new(track.path(), e);
            Err(crate::decode::problem("records", &e).into_error())
        }
        Ok(()) => Err(Problem::missing("records", "project").into_error()),
    }
}

/// Text that is borrowed from the input when it can be.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// An RFC 3339 instant as seconds since the epoch (fractions dropped, as the kernel counts
/// whole seconds): the common forms by hand, anything else through chrono.
struct Instant(i64);

fn fast_instant(s: &str) -> Option<i64> {
    crate::calendar::fast_rfc3339(s).map(|x| x.0)
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let t = Text::deserialize(d)?;
        if let Some(v) = fast_instant(&t.0) {
            return Ok(Instant(v));
        }
        chrono::DateTime::parse_from_rfc3339(&t.0)
            .map(|x| Instant(x.timestamp()))
            .map_err(|_| {
                de::Error::invalid_value(de::Unexpected::Str(""), &"an RFC 3339 formatted date and time string")
            })
    }
}

struct TopSeed<'a>(&'a mut Loader);

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

const TOP_FIELDS: &[&str] = &[
    "project",
    "params",
    "closures",
    "sessions",
    "elearning",
    "source_events",
];

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct Records")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let l = self.0;
        while let Some(key) = m.next_key::<Text<'de>>()? {
            match key.0.as_ref() {
                "project" => {
                    let p = m.next_value::<Text<'de>>()?;
                    if let Err(e) = l.b.set_project(&p.0) {
                        return Err(l.refuse(e));
                    }
                    l.project = true;
                }
                "params" => {
                    let p: DatedParams = m.next_value()?;
                    if let Err(e) = l.b.params(p) {
                        return Err(l.refuse(e));
                    }
                }
                "closures" => {
                    let c: Vec<NaiveDate> = m.next_value()?;
                    if let Err(e) = l.b.closures(c) {
                        return Err(l.refuse(e));
                    }
                }
                "sessions" => m.next_value_seed(Sessions(l))?,
                "elearning" => {
                    let v: Vec<ElearningRecord> = m.next_value()?;
                    for e in v {
                        if let Err(e) = l.b.entry(
                            e.id.as_str(),
                            e.person.as_str(),
                            e.training.as_str(),
                            e.date,
                            e.minutes,
                            e.start,
                            e.status,
                        ) {
                            return Err(l.refuse(e));
                        }
                    }
                }
                "source_events" => {
                    let n: u64 = m.next_value()?;
                    l.b.source_events(n);
                }
                other => return Err(de::Error::unknown_field(other, TOP_FIELDS)),
            }
        }
        Ok(())
    }
}

struct Sessions<'a>(&'a mut Loader);

impl<'de> DeserializeSeed<'de> for Sessions<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Sessions<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element_seed(SessionSeed(self.0))?.is_some() {}
        Ok(())
    }
}

struct SessionSeed<'a>(&'a mut Loader);

impl<'de> DeserializeSeed<'de> for SessionSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

const SESSION_FIELDS: &[&str] = &[
    "id",
    "training",
    "date",
    "start",
    "end",
    "breaks",
    "status",
    "participants",
];

#[derive(Default)]
struct Header<'de> {
    id: Option<Text<'de>>,
    training: Option<Text<'de>>,
    date: Option<NaiveDate>,
    start: Option<NaiveTime>,
    end: Option<NaiveTime>,
    breaks: Vec<Break>,
    status: Option<SessionStatus>,
    started: bool,
}

impl Header<'_> {
    /// Starts the session in the builder once every field is known (breaks may follow only
    /// if they come before the participants, as in every export we write).
    fn start<E: de::Error>(&mut self, l: &mut Loader, at_end: bool) -> Result<bool, E> {
        if self.started {
            return Ok(true);
        }
        let ready = self.id.is_some()
            && self.training.is_some()
            && self.date.is_some()
            && self.start.is_some()
            && self.end.is_some()
            && self.status.is_some();
        if !ready {
            if at_end {
                for (f, missing) in [
                    ("id", self.id.is_none()),
                    ("training", self.training.is_none()),
                    ("date", self.date.is_none()),
                    ("start", self.start.is_none()),
                    ("end", self.end.is_none()),
                    ("status", self.status.is_none()),
                ] {
                    if missing {
                        return Err(E::missing_field(f));
                    }
                }
            }
            return Ok(false);
        }
        let (Some(id), Some(t), Some(date), Some(start), Some(end), Some(status)) =
            (&self.id, &self.training, self.date, self.start, self.end, self.status)
        else {
            return Ok(false);
        };
        if let Err(e) = l.b.session(&id.0, &t.0, date, start, end, &self.breaks, status) {
            return Err(l.refuse(e));
        }
        self.started = true;
        Ok(true)
    }
}

impl<'de> Visitor<'de> for SessionSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct SessionRecord")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let l = self.0;
        let mut h = Header::default();
        let mut buffered: Option<Vec<ParticipantRecord>> = None;
        while let Some(key) = m.next_key::<Text<'de>>()? {
            match key.0.as_ref() {
                "id" => h.id = Some(m.next_value()?),
                "training" => h.training = Some(m.next_value()?),
                "date" => h.date = Some(m.next_value()?),
                "start" => h.start = Some(m.next_value()?),
                "end" => h.end = Some(m.next_value()?),
                "breaks" => h.breaks = m.next_value()?,
                "status" => h.status = Some(m.next_value()?),
                "participants" => {
                    if h.start::<A::Error>(l, false)? {
                        m.next_value_seed(Participants(l))?;
                    } else {
                        // Participants before the session's own fields: keep them aside.
                        buffered = Some(m.next_value()?);
                    }
                }
                other => return Err(de::Error::unknown_field(other, SESSION_FIELDS)),
            }
        }
        h.start::<A::Error>(l, true)?;
        for p in buffered.into_iter().flatten() {
            if let Err(e) = l.b.participant(p.person.as_str(), p.absent) {
                return Err(l.refuse(e));
            }
            for i in p.intervals {
                if let Err(e) =
                    l.b.interval_unix(i.check_in.timestamp(), i.check_out.timestamp(), i.late, i.clock_suspect)
                {
                    return Err(l.refuse(e));
                }
            }
        }
        Ok(())
    }
}

struct Participants<'a>(&'a mut Loader);

impl<'de> DeserializeSeed<'de> for Participants<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Participants<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        while s.next_element_seed(ParticipantSeed(self.0))?.is_some() {}
        Ok(())
    }
}

struct ParticipantSeed<'a>(&'a mut Loader);

impl<'de> DeserializeSeed<'de> for ParticipantSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

const PARTICIPANT_FIELDS: &[&str] = &["person", "intervals", "absent"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IntervalIn {
    check_in: Instant,
    check_out: Instant,
    #[serde(default)]
    late: bool,
    #[serde(default)]
    clock_suspect: bool,
}

impl<'de> Visitor<'de> for ParticipantSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct ParticipantRecord")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let l = self.0;
        let mut added = false;
        let mut absent = false;
        let mut early: Vec<IntervalIn> = Vec::new();
        while let Some(key) = m.next_key::<Text<'de>>()? {
            match key.0.as_ref() {
                "person" => {
                    let p = m.next_value::<Text<'de>>()?;
                    if let Err(e) = l.b.participant(&p.0, false) {
                        return Err(l.refuse(e));
                    }
                    added = true;
                }
                "intervals" => {
                    if added {
                        m.next_value_seed(Intervals(l))?;
                    } else {
                        early = m.next_value()?;
                    }
                }
                "absent" => absent = m.next_value()?,
                other => return Err(de::Error::unknown_field(other, PARTICIPANT_FIELDS)),
            }
        }
        if !added {
            return Err(de::Error::missing_field("person"));
        }
        for i in early {
            if let Err(e) = l.b.interval_unix(i.check_in.0, i.check_out.0, i.late, i.clock_suspect) {
                return Err(l.refuse(e));
            }
        }
        if absent {
            l.b.mark_absent();
        }
        Ok(())
    }
}

struct Intervals<'a>(&'a mut Loader);

impl<'de> DeserializeSeed<'de> for Intervals<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Intervals<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        let l = self.0;
        while let Some(i) = s.next_element::<IntervalIn>()? {
            if let Err(e) = l.b.interval_unix(i.check_in.0, i.check_out.0, i.late, i.clock_suspect) {
                return Err(l.refuse(e));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AUD-3: records text above the limit is refused by its size before it is read; at the
    /// limit it is read (and here refused for what it holds, not for its size).
    #[test]
    fn aud_3_records_text_above_the_limit_is_refused_by_size() {
        let text = r#"{"project": "P-1", "sessions": []}"#;
        let e = compact_from_json_within(text, text.len() - 1).expect_err("too large");
        assert_eq!(
            e.message_en(),
            format!("invalid input: the input is larger than {} bytes", text.len() - 1)
        );
        assert!(compact_from_json_within(text, text.len()).is_ok());
        let e = compact_from_json_within("[]", 2).expect_err("not records");
        assert!(!e.message_en().contains("larger than"), "{}", e.message_en());
    }

    #[test]
    fn dl_4_fast_instants_agree_with_chrono() {
        for s in [
            "2026-03-02T08:12:00Z",
            "2026-03-02T09:12:00+01:00",
            "2026-10-25T01:30:00.123456+02:00",
            "2026-03-29t02:30:00z",
            "1999-12-31T23:59:59-05:30",
            "2026-03-02 08:12:00Z",
        ] {
            let slow = chrono::DateTime::parse_from_rfc3339(s).map(|x| x.timestamp()).ok();
            assert_eq!(fast_instant(s), slow, "{s}");
        }
        for s in [
            "2026-13-02T08:12:00Z",
            "2026-02-30T08:12:00Z",
            "2026-03-02T24:00:00Z",
            "2026-03-02T08:12Z",
            "x",
        ] {
            assert_eq!(fast_instant(s), None, "{s}");
        }
    }
}
