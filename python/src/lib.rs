//! `tijdreg._tijdreg`: the native module behind the Python package `tijdreg`. It only
//! translates: JSON (or native dates, times and decimals) in, the core's answers out, and the
//! core's errors to exception classes by their kind. No rule lives here.

use chrono::{DateTime, NaiveDate, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tijdreg::calendar::{Calendar, HolidayProfile};
use tijdreg::identity::{Insz, InszKind, Sex};
use tijdreg::ledger::query;
use tijdreg::ledger::{Actor, Envelope, Ledger, Recorded};
use tijdreg::subsidy::{self, Grouping};
use tijdreg::{Error, ErrorKind};

mod columns;
mod convert;
mod gc;
mod parquet;
mod pyde;
mod pyser;

/// A command envelope from Python values (a typed command or a dict, an aware datetime).
fn envelope_value(
    command: &Bound<'_, PyAny>,
    actor: &str,
    at: &Bound<'_, PyAny>,
    command_id: &str,
) -> PyResult<serde_json::Value> {
    let cmd = convert::to_value(command, "command")?;
    let at = convert::to_value(at, "at")?;
    Ok(serde_json::json!({"command_id": command_id, "actor": actor, "at": at, "command": cmd}))
}

/// A command envelope from Python values: read directly (ADR 13), or else the JSON way, which
/// gives the error — a value Python cannot send (the outer error) or an envelope the engine
/// refuses (the inner one).
fn read_envelope(
    command: &Bound<'_, PyAny>,
    actor: &str,
    at: &Bound<'_, PyAny>,
    command_id: &str,
) -> PyResult<Result<Envelope, Error>> {
    match pyde::envelope(command, actor, at, command_id) {
        Ok(env) => Ok(Ok(env)),
        Err(pyde::Miss) => Ok(Envelope::from_value(envelope_value(command, actor, at, command_id)?)),
    }
}

/// The parts of an envelope from Python: a `(command, actor, at, command_id)` tuple, or a
/// mapping with those keys (a missing key raises `KeyError`, as indexing it would).
fn envelope_parts<'py>(item: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, String, Bound<'py, PyAny>, String)> {
    if let Ok(t) = item.cast::<pyo3::types::PyTuple>() {
        return t.extract();
    }
    let py = item.py();
    Ok((
        item.get_item(pyo3::intern!(py, "command"))?,
        item.get_item(pyo3::intern!(py, "actor"))?.extract()?,
        item.get_item(pyo3::intern!(py, "at"))?,
        item.get_item(pyo3::intern!(py, "command_id"))?.extract()?,
    ))
}

/// The Python object made for `key` before, or a new one from `make` (kept for the next).
fn cached<'py, K: Eq + std::hash::Hash>(
    map: &mut std::collections::HashMap<K, Bound<'py, PyAny>>,
    key: K,
    make: impl FnOnce() -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(o) = map.get(&key) {
        return Ok(o.clone());
    }
    let o = make()?;
    map.insert(key, o.clone());
    Ok(o)
}

/// An outcome for Python: a `tijdreg.Outcome` with typed events, or `(replayed, events)` with
/// the events as dicts.
fn outcome_out<'py>(py: Python<'py>, o: tijdreg::ledger::Outcome, typed: bool) -> PyResult<Bound<'py, PyAny>> {
    if typed {
        return pyser::outcome(py, o);
    }
    let events = convert::to_python(py, &serde_json::to_value(&o.events).unwrap_or_default(), "events")?;
    Ok((o.replayed, events).into_pyobject(py)?.into_any())
}

/// A batch of [`PyLedger::apply_many_obj`] applied: each command's outcome or refusal, or a
/// panic of the engine (the ledger's lock then poisoned: an internal error, as elsewhere).
enum Applied {
    Results(Vec<Result<tijdreg::ledger::Outcome, Error>>),
    Broken,
}

/// Up to `batch` envelopes from `iter`, each decoded as it is read (its JSON form dropped at
/// once): the batch holds typed envelopes, not trees of JSON values. An envelope Python
/// cannot convert is a refusal of its own; the iterable's own error is raised.
fn read_batch(
    py: Python<'_>,
    iter: &mut Bound<'_, pyo3::types::PyIterator>,
    batch: usize,
) -> PyResult<Vec<Result<Envelope, Error>>> {
    let mut envs: Vec<Result<Envelope, Error>> = Vec::with_capacity(batch);
    for item in iter.by_ref().take(batch) {
        let (command, actor, at, command_id) = envelope_parts(&item?)?;
        envs.push(read_envelope(&command, &actor, &at, &command_id).unwrap_or_else(|e| {
            Err(Error::invalid(
                e.value(py).to_string(),
                "een waarde kon niet omgezet worden (een datum zonder tijdzone of een kommagetal?)",
            ))
        }));
    }
    Ok(envs)
}

/// Each envelope of a batch applied in order; a refusal does not stop the rest.
fn apply_batch(l: &mut Ledger, envs: Vec<Result<Envelope, Error>>) -> Vec<Result<tijdreg::ledger::Outcome, Error>> {
    envs.into_iter().map(|env| env.and_then(|env| l.apply(&env))).collect()
}

