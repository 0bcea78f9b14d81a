//! Python values to the engine's JSON values and back, natively (issue 11: no Python walk,
//! no `json.dumps`/`json.loads` round trip). The same rules as `tijdreg/_convert.py`: aware
//! datetimes only, no floats (money is exact), dataclasses (the typed commands) by their
//! fields; out, instants, dates, times and decimals by the field they are in.

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PySequence, PyString, PyTuple};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// What a field's text is, by the field's name (as `_convert.py`'s key sets): an instant, a
/// date, a local time, a decimal, or plain text. A `match` (by length, then bytes), not a scan of
/// lists: every text of every event goes through it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Instant,
    Date,
    Time,
    Decimal,
    Text,
}

pub(crate) fn kind(key: &str) -> Kind {
    match key {
        "at"
        | "time"
        | "check_in"
        | "check_out"
        | "from"
        | "until"
        | "start_at"
        | "end_at"
        | "deadline"
        | "since"
        | "planned_end"
        | "reference_instant"
        | "revoked_at"
        | "problem_reported_at"
        | "sync_at"
        | "device_time"
        | "instant" => Kind::Instant,
        "date" | "valid_from" | "valid_until" | "birth_date" | "today" | "given" => Kind::Date,
        "start" | "end" => Kind::Time,
        "hours" | "amount" | "unit_cost" | "total" | "esf" | "flemish" | "own" | "uncapped" | "cap"
        | "counted_hours" | "provisional_amount" | "cap_hours" | "amount_before" | "amount_after" | "amount_change" => {
            Kind::Decimal
        }
        _ => Kind::Text,
    }
}

/// The standard types a value is told apart by, imported once per process.
pub(crate) struct Modules {
    pub(crate) datetime: Py<PyAny>,
    pub(crate) date: Py<PyAny>,
    pub(crate) time: Py<PyAny>,
    pub(crate) timedelta: Py<PyAny>,
    pub(crate) decimal: Py<PyAny>,
    /// 1970-01-01T00:00:00 UTC, an aware datetime.
    pub(crate) epoch: Py<PyAny>,
    /// `datetime.timezone.utc`.
    pub(crate) utc: Py<PyAny>,
    /// `datetime.timezone`, the type of fixed offsets.
    pub(crate) timezone: Py<PyAny>,
}

static MODULES: PyOnceLock<Modules> = PyOnceLock::new();

pub(crate) fn modules(py: Python<'_>) -> PyResult<&'static Modules> {
    MODULES.get_or_try_init(py, || {
        let dt = py.import("datetime")?;
        Ok(Modules {
            datetime: dt.getattr("datetime")?.unbind(),
            date: dt.getattr("date")?.unbind(),
            time: dt.getattr("time")?.unbind(),
            timedelta: dt.getattr("timedelta")?.unbind(),
            decimal: py.import("decimal")?.getattr("Decimal")?.unbind(),
            epoch: dt
                .getattr("datetime")?
                .call1((1970, 1, 1, 0, 0, 0, 0, dt.getattr("timezone")?.getattr("utc")?))?
                .unbind(),
            utc: dt.getattr("timezone")?.getattr("utc")?.unbind(),
            timezone: dt.getattr("timezone")?.unbind(),
        })
    })
}

/// Whether a datetime's ISO form ends with an offset: an aware one's does; a naive one's (or
/// one whose tzinfo gives no offset) does not.
pub(crate) fn is_aware_iso(s: &str) -> bool {
    s.get(10..).is_some_and(|t| t.contains(['+', '-']))
}

/// Where a value sits (`command.timing.start`), made into text only for an error.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    key: &'a str,
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = self.parent {
            write!(f, "{p}.")?;
        }
        f.write_str(self.key)
    }
}

