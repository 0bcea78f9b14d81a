//! The plain C API: an opaque ledger handle, JSON in and out, integer status codes.
//!
//! **Ownership of `out`.** Every function that takes `char **out` writes `*out` in every
//! case — success or failure — when `out` is not null: a newly allocated, NUL-terminated UTF-8
//! string that the caller owns and frees exactly once with [`tijdreg_string_free`]. On
//! `TIJDREG_OK` it is the JSON answer (`{}` when there is nothing to say: after
//! `tijdreg_ledger_load`, `tijdreg_ledger_add_qr_key`, `tijdreg_ledger_remove_qr_key`); on
//! any other status it is the error as JSON: `{"code", "rule", "kind", "message",
//! "message_nl", "message_en"}` (`message` and `message_nl` are both Dutch). The previous
//! value of `*out` is overwritten, never freed: free it before reusing the variable. When
//! `out` is null nothing is written and nothing needs freeing. `tijdreg_version` returns a
//! static string: do not free it.
//!
//! **Threads.** A handle may be used from several threads at once: each call locks the
//! handle's ledger for its duration, so calls on one handle are serialised and calls on
//! different handles run in parallel. Freeing a handle while another thread uses it is
//! undefined, as with any C object.
//!
//! No function panics across the boundary: an internal panic becomes `TIJDREG_INTERNAL`.
// The C boundary needs raw pointers; every dereference below is checked for null first.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use tijdreg::ledger::query;
use tijdreg::ledger::{Actor, Envelope, Ledger};
use tijdreg::{Error, ErrorKind};

/// Success.
pub const TIJDREG_OK: i32 = 0;
/// Malformed or out-of-range input (also: a null argument).
pub const TIJDREG_INVALID_INPUT: i32 = 1;
/// The actor lacks a right.
pub const TIJDREG_ACCESS_DENIED: i32 = 2;
/// A reference to something that does not exist.
pub const TIJDREG_NOT_FOUND: i32 = 3;
/// An id, code or presence that exists already.
pub const TIJDREG_CONFLICT: i32 = 4;
/// A rule refuses the command.
pub const TIJDREG_REJECTED: i32 = 5;
/// A bug in tijdreg (a caught panic); please report it.
pub const TIJDREG_INTERNAL: i32 = 99;

/// An opaque ledger.
pub struct TijdregLedger {
    inner: std::sync::Mutex<Ledger>,
}

fn status(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::InvalidInput => TIJDREG_INVALID_INPUT,
        ErrorKind::AccessDenied => TIJDREG_ACCESS_DENIED,
        ErrorKind::NotFound => TIJDREG_NOT_FOUND,
        ErrorKind::Conflict => TIJDREG_CONFLICT,
        ErrorKind::Rejected => TIJDREG_REJECTED,
    }
}

fn invalid(en: &str, nl: &str) -> Error {
    Error::invalid(en, nl)
}

fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, Error> {
    if p.is_null() {
        return Err(invalid(&format!("{what} is null"), &format!("{what} is null (leeg)")));
    }
    // SAFETY: checked non-null; the caller passes a NUL-terminated string that outlives the call.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| invalid(&format!("{what} is not UTF-8"), &format!("{what} is geen UTF-8")))
}

fn write_out(out: *mut *mut c_char, s: String) {
    if out.is_null() {
        return;
    }
    let c = CString::new(s.replace('\0', "")).unwrap_or_default();
    // SAFETY: `out` is non-null and points to writable storage for one pointer (the contract).
    unsafe { *out = c.into_raw() };
}

/// Runs `f`, writes its answer or error to `out`, returns the status; never unwinds.
fn run(out: *mut *mut c_char, f: impl FnOnce() -> Result<String, Error>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(s)) => {
            write_out(out, s);
            TIJDREG_OK
        }
        Ok(Err(e)) => {
            write_out(out, serde_json::to_string(&e.info()).unwrap_or_default());
            status(e.kind())
        }
        Err(_) => {
            write_out(out, r#"{"code":"internal","rule":"","kind":"internal","message":"interne fout","message_en":"internal error"}"#.into());
            TIJDREG_INTERNAL
        }
    }
}