/// A batch's results appended to `out`. The results are kept: the collector is paused while
/// they are made (only then — not while the iterable's own code runs, nor while the GIL is
/// released).
fn emit(py: Python<'_>, out: &Bound<'_, PyList>, done: Applied, typed: bool) -> PyResult<()> {
    let Applied::Results(results) = done else {
        return Err(internal(py));
    };
    let _paused = gc::Paused::new(py);
    for r in results {
        match r {
            Ok(o) => out.append(outcome_out(py, o, typed)?)?,
            Err(e) => out.append(convert::to_python(
                py,
                &serde_json::to_value(e.info()).unwrap_or_default(),
                "error",
            )?)?,
        }
    }
    Ok(())
}

/// The exception classes, named as Python sees them (`tijdreg.Error`, …).
mod exc {
    use pyo3::create_exception;
    use pyo3::exceptions::PyException;

    create_exception!(
        tijdreg,
        Error,
        PyException,
        "Base of every tijdreg error. Attributes: code (stable error code, docs/errors.md), rule (a rule ID of docs/rules.md), message and message_nl (Dutch), message_en (English), kind (invalid_input, access_denied, not_found, conflict, rejected or internal). An instance made by hand has them all, empty."
    );
    create_exception!(
        tijdreg,
        InvalidInputError,
        Error,
        "Malformed or out-of-range input (JSON, INSZ, e-mail, times, parameters, limits); kind invalid_input."
    );
    create_exception!(
        tijdreg,
        AccessDeniedError,
        Error,
        "The actor lacks a right; the message names it (ACC, ORG-4, EL); kind access_denied."
    );
    create_exception!(
        tijdreg,
        NotFoundError,
        Error,
        "A reference to something that does not exist; kind not_found."
    );
    create_exception!(
        tijdreg,
        ConflictError,
        Error,
        "An id, code, national number or presence that exists already; kind conflict."
    );
    create_exception!(
        tijdreg,
        RejectedError,
        Error,
        "A rule of the rulebook refuses the command; kind rejected."
    );
    create_exception!(
        tijdreg,
        InternalError,
        Error,
        "A fault inside the engine (kind internal): a bug to report, never a verdict on the input."
    );
}
use exc::{AccessDeniedError, ConflictError, InternalError, InvalidInputError, NotFoundError, RejectedError};

/// Runs `f` without the GIL and turns a panic (which the core's lints rule out, but a bug is a
/// bug) into `tijdreg.InternalError` of kind `internal` instead of pyo3's `PanicException`.
pub(crate) fn guarded<T: Send>(py: Python<'_>, f: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    match py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))) {
        Ok(r) => r.map_err(|e| to_py(py, &e)),
        Err(_) => Err(internal(py)),
    }
}

pub(crate) fn internal(py: Python<'_>) -> PyErr {
    let err = InternalError::new_err("[internal] an internal error of the engine; please report it");
    let v = err.value(py);
    for (k, val) in [
        ("code", "internal"),
        ("rule", ""),
        ("message", "interne fout van de engine; meld ze alstublieft"),
        ("message_nl", "interne fout van de engine; meld ze alstublieft"),
        ("message_en", "an internal error of the engine; please report it"),
        ("kind", "internal"),
    ] {
        let _ = v.setattr(k, val);
    }
    err
}

pub(crate) fn to_py(py: Python<'_>, e: &Error) -> PyErr {
    let msg = format!("[{} {}] {}", e.rule(), e.code(), e.message_en());
    let err = match e.kind() {
        ErrorKind::InvalidInput => InvalidInputError::new_err(msg),
        ErrorKind::AccessDenied => AccessDeniedError::new_err(msg),
        ErrorKind::NotFound => NotFoundError::new_err(msg),
        ErrorKind::Conflict => ConflictError::new_err(msg),
        ErrorKind::Rejected => RejectedError::new_err(msg),
    };
    let v = err.value(py);
    let info = e.info();
    let kind = serde_json::to_value(info.kind)
        .ok()
        .and_then(|k| k.as_str().map(str::to_owned))
        .unwrap_or_default();
    for (k, val) in [
        ("code", info.code),
        ("rule", info.rule),
        ("message", info.message),
        ("message_nl", info.message_nl),
        ("message_en", info.message_en),
        ("kind", kind),
    ] {
        // Setting attributes on a fresh exception instance cannot fail for str values.
        let _ = v.setattr(k, val);
    }
    err
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|_| unwritable())
}

fn unwritable() -> Error {
    Error::invalid(
        "the answer could not be written as JSON",
        "het antwoord kon niet als JSON geschreven worden",
    )
}

/// The host's QR signing keys (QR-2).
#[pyclass(module = "tijdreg._tijdreg", name = "Keyring")]
#[derive(Clone, Default)]
struct PyKeyring {
    inner: tijdreg::qr::Keyring,
}

#[pymethods]
impl PyKeyring {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a key (at least 16 bytes).
    fn add(&mut self, py: Python<'_>, key_id: &str, secret: &[u8]) -> PyResult<()> {
        let inner = &mut self.inner;
        guarded(py, || inner.add(key_id, secret.to_vec()))
    }

