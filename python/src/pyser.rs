//! Recorded events written straight into Python objects (issue 11: typed events without a JSON
//! tree): a serde `Serializer` whose output is what [`crate::convert::to_recorded`] makes from
//! the events' JSON — a `tijdreg.events.Recorded` per event, its `event` the event type's frozen
//! dataclass (`UnknownEvent` for a type the module lacks), every other object a dict; texts typed
//! by the field they are in (instants, dates, times, decimals) — without building the JSON
//! values first. `tests/test_api.py` compares both on every event of the conformance cases.

use crate::convert::{EventClasses, Out, event_classes, instance};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use serde::Serialize;
use serde::ser;
use std::borrow::Cow;
use std::fmt;

/// Why an event could not be made: a Python error (carried as it is), or a value the engine
/// should never write (a float or an object as a map key…), which is an internal error.
#[derive(Debug)]
pub(crate) enum SerErr {
    Py(PyErr),
    Engine,
}

impl SerErr {
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            SerErr::Py(e) => e,
            SerErr::Engine => crate::internal(py),
        }
    }
}

impl fmt::Display for SerErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SerErr::Py(e) => fmt::Display::fmt(e, f),
            SerErr::Engine => f.write_str("an event the engine should not have written"),
        }
    }
}

impl std::error::Error for SerErr {}

impl ser::Error for SerErr {
    fn custom<T: fmt::Display>(_: T) -> Self {
        SerErr::Engine
    }
}

impl From<PyErr> for SerErr {
    fn from(e: PyErr) -> Self {
        SerErr::Py(e)
    }
}

/// What an object becomes: a recorded event, an event, or a dict.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Recorded,
    Event,
    Plain,
}

/// Recorded events (anything that serialises as a list of them) as a list of
/// `tijdreg.events.Recorded`.
pub(crate) fn recorded_list<'py, T: Serialize>(py: Python<'py>, events: &[T]) -> PyResult<Bound<'py, PyAny>> {
    let ec = event_classes(py)?;
    let mut out = Out::new(py);
    let list = PyList::empty(py);
    for e in events {
        let obj = e
            .serialize(Ser {
                out: &mut out,
                ec,
                key: "events",
                role: Role::Recorded,
            })
            .map_err(|e| e.into_py(py))?;
        list.append(obj)?;
    }
    Ok(list.into_any())
}

/// Any engine value as plain Python values: what `from_json` makes of its JSON (dicts in
/// field order, texts typed by the field they are in), without the JSON.
pub(crate) fn plain<'py, T: Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let ec = event_classes(py)?;
    let mut out = Out::new(py);
    v.serialize(Ser {
        out: &mut out,
        ec,
        key: "",
        role: Role::Plain,
    })
    .map_err(|e| e.into_py(py))
}

/// An accepted command as `tijdreg.Outcome`. Its events stay the engine's until first read:
/// the outcome holds them in a [`PendingEvents`], and `Outcome.events` (an [`EventsWhenRead`]
/// on the Python class) makes them — as [`recorded_list`] does — on first reading and keeps
/// them (ADR 24). A caller that only needs to know the command was accepted (a scanner, a bulk
/// load checking for refusals) does not pay for three dataclass instances, texts and instants
/// an event, nor does Python's collector walk them.
pub(crate) fn outcome<'py>(py: Python<'py>, o: tijdreg::ledger::Outcome) -> PyResult<Bound<'py, PyAny>> {
    let ec = event_classes(py)?;
    let replayed = PyBool::new(py, o.replayed).to_owned().into_any();
    let pending = Bound::new(py, PendingEvents { events: o.events })?.into_any();
    let inst = ec.object_new.bind(py).call1((ec.outcome.cls.bind(py),))?;
    let dict = inst.getattr(pyo3::intern!(py, "__dict__"))?.cast_into::<PyDict>()?;
    dict.set_item(pyo3::intern!(py, "replayed"), replayed)?;
    dict.set_item(pyo3::intern!(py, "_pending"), pending)?;
    Ok(inst)
}

/// An outcome's events as the engine returned them, made into Python values when first read
/// (see [`outcome`]); not meant to be used from Python otherwise.
#[pyclass(module = "tijdreg._tijdreg", name = "_PendingEvents", frozen)]
pub(crate) struct PendingEvents {
    events: Vec<tijdreg::ledger::Recorded>,
}

