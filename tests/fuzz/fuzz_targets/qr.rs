//! QR tokens (QR-2). No panic on any token; a token issued for arbitrary ids verifies to
//! them, and the same token with one character changed does not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tijdreg::ids::{PersonId, ProjectId};
use tijdreg::qr::Keyring;

static KEYS: OnceLock<Keyring> = OnceLock::new();

fn keys() -> Keyring {
    let mut k = Keyring::default();
    k.add("k1", b"fuzz secret one, thirty-two bytes".to_vec()).expect("key");
    k.add("k2", b"fuzz secret two, thirty-two bytes".to_vec()).expect("key");
    k
}

fuzz_target!(|data: &[u8]| {
    let k = KEYS.get_or_init(keys);
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = k.verify(text);
    let mid = (0..=text.len() / 2).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
    let (a, b) = text.split_at(mid);
    let (project, person) = (ProjectId::new(a), PersonId::new(b));
    if let Ok(token) = k.issue("k1", &project, &person) {
        assert_eq!(k.verify(&token).ok(), Some((project.clone(), person.clone())));
        let mut bytes = token.into_bytes();
        let i = usize::from(data.first().copied().unwrap_or(0)) % bytes.len();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        if let Ok(changed) = String::from_utf8(bytes) {
            assert!(k.verify(&changed).is_err(), "a changed token verified");
        }
    }
});
