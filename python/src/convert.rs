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

/// Field names whose text is an instant, a date, a local time or a decimal (as `_convert.py`).
pub(crate) const INSTANT_KEYS: &[&str] = &[
    "at",
    "time",
    "check_in",
    "check_out",
    "from",
    "until",
    "start_at",
    "end_at",
    "deadline",
    "since",
    "planned_end",
    "reference_instant",
    "revoked_at",
    "problem_reported_at",
    "sync_at",
    "device_time",
    "instant",
];
pub(crate) const DATE_KEYS: &[&str] = &["date", "valid_from", "valid_until", "birth_date", "today", "given"];
pub(crate) const TIME_KEYS: &[&str] = &["start", "end"];
pub(crate) const DECIMAL_KEYS: &[&str] = &[
    "hours",
    "amount",
    "unit_cost",
    "total",
    "esf",
    "flemish",
    "own",
    "uncapped",
    "cap",
    "counted_hours",
    "provisional_amount",
    "cap_hours",
    "amount_before",
    "amount_after",
    "amount_change",
];

/// The standard types a value is told apart by, imported once per process.
pub(crate) struct Modules {
    pub(crate) datetime: Py<PyAny>,
    pub(crate) date: Py<PyAny>,
    pub(crate) time: Py<PyAny>,
    pub(crate) timedelta: Py<PyAny>,
    pub(crate) decimal: Py<PyAny>,
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

impl Path<'_> {
    fn child<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            key,
        }
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = self.parent {
            write!(f, "{p}.")?;
        }
        f.write_str(self.key)
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
    )
}

fn walk(obj: &Bound<'_, PyAny>, where_: Path<'_>, m: &Modules) -> PyResult<Value> {
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
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut out = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let k: String = k.str()?.to_cow()?.into_owned();
            let inner = walk(&v, where_.child(&k), m)?;
            out.insert(k, inner);
        }
        return Ok(Value::Object(out));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let seq = obj.cast::<PySequence>()?;
        let mut out = Vec::with_capacity(seq.len()?);
        for v in seq.try_iter()? {
            out.push(walk(&v?, where_, m)?);
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
        let mut out = Map::new();
        if let Some(t) = ty {
            out.insert("type".into(), Value::String(t));
        }
        for (key, v) in fields {
            let inner = walk(&v, where_.child(&key), m)?;
            out.insert(key, inner);
        }
        return Ok(Value::Object(out));
    }
    if obj.hasattr("items")? {
        let d = PyDict::new(obj.py());
        d.update(obj.cast::<pyo3::types::PyMapping>()?)?;
        return walk(d.as_any(), where_, m);
    }
    let name = obj.get_type().name()?.to_string();
    Err(PyTypeError::new_err(format!(
        "{where_}: cannot send a {name} to the engine"
    )))
}

/// A dataclass's fields: JSON key and value, in the dataclass's order.
pub(crate) type Fields<'py> = Vec<(String, Bound<'py, PyAny>)>;

/// A dataclass instance's fields as the JSON way names them (`None` for any other value): a
/// typed command's `type`, then every field under its name without a trailing `_` (`from_` →
/// `from`), a typed command's absent (`None`) fields left out; other dataclasses keep every
/// field. Shared by [`to_value`] and the direct reading of `pyde`.
pub(crate) fn dataclass_fields<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Option<(Option<String>, Fields<'py>)>> {
    let py = obj.py();
    let Ok(fields) = obj.getattr(intern!(py, "__dataclass_fields__")) else {
        return Ok(None);
    };
    if obj.is_instance_of::<pyo3::types::PyType>() {
        return Ok(None);
    }
    let ty: Option<String> = obj
        .getattr(intern!(py, "type"))
        .ok()
        .and_then(|t| t.extract().ok())
        .filter(|t: &String| !t.is_empty());
    let fields = fields.cast_into::<PyDict>()?;
    let mut out = Vec::with_capacity(fields.len());
    for name in fields.keys() {
        let name = name.cast_into::<PyString>()?;
        let v = obj.getattr(&name)?;
        if ty.is_some() && v.is_none() {
            continue;
        }
        out.push((name.to_cow()?.trim_end_matches('_').to_owned(), v));
    }
    Ok(Some((ty, out)))
}

/// A dataclass of `tijdreg.events`, with its fields as the engine's JSON names them.
struct Class {
    cls: Py<PyAny>,
    /// Attribute name, JSON key, default (a field without one is `None` when absent).
    fields: Vec<(Py<PyString>, String, Option<Py<PyAny>>)>,
}

/// The typed event classes of `tijdreg.events` (issue 11: typed events made natively).
struct EventClasses {
    object_new: Py<PyAny>,
    by_type: std::collections::HashMap<String, Class>,
    recorded: Class,
    unknown: Py<PyAny>,
}