impl Path<'_> {
    fn child<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            key,
        }
    }

    /// The path's first `keep` keys (the rest as `…`): a value nested too deep is named by
    /// where it starts, in a message of bounded length.
    fn start(&self, keep: usize) -> String {
        let mut keys = vec![self.key];
        let mut at = self.parent;
        while let Some(p) = at {
            keys.push(p.key);
            at = p.parent;
        }
        keys.reverse();
        let mut out = keys.iter().take(keep).copied().collect::<Vec<_>>().join(".");
        if keys.len() > keep {
            out.push_str(".…");
        }
        out
    }
}

/// A Python value (a typed command, a dict of records…) as JSON.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>, where_: &str) -> PyResult<Value> {
    let m = modules(obj.py())?;
    walk(
        obj,
        Path {
            parent: None,
            key: where_,
        },
        m,
        0,
    )
}

/// How deep dicts, lists and dataclasses may nest: as deep as JSON text may (AUD-3). A value
/// nested deeper — or one that holds itself — is refused before the walk would exhaust the
/// stack (which took the host process down).
const MAX_DEPTH: usize = tijdreg::limits::MAX_JSON_DEPTH;

fn too_deep(py: Python<'_>, where_: Path<'_>) -> PyErr {
    let at = where_.start(6);
    crate::to_py(
        py,
        &tijdreg::Error::invalid(
            format!("{at}: nested deeper than {MAX_DEPTH} levels (or a value that holds itself)"),
            format!("{at}: dieper genest dan {MAX_DEPTH} niveaus (of een waarde die zichzelf bevat)"),
        ),
    )
}

/// `obj` as JSON; `depth` dicts, lists and dataclasses hold it.
fn walk(obj: &Bound<'_, PyAny>, where_: Path<'_>, m: &Modules, depth: usize) -> PyResult<Value> {
    let py = obj.py();
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return Ok(Value::from(obj.extract::<u64>().map_err(|_| {
            PyTypeError::new_err(format!("{where_}: an integer out of range"))
        })?));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Err(PyTypeError::new_err(format!(
            "{where_}: floats are not accepted (money and hours are exact); use Decimal, int or str"
        )));
    }
    let nested = || {
        if depth >= MAX_DEPTH {
            Err(too_deep(py, where_))
        } else {
            Ok(depth + 1)
        }
    };
    if let Ok(d) = obj.cast::<PyDict>() {
        let depth = nested()?;
        let mut out = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let k: String = k.str()?.to_cow()?.into_owned();
            let inner = walk(&v, where_.child(&k), m, depth)?;
            out.insert(k, inner);
        }
        return Ok(Value::Object(out));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let depth = nested()?;
        let seq = obj.cast::<PySequence>()?;
        let mut out = Vec::with_capacity(seq.len()?);
        for v in seq.try_iter()? {
            out.push(walk(&v?, where_, m, depth)?);
        }
        return Ok(Value::Array(out));
    }
    if obj.is_instance(m.datetime.bind(py))? {
        let s: String = obj.call_method0(intern!(py, "isoformat"))?.extract()?;
        if !is_aware_iso(&s) {
            return Err(PyTypeError::new_err(format!(
                "{where_}: naive datetime; give a time zone, e.g. datetime(..., tzinfo=ZoneInfo('Europe/Brussels'))"
            )));
        }
        return Ok(Value::String(s));
    }
    if obj.is_instance(m.decimal.bind(py))? {
        let s = obj.str()?.to_cow()?.into_owned();
        if !obj.call_method0("is_finite")?.is_truthy()? {
            return Err(PyTypeError::new_err(format!("{where_}: {s} is not a finite decimal")));
        }
        return Ok(Value::String(s));
    }
    if obj.is_instance(m.date.bind(py))? || obj.is_instance(m.time.bind(py))? {
        return Ok(Value::String(obj.call_method0(intern!(py, "isoformat"))?.extract()?));
    }
    if obj.is_instance(m.timedelta.bind(py))? {
        return Err(PyTypeError::new_err(format!(
            "{where_}: a timedelta is only accepted where a duration is asked for"
        )));
    }
    if let Some((ty, fields)) = dataclass_fields(obj)? {
        let depth = nested()?;
        let mut out = Map::new();
        if let Some(t) = ty {
            out.insert("type".into(), Value::String(t));
        }
        for (key, v) in fields {
            let inner = walk(&v, where_.child(&key), m, depth)?;
            out.insert(key.to_string(), inner);
        }
        return Ok(Value::Object(out));
    }
    if obj.hasattr("items")? {
        let d = PyDict::new(obj.py());
        d.update(obj.cast::<pyo3::types::PyMapping>()?)?;
        return walk(d.as_any(), where_, m, depth);
    }
    let name = obj.get_type().name()?.to_string();
    Err(PyTypeError::new_err(format!(
        "{where_}: cannot send a {name} to the engine"
    )))
}