    /// Removes a key: tokens signed with it stop verifying.
    fn remove(&mut self, key_id: &str) {
        self.inner.remove(key_id);
    }

    /// The key ids.
    fn key_ids(&self) -> Vec<String> {
        self.inner.key_ids().map(str::to_owned).collect()
    }

    /// Issues a token for a person in a project.
    fn issue(&self, py: Python<'_>, key_id: &str, project: &str, person: &str) -> PyResult<String> {
        let inner = &self.inner;
        guarded(py, || {
            inner.issue(
                key_id,
                &tijdreg::ids::ProjectId::new(project),
                &tijdreg::ids::PersonId::new(person),
            )
        })
    }

    /// Verifies a token; returns (project, person).
    fn verify(&self, py: Python<'_>, token: &str) -> PyResult<(String, String)> {
        let inner = &self.inner;
        guarded(py, || inner.verify(token).map(|(p, q)| (p.into(), q.into())))
    }

    fn __repr__(&self) -> String {
        format!("Keyring(key_ids={:?})", self.key_ids())
    }
}

/// The ledger, JSON in and out. The `tijdreg.Ledger` wrapper gives it typed arguments.
/// A ledger shared safely between Python threads: one lock inside serialises the calls, and
/// a thread waits for it without holding the GIL.
#[pyclass(module = "tijdreg._tijdreg", name = "NativeLedger", frozen)]
pub(crate) struct PyLedger {
    inner: std::sync::Mutex<Ledger>,
}

impl PyLedger {
    fn new_inner(l: Ledger) -> PyLedger {
        PyLedger {
            inner: std::sync::Mutex::new(l),
        }
    }

    /// Runs `f` on the locked ledger, without the GIL. A ledger whose lock was poisoned by an
    /// internal error is refused from then on (its state may be half-changed).
    pub(crate) fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Ledger) -> Result<T, Error> + Send,
    ) -> PyResult<T> {
        let inner = &self.inner;
        let mut poisoned = false;
        let out = guarded(py, || match inner.lock() {
            Ok(mut l) => f(&mut l).map(Some),
            Err(_) => {
                poisoned = true;
                Ok(None)
            }
        })?;
        match out {
            Some(v) if !poisoned => Ok(v),
            _ => Err(internal(py)),
        }
    }

    /// One command: run with the GIL held when the lock is free at once (a command takes a
    /// few microseconds; letting the GIL go and taking it back costs a few percent of that).
    /// When another thread holds the ledger, waits for it without the GIL, as [`Self::with`].
    /// A panic poisons the lock and is an internal error, as there.
    pub(crate) fn with_one<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Ledger) -> Result<T, Error> + Send,
    ) -> PyResult<T> {
        enum Quick<T> {
            Done(Result<T, Error>),
            Busy,
            Poisoned,
        }
        let inner = &self.inner;
        let mut f = Some(f);
        let quick = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match inner.try_lock() {
            // The guard lives inside the caught closure: a panic in `f` poisons the lock.
            Ok(mut l) => f.take().map_or(Quick::Poisoned, |f| Quick::Done(f(&mut l))),
            Err(std::sync::TryLockError::WouldBlock) => Quick::Busy,
            Err(std::sync::TryLockError::Poisoned(_)) => Quick::Poisoned,
        }));
        match (quick, f) {
            (Ok(Quick::Done(r)), _) => r.map_err(|e| to_py(py, &e)),
            (Ok(Quick::Busy), Some(f)) => self.with(py, f),
            _ => Err(internal(py)),
        }
    }
}

#[pymethods]
impl PyLedger {
    #[new]
    #[pyo3(signature = (keys=None))]
    fn new(keys: Option<PyRef<'_, PyKeyring>>) -> Self {
        PyLedger::new_inner(Ledger::with_keys(keys.map(|k| k.inner.clone()).unwrap_or_default()))
    }

    /// Replaces the QR keys (rotation, QR-2).
    fn set_keys(&self, py: Python<'_>, keys: PyRef<'_, PyKeyring>) -> PyResult<()> {
        let keys = keys.inner.clone();
        self.with(py, move |l| {
            l.set_keys(keys);
            Ok(())
        })
    }

    /// Applies one command envelope (JSON); returns the outcome as JSON.
    fn apply_json(&self, py: Python<'_>, envelope: &str) -> PyResult<String> {
        self.with_one(py, |l| {
            Envelope::from_json(envelope)
                .and_then(|env| l.apply(&env))
                .and_then(|o| json(&o))
        })
    }

