//! Python's cyclic garbage collector, paused while a bulk call builds many objects.
//!
//! CPython runs a collection each time 700 more container objects exist than died, and a
//! fuller one as they pile up; a call that returns tens of thousands of results (outcomes with
//! their events, report rows) made most of its time in those collections walking the results
//! it had just made (40 % of `Ledger.apply_many`), though they hold no cycle. While a
//! [`Paused`] lives, the collector is off; it is switched back on when it is dropped, if it was
//! on before — a pause inside a pause, or a host that turned the collector off itself, is left
//! as it was. A pause covers only native code making results with the GIL held: no user
//! code runs in it (an iterable's `__next__`, a callback), and no other Python thread.

use pyo3::prelude::*;
use pyo3::types::PyModule;

/// The collector paused until this is dropped (see the module).
pub(crate) struct Paused<'py>(Option<Bound<'py, PyModule>>);

impl<'py> Paused<'py> {
    pub fn new(py: Python<'py>) -> Self {
        let Ok(gc) = py.import("gc") else { return Paused(None) };
        let on = gc
            .call_method0("isenabled")
            .and_then(|b| b.is_truthy())
            .unwrap_or(false);
        if on && gc.call_method0("disable").is_ok() {
            Paused(Some(gc))
        } else {
            Paused(None)
        }
    }
}

impl Drop for Paused<'_> {
    fn drop(&mut self) {
        if let Some(gc) = self.0.take() {
            let _ = gc.call_method0("enable");
        }
    }
}