/// A dataclass's fields: JSON key and value, in the dataclass's order.
pub(crate) type Fields<'py> = Vec<(Arc<str>, Bound<'py, PyAny>)>;

/// A dataclass's field names: attribute and JSON key, in the class's order.
pub(crate) type Names = Arc<[(Py<PyString>, Arc<str>)]>;

/// A dataclass's field names, read once per class.
struct Shape {
    /// Held so that the class (and so its address) lives as long as the entry.
    class: Py<PyAny>,
    fields: Names,
    /// A typed command of `tijdreg.commands` (a plain frozen dataclass: no text, number,
    /// container, `datetime`, `Decimal`, `date`, `time` or `timedelta`).
    command: bool,
}

/// The shapes of the dataclasses met so far; a process rarely has more than the typed
/// commands' few dozen, and past `SHAPES_MAX` a class is read afresh each time.
static SHAPES: Mutex<Vec<Shape>> = Mutex::new(Vec::new());
const SHAPES_MAX: usize = 256;

/// The field names of `obj`'s class when it is exactly a typed command class of
/// `tijdreg.commands` met before (its shape read): such an object is none of the values
/// checked before dataclasses, which the direct reading then skips, reading its fields with
/// these names ([`fields_of`]) without looking its class up again.
pub(crate) fn command_shape(obj: &Bound<'_, PyAny>) -> Option<Names> {
    let py = obj.py();
    let class = obj.get_type();
    let shapes = SHAPES.lock().ok()?;
    shapes
        .iter()
        .find(|s| s.command && s.class.bind(py).is(&class))
        .map(|s| s.fields.clone())
}

/// The field names of `obj`'s class, if it is a dataclass instance (not a class).
fn shape(obj: &Bound<'_, PyAny>) -> PyResult<Option<Names>> {
    let py = obj.py();
    let class = obj.get_type();
    if let Ok(shapes) = SHAPES.lock()
        && let Some(s) = shapes.iter().find(|s| s.class.bind(py).is(&class))
    {
        return Ok(Some(s.fields.clone()));
    }
    let Ok(fields) = obj.getattr(intern!(py, "__dataclass_fields__")) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyType>() {
        return Ok(None);
    }
    let fields = fields.cast_into::<PyDict>()?;
    let mut names = Vec::with_capacity(fields.len());
    for name in fields.keys() {
        let name = name.cast_into::<PyString>()?;
        let key: Arc<str> = Arc::from(name.to_cow()?.trim_end_matches('_'));
        names.push((name.unbind(), key));
    }
    let names: Names = names.into();
    if let Ok(mut shapes) = SHAPES.lock()
        && shapes.len() < SHAPES_MAX
    {
        let command = class
            .getattr(intern!(py, "__module__"))
            .and_then(|m| m.extract::<String>())
            .is_ok_and(|m| m == "tijdreg.commands");
        shapes.push(Shape {
            class: class.into_any().unbind(),
            fields: names.clone(),
            command,
        });
    }
    Ok(Some(names))
}

/// A dataclass instance's fields as the JSON way names them (`None` for any other value): a
/// typed command's `type`, then every field under its name without a trailing `_` (`from_` →
/// `from`), a typed command's absent (`None`) fields left out; other dataclasses keep every
/// field. Shared by [`to_value`] and the direct reading of `pyde`.
pub(crate) fn dataclass_fields<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<(Option<String>, Fields<'py>)>> {
    let Some(names) = shape(obj)? else {
        return Ok(None);
    };
    fields_of(obj, &names).map(Some)
}