/// The ledger behind a handle, locked for this call: calls on one handle from several threads
/// are serialised. (A lock poisoned by a panic is taken over: the ledger changes only after
/// every check passed, so its state is whole.)
fn ledger<'a>(l: *mut TijdregLedger) -> Result<std::sync::MutexGuard<'a, Ledger>, Error> {
    if l.is_null() {
        return Err(invalid("ledger is null", "ledger is null (leeg)"));
    }
    // SAFETY: non-null handles come from `tijdreg_ledger_new`/`_load` and are not freed yet;
    // only shared references are made, the mutex gives exclusive access.
    let m = unsafe { &(*l).inner };
    Ok(m.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|_| {
        invalid(
            "the answer could not be written as JSON",
            "het antwoord kon niet als JSON geschreven worden",
        )
    })
}

/// The engine version, a static string (do not free).
#[unsafe(no_mangle)]
pub extern "C" fn tijdreg_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A new, empty ledger. Free it with [`tijdreg_ledger_free`].
#[unsafe(no_mangle)]
pub extern "C" fn tijdreg_ledger_new() -> *mut TijdregLedger {
    Box::into_raw(Box::new(TijdregLedger {
        inner: std::sync::Mutex::new(Ledger::new()),
    }))
}

/// Frees a ledger (null is ignored).
///
/// # Safety
/// `ledger` is null or a handle from this API, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_free(ledger: *mut TijdregLedger) {
    if !ledger.is_null() {
        // SAFETY: per the contract, the handle came from Box::into_raw and is freed once.
        drop(unsafe { Box::from_raw(ledger) });
    }
}

/// Loads a ledger from a snapshot: a new handle, or null on failure. `*out` receives `{}` on
/// success and the error on failure (free it in both cases).
///
/// # Safety
/// `snapshot` is a NUL-terminated string; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_load(snapshot: *const c_char, out: *mut *mut c_char) -> *mut TijdregLedger {
    handle(out, || {
        Ledger::from_snapshot_json(text(snapshot, "snapshot")?, Default::default())
    })
}

/// Rebuilds a ledger from an event log as [`tijdreg_ledger_events`] writes it (AUD-2): a new
/// handle, or null on failure (a damaged log is refused, `damaged_log`, naming its first bad
/// line). `*out` receives `{}` on success and the error on failure (free it in both cases).
/// Like a loaded one, the ledger has no QR keys until they are added.
///
/// # Safety
/// `log` is a NUL-terminated string; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_replay(log: *const c_char, out: *mut *mut c_char) -> *mut TijdregLedger {
    handle(out, || {
        Ledger::replay_jsonl(text(log, "log")?.as_bytes(), Default::default())
    })
}

/// A new handle for the ledger `make` gives, or null with its error in `*out`.
fn handle(out: *mut *mut c_char, make: impl FnOnce() -> Result<Ledger, Error>) -> *mut TijdregLedger {
    let mut made = None;
    let rc = run(out, || {
        made = Some(make()?);
        Ok("{}".into())
    });
    match (rc, made) {
        (TIJDREG_OK, Some(inner)) => Box::into_raw(Box::new(TijdregLedger {
            inner: std::sync::Mutex::new(inner),
        })),
        _ => std::ptr::null_mut(),
    }
}

/// Adds a QR signing key (at least 16 bytes) to the ledger.
///
/// # Safety
/// `ledger` is a live handle; `key_id` a NUL-terminated string; `secret` points to `len`
/// readable bytes; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_add_qr_key(
    ledger: *mut TijdregLedger,
    key_id: *const c_char,
    secret: *const u8,
    len: usize,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        let mut l = self::ledger(ledger)?;
        if secret.is_null() {
            return Err(invalid("secret is null", "secret is null (leeg)"));
        }
        // SAFETY: checked non-null; the caller guarantees `len` readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(secret, len) }.to_vec();
        let mut keys = l.keys().clone();
        keys.add(text(key_id, "key_id")?, bytes)?;
        l.set_keys(keys);
        Ok("{}".into())
    })
}

