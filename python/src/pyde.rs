//! Typed commands read straight from Python objects into the engine's types (issue 11): a serde
//! `Deserializer` over Python values that presents each value as [`crate::convert::to_value`]
//! would have written it as JSON — the same types in the same order of checks — without
//! building the JSON tree first. It only has to be right for what it accepts: whatever it
//! cannot read (a naive datetime, a float, a field the command lacks…) is read again the JSON
//! way, which gives the canonical error (AUD-3), so errors never differ between the two.

use crate::convert::{Modules, command_shape, dataclass_fields, fields_of, is_aware_iso, modules};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::de::value::{StrDeserializer, StringDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
use tijdreg::ledger::Envelope;

/// Why the direct reading gave up (never shown: the JSON path then gives the error).
#[derive(Debug)]
pub(crate) struct Miss;

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not read directly")
    }
}

impl std::error::Error for Miss {}

impl de::Error for Miss {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Miss
    }
}

impl From<PyErr> for Miss {
    fn from(_: PyErr) -> Self {
        Miss
    }
}

/// An envelope read directly from its Python parts, or `Miss`.
pub(crate) fn envelope(
    command: &Bound<'_, PyAny>,
    actor: &str,
    at: &Bound<'_, PyAny>,
    command_id: &str,
) -> Result<Envelope, Miss> {
    let m = modules(command.py())?;
    if let Some(env) = scan(command, actor, at, command_id, m) {
        return Ok(env);
    }
    let fields = [
        ("command_id", Part::Str(command_id)),
        ("actor", Part::Str(actor)),
        ("at", Part::At(Value { obj: at, m, depth: 0 })),
        (
            "command",
            Part::Py(Value {
                obj: command,
                m,
                depth: 0,
            }),
        ),
    ];
    serde::Deserialize::deserialize(Fields {
        fields: &fields,
        next: 0,
    })
}

/// The typed check-in and check-out classes of `tijdreg.commands`.
static SCAN_CLASSES: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

/// A typed `CheckIn` or `CheckOut` (exactly those classes: nearly every command a scanner
/// sends) read field by field into the engine's [`tijdreg::ledger::ScanParts`], which checks
/// and reads the texts as decoding does — without the general reader's serde walk over the
/// command. `None` for any
/// other command, a field that is not a `str` (or `None`), an instant the general way would not
/// read the same (`at` as [`exact_instant`] reads it; `time` as the general way writes it), or
/// anything `ScanParts` does not read: the general way then reads it, or names the problem.
fn scan(
    command: &Bound<'_, PyAny>,
    actor: &str,
    at: &Bound<'_, PyAny>,
    command_id: &str,
    m: &Modules,
) -> Option<Envelope> {
    let py = command.py();
    let (check_in, check_out) = SCAN_CLASSES
        .get_or_try_init(py, || -> PyResult<_> {
            let c = py.import("tijdreg.commands")?;
            Ok((c.getattr("CheckIn")?.unbind(), c.getattr("CheckOut")?.unbind()))
        })
        .ok()?;
    let class = command.get_type();
    let out = if class.is(check_in.bind(py)) {
        false
    } else if class.is(check_out.bind(py)) {
        true
    } else {
        return None;
    };
    let at = exact_instant(at, m)?;
    let (session, person, token, time) = (
        command.getattr(intern!(py, "session")).ok()?,
        command.getattr(intern!(py, "person")).ok()?,
        command.getattr(intern!(py, "token")).ok()?,
        command.getattr(intern!(py, "time")).ok()?,
    );
    // As the general way writes a `datetime` field: its `isoformat`, which must have an offset.
    let time = if time.is_none() {
        None
    } else {
        if !time.get_type().is(m.datetime.bind(py)) {
            return None;
        }
        let s: String = time.call_method0(intern!(py, "isoformat")).ok()?.extract().ok()?;
        if !is_aware_iso(&s) {
            return None;
        }
        Some(s)
    };
    let (session, person, token) = (text(&session)?, optional_text(&person)?, optional_text(&token)?);
    tijdreg::ledger::ScanParts {
        check_out: out,
        command_id,
        actor,
        at: at.as_str(),
        session: &session,
        person: person.as_deref(),
        token: token.as_deref(),
        time: time.as_deref(),
    }
    .envelope()
}

/// A `str`'s text (borrowed when Python holds it as UTF-8); `None` for anything else.
fn text<'a>(v: &'a Bound<'_, PyAny>) -> Option<std::borrow::Cow<'a, str>> {
    v.cast::<PyString>().ok()?.to_cow().ok()
}

/// `Some(None)` for `None`, `Some(text)` for a `str`, `None` for anything else.
fn optional_text<'a>(v: &'a Bound<'_, PyAny>) -> Option<Option<std::borrow::Cow<'a, str>>> {
    if v.is_none() { Some(None) } else { text(v).map(Some) }
}

