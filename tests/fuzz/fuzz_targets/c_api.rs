//! The plain C API with arbitrary strings: the first byte picks the call, the rest (up to a
//! NUL) is its JSON argument (or event log). No crash, every returned string freed, error
//! texts without a national number (ID-3).
#![no_main]

#[path = "../common.rs"]
#[allow(dead_code)]
mod common;

use libfuzzer_sys::fuzz_target;
use std::ffi::{CStr, CString, c_char};
use tijdreg_ffi::c_api::*;

fn take(out: *mut c_char) -> String {
    if out.is_null() {
        return String::new();
    }
    // SAFETY: `out` was returned by the API and is freed once, right here.
    let s = unsafe { CStr::from_ptr(out) }.to_string_lossy().into_owned();
    unsafe { tijdreg_string_free(out) };
    s
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let arg: Vec<u8> = rest.iter().copied().take_while(|b| *b != 0).collect();
    let Ok(arg) = CString::new(arg) else { return };
    let at = c"2026-03-02T12:00:00+01:00";
    let l = tijdreg_ledger_new();
    let mut out: *mut c_char = std::ptr::null_mut();
    // SAFETY: a live handle, NUL-terminated strings, a writable out pointer.
    let rc = unsafe {
        match which % 9 {
            0 => tijdreg_ledger_apply(l, arg.as_ptr(), &mut out),
            1 => tijdreg_ledger_preview(l, arg.as_ptr(), &mut out),
            2 => tijdreg_ledger_query(l, arg.as_ptr(), &mut out),
            3 => tijdreg_ledger_report(l, arg.as_ptr(), at.as_ptr(), arg.as_ptr(), &mut out),
            4 => tijdreg_report_from_records(arg.as_ptr(), at.as_ptr(), &mut out),
            5 => {
                let loaded = tijdreg_ledger_load(arg.as_ptr(), &mut out);
                if !loaded.is_null() {
                    tijdreg_ledger_free(loaded);
                }
                0
            }
            8 => {
                let replayed = tijdreg_ledger_replay(arg.as_ptr(), &mut out);
                if !replayed.is_null() {
                    // A log that replays is written out again, and that replays to the same
                    // snapshot (AUD-2).
                    let mut log: *mut c_char = std::ptr::null_mut();
                    assert_eq!(tijdreg_ledger_events(replayed, &mut log), 0);
                    let log = CString::new(take(log)).expect("a log has no NUL");
                    let again = tijdreg_ledger_replay(log.as_ptr(), std::ptr::null_mut());
                    assert!(!again.is_null(), "a log the engine wrote replays");
                    let mut a: *mut c_char = std::ptr::null_mut();
                    let mut b: *mut c_char = std::ptr::null_mut();
                    tijdreg_ledger_snapshot(replayed, &mut a);
                    tijdreg_ledger_snapshot(again, &mut b);
                    assert_eq!(take(a), take(b));
                    tijdreg_ledger_free(again);
                    tijdreg_ledger_free(replayed);
                }
                0
            }
            6 => tijdreg_ledger_add_qr_key(l, arg.as_ptr(), rest.as_ptr(), rest.len(), &mut out),
            _ => tijdreg_ledger_issue_qr_token(l, c"k1".as_ptr(), arg.as_ptr(), arg.as_ptr(), &mut out),
        }
    };
    let text = take(out);
    if rc != 0 {
        common::assert_no_insz(&text);
    }
    // SAFETY: the handle is live and freed once.
    unsafe { tijdreg_ledger_free(l) };
});
