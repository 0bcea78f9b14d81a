//! The fingerprint of a command (ATT-3): FNV-1a over a self-delimiting encoding of (actor,
//! instant, command), written by a serde serializer straight into the hash — no JSON text,
//! no allocation. Stable across platforms (lengths as little-endian `u64`). Logs written by
//! engine 0.1 carry FNV-1a over the command's JSON instead; [`legacy`] computes that one.

use super::Envelope;
use serde::Serialize;
use serde::ser;
use std::fmt;

/// FNV-1a, 64 bits.
pub(crate) struct Fnv(pub u64);

/// FNV-1a of some bytes.
pub(crate) fn fnv(b: &[u8]) -> u64 {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.bytes(b);
    h.0
}

impl Fnv {
    fn bytes(&mut self, b: &[u8]) {
        for x in b {
            self.0 ^= u64::from(*x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn tag(&mut self, t: u8) {
        self.bytes(&[t]);
    }
    fn len(&mut self, n: usize) {
        self.bytes(&(n as u64).to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.bytes(s.as_bytes());
    }
    /// A struct's field, before its value.
    fn field(&mut self, name: &str) {
        self.tag(22);
        self.str(name);
    }
    /// A struct's field left out (`skip_serializing_if`).
    fn skipped(&mut self, name: &str) {
        self.tag(23);
        self.str(name);
    }
}

/// The fingerprint of a command: 16 hex digits.
pub(crate) fn of(env: &Envelope) -> String {
    let h = scan(env).unwrap_or_else(|| {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        let _ = (&env.actor, crate::calendar::instant_serde::Fast(&env.at), &env.command).serialize(&mut h);
        h.0
    });
    hex16(h)
}

/// The fingerprint of a check-in or check-out at an instant in whole seconds — nearly every
/// command of a year — hashed without serde: the same bytes in the same order as the
/// serializer above feeds FNV-1a (a property test holds them side by side); `None` for any
/// other command.
fn scan(env: &Envelope) -> Option<u64> {
    use crate::ledger::Command;
    let (kind, session, person, token, time) = match &env.command {
        Command::CheckIn {
            session,
            person,
            token,
            time,
        } => ("check_in", session, person, token, time),
        Command::CheckOut {
            session,
            person,
            token,
            time,
        } => ("check_out", session, person, token, time),
        _ => return None,
    };
    let at = crate::calendar::instant_serde::whole_text(&env.at)?;
    let time = match time {
        Some(t) => Some(crate::calendar::instant_serde::whole_text(t)?),
        None => None,
    };
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    // (actor, at, command): a tuple of two texts written by `collect_str` and a struct.
    h.tag(14);
    h.tag(19);
    h.tag(24);
    h.bytes(match &env.actor {
        crate::ledger::Actor::System => b"system",
        crate::ledger::Actor::Person(p) => p.as_str().as_bytes(),
    });
    h.tag(20);
    h.tag(19);
    h.tag(24);
    h.bytes(&at);
    h.tag(20);
    h.tag(19);
    h.tag(17);
    h.field("type");
    h.tag(6);
    h.str(kind);
    h.field("session");
    h.tag(6);
    h.str(session.as_str());
    for (name, text) in [
        ("person", person.as_ref().map(|p| p.as_str())),
        ("token", token.as_deref()),
    ] {
        match text {
            Some(t) => {
                h.field(name);
                h.tag(9);
                h.tag(6);
                h.str(t);
            }
            None => h.skipped(name),
        }
    }
    match time {
        Some(t) => {
            h.field("time");
            h.tag(9);
            h.tag(24);
            h.bytes(&t);
            h.tag(20);
        }
        None => h.skipped("time"),
    }
    h.tag(20);
    h.tag(20);
    Some(h.0)
}

/// `format!("{:016x}", v)` without the formatting machinery (once per command).
fn hex16(v: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (d, b) in out.chunks_exact_mut(2).zip(v.to_be_bytes()) {
        if let [hi, lo] = d {
            *hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            *lo = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fingerprint engine 0.1 wrote: FNV-1a over the JSON of (actor, instant, command).
pub(crate) fn legacy(env: &Envelope) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.bytes(&serde_json::to_vec(&(&env.actor, &env.at, &env.command)).unwrap_or_default());
    format!("{:016x}", h.0)
}

#[derive(Debug)]
pub(crate) struct Never;

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fingerprint")
    }
}
impl std::error::Error for Never {}
impl ser::Error for Never {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Never
    }
}

impl ser::Serializer for &mut Fnv {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), Never> {
        self.tag(1);
        self.tag(u8::from(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Never> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Never> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Never> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Never> {
        self.tag(2);
        self.bytes(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Never> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Never> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Never> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Never> {
        self.tag(3);
        self.bytes(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Never> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Never> {
        self.tag(4);
        self.bytes(&v.to_le_bytes());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Never> {
        self.tag(5);
        self.bytes(&u32::from(v).to_le_bytes());
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Never> {
        self.tag(6);
        self.str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Never> {
        self.tag(7);
        self.len(v.len());
        self.bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), Never> {
        self.tag(8);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), Never> {
        self.tag(9);
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        self.tag(10);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Never> {
        self.tag(11);
        self.str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, v: &T) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        self.tag(12);
        self.str(variant);
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Never> {
        self.tag(13);
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Never> {
        self.tag(14);
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        self.tag(14);
        Ok(self)
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Self, Never> {
        self.tag(15);
        self.str(variant);
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Never> {
        self.tag(16);
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        self.tag(17);
        Ok(self)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, _: usize) -> Result<Self, Never> {
        self.tag(18);
        self.str(variant);
        Ok(self)
    }
    fn collect_str<T: ?Sized + fmt::Display>(self, v: &T) -> Result<(), Never> {
        // Streamed: the text's bytes, then an end mark (no length known up front).
        struct W<'a>(&'a mut Fnv);
        impl fmt::Write for W<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.bytes(s.as_bytes());
                Ok(())
            }
        }
        self.tag(24);
        let _ = fmt::write(&mut W(self), format_args!("{v}"));
        self.tag(20);
        Ok(())
    }
}

macro_rules! compound {
    ($($t:ident :: $m:ident),*) => {$(
        impl ser::$t for &mut Fnv {
            type Ok = ();
            type Error = Never;
            fn $m<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
                self.tag(19);
                v.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Never> {
                self.tag(20);
                Ok(())
            }
        }
    )*};
}
compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for &mut Fnv {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, k: &T) -> Result<(), Never> {
        self.tag(21);
        k.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, v: &T) -> Result<(), Never> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Never> {
        self.tag(20);
        Ok(())
    }
}

macro_rules! fields {
    ($($t:ident),*) => {$(
        impl ser::$t for &mut Fnv {
            type Ok = ();
            type Error = Never;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, k: &'static str, v: &T) -> Result<(), Never> {
                self.tag(22);
                self.str(k);
                v.serialize(&mut **self)
            }
            fn skip_field(&mut self, k: &'static str) -> Result<(), Never> {
                self.tag(23);
                self.str(k);
                Ok(())
            }
            fn end(self) -> Result<(), Never> {
                self.tag(20);
                Ok(())
            }
        }
    )*};
}
fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;

    fn env(json: &str) -> Envelope {
        Envelope::from_json(json).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn att_3_fingerprint_digits_as_format_writes_them() {
        for v in [0u64, 1, 0xabc, u64::MAX, 0x0123_4567_89ab_cdef, 1 << 63] {
            assert_eq!(hex16(v), format!("{v:016x}"));
        }
    }

    #[test]
    fn att_3_fingerprints_tell_commands_apart() {
        let a = env(
            r#"{"command_id": "c", "actor": "p-tom", "at": "2026-03-02T08:00:00Z", "command": {"type": "check_in", "session": "S-1", "person": "p-ann"}}"#,
        );
        let b = env(
            r#"{"command_id": "c", "actor": "p-tom", "at": "2026-03-02T08:00:00Z", "command": {"type": "check_in", "session": "S-1", "person": "p-bart"}}"#,
        );
        let c = env(
            r#"{"command_id": "x", "actor": "p-tom", "at": "2026-03-02T09:00:00+01:00", "command": {"type": "check_in", "person": "p-ann", "session": "S-1"}}"#,
        );
        assert_ne!(of(&a), of(&b));
        assert_eq!(of(&a), of(&c), "the same command, however written, with another id");
        assert_eq!(of(&a).len(), 16);
        assert_ne!(of(&a), legacy(&a));
        // Commands that differ only in an enum value (a unit variant) differ.
        let grant = |role: &str| {
            env(&format!(
                r#"{{"command_id": "g", "actor": "system", "at": "2026-03-02T08:00:00Z", "command": {{"type": "grant_role", "grant": "g-1", "person": "p-tom", "role": "{role}", "organisation": "o", "valid_from": "2026-01-01"}}}}"#
            ))
        };
        assert_ne!(of(&grant("Trainer")), of(&grant("Supervisor")));
    }
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// ATT-3: a check-in's or check-out's fingerprint hashed without serde is the one the
        /// serializer gives (those are in the logs), by hand or by scan, with or without a
        /// time, for any actor, ids and token; at an instant with a fraction of a second, serde.
        #[test]
        fn att_3_a_scans_fingerprint_without_serde_is_the_serializers(
            actor in "system|p-[a-z]{1,6}|[ -~é]{0,5}",
            session in "[A-Za-z0-9_-]{0,12}|[ -~é\u{0}]{0,4}",
            person in proptest::option::of("p-[0-9]{1,5}|[ -~é]{0,4}"),
            token in proptest::option::of("TR1\\.[A-Za-z0-9_-]{0,60}\\.[A-Za-z0-9_-]{43}|[ -~]{0,5}"),
            secs in proptest::prop_oneof![proptest::strategy::Just(0i64), 946_684_800i64..4_102_444_800, -62_167_219_200i64..0, 253_402_300_700i64..253_402_400_000],
            nanos in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..1_000_000_000],
            time in proptest::option::of((946_684_800i64..4_102_444_800, proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..1_000_000_000])),
            out: bool,
        ) {
            use crate::ids::{PersonId, SessionId};
            use crate::ledger::{Actor, Command};
            let t = |s: i64, n: u32| chrono::DateTime::from_timestamp(s, n).unwrap_or_default();
            let (session, person, time) = (SessionId::new(session), person.map(PersonId::new), time.map(|(s, n)| t(s, n)));
            let command = if out {
                Command::CheckOut { session, person, token, time }
            } else {
                Command::CheckIn { session, person, token, time }
            };
            let env = Envelope { command_id: crate::ids::CommandId::new("c"), actor: Actor::from(actor.as_str()), at: t(secs, nanos), command };
            let mut h = Fnv(0xcbf2_9ce4_8422_2325);
            let _ = (&env.actor, crate::calendar::instant_serde::Fast(&env.at), &env.command).serialize(&mut h);
            let whole = |t: &chrono::DateTime<chrono::Utc>| crate::calendar::instant_serde::whole_text(t).is_some();
            match scan(&env) {
                Some(fast) => proptest::prop_assert_eq!(fast, h.0),
                None => proptest::prop_assert!(!whole(&env.at) || time.is_some_and(|t| !whole(&t)), "a scan left to serde"),
            }
            proptest::prop_assert_eq!(of(&env), hex16(h.0));
        }
    }

    #[test]
    fn att_3_fingerprints_of_instants_as_chrono_serialises_them() {
        // The fast instant writer must give the fingerprints engine versions before it gave
        // (they are in the logs: a retry is compared with them).
        for t in [
            "2026-03-02T08:00:00Z",
            "1999-12-31T23:59:59Z",
            "2026-03-02T08:00:00.5Z",
            "2026-03-02T08:00:00.000123Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
        ] {
            let t: chrono::DateTime<chrono::Utc> = t.parse().unwrap_or_else(|e| panic!("{e}"));
            let mut fast = Fnv(7);
            let _ = crate::calendar::instant_serde::Fast(&t).serialize(&mut fast);
            let mut chrono = Fnv(7);
            let _ = t.serialize(&mut chrono);
            assert_eq!(fast.0, chrono.0, "{t}");
        }
    }
}