/// A `datetime.datetime` (not a subclass) with an offset as RFC 3339 UTC text; `None` for
/// anything else, a naive datetime or a year outside 1–9999, which are then read as any value
/// is. With a fixed offset (`datetime.timezone`: `timezone.utc`, `timezone(timedelta(hours=1))`,
/// what most callers pass) the local fields are read and the offset, remembered per tzinfo
/// object, taken off — about a third of the work of the general way; any other tzinfo (a
/// `zoneinfo` zone, whose offset depends on the instant) goes the general way, `obj - epoch` in
/// whole days, seconds and microseconds. Both work in exact integers, no float (writing its
/// `isoformat` and parsing that text cost ~0.5 µs).
fn exact_instant(obj: &Bound<'_, PyAny>, m: &Modules) -> Option<Instant> {
    let py = obj.py();
    if !obj.get_type().is(m.datetime.bind(py)) {
        return None;
    }
    let tz = obj.getattr(intern!(py, "tzinfo")).ok()?;
    let t = match fixed_offset(&tz, m) {
        Some(offset) => {
            let field = |name: &Bound<'_, PyString>| -> Option<u32> { obj.getattr(name).ok()?.extract().ok() };
            let date = chrono::NaiveDate::from_ymd_opt(
                i32::try_from(field(intern!(py, "year"))?).ok()?,
                field(intern!(py, "month"))?,
                field(intern!(py, "day"))?,
            )?;
            let time = chrono::NaiveTime::from_hms_micro_opt(
                field(intern!(py, "hour"))?,
                field(intern!(py, "minute"))?,
                field(intern!(py, "second"))?,
                field(intern!(py, "microsecond"))?,
            )?;
            let local = date.and_time(time).and_utc();
            local.checked_sub_signed(chrono::TimeDelta::microseconds(offset))?
        }
        None => {
            let delta = obj.sub(m.epoch.bind(py)).ok()?;
            let (days, secs, micros) = delta_parts(&delta)?;
            chrono::DateTime::from_timestamp(days.checked_mul(86_400)?.checked_add(secs)?, micros.checked_mul(1000)?)?
        }
    };
    Instant::of(&t)
}

/// A timedelta's days, seconds and microseconds.
fn delta_parts(delta: &Bound<'_, PyAny>) -> Option<(i64, i64, u32)> {
    let py = delta.py();
    let days: i64 = delta.getattr(intern!(py, "days")).ok()?.extract().ok()?;
    let secs: i64 = delta.getattr(intern!(py, "seconds")).ok()?.extract().ok()?;
    let micros: u32 = delta.getattr(intern!(py, "microseconds")).ok()?.extract().ok()?;
    Some((days, secs, micros))
}

/// The last fixed-offset tzinfo met and its offset in microseconds (a `datetime.timezone` is
/// immutable: its offset is the same for every datetime; the object is held, so its identity
/// cannot be reused by another).
static LAST_FIXED: std::sync::Mutex<Option<(Py<PyAny>, i64)>> = std::sync::Mutex::new(None);

/// The offset of a `datetime.timezone` (exactly that type, which cannot be subclassed) in
/// microseconds; `None` for any other tzinfo (`None` itself: a naive datetime).
fn fixed_offset(tz: &Bound<'_, PyAny>, m: &Modules) -> Option<i64> {
    let py = tz.py();
    if !tz.get_type().is(m.timezone.bind(py)) {
        return None;
    }
    if let Ok(last) = LAST_FIXED.lock()
        && let Some((known, offset)) = last.as_ref()
        && known.bind(py).is(tz)
    {
        return Some(*offset);
    }
    // Worked out without the lock held (it calls into Python), then remembered.
    let delta = tz.call_method1(intern!(py, "utcoffset"), (py.None(),)).ok()?;
    let (days, secs, micros) = delta_parts(&delta)?;
    let offset = days
        .checked_mul(86_400)?
        .checked_add(secs)?
        .checked_mul(1_000_000)?
        .checked_add(i64::from(micros))?;
    if let Ok(mut last) = LAST_FIXED.lock() {
        *last = Some((tz.clone().unbind(), offset));
    }
    Some(offset)
}

/// An instant's RFC 3339 text in UTC (`2026-03-02T08:55:00Z`, `….123456Z`), on the stack.
struct Instant {
    buf: [u8; 27],
    len: usize,
}