/// [`dataclass_fields`] of an object whose class's field names are known.
pub(crate) fn fields_of<'py>(obj: &Bound<'py, PyAny>, names: &Names) -> PyResult<(Option<String>, Fields<'py>)> {
    let py = obj.py();
    let ty: Option<String> = obj
        .getattr(intern!(py, "type"))
        .ok()
        .and_then(|t| t.extract().ok())
        .filter(|t: &String| !t.is_empty());
    let mut out = Vec::with_capacity(names.len());
    for (name, key) in names.iter() {
        let v = obj.getattr(name.bind(py))?;
        if ty.is_some() && v.is_none() {
            continue;
        }
        out.push((key.clone(), v));
    }
    Ok((ty, out))
}

/// A dataclass of `tijdreg.events`, with its fields as the engine's JSON names them.
pub(crate) struct Class {
    pub(crate) cls: Py<PyAny>,
    /// Attribute name, JSON key, default (a field without one is `None` when absent).
    fields: Vec<(Py<PyString>, String, Option<Py<PyAny>>)>,
}

/// The typed event classes of `tijdreg.events` (issue 11: typed events made natively).
pub(crate) struct EventClasses {
    pub(crate) object_new: Py<PyAny>,
    pub(crate) by_type: std::collections::HashMap<String, Class>,
    pub(crate) recorded: Class,
    pub(crate) unknown: Py<PyAny>,
    /// `tijdreg.Outcome` (events, replayed).
    pub(crate) outcome: Class,
}

static EVENT_CLASSES: PyOnceLock<EventClasses> = PyOnceLock::new();

pub(crate) fn event_classes(py: Python<'_>) -> PyResult<&'static EventClasses> {
    EVENT_CLASSES.get_or_try_init(py, || {
        let events = py.import("tijdreg.events")?;
        let dataclasses = py.import("dataclasses")?;
        let missing = dataclasses.getattr("MISSING")?;
        let class = |cls: Bound<'_, PyAny>| -> PyResult<Class> {
            let mut fields = Vec::new();
            for f in dataclasses.call_method1("fields", (&cls,))?.try_iter()? {
                let f = f?;
                let attr = f.getattr("name")?.cast_into::<PyString>()?;
                let key = attr.to_cow()?.trim_end_matches('_').to_owned();
                let default = f.getattr("default")?;
                let default = (!default.is(&missing)).then(|| default.unbind());
                fields.push((attr.unbind(), key, default));
            }
            Ok(Class {
                cls: cls.unbind(),
                fields,
            })
        };
        let mut by_type = std::collections::HashMap::new();
        for (k, cls) in events.getattr("_BY_TYPE")?.cast_into::<PyDict>()?.iter() {
            by_type.insert(k.extract::<String>()?, class(cls)?);
        }
        Ok(EventClasses {
            object_new: py.import("builtins")?.getattr("object")?.getattr("__new__")?.unbind(),
            by_type,
            recorded: class(events.getattr("Recorded")?)?,
            outcome: class(py.import("tijdreg.ledger")?.getattr("Outcome")?)?,
            unknown: events.getattr("UnknownEvent")?.unbind(),
        })
    })
}

/// An instance of a (frozen) dataclass made without its `__init__`: every field set in the
/// instance's dict, from `value` or, when absent, its default or `None`.
pub(crate) fn instance<'py>(
    py: Python<'py>,
    ec: &EventClasses,
    class: &Class,
    mut value: impl FnMut(&str) -> PyResult<Option<Bound<'py, PyAny>>>,
) -> PyResult<Bound<'py, PyAny>> {
    let inst = ec.object_new.bind(py).call1((class.cls.bind(py),))?;
    let dict = inst.getattr(intern!(py, "__dict__"))?.cast_into::<PyDict>()?;
    for (attr, key, default) in &class.fields {
        let v = match value(key)? {
            Some(v) => v,
            None => default
                .as_ref()
                .map_or_else(|| py.None().into_bound(py), |d| d.bind(py).clone()),
        };
        dict.set_item(attr.bind(py), v)?;
    }
    Ok(inst)
}