    /// Applies a typed command (a `tijdreg.commands` dataclass or a dict), converted natively;
    /// returns `(replayed, events)` with the events as dicts, or with `typed` a `tijdreg.Outcome`
    /// whose events are `tijdreg.events.Recorded` values, made natively (no JSON either way).
    #[pyo3(signature = (command, actor, at, command_id, typed = false))]
    fn apply_obj<'py>(
        &self,
        py: Python<'py>,
        command: &Bound<'py, PyAny>,
        actor: &str,
        at: &Bound<'py, PyAny>,
        command_id: &str,
        typed: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let env = read_envelope(command, actor, at, command_id)?;
        let o = self.with_one(py, move |l| l.apply(&env?))?;
        outcome_out(py, o, typed)
    }

    /// Applies envelopes — mappings with `command`, `actor`, `at` and `command_id`, or
    /// `(command, actor, at, command_id)` tuples — from any iterable, in order, in
    /// batches of `batch`: each batch is converted natively with the GIL held and applied on a
    /// second thread without it, while the next batch is read and the one before's results
    /// are made (ADR 25), so a long stream is never held whole. Per item `(replayed, events)`
    /// (with `typed` a `tijdreg.Outcome`) or the refusal as an error-info dict; an item Python
    /// cannot convert (a naive datetime, a float) is a refusal of its own (invalid_input) and
    /// the rest goes on. If the iterable raises, the batches read before it are applied and the
    /// error is raised.
    #[pyo3(signature = (items, batch = 4096, typed = false))]
    fn apply_many_obj<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        batch: usize,
        typed: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let batch = batch.clamp(1, 1 << 20);
        let out = PyList::empty(py);
        let mut iter = items.try_iter()?;
        let inner = &self.inner;
        std::thread::scope(|scope| -> PyResult<()> {
            // The batch being applied on the second thread, if any.
            let mut running: Option<std::thread::ScopedJoinHandle<'_, Applied>> = None;
            loop {
                let read = read_batch(py, &mut iter, batch);
                // The batch before: its results (waited for without the GIL).
                let done = running
                    .take()
                    .map(|h| py.detach(move || h.join().unwrap_or(Applied::Broken)));
                let envs = match read {
                    Ok(envs) => envs,
                    Err(e) => {
                        // The batches read before the error are applied, as one at a time.
                        if let Some(done) = done {
                            emit(py, &out, done, typed)?;
                        }
                        return Err(e);
                    }
                };
                if envs.len() < batch {
                    // The last batch: nothing more to read meanwhile, applied here.
                    let results = if envs.is_empty() {
                        Vec::new()
                    } else {
                        self.with(py, move |l| Ok(apply_batch(l, envs)))?
                    };
                    if let Some(done) = done {
                        emit(py, &out, done, typed)?;
                    }
                    return emit(py, &out, Applied::Results(results), typed);
                }
                // A panic unwinds through the guard: the lock is poisoned, as in `with`.
                running = Some(scope.spawn(move || {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match inner.lock() {
                        Ok(mut l) => Applied::Results(apply_batch(&mut l, envs)),
                        Err(_) => Applied::Broken,
                    }))
                    .unwrap_or(Applied::Broken)
                }));
                if let Some(done) = done {
                    emit(py, &out, done, typed)?;
                }
            }
        })?;
        Ok(out)
    }

    /// Applies a JSON list of envelopes in order; returns a JSON list with, per command, the
    /// outcome or the error (`{"error": {...}}`). Releases the GIL for the whole batch.
    fn apply_many_json(&self, py: Python<'_>, envelopes: &str) -> PyResult<String> {
        self.with(py, |inner| {
            // The list is split into its items' texts (no tree of values), each item decoded
            // as `apply_json` decodes one, and every outcome written straight into the answer.
            // A list that does not parse is decoded again the thorough way, for its error.
            let list: Vec<&serde_json::value::RawValue> = match serde_json::from_str(envelopes) {
                Ok(list) if envelopes.len() <= tijdreg::decode::MAX_RECORDS_BYTES => list,
                _ => {
                    tijdreg::decode::from_str::<Vec<serde_json::Value>>(envelopes, "")?;
                    return Err(Error::invalid(
                        "expected a JSON list of envelopes",
                        "verwacht een JSON-lijst van enveloppen",
                    ));
                }
            };
            let mut out = Vec::with_capacity(envelopes.len().saturating_add(list.len().saturating_mul(256)));
            out.push(b'[');
            for (i, raw) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let written = match Envelope::from_json(raw.get()).and_then(|env| inner.apply(&env)) {
                    Ok(o) => serde_json::to_writer(&mut out, &o),
                    Err(e) => serde_json::to_writer(&mut out, &serde_json::json!({"error": e.info()})),
                };
                written.map_err(|_| unwritable())?;
            }
            out.push(b']');
            String::from_utf8(out).map_err(|_| unwritable())
        })
    }

    /// The events a command would produce (JSON), without changing anything (AUD-5).
    fn preview_json(&self, py: Python<'_>, envelope: &str) -> PyResult<String> {
        self.with(py, |inner| {
            Envelope::from_json(envelope)
                .and_then(|env| inner.preview(&env))
                .and_then(|ev| json(&ev))
        })
    }

    /// Runs a query envelope (JSON) and returns the answer as JSON.
    fn query_json(&self, py: Python<'_>, envelope: &str) -> PyResult<String> {
        self.with(py, |inner| {
            let v: serde_json::Value = tijdreg::decode::from_str_max(envelope, "", tijdreg::decode::MAX_COMMAND_BYTES)?;
            json(&query::run_on_ledger(inner, &v)?)
        })
    }

    /// The subsidy report of a project as `actor` sees it at `at` (RFC 3339).
    fn report(&self, py: Python<'_>, actor: &str, at: &str, project: &str) -> PyResult<PyReport> {
        self.with(py, |l| {
            let at = tijdreg::calendar::parse_instant(at)?;
            tijdreg::ledger::report::report(
                l.state(),
                &Actor::from(actor),
                at,
                &tijdreg::ids::ProjectId::new(project),
            )
        })
        .map(|inner| PyReport { inner })
    }

    /// The state as a JSON snapshot with its schema version (AUD-2).
    fn snapshot(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |l| Ok(l.snapshot_json()))
    }

    /// Loads a snapshot.
    #[staticmethod]
    #[pyo3(signature = (snapshot, keys=None))]
    fn load(py: Python<'_>, snapshot: &str, keys: Option<PyRef<'_, PyKeyring>>) -> PyResult<PyLedger> {
        let keys = keys.map(|k| k.inner.clone()).unwrap_or_default();
        guarded(py, || Ledger::from_snapshot_json(snapshot, keys)).map(PyLedger::new_inner)
    }

    /// Rebuilds a ledger from its event log (JSON list of recorded events).
    #[staticmethod]
    #[pyo3(signature = (events, keys=None))]
    fn replay_json(py: Python<'_>, events: &str, keys: Option<PyRef<'_, PyKeyring>>) -> PyResult<PyLedger> {
        let keys = keys.map(|k| k.inner.clone()).unwrap_or_default();
        guarded(py, || {
            let log: Vec<Recorded> = tijdreg::decode::from_str(events, "events")?;
            Ledger::replay(&log, keys)
        })
        .map(PyLedger::new_inner)
    }

    /// The event log as JSON.
    fn events_json(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |l| Ok(l.events_json()))
    }

    /// The event log as JSON lines: one hash-chained line per event, as the ledger keeps it
    /// (no list of values made first).
    fn events_jsonl(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |l| Ok(l.events_jsonl()))
    }

    /// Rebuilds a ledger from JSON lines as `events_jsonl` writes them (text or bytes), read
    /// line by line without the GIL; a damaged log is refused naming its first bad line.
    #[staticmethod]
    #[pyo3(signature = (log, keys=None))]
    fn replay_jsonl(py: Python<'_>, log: &Bound<'_, PyAny>, keys: Option<PyRef<'_, PyKeyring>>) -> PyResult<PyLedger> {
        let keys = keys.map(|k| k.inner.clone()).unwrap_or_default();
        // Python's own text or bytes, read in place (both stay alive and unchanged while the
        // GIL is released: the objects are immutable and held here).
        enum Text {
            Bytes(pyo3::pybacked::PyBackedBytes),
            Str(pyo3::pybacked::PyBackedStr),
        }
        let text = match log.extract::<pyo3::pybacked::PyBackedBytes>() {
            Ok(b) => Text::Bytes(b),
            Err(_) => Text::Str(log.extract()?),
        };
        let bytes: &[u8] = match &text {
            Text::Bytes(b) => b,
            Text::Str(s) => s.as_bytes(),
        };
        guarded(py, || Ledger::replay_jsonl(bytes, keys)).map(PyLedger::new_inner)
    }

    /// The number of events folded.
    #[getter]
    fn event_count(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |l| Ok(l.state().event_count))
    }
}