/// Removes a QR signing key (the end of a rotation, QR-2): tokens signed with it stop
/// verifying. Removing a key the ledger does not hold is not an error.
///
/// # Safety
/// `ledger` is a live handle; `key_id` a NUL-terminated string; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_remove_qr_key(
    ledger: *mut TijdregLedger,
    key_id: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        let mut l = self::ledger(ledger)?;
        let mut keys = l.keys().clone();
        keys.remove(text(key_id, "key_id")?);
        l.set_keys(keys);
        Ok("{}".into())
    })
}

/// Applies a command envelope (JSON); the outcome (JSON) or the error goes to `*out`.
///
/// # Safety
/// `ledger` is a live handle; `envelope` a NUL-terminated string; `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_apply(
    ledger: *mut TijdregLedger,
    envelope: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        let mut l = self::ledger(ledger)?;
        let env = Envelope::from_json(text(envelope, "envelope")?)?;
        json(&l.apply(&env)?)
    })
}

/// Previews a command envelope (JSON): the events it would produce, nothing changes.
///
/// # Safety
/// As [`tijdreg_ledger_apply`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_preview(
    ledger: *mut TijdregLedger,
    envelope: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        let l = self::ledger(ledger)?;
        let env = Envelope::from_json(text(envelope, "envelope")?)?;
        json(&l.preview(&env)?)
    })
}

/// Runs a query envelope (JSON: `actor`, `at`, `query`); the answer goes to `*out`.
///
/// # Safety
/// As [`tijdreg_ledger_apply`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_query(
    ledger: *mut TijdregLedger,
    query_json: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        let l = self::ledger(ledger)?;
        let v: serde_json::Value =
            tijdreg::decode::from_str_max(text(query_json, "query")?, "", tijdreg::decode::MAX_COMMAND_BYTES)?;
        json(&query::run_on_ledger(&l, &v)?)
    })
}

/// The subsidy report (JSON) of `project` as `actor` sees it at `at` (RFC 3339).
///
/// # Safety
/// `ledger` is a live handle; the strings are NUL-terminated; `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_report(
    ledger: *mut TijdregLedger,
    actor: *const c_char,
    at: *const c_char,
    project: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        let l = self::ledger(ledger)?;
        let at = tijdreg::calendar::parse_instant(text(at, "at")?)?;
        let r = tijdreg::ledger::report::report(
            l.state(),
            &Actor::from(text(actor, "actor")?),
            at,
            &text(project, "project")?.into(),
        )?;
        json(&r)
    })
}

/// The ledger's snapshot (JSON) in `*out`.
///
/// # Safety
/// `ledger` is a live handle; `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_snapshot(ledger: *mut TijdregLedger, out: *mut *mut c_char) -> i32 {
    run(out, || Ok(self::ledger(ledger)?.snapshot_json()))
}

/// The ledger's event log in `*out`: one hash-chained JSON line per event (AUD-1, AUD-2),
/// what [`tijdreg_ledger_replay`] reads back.
///
/// # Safety
/// `ledger` is a live handle; `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_events(ledger: *mut TijdregLedger, out: *mut *mut c_char) -> i32 {
    run(out, || Ok(self::ledger(ledger)?.events_jsonl()))
}

/// The report (JSON) of plain records (JSON, `docs/records.md`) at `at` (RFC 3339).
///
/// # Safety
/// The strings are NUL-terminated; `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_report_from_records(
    records: *const c_char,
    at: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        json(&tijdreg::subsidy::report_json(
            text(records, "records")?,
            tijdreg::calendar::parse_instant(text(at, "at")?)?,
        )?)
    })
}