#[pymethods]
impl PendingEvents {
    /// The events' types (`Outcome.event_types` of an outcome whose events were not read).
    fn types(&self) -> Vec<String> {
        self.events.iter().map(|r| r.event.kind()).collect()
    }
}

/// `Outcome.events` of an outcome [`outcome`] made: a descriptor without `__set__`, so an
/// instance's own `events` (made here on first reading, or given to `Outcome(...)`) is found
/// before it; it is asked only while the outcome still holds its [`PendingEvents`]. The
/// class itself has no `events`, as a dataclass field without a default has none.
#[pyclass(module = "tijdreg._tijdreg", name = "_EventsWhenRead", frozen)]
pub(crate) struct EventsWhenRead;

#[pymethods]
impl EventsWhenRead {
    #[new]
    fn new() -> Self {
        EventsWhenRead
    }

    fn __get__<'py>(
        slf: &Bound<'py, Self>,
        instance: Option<&Bound<'py, PyAny>>,
        _owner: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        // On the class itself, as a dataclass field without a default: no such attribute.
        let Some(instance) = instance.filter(|i| !i.is_none()) else {
            return Err(pyo3::exceptions::PyAttributeError::new_err(
                "type object 'Outcome' has no attribute 'events'",
            ));
        };
        let missing = || pyo3::exceptions::PyAttributeError::new_err("'Outcome' object has no attribute 'events'");
        let dict = instance.getattr(pyo3::intern!(py, "__dict__"))?.cast_into::<PyDict>()?;
        // Another thread may run between any two steps here (each may make an object, and so
        // run the collector and its callbacks): `_pending` is let go only after `events` is
        // kept, so without it the events are there.
        let Some(pending) = dict.get_item(pyo3::intern!(py, "_pending"))? else {
            return dict.get_item(pyo3::intern!(py, "events"))?.ok_or_else(missing);
        };
        let pending = pending.cast_into::<PendingEvents>().map_err(|_| missing())?;
        let events = recorded_list(py, &pending.get().events)?;
        // `dict.setdefault` and `dict.pop` each decide in one step: the first list kept is the
        // one every reader gets, and the engine's events are let go once it is.
        let kept = dict.call_method1(pyo3::intern!(py, "setdefault"), (pyo3::intern!(py, "events"), events))?;
        dict.call_method1(pyo3::intern!(py, "pop"), (pyo3::intern!(py, "_pending"), py.None()))?;
        Ok(kept)
    }
}

struct Ser<'a, 'py> {
    out: &'a mut Out<'py>,
    ec: &'static EventClasses,
    /// The field the value is in (texts are typed by it).
    key: &'a str,
    role: Role,
}

impl<'a, 'py> Ser<'a, 'py> {
    fn py(&self) -> Python<'py> {
        self.out.py()
    }

    fn text(self, s: &str) -> Result<Bound<'py, PyAny>, SerErr> {
        Ok(self.out.typed(s, self.key)?)
    }

    fn int<I: IntoPyObject<'py>>(&self, i: I) -> Result<Bound<'py, PyAny>, SerErr> {
        use pyo3::IntoPyObjectExt;
        i.into_bound_py_any(self.py()).map_err(SerErr::Py)
    }

    fn object(self, len: usize) -> Object<'a, 'py> {
        Object {
            out: self.out,
            ec: self.ec,
            key: self.key,
            role: self.role,
            fields: Vec::with_capacity(len),
            variant: None,
            pending_key: None,
        }
    }
}

/// `{variant: value}`, as JSON writes an externally tagged variant.
fn wrap<'py>(py: Python<'py>, variant: &str, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, SerErr> {
    let d = PyDict::new(py);
    d.set_item(variant, value)?;
    Ok(d.into_any())
}

/// A value of `key` in a plain object.
fn child<'b, 'py, T: Serialize + ?Sized>(
    out: &'b mut Out<'py>,
    ec: &'static EventClasses,
    key: &'b str,
    role: Role,
    v: &T,
) -> Result<Bound<'py, PyAny>, SerErr> {
    v.serialize(Ser { out, ec, key, role })
}