/// A subsidy report (SUB, AUD-4).
#[pyclass(module = "tijdreg._tijdreg", name = "Report")]
pub(crate) struct PyReport {
    pub(crate) inner: subsidy::Report,
}

fn totals<'py>(py: Python<'py>, t: &subsidy::Totals) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("lines", t.lines)?;
    d.set_item("planned_minutes", subsidy::seconds_as_minutes(t.planned_seconds))?;
    d.set_item("counted_minutes", t.counted_minutes)?;
    d.set_item("counted_hours", t.counted_hours)?;
    Ok(d)
}

#[pymethods]
impl PyReport {
    /// One dict per line (participant × session, or e-learning entry) with native values:
    /// `date`, `Decimal`, `bool`; `excluded` joins the reasons with their rules.
    fn rows<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        use pyo3::intern;
        use pyo3::types::PyString;
        use std::collections::HashMap;
        let rows = PyList::empty(py);
        let _paused = gc::Paused::new(py);
        // Values that recur from line to line (ids, dates, money, reason lists) are made once
        // and shared, as the keys are; the explanation texts mostly differ and are made each.
        let str_of = |s: &str| PyString::new(py, s).into_any();
        let project = str_of(self.inner.project().as_str());
        let none_excluded = str_of("");
        let mut ids: HashMap<&str, Bound<'py, PyAny>> = HashMap::new();
        let mut dates: HashMap<NaiveDate, Bound<'py, PyAny>> = HashMap::new();
        // Money by its digits and scale: 12.0 and 12.00 are equal decimals but print apart.
        let mut money: HashMap<(i128, u32), Bound<'py, PyAny>> = HashMap::new();
        let mut reasons: HashMap<String, Bound<'py, PyAny>> = HashMap::new();
        for l in self.inner.lines().iter() {
            let d = PyDict::new(py);
            d.set_item(intern!(py, "project"), &project)?;
            let kind = l.kind().code();
            d.set_item(intern!(py, "kind"), cached(&mut ids, kind, || Ok(str_of(kind)))?)?;
            let source = l.source();
            d.set_item(intern!(py, "source"), cached(&mut ids, source, || Ok(str_of(source)))?)?;
            let person = l.person().as_str();
            d.set_item(intern!(py, "person"), cached(&mut ids, person, || Ok(str_of(person)))?)?;
            let training = l.training().as_str();
            d.set_item(
                intern!(py, "training"),
                cached(&mut ids, training, || Ok(str_of(training)))?,
            )?;
            let date = l.date();
            d.set_item(
                intern!(py, "date"),
                cached(&mut dates, date, || Ok(date.into_pyobject(py)?.into_any()))?,
            )?;
            d.set_item(intern!(py, "realised"), l.realised())?;
            d.set_item(intern!(py, "planned_minutes"), l.planned_minutes())?;
            d.set_item(intern!(py, "attended_minutes"), l.attended_minutes())?;
            d.set_item(intern!(py, "counted_minutes"), l.counted_minutes())?;
            for (key, v) in [
                (intern!(py, "unit_cost"), l.unit_cost()),
                (intern!(py, "amount"), l.amount()),
            ] {
                d.set_item(
                    key,
                    cached(&mut money, (v.mantissa(), v.scale()), || {
                        Ok(v.into_pyobject(py)?.into_any())
                    })?,
                )?;
            }
            d.set_item(intern!(py, "late_registration"), l.late_registration())?;
            d.set_item(intern!(py, "late_arrival"), l.late_arrival())?;
            d.set_item(intern!(py, "early_departure"), l.early_departure())?;
            let excluded = l.excluded_text();
            if excluded.is_empty() {
                d.set_item(intern!(py, "excluded"), &none_excluded)?;
            } else {
                d.set_item(intern!(py, "excluded"), excluded)?;
            }
            d.set_item(
                intern!(py, "excluded_rules"),
                PyList::new(py, l.excluded().map(|e| e.rule()))?,
            )?;
            let codes = l.reason_codes();
            let code_obj = match reasons.get(&codes) {
                Some(o) => o.clone(),
                None => {
                    let o = str_of(&codes);
                    reasons.insert(codes, o.clone());
                    o
                }
            };
            d.set_item(intern!(py, "reasons"), code_obj)?;
            rows.append(d)?;
        }
        Ok(rows)
    }

    /// The lines as CSV.
    fn to_csv(&self) -> String {
        self.inner.to_csv()
    }

    /// The whole report as JSON.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        let inner = &self.inner;
        guarded(py, || json(inner))
    }

    /// A readable explanation, line by line (SUB-9).
    fn explain(&self) -> String {
        self.inner.explain()
    }

    /// Realised counted minutes and amounts grouped by `person`, `training`, `date` or
    /// `project`.
    fn group_by<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyList>> {
        let g = match key {
            "person" => Grouping::Person,
            "training" => Grouping::Training,
            "date" => Grouping::Date,
            "project" => Grouping::Project,
            _ => {
                return Err(to_py(
                    py,
                    &Error::invalid(
                        "group by: use person, training, date or project",
                        "groeperen: gebruik person, training, date of project",
                    ),
                ));
            }
        };
        let out = PyList::empty(py);
        for grp in self.inner.group_by(g) {
            let d = PyDict::new(py);
            d.set_item("key", grp.key)?;
            d.set_item("counted_minutes", grp.counted_minutes)?;
            d.set_item("amount", grp.amount)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The project.
    #[getter]
    fn project(&self) -> String {
        self.inner.project().to_string()
    }

    /// Realised totals.
    #[getter]
    fn realised<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        totals(py, &self.inner.realised)
    }

    /// Provisional totals (with `amount`, for information).
    #[getter]
    fn provisional<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = totals(py, &self.inner.provisional)?;
        d.set_item("amount", self.inner.provisional_amount)?;
        Ok(d)
    }

    /// Amounts: `uncapped`, `cap`, `capped`, `total`, `esf`, `flemish`, `own` (Decimal).
    #[getter]
    fn amounts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let a = &self.inner.amounts;
        let d = PyDict::new(py);
        d.set_item("uncapped", a.uncapped)?;
        d.set_item("cap", a.cap)?;
        d.set_item("capped", a.capped)?;
        d.set_item("total", a.total)?;
        d.set_item("esf", a.esf)?;
        d.set_item("flemish", a.flemish)?;
        d.set_item("own", a.own)?;
        Ok(d)
    }

    /// The receipt (AUD-4).
    #[getter]
    fn receipt<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = &self.inner.receipt;
        let d = PyDict::new(py);
        d.set_item("engine_version", &r.engine_version)?;
        d.set_item("parameters_hash", &r.parameters_hash)?;
        d.set_item("reference_instant", r.reference_instant)?;
        d.set_item("events", r.events)?;
        d.set_item("records", r.records)?;
        Ok(d)
    }

    /// The lines as a `pyarrow.Table` (dictionary-encoded ids, `date32`, `decimal128` money;
    /// needs pyarrow: `pip install 'tijdreg[arrow]'`).
    fn to_arrow(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        arrow_call(slf, "report_to_arrow")
    }

    /// The excluded stretches (SUB-9) as a `pyarrow.Table`; with `text` their explanations.
    #[pyo3(signature = (text=false))]
    fn excluded_to_arrow(slf: &Bound<'_, Self>, text: bool) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        Ok(py
            .import("tijdreg.arrow")?
            .call_method1("excluded_to_arrow", (slf, text))?
            .unbind())
    }

    /// The lines as a pandas DataFrame (needs pyarrow and pandas).
    fn to_pandas(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        arrow_call(slf, "report_to_pandas")
    }

    /// The lines as a polars DataFrame (needs pyarrow and polars).
    fn to_polars(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        arrow_call(slf, "report_to_polars")
    }

    fn __len__(&self) -> usize {
        self.inner.lines().len()
    }

    fn __repr__(&self) -> String {
        format!(
            "Report(project={:?}, lines={}, total={})",
            self.inner.project().as_str(),
            self.inner.lines().len(),
            self.inner.amounts.total
        )
    }
}

