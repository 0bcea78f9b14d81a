//! Python values to the engine's JSON values and back, natively (issue 11: no Python walk,
//! no `json.dumps`/`json.loads` round trip). The same rules as `tijdreg/_convert.py`: aware
//! datetimes only, no floats (money is exact), dataclasses (the typed commands) by their
//! fields; out, instants, dates, times and decimals by the field they are in.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
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

struct Modules<'py> {
    datetime: Bound<'py, PyAny>,
    date: Bound<'py, PyAny>,
    time: Bound<'py, PyAny>,
    timedelta: Bound<'py, PyAny>,
    decimal: Bound<'py, PyAny>,
}

impl<'py> Modules<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        let dt = py.import("datetime")?;
        Ok(Modules {
            datetime: dt.getattr("datetime")?,
            date: dt.getattr("date")?,
            time: dt.getattr("time")?,
            timedelta: dt.getattr("timedelta")?,
            decimal: py.import("decimal")?.getattr("Decimal")?,
        })
    }
}

/// A Python value (a typed command, a dict of records…) as JSON.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>, where_: &str) -> PyResult<Value> {
    let m = Modules::new(obj.py())?;
    walk(obj, where_, &m)
}

fn walk(obj: &Bound<'_, PyAny>, where_: &str, m: &Modules<'_>) -> PyResult<Value> {
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
            let inner = walk(&v, &format!("{where_}.{k}"), m)?;
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
    if obj.is_instance(&m.decimal)? {
        let s = obj.str()?.to_cow()?.into_owned();
        if !obj.call_method0("is_finite")?.is_truthy()? {
            return Err(PyTypeError::new_err(format!("{where_}: {s} is not a finite decimal")));
        }
        return Ok(Value::String(s));
    }
    if obj.is_instance(&m.datetime)? {
        let tz = obj.getattr("tzinfo")?;
        if tz.is_none() || obj.call_method0("utcoffset")?.is_none() {
            return Err(PyTypeError::new_err(format!(
                "{where_}: naive datetime; give a time zone, e.g. datetime(..., tzinfo=ZoneInfo('Europe/Brussels'))"
            )));
        }
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    if obj.is_instance(&m.date)? || obj.is_instance(&m.time)? {
        return Ok(Value::String(obj.call_method0("isoformat")?.extract()?));
    }
    if obj.is_instance(&m.timedelta)? {
        return Err(PyTypeError::new_err(format!(
            "{where_}: a timedelta is only accepted where a duration is asked for"
        )));
    }
    if let Ok(fields) = obj.getattr("__dataclass_fields__")
        && !obj.is_instance_of::<pyo3::types::PyType>()
    {
        // A typed command: its `type`, then its fields (a trailing `_` dropped, `from_` →
        // `from`), absent optional fields left out. Other dataclasses keep every field.
        let ty: Option<String> = obj
            .getattr("type")
            .ok()
            .and_then(|t| t.extract().ok())
            .filter(|t: &String| !t.is_empty());
        let mut out = Map::new();
        if let Some(t) = &ty {
            out.insert("type".into(), Value::String(t.clone()));
        }
        for name in fields.cast::<PyDict>()?.keys() {
            let name: String = name.extract()?;
            let v = obj.getattr(name.as_str())?;
            if ty.is_some() && v.is_none() {
                continue;
            }
            let key = name.trim_end_matches('_').to_owned();
            let inner = walk(&v, &format!("{where_}.{key}"), m)?;
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

/// The engine's JSON as Python values: instants as aware `datetime` (UTC), dates `date`,
/// local times `time`, money and hours `Decimal`, by the field they are in.
pub(crate) fn to_python<'py>(py: Python<'py>, v: &Value, key: &str) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.to_string().into_pyobject(py)?.into_any(),
        },
        Value::String(s) => typed(py, s, key)?,
        Value::Array(a) => {
            let l = PyList::empty(py);
            for x in a {
                l.append(to_python(py, x, key)?)?;
            }
            l.into_any()
        }
        Value::Object(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                d.set_item(k, to_python(py, x, k)?)?;
            }
            d.into_any()
        }
    })
}

fn typed<'py>(py: Python<'py>, s: &str, key: &str) -> PyResult<Bound<'py, PyAny>> {
    if INSTANT_KEYS.contains(&key)
        && s.contains('T')
        && let Ok(t) = tijdreg::calendar::parse_instant(s)
    {
        return Ok(t.into_pyobject(py)?.into_any());
    }
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