static EVENT_CLASSES: PyOnceLock<EventClasses> = PyOnceLock::new();

fn event_classes(py: Python<'_>) -> PyResult<&'static EventClasses> {
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
            unknown: events.getattr("UnknownEvent")?.unbind(),
        })
    })
}

/// An instance of a (frozen) dataclass made without its `__init__`: every field set in the
/// instance's dict, from `value` or, when absent, its default or `None`.
fn instance<'py>(
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

/// A recorded event's JSON as `tijdreg.events.Recorded` with its typed event.
fn recorded<'py>(out: &mut Out<'py>, ec: &EventClasses, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    let py = out.py;
    let Value::Object(o) = v else {
        return out.value(v, "event");
    };
    instance(py, ec, &ec.recorded, |key| match (key, o.get(key)) {
        ("event", Some(e)) => event(out, ec, e).map(Some),
        (_, Some(x)) => out.value(x, key).map(Some),
        (_, None) => Ok(None),
    })
}

/// An event's JSON as its dataclass of `tijdreg.events` (`UnknownEvent` for a type it lacks).
fn event<'py>(out: &mut Out<'py>, ec: &EventClasses, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    let py = out.py;
    let Value::Object(o) = v else {
        return out.value(v, "event");
    };
    let ty = o.get("type").and_then(Value::as_str).unwrap_or("");
    match ec.by_type.get(ty) {
        Some(class) => instance(py, ec, class, |key| o.get(key).map(|x| out.value(x, key)).transpose()),
        None => {
            let fields = PyDict::new(py);
            for (k, x) in o.iter().filter(|(k, _)| *k != "type") {
                fields.set_item(k, out.value(x, k)?)?;
            }
            let kw = PyDict::new(py);
            kw.set_item("type_name", ty)?;
            kw.set_item("fields", fields)?;
            ec.unknown.bind(py).call((), Some(&kw))
        }
    }
}

/// A list of recorded events' JSON as a list of `tijdreg.events.Recorded`.
pub(crate) fn to_recorded<'py>(py: Python<'py>, events: &Value) -> PyResult<Bound<'py, PyAny>> {
    let ec = event_classes(py)?;
    let mut conv = Out::new(py);
    let out = PyList::empty(py);
    for e in events.as_array().map(Vec::as_slice).unwrap_or(&[]) {
        out.append(recorded(&mut conv, ec, e)?)?;
    }
    Ok(out.into_any())
}

/// The engine's JSON as Python values: instants as aware `datetime` (UTC), dates `date`,
/// local times `time`, money and hours `Decimal`, by the field they are in.
pub(crate) fn to_python<'py>(py: Python<'py>, v: &Value, key: &str) -> PyResult<Bound<'py, PyAny>> {
    Out::new(py).value(v, key)
}

/// Engine JSON to Python values, remembering the last instant made: a recorded event's `at`
/// and its event's `time`, or the scans of one minute, share one `datetime`.
struct Out<'py> {
    py: Python<'py>,
    instant: Option<(String, Bound<'py, PyAny>)>,
}

impl<'py> Out<'py> {
    fn new(py: Python<'py>) -> Self {
        Out { py, instant: None }
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

    fn typed(&mut self, s: &str, key: &str) -> PyResult<Bound<'py, PyAny>> {
        let py = self.py;
        if INSTANT_KEYS.contains(&key) && s.contains('T') {
            if let Some((last, obj)) = &self.instant
                && last == s
            {
                return Ok(obj.clone());
            }
            if let Ok(t) = tijdreg::calendar::parse_instant(s) {
                let obj = t.into_pyobject(py)?.into_any();
                self.instant = Some((s.to_owned(), obj.clone()));
                return Ok(obj);
            }
        }
        typed(py, s, key)
    }
}

fn typed<'py>(py: Python<'py>, s: &str, key: &str) -> PyResult<Bound<'py, PyAny>> {
    if DATE_KEYS.contains(&key)
        && s.len() == 10
        && let Ok(d) = s.parse::<chrono::NaiveDate>()
    {
        return Ok(d.into_pyobject(py)?.into_any());
    }
    if TIME_KEYS.contains(&key)
        && s.len() == 8
        && let Ok(t) = s.parse::<chrono::NaiveTime>()
    {
        return Ok(t.into_pyobject(py)?.into_any());
    }
    if DECIMAL_KEYS.contains(&key)
        && let Ok(d) = s.parse::<rust_decimal::Decimal>()
    {
        return Ok(d.into_pyobject(py)?.into_any());
    }
    Ok(PyString::new(py, s).into_any())
}