fn arrow_call(slf: &Bound<'_, PyReport>, f: &str) -> PyResult<Py<PyAny>> {
    Ok(slf.py().import("tijdreg.arrow")?.call_method1(f, (slf,))?.unbind())
}

/// The report of plain records given as Python values (dicts and lists, `datetime`, `date`,
/// `Decimal`), converted natively.
#[pyfunction]
fn report_from_records_obj(py: Python<'_>, records: &Bound<'_, PyAny>, at: &Bound<'_, PyAny>) -> PyResult<PyReport> {
    let v = convert::to_value(records, "records")?;
    let at = convert::to_value(at, "at")?;
    guarded(py, move || {
        let r: subsidy::Records = tijdreg::decode::from_value(v, "records")?;
        let at: String = tijdreg::decode::from_value(at, "at")?;
        subsidy::report(&r, tijdreg::calendar::parse_instant(&at)?)
    })
    .map(|inner| PyReport { inner })
}

/// The report of plain records (the documented export format, JSON) at `at` (RFC 3339).
#[pyfunction]
fn report_from_records_json(py: Python<'_>, records: &str, at: &str) -> PyResult<PyReport> {
    guarded(py, || {
        subsidy::report_json(records, tijdreg::calendar::parse_instant(at)?)
    })
    .map(|inner| PyReport { inner })
}