/// Issues a QR token (in `*out`, as a JSON string) with one of the ledger's keys.
///
/// # Safety
/// `ledger` is a live handle; the strings are NUL-terminated; `out` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_ledger_issue_qr_token(
    ledger: *mut TijdregLedger,
    key_id: *const c_char,
    project: *const c_char,
    person: *const c_char,
    out: *mut *mut c_char,
) -> i32 {
    run(out, || {
        let l = self::ledger(ledger)?;
        let t = l.keys().issue(
            text(key_id, "key_id")?,
            &text(project, "project")?.into(),
            &text(person, "person")?.into(),
        )?;
        json(&t)
    })
}

/// Frees a string returned by this API (null is ignored).
///
/// # Safety
/// `s` is null or a string from this API, not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tijdreg_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: per the contract, `s` came from CString::into_raw and is freed once.
        drop(unsafe { CString::from_raw(s) });
    }
}

#[cfg(test)]
mod tests {
    //! The C boundary from Rust, as a C host uses it: these tests also run under Miri
    //! (`make miri`, docs/quality.md), which checks every raw-pointer read and write, every
    //! allocation handed out and freed, and that nothing leaks.
    use super::*;
    use std::ptr::{null, null_mut};

    /// Takes and frees an out string.
    fn take(out: &mut *mut c_char) -> String {
        assert!(!out.is_null(), "every status call writes *out");
        // SAFETY: `*out` came from this API and is freed exactly once, here.
        let s = unsafe { CStr::from_ptr(*out) }.to_str().expect("UTF-8").to_owned();
        unsafe { tijdreg_string_free(*out) };
        *out = null_mut();
        s
    }

    const ORG: &CStr = c"{\"command_id\":\"c1\",\"actor\":\"system\",\"at\":\"2026-01-05T08:00:00+01:00\",\"command\":{\"type\":\"create_organisation\",\"organisation\":\"o\",\"name\":\"Org\"}}";

    #[test]
    fn handles_strings_and_errors_cross_the_boundary_without_leaks() {
        let l = tijdreg_ledger_new();
        let mut out = null_mut();
        // SAFETY: a live handle, NUL-terminated strings, a writable out pointer.
        unsafe {
            assert_eq!(tijdreg_ledger_apply(l, ORG.as_ptr(), &mut out), TIJDREG_OK);
            assert!(take(&mut out).contains("organisation_created"));
            // A retry answers from the log (ATT-3), a malformed envelope is refused.
            assert_eq!(tijdreg_ledger_apply(l, ORG.as_ptr(), &mut out), TIJDREG_OK);
            take(&mut out);
            assert_eq!(tijdreg_ledger_apply(l, c"{".as_ptr(), &mut out), TIJDREG_INVALID_INPUT);
            assert!(take(&mut out).contains("invalid_input"));
            // Null arguments are refused, never dereferenced; a null `out` is allowed.
            assert_eq!(tijdreg_ledger_apply(l, null(), &mut out), TIJDREG_INVALID_INPUT);
            take(&mut out);
            assert_eq!(
                tijdreg_ledger_apply(null_mut(), ORG.as_ptr(), &mut out),
                TIJDREG_INVALID_INPUT
            );
            take(&mut out);
            assert_eq!(
                tijdreg_ledger_apply(l, c"{".as_ptr(), null_mut()),
                TIJDREG_INVALID_INPUT
            );
            // Invalid UTF-8.
            let bad = [0xffu8, 0xfe, 0];
            assert_eq!(
                tijdreg_ledger_apply(l, bad.as_ptr().cast(), &mut out),
                TIJDREG_INVALID_INPUT
            );
            take(&mut out);
            // Snapshot out and back in.
            assert_eq!(tijdreg_ledger_snapshot(l, &mut out), TIJDREG_OK);
            let snap = CString::new(take(&mut out)).expect("no NUL");
            let copy = tijdreg_ledger_load(snap.as_ptr(), &mut out);
            assert!(!copy.is_null());
            if !out.is_null() {
                take(&mut out);
            }
            tijdreg_ledger_free(copy);
            let none = tijdreg_ledger_load(c"not json".as_ptr(), &mut out);
            assert!(none.is_null());
            assert!(take(&mut out).contains("invalid_input"));
            // The event log out and back in (AUD-2): the same snapshot; a changed line refused.
            assert_eq!(tijdreg_ledger_events(l, &mut out), TIJDREG_OK);
            let log = take(&mut out);
            let log_c = CString::new(log.clone()).expect("no NUL");
            let again = tijdreg_ledger_replay(log_c.as_ptr(), &mut out);
            assert!(!again.is_null());
            take(&mut out);
            assert_eq!(tijdreg_ledger_snapshot(again, &mut out), TIJDREG_OK);
            assert_eq!(CString::new(take(&mut out)).expect("no NUL"), snap);
            tijdreg_ledger_free(again);
            let altered = CString::new(log.replacen("\"seq\":1,", "\"seq\":2,", 1)).expect("no NUL");
            let none = tijdreg_ledger_replay(altered.as_ptr(), &mut out);
            assert!(none.is_null());
            assert!(take(&mut out).contains("damaged_log"));
            tijdreg_ledger_free(null_mut());
            tijdreg_string_free(null_mut());
            tijdreg_ledger_free(l);
        }
    }