impl<'a, 'py> ser::Serializer for Ser<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerErr;
    type SerializeSeq = Seq<'a, 'py>;
    type SerializeTuple = Seq<'a, 'py>;
    type SerializeTupleStruct = Seq<'a, 'py>;
    type SerializeTupleVariant = Seq<'a, 'py>;
    type SerializeMap = Object<'a, 'py>;
    type SerializeStruct = Object<'a, 'py>;
    type SerializeStructVariant = Object<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, SerErr> {
        Ok(PyBool::new(self.py(), v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Self::Ok, SerErr> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok, SerErr> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok, SerErr> {
        // As the JSON path: a finite number that is not an integer becomes its text; the
        // engine writes none (money and hours are decimals).
        let py = self.py();
        Ok(match serde_json::Number::from_f64(v) {
            Some(n) => PyString::new(py, &n.to_string()).into_any(),
            None => py.None().into_bound(py),
        })
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok, SerErr> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok, SerErr> {
        self.text(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, SerErr> {
        Ok(PyList::new(self.py(), v)?.into_any())
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, v: &T) -> Result<Self::Ok, SerErr> {
        // Instants and ids are written this way: short texts, made on the stack.
        let mut buf = Short { buf: [0; 64], len: 0 };
        if fmt::write(&mut buf, format_args!("{v}")).is_ok() {
            let text = std::str::from_utf8(&buf.buf[..buf.len]).map_err(<SerErr as ser::Error>::custom)?;
            self.text(text)
        } else {
            self.text(&v.to_string())
        }
    }
    fn serialize_none(self) -> Result<Self::Ok, SerErr> {
        let py = self.py();
        Ok(py.None().into_bound(py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Self::Ok, SerErr> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok, SerErr> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Self::Ok, SerErr> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Self::Ok, SerErr> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result<Self::Ok, SerErr> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Self::Ok, SerErr> {
        let inner = child(&mut *self.out, self.ec, variant, Role::Plain, v)?;
        wrap(self.py(), variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Seq<'a, 'py>, SerErr> {
        Ok(Seq {
            out: self.out,
            ec: self.ec,
            key: self.key,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Seq<'a, 'py>, SerErr> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Seq<'a, 'py>, SerErr> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a, 'py>, SerErr> {
        let mut s = Ser { key: variant, ..self }.serialize_seq(Some(len))?;
        s.variant = Some(variant);
        Ok(s)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Object<'a, 'py>, SerErr> {
        Ok(self.object(len.unwrap_or(0)))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Object<'a, 'py>, SerErr> {
        Ok(self.object(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Object<'a, 'py>, SerErr> {
        let mut o = Ser {
            role: Role::Plain,
            ..self
        }
        .object(len);
        o.variant = Some(variant);
        o.key = variant;
        Ok(o)
    }
}

/// Up to 64 bytes of text; longer fails (and is then made on the heap).
struct Short {
    buf: [u8; 64],
    len: usize,
}

impl fmt::Write for Short {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A list (or a tuple variant's `{variant: [...]}`).
pub(crate) struct Seq<'a, 'py> {
    out: &'a mut Out<'py>,
    ec: &'static EventClasses,
    key: &'a str,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> Seq<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerErr> {
        let item = child(self.out, self.ec, self.key, Role::Plain, v)?;
        self.items.push(item);
        Ok(())
    }
    fn finish(self) -> Result<Bound<'py, PyAny>, SerErr> {
        let py = self.out.py();
        let list = PyList::new(py, self.items)?.into_any();
        match self.variant {
            Some(variant) => wrap(py, variant, list),
            None => Ok(list),
        }
    }
}

/// The compound serializers of one kind: each element or field goes to `$add`, the end to
/// `finish`.
macro_rules! compound {
    ($ty:ident: $($trait:ident :: $method:ident),+ => $add:ident) => {
        $(impl<'py> ser::$trait for $ty<'_, 'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = SerErr;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerErr> {
                self.$add(v)
            }
            fn end(self) -> Result<Self::Ok, SerErr> {
                self.finish()
            }
        })+
    };
}

compound!(Seq: SerializeSeq::serialize_element, SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field, SerializeTupleVariant::serialize_field => push);

/// An object's fields, in the order written; made into a `Recorded`, an event or a dict at
/// its end. For a struct variant, `variant` holds the variant (the result is
/// `{variant: {...}}`); for a map, `pending_key` the key waiting for its value.
pub(crate) struct Object<'a, 'py> {
    out: &'a mut Out<'py>,
    ec: &'static EventClasses,
    key: &'a str,
    role: Role,
    fields: Vec<(Cow<'static, str>, Bound<'py, PyAny>)>,
    variant: Option<&'static str>,
    pending_key: Option<String>,
}

impl<'py> Object<'_, 'py> {
    fn field<T: Serialize + ?Sized>(&mut self, key: Cow<'static, str>, v: &T) -> Result<(), SerErr> {
        let role = match (self.role, key.as_ref()) {
            (Role::Recorded, "event") => Role::Event,
            _ => Role::Plain,
        };
        let value = child(self.out, self.ec, &key, role, v)?;
        self.fields.push((key, value));
        Ok(())
    }

    fn get(&self, key: &str) -> Option<Bound<'py, PyAny>> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn dict(&self) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(self.out.py());
        for (k, v) in &self.fields {
            d.set_item(k.as_ref(), v)?;
        }
        Ok(d)
    }

    fn finish(self) -> Result<Bound<'py, PyAny>, SerErr> {
        let py = self.out.py();
        let ec = self.ec;
        match self.role {
            Role::Recorded => Ok(instance(py, ec, &ec.recorded, |key| Ok(self.get(key)))?),
            Role::Event => {
                let ty = self.get("type");
                let ty = ty.as_ref().and_then(|t| t.cast::<PyString>().ok());
                let ty = ty.map(|t| t.to_cow()).transpose()?;
                let ty = ty.as_deref().unwrap_or("");
                match ec.by_type.get(ty) {
                    Some(class) => Ok(instance(py, ec, class, |key| Ok(self.get(key)))?),
                    None => {
                        let fields = PyDict::new(py);
                        for (k, v) in self.fields.iter().filter(|(k, _)| k != "type") {
                            fields.set_item(k.as_ref(), v)?;
                        }
                        let kw = PyDict::new(py);
                        kw.set_item("type_name", ty)?;
                        kw.set_item("fields", fields)?;
                        Ok(ec.unknown.bind(py).call((), Some(&kw))?)
                    }
                }
            }
            Role::Plain => {
                let d = self.dict()?.into_any();
                match self.variant {
                    Some(variant) => wrap(py, variant, d),
                    None => Ok(d),
                }
            }
        }
    }
}

/// A struct's and a struct variant's fields (a map's are in `SerializeMap` below).
macro_rules! fields {
    ($($trait:ident),+) => {
        $(impl<'py> ser::$trait for Object<'_, 'py> {
            type Ok = Bound<'py, PyAny>;
            type Error = SerErr;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result<(), SerErr> {
                self.field(Cow::Borrowed(key), v)
            }
            fn end(self) -> Result<Self::Ok, SerErr> {
                self.finish()
            }
        })+
    };
}

fields!(SerializeStruct, SerializeStructVariant);

impl<'py> ser::SerializeMap for Object<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerErr;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerErr> {
        self.pending_key = Some(key_text(key)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerErr> {
        let key = self
            .pending_key
            .take()
            .ok_or_else(|| <SerErr as ser::Error>::custom("a map value without its key"))?;
        self.field(Cow::Owned(key), v)
    }
    fn end(self) -> Result<Self::Ok, SerErr> {
        self.finish()
    }
}

/// A map key as JSON writes it: a text, or an integer or a bool as text; anything else is a
/// key the engine should not have written. Keys are rare in events (none on the hot path), so
/// serde_json's own value is used rather than a serializer of its own.
fn key_text<T: Serialize + ?Sized>(key: &T) -> Result<String, SerErr> {
    match serde_json::to_value(key) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(serde_json::Value::Bool(b)) => Ok(b.to_string()),
        Ok(serde_json::Value::Number(n)) if !n.is_f64() => Ok(n.to_string()),
        _ => Err(SerErr::Engine),
    }
}