/// A Belgian national number (ID-1); shown masked (ID-3).
#[pyclass(module = "tijdreg._tijdreg", name = "Insz", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
struct PyInsz {
    inner: Insz,
}

#[pymethods]
impl PyInsz {
    #[new]
    fn new(py: Python<'_>, number: &str) -> PyResult<Self> {
        guarded(py, || Insz::parse(number)).map(|inner| PyInsz { inner })
    }

    /// The full number: the only way to see it.
    fn reveal(&self) -> String {
        self.inner.reveal()
    }

    /// The masked form, `85.07.30-xxx.xx`.
    #[getter]
    fn masked(&self) -> String {
        self.inner.masked()
    }

    /// The birth date, when month and day are known.
    #[getter]
    fn birth_date(&self) -> Option<NaiveDate> {
        self.inner.birth_date()
    }

    /// The birth year.
    #[getter]
    fn birth_year(&self) -> i32 {
        self.inner.birth_year()
    }

    /// `"F"`, `"M"` or `None`.
    #[getter]
    fn sex(&self) -> Option<&'static str> {
        self.inner.sex().map(|s| match s {
            Sex::F => "F",
            Sex::M => "M",
        })
    }

    /// `"National"`, `"BisSexUnknown"` or `"BisSexKnown"`.
    #[getter]
    fn kind(&self) -> &'static str {
        match self.inner.kind() {
            InszKind::National => "National",
            InszKind::BisSexUnknown => "BisSexUnknown",
            InszKind::BisSexKnown => "BisSexKnown",
        }
    }

    fn __str__(&self) -> String {
        self.inner.masked()
    }

    fn __repr__(&self) -> String {
        format!("Insz({})", self.inner.masked())
    }
}

fn calendar(profile_name: &str, closures: Vec<NaiveDate>) -> Result<Calendar, Error> {
    Ok(Calendar {
        profile: profile_name.parse::<HolidayProfile>()?,
        closures: closures.into_iter().collect(),
    })
}

/// Gregorian Easter Sunday (DL-3).
#[pyfunction]
fn easter(py: Python<'_>, year: i32) -> PyResult<NaiveDate> {
    guarded(py, || {
        tijdreg::calendar::easter(year)
            .ok_or_else(|| Error::invalid("no Easter date for that year", "geen paasdatum voor dat jaar"))
    })
}

/// Whether a date is a working day (DL-3).
#[pyfunction]
#[pyo3(signature = (day, profile="FlemishGovernment", closures=None))]
fn is_working_day(py: Python<'_>, day: NaiveDate, profile: &str, closures: Option<Vec<NaiveDate>>) -> PyResult<bool> {
    guarded(py, || {
        calendar(profile, closures.unwrap_or_default()).map(|c| c.is_working_day(day))
    })
}