impl Instant {
    fn of(t: &chrono::DateTime<chrono::Utc>) -> Option<Instant> {
        use chrono::{Datelike, Timelike};
        let year = u32::try_from(t.year()).ok().filter(|y| (1..=9999).contains(y))?;
        let mut buf = *b"0000-00-00T00:00:00.000000Z";
        let put = |buf: &mut [u8; 27], at: usize, width: usize, mut v: u32| {
            for i in (at..at + width).rev() {
                buf[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(&mut buf, 0, 4, year);
        put(&mut buf, 5, 2, t.month());
        put(&mut buf, 8, 2, t.day());
        put(&mut buf, 11, 2, t.hour());
        put(&mut buf, 14, 2, t.minute());
        put(&mut buf, 17, 2, t.second());
        let micros = t.nanosecond() / 1000;
        if micros == 0 {
            buf[19] = b'Z';
            return Some(Instant { buf, len: 20 });
        }
        put(&mut buf, 20, 6, micros);
        Some(Instant { buf, len: 27 })
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// One Python value, inside `depth` dicts, lists and dataclasses.
#[derive(Clone, Copy)]
struct Value<'a, 'py> {
    obj: &'a Bound<'py, PyAny>,
    m: &'a Modules,
    depth: usize,
}

impl Value<'_, '_> {
    /// The depth of what this value holds: as deep as `convert::walk` goes, past which (or for
    /// a value that holds itself) the JSON path gives its refusal.
    fn inner(&self) -> Result<usize, Miss> {
        if self.depth >= tijdreg::limits::MAX_JSON_DEPTH {
            Err(Miss)
        } else {
            Ok(self.depth + 1)
        }
    }
}

enum Part<'a, 'py> {
    Str(&'a str),
    Py(Value<'a, 'py>),
    /// The envelope's instant: only ever read as an instant, so a plain datetime's text need
    /// not be its own (`isoformat`), only the same instant.
    At(Value<'a, 'py>),
}

/// The envelope as a map of its four parts.
struct Fields<'a, 'py> {
    fields: &'a [(&'static str, Part<'a, 'py>)],
    next: usize,
}

impl<'de> Deserializer<'de> for Fields<'_, '_> {
    type Error = Miss;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Miss> {
        visitor.visit_map(self)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for Fields<'_, '_> {
    type Error = Miss;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Miss> {
        match self.fields.get(self.next) {
            Some((k, _)) => seed.deserialize(StrDeserializer::<Miss>::new(k)).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Miss> {
        let part = self.fields.get(self.next).ok_or(Miss)?;
        self.next += 1;
        match &part.1 {
            Part::Str(s) => seed.deserialize(StrDeserializer::<Miss>::new(s)),
            Part::Py(v) => seed.deserialize(*v),
            Part::At(v) => match exact_instant(v.obj, v.m) {
                Some(text) => seed.deserialize(StrDeserializer::<Miss>::new(text.as_str())),
                None => seed.deserialize(*v),
            },
        }
    }
}

impl<'de> Deserializer<'de> for Value<'_, '_> {
    type Error = Miss;

    /// The value as `convert::walk` would write it, checked in the same order.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Miss> {
        let (obj, m) = (self.obj, self.m);
        let py = obj.py();
        if obj.is_none() {
            return visitor.visit_unit();
        }
        if let Ok(s) = obj.cast::<PyString>() {
            return visitor.visit_str(&s.to_cow()?);
        }
        if let Ok(b) = obj.cast::<PyBool>() {
            return visitor.visit_bool(b.is_true());
        }
        if obj.is_instance_of::<PyInt>() {
            // As a JSON number: non-negative integers are unsigned.
            return match obj.extract::<i64>() {
                Ok(i) if i >= 0 => visitor.visit_u64(i.unsigned_abs()),
                Ok(i) => visitor.visit_i64(i),
                Err(_) => visitor.visit_u64(obj.extract::<u64>()?),
            };
        }
        if obj.is_instance_of::<PyFloat>() {
            return Err(Miss);
        }
        if let Ok(d) = obj.cast::<PyDict>() {
            let depth = self.inner()?;
            let mut entries = Vec::with_capacity(d.len());
            for (k, v) in d.iter() {
                entries.push((Key::Owned(k.str()?.to_cow()?.into_owned()), v));
            }
            return visitor.visit_map(Entries::new(entries, m, depth));
        }
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            let depth = self.inner()?;
            let items: Vec<Bound<'_, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
            return visitor.visit_seq(Items {
                items,
                next: 0,
                m,
                depth,
            });
        }
        // A typed command (nearly every envelope's) is none of the five below: five
        // `isinstance` calls, a quarter of reading a check-in's command, are skipped for it.
        let command = command_shape(obj);
        if command.is_none() {
            if obj.is_instance(m.datetime.bind(py))? {
                let s: String = obj.call_method0(intern!(py, "isoformat"))?.extract()?;
                return if is_aware_iso(&s) {
                    visitor.visit_string(s)
                } else {
                    Err(Miss)
                };
            }
            if obj.is_instance(m.decimal.bind(py))? {
                if !obj.call_method0("is_finite")?.is_truthy()? {
                    return Err(Miss);
                }
                return visitor.visit_string(obj.str()?.to_cow()?.into_owned());
            }
            if obj.is_instance(m.date.bind(py))? || obj.is_instance(m.time.bind(py))? {
                return visitor.visit_string(obj.call_method0(intern!(py, "isoformat"))?.extract()?);
            }
            if obj.is_instance(m.timedelta.bind(py))? {
                return Err(Miss);
            }
        }
        let fields = match &command {
            Some(names) => Some(fields_of(obj, names)?),
            None => dataclass_fields(obj)?,
        };
        if let Some((ty, fields)) = fields {
            let depth = self.inner()?;
            // The `type` class variable is among a typed command's fields: JSON keeps one
            // `type`, the field's; two fields under one JSON key are left to the JSON path.
            let typed = ty.is_some();
            let mut tag = ty;
            let mut entries: Vec<(Key, Bound<'_, PyAny>)> = Vec::with_capacity(fields.len());
            for (key, v) in fields {
                if typed && &*key == "type" {
                    tag = Some(v.cast::<PyString>().map_err(PyErr::from)?.to_cow()?.into_owned());
                } else if entries.iter().any(|(k, _)| k.as_str() == &*key) {
                    return Err(Miss);
                } else {
                    entries.push((Key::Shared(key), v));
                }
            }
            let mut e = Entries::new(entries, m, depth);
            e.tag = tag;
            return visitor.visit_map(e);
        }
        if obj.hasattr("items")? {
            let d = PyDict::new(py);
            d.update(obj.cast::<pyo3::types::PyMapping>().map_err(PyErr::from)?)?;
            return Value {
                obj: d.as_any(),
                m,
                depth: self.depth,
            }
            .deserialize_any(visitor);
        }
        Err(Miss)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Miss> {
        if self.obj.is_none() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Miss> {
        // As from JSON: a string is a unit variant; other shapes are left to the JSON path.
        match self.obj.cast::<PyString>() {
            Ok(s) => visitor.visit_enum(s.to_cow()?.into_owned().into_deserializer()),
            Err(_) => Err(Miss),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Miss> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Miss> {
        if self.obj.is_none() {
            visitor.visit_unit()
        } else {
            Err(Miss)
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, Miss> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Miss> {
        // Walked all the same: the JSON way refuses a float or a naive datetime even where the
        // value would be ignored.
        self.deserialize_any(de::IgnoredAny)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        seq tuple tuple_struct map struct identifier
    }
}

/// A key of a dict (its text) or of a dataclass (its class's, shared).
enum Key {
    Owned(String),
    Shared(std::sync::Arc<str>),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Owned(s) => s,
            Key::Shared(s) => s,
        }
    }
}

/// The entries of a dict or a dataclass, after a typed command's `type` (its tag).
struct Entries<'a, 'py> {
    entries: std::vec::IntoIter<(Key, Bound<'py, PyAny>)>,
    value: Option<Bound<'py, PyAny>>,
    tag: Option<String>,
    m: &'a Modules,
    /// The depth of the entries' values.
    depth: usize,
}

impl<'a, 'py> Entries<'a, 'py> {
    fn new(entries: Vec<(Key, Bound<'py, PyAny>)>, m: &'a Modules, depth: usize) -> Self {
        Entries {
            entries: entries.into_iter(),
            value: None,
            tag: None,
            m,
            depth,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'_, '_> {
    type Error = Miss;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Miss> {
        if self.tag.is_some() {
            return seed.deserialize(StrDeserializer::<Miss>::new("type")).map(Some);
        }
        match self.entries.next() {
            Some((Key::Owned(k), v)) => {
                self.value = Some(v);
                seed.deserialize(StringDeserializer::<Miss>::new(k)).map(Some)
            }
            Some((Key::Shared(k), v)) => {
                self.value = Some(v);
                seed.deserialize(StrDeserializer::<Miss>::new(&k)).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Miss> {
        if let Some(tag) = self.tag.take() {
            return seed.deserialize(StringDeserializer::<Miss>::new(tag));
        }
        match self.value.take() {
            Some(obj) => seed.deserialize(Value {
                obj: &obj,
                m: self.m,
                depth: self.depth,
            }),
            None => Err(Miss),
        }
    }
}

struct Items<'a, 'py> {
    items: Vec<Bound<'py, PyAny>>,
    next: usize,
    m: &'a Modules,
    /// The depth of the items.
    depth: usize,
}

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = Miss;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Miss> {
        let Some(obj) = self.items.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        seed.deserialize(Value {
            obj,
            m: self.m,
            depth: self.depth,
        })
        .map(Some)
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}