/// The engine's JSON as Python values: instants as aware `datetime` (UTC), dates `date`,
/// local times `time`, money and hours `Decimal`, by the field they are in.
pub(crate) fn to_python<'py>(py: Python<'py>, v: &Value, key: &str) -> PyResult<Bound<'py, PyAny>> {
    Out::new(py).value(v, key)
}

/// Engine JSON to Python values, remembering the last instant made: a recorded event's `at`
/// and its event's `time`, or the scans of one minute, share one `datetime`.
pub(crate) struct Out<'py> {
    py: Python<'py>,
    instant: Option<(String, Bound<'py, PyAny>)>,
}

impl<'py> Out<'py> {
    pub(crate) fn new(py: Python<'py>) -> Self {
        Out { py, instant: None }
    }

    pub(crate) fn py(&self) -> Python<'py> {
        self.py
    }

    fn value(&mut self, v: &Value, key: &str) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        Ok(match v {
            Value::Null => py.None().into_bound(py),
            Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => i.into_pyobject(py)?.into_any(),
                (None, Some(u)) => u.into_pyobject(py)?.into_any(),
                _ => n.to_string().into_pyobject(py)?.into_any(),
            },
            Value::String(s) => self.typed(s, key)?,
            Value::Array(a) => {
                let l = PyList::empty(py);
                for x in a {
                    l.append(self.value(x, key)?)?;
                }
                l.into_any()
            }
            Value::Object(o) => {
                let d = PyDict::new(py);
                for (k, x) in o {
                    d.set_item(k, self.value(x, k)?)?;
                }
                d.into_any()
            }
        })
    }

    pub(crate) fn typed(&mut self, s: &str, key: &str) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        if kind(key) == Kind::Instant && s.contains('T') {
            if let Some((last, obj)) = &self.instant
                && last == s
            {
                return Ok(obj.clone());
            }
            if let Ok(t) = tijdreg::calendar::parse_instant(s) {
                let obj = utc_datetime(py, &t)?;
                self.instant = Some((s.to_owned(), obj.clone()));
                return Ok(obj);
            }
        }
        typed(py, s, key)
    }
}

/// An instant as an aware `datetime` in UTC, made with positional arguments only (pyo3's own
/// conversion passes `fold` as a keyword under the stable ABI: a dict and keyword parsing for
/// every instant). The engine's instants are within years 1–9999 (its limits, LIM).
fn utc_datetime<'py>(py: Python<'py>, t: &chrono::DateTime<chrono::Utc>) -> PyResult<Bound<'py, PyAny>> {
    use chrono::{Datelike, Timelike};
    let m = modules(py)?;
    let n = t.naive_utc();
    m.datetime.bind(py).call1((
        n.year(),
        n.month(),
        n.day(),
        n.hour(),
        n.minute(),
        n.second(),
        // A leap second (chrono's nanoseconds past 10⁹) is its second's last microsecond's
        // neighbour in `datetime`, which has none: as pyo3 does, it is dropped.
        n.nanosecond() % 1_000_000_000 / 1000,
        m.utc.bind(py),
    ))
}

fn typed<'py>(py: Python<'py>, s: &str, key: &str) -> PyResult<Bound<'py, PyAny>> {
    match kind(key) {
        Kind::Date if s.len() == 10 => {
            if let Ok(d) = s.parse::<chrono::NaiveDate>() {
                return Ok(d.into_pyobject(py)?.into_any());
            }
        }
        Kind::Time if s.len() == 8 => {
            if let Ok(t) = s.parse::<chrono::NaiveTime>() {
                return Ok(t.into_pyobject(py)?.into_any());
            }
        }
        Kind::Decimal => {
            if let Ok(d) = s.parse::<rust_decimal::Decimal>() {
                return Ok(d.into_pyobject(py)?.into_any());
            }
        }
        _ => {}
    }
    Ok(PyString::new(py, s).into_any())
}