/// The first working day after a date (DL-3).
#[pyfunction]
#[pyo3(signature = (day, profile="FlemishGovernment", closures=None))]
fn next_working_day(
    py: Python<'_>,
    day: NaiveDate,
    profile: &str,
    closures: Option<Vec<NaiveDate>>,
) -> PyResult<NaiveDate> {
    guarded(py, || {
        calendar(profile, closures.unwrap_or_default()).and_then(|c| {
            c.next_working_day(day).ok_or_else(|| {
                Error::invalid(
                    "past the last representable date",
                    "voorbij de laatste voorstelbare datum",
                )
            })
        })
    })
}

/// The registration deadline of a training day: 10:00 Brussels on the next working day (DL-2).
#[pyfunction]
#[pyo3(signature = (day, profile="FlemishGovernment", closures=None))]
fn registration_deadline(
    py: Python<'_>,
    day: NaiveDate,
    profile: &str,
    closures: Option<Vec<NaiveDate>>,
) -> PyResult<DateTime<Utc>> {
    guarded(py, || {
        calendar(profile, closures.unwrap_or_default()).and_then(|c| {
            c.registration_deadline(day).ok_or_else(|| {
                Error::invalid(
                    "past the last representable date",
                    "voorbij de laatste voorstelbare datum",
                )
            })
        })
    })
}

/// Panics inside the engine boundary, to test that a panic reaches Python as
/// `tijdreg.InternalError` (kind `internal`), never as `PanicException`.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    guarded(py, || -> Result<(), Error> { std::panic::panic_any("a test panic") })
}

/// For the tests: what the native conversion makes of a field's text, by the field's name
/// (`instant`, `date`, `time`, `decimal` or `text`), to compare with `tijdreg/_convert.py`.
#[pyfunction]
fn _field_kind_for_tests(key: &str) -> &'static str {
    match convert::kind(key) {
        convert::Kind::Instant => "instant",
        convert::Kind::Date => "date",
        convert::Kind::Time => "time",
        convert::Kind::Decimal => "decimal",
        convert::Kind::Text => "text",
    }
}

/// For the tests: an envelope read directly from Python objects and the JSON way, as
/// `(direct, json)`, each the envelope's JSON or `None` where that path refuses it.
#[pyfunction]
fn _envelope_paths_for_tests(
    command: &Bound<'_, PyAny>,
    actor: &str,
    at: &Bound<'_, PyAny>,
    command_id: &str,
) -> (Option<String>, Option<String>) {
    let text = |e: &Envelope| serde_json::to_string(e).ok();
    let direct = pyde::envelope(command, actor, at, command_id).ok();
    let via_json = envelope_value(command, actor, at, command_id)
        .ok()
        .and_then(|v| Envelope::from_value(v).ok());
    (direct.as_ref().and_then(text), via_json.as_ref().and_then(text))
}

#[pymodule]
fn _tijdreg(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("VERSION", tijdreg::VERSION)?;
    let base = py.get_type::<exc::Error>();
    // Class-level defaults: `tijdreg.Error("x").code` is "" rather than an AttributeError.
    for attr in ["code", "rule", "message", "message_nl", "message_en", "kind"] {
        base.setattr(attr, "")?;
    }
    m.add("Error", base)?;
    m.add("InvalidInputError", py.get_type::<InvalidInputError>())?;
    m.add("AccessDeniedError", py.get_type::<AccessDeniedError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("RejectedError", py.get_type::<RejectedError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(_envelope_paths_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(_field_kind_for_tests, m)?)?;
    m.add_class::<PyKeyring>()?;
    m.add_class::<PyLedger>()?;
    m.add_class::<PyReport>()?;
    m.add_class::<PyInsz>()?;
    m.add_class::<pyser::EventsWhenRead>()?;
    m.add_function(wrap_pyfunction!(report_from_records_json, m)?)?;
    m.add_function(wrap_pyfunction!(report_from_records_obj, m)?)?;
    m.add_function(wrap_pyfunction!(columns::report_from_columns, m)?)?;
    m.add_function(wrap_pyfunction!(columns::report_line_columns, m)?)?;
    m.add_function(wrap_pyfunction!(columns::call_totals_from_columns, m)?)?;
    m.add_function(wrap_pyfunction!(parquet::read_parquet_tables, m)?)?;
    m.add_function(wrap_pyfunction!(parquet::call_totals_from_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(parquet::report_from_parquet, m)?)?;
    m.add_function(wrap_pyfunction!(columns::apply_scan_columns, m)?)?;
    m.add_function(wrap_pyfunction!(columns::report_excluded_columns, m)?)?;
    m.add_function(wrap_pyfunction!(easter, m)?)?;
    m.add_function(wrap_pyfunction!(is_working_day, m)?)?;
    m.add_function(wrap_pyfunction!(next_working_day, m)?)?;
    m.add_function(wrap_pyfunction!(registration_deadline, m)?)?;
    Ok(())
}