    #[test]
    fn keys_and_tokens_through_pointers_and_lengths() {
        let l = tijdreg_ledger_new();
        let mut out = null_mut();
        let secret = b"a secret of at least sixteen bytes";
        // SAFETY: `secret` is readable for `len` bytes; the other arguments as above.
        unsafe {
            assert_eq!(
                tijdreg_ledger_add_qr_key(l, c"k1".as_ptr(), secret.as_ptr(), secret.len(), &mut out),
                TIJDREG_OK
            );
            take(&mut out);
            // A short key and a null secret are refused.
            assert_eq!(
                tijdreg_ledger_add_qr_key(l, c"k2".as_ptr(), secret.as_ptr(), 3, &mut out),
                TIJDREG_INVALID_INPUT
            );
            take(&mut out);
            assert_eq!(
                tijdreg_ledger_add_qr_key(l, c"k2".as_ptr(), null(), 20, &mut out),
                TIJDREG_INVALID_INPUT
            );
            take(&mut out);
            assert_eq!(
                tijdreg_ledger_issue_qr_token(l, c"k1".as_ptr(), c"P-1".as_ptr(), c"p-ann".as_ptr(), &mut out),
                TIJDREG_OK
            );
            assert!(take(&mut out).starts_with('"'));
            assert_eq!(tijdreg_ledger_remove_qr_key(l, c"k1".as_ptr(), &mut out), TIJDREG_OK);
            take(&mut out);
            tijdreg_ledger_free(l);
        }
    }

    #[test]
    fn records_to_report_and_the_version() {
        let mut out = null_mut();
        let records = c"{\"project\":\"P-1\"}";
        // SAFETY: NUL-terminated strings and a writable out pointer.
        unsafe {
            assert_eq!(
                tijdreg_report_from_records(records.as_ptr(), c"2026-03-02T12:00:00Z".as_ptr(), &mut out),
                TIJDREG_OK
            );
            assert!(take(&mut out).contains("\"project\":\"P-1\""));
            assert_eq!(
                tijdreg_report_from_records(records.as_ptr(), c"yesterday".as_ptr(), &mut out),
                TIJDREG_INVALID_INPUT
            );
            take(&mut out);
            let v = CStr::from_ptr(tijdreg_version()).to_str().expect("UTF-8");
            assert_eq!(v, tijdreg::VERSION);
        }
    }

    #[test]
    fn the_committed_header_matches_the_code() {
        let generated = include_str!(concat!(env!("OUT_DIR"), "/tijdreg.h"));
        let committed = include_str!("../include/tijdreg.h");
        assert_eq!(
            generated, committed,
            "ffi/include/tijdreg.h is stale: copy it from OUT_DIR (make header)"
        );
    }
}
