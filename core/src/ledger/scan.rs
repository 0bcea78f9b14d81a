//! AUD-3: reading the commonest commands — a check-in and a check-out, nearly every command a
//! scanner app sends — from JSON without serde (ADR 17).
//!
//! [`envelope`] reads an object of `command_id`, `actor`, `at` and `command` in any order, with
//! any JSON white space, whose command is a `check_in` or `check_out` of `session` and any of
//! `person`, `token`, `time`; every value a string without escapes. Ids are checked by
//! `check_id` and instants parsed by the function decoding uses, so what it reads serde reads
//! to the same value (a property test holds them side by side on edited texts). Anything else
//! — another command, a duplicate or unknown field, a `null`, an escape, a bad id or instant —
//! it leaves to serde, which decodes it or names the problem as before.

use super::command::Command;
use super::line::Cursor;
use super::{Actor, Envelope};
use crate::ids::{CommandId, PersonId, SessionId};

/// A check-in or check-out envelope read without serde; `None` for anything else (serde reads
/// it then). A text up to `max_bytes` long. Its texts are checked and made into the envelope
/// by [`ScanParts::envelope`], as a binding's typed command is.
pub(crate) fn envelope(json: &str, max_bytes: usize) -> Option<Envelope> {
    if json.len() > max_bytes {
        return None;
    }
    let mut c = Cursor { rest: json };
    let (mut id, mut actor, mut at, mut command) = (None, None, None, None);
    object(&mut c, |key, c| {
        match key {
            "command_id" if id.is_none() => id = Some(c.text()?),
            "actor" if actor.is_none() => actor = Some(c.text()?),
            "at" if at.is_none() => at = Some(c.text()?),
            "command" if command.is_none() => command = Some(scan_command(c)?),
            _ => return None,
        }
        Some(())
    })?;
    c.ws();
    if !c.rest.is_empty() {
        return None;
    }
    let Scanned {
        check_out,
        session,
        person,
        token,
        time,
    } = command?;
    ScanParts {
        check_out,
        command_id: id?,
        actor: actor?,
        at: at?,
        session,
        person,
        token,
        time,
    }
    .envelope()
}

/// An object `{"key": value, …}`: each key handed to `field`, which reads its value.
fn object<'a>(c: &mut Cursor<'a>, mut field: impl FnMut(&'a str, &mut Cursor<'a>) -> Option<()>) -> Option<()> {
    c.ws();
    c.lit("{")?;
    loop {
        c.ws();
        let key = c.text()?;
        c.ws();
        c.lit(":")?;
        c.ws();
        field(key, c)?;
        c.ws();
        if c.lit(",").is_none() {
            return c.lit("}");
        }
    }
}

/// The command's texts as the JSON holds them (checked by [`ScanParts::envelope`]).
struct Scanned<'a> {
    check_out: bool,
    session: &'a str,
    person: Option<&'a str>,
    token: Option<&'a str>,
    time: Option<&'a str>,
}

/// `{"type": "check_in" | "check_out", "session": …, ["person": …], ["token": …], ["time": …]}`.
fn scan_command<'a>(c: &mut Cursor<'a>) -> Option<Scanned<'a>> {
    let (mut kind, mut session, mut person, mut token, mut time) = (None, None, None, None, None);
    object(c, |key, c| {
        match key {
            "type" if kind.is_none() => kind = Some(c.text()?),
            "session" if session.is_none() => session = Some(c.text()?),
            "person" if person.is_none() => person = Some(c.text()?),
            "token" if token.is_none() => token = Some(c.text()?),
            "time" if time.is_none() => time = Some(c.text()?),
            _ => return None,
        }
        Some(())
    })?;
    let check_out = match kind? {
        "check_in" => false,
        "check_out" => true,
        _ => return None,
    };
    Some(Scanned {
        check_out,
        session: session?,
        person,
        token,
        time,
    })
}

/// A check-in or check-out as a host holds it field by field — a binding's typed command, its
/// envelope's parts — as texts: read as [`Envelope::from_json`]'s scanner reads them (ids checked by
/// `check_id`, AUD-3 and ID-3; instants parsed by the function decoding uses), so that what it
/// reads, decoding reads to the same value.
///
/// ```
/// use tijdreg::ledger::{Command, ScanParts};
/// let parts = ScanParts {
///     check_out: false,
///     command_id: "c-1",
///     actor: "p-tom",
///     at: "2026-03-02T09:00:00+01:00",
///     session: "S-1",
///     person: Some("p-ann"),
///     token: None,
///     time: None,
/// };
/// let env = parts.envelope().expect("a valid check-in");
/// assert!(matches!(env.command, Command::CheckIn { .. }));
/// // An id decoding refuses is not read here either: decode it for the error.
/// assert!(ScanParts { person: Some("p ann"), ..parts }.envelope().is_none());
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ScanParts<'a> {
    /// A check-out (else a check-in).
    pub check_out: bool,
    /// The command id.
    pub command_id: &'a str,
    /// `system` or a person id.
    pub actor: &'a str,
    /// The command's instant, RFC 3339.
    pub at: &'a str,
    /// The session.
    pub session: &'a str,
    /// By hand: the person.
    pub person: Option<&'a str>,
    /// By scan: the QR token.
    pub token: Option<&'a str>,
    /// The registered instant, RFC 3339.
    pub time: Option<&'a str>,
}

impl ScanParts<'_> {
    /// The envelope, or `None` for anything decoding would refuse (a bad id or instant),
    /// which the caller then decodes the general way to name the problem.
    pub fn envelope(&self) -> Option<Envelope> {
        let id = |s: &str| crate::ids::check_id(s).is_ok();
        let parse = crate::calendar::instant_serde::parse;
        if !id(self.command_id) || !id(self.session) || self.person.is_some_and(|p| !id(p)) {
            return None;
        }
        let at = parse(self.at)?;
        let time = match self.time {
            Some(t) => Some(parse(t)?),
            None => None,
        };
        let (session, person, token) = (
            SessionId::new(self.session),
            self.person.map(PersonId::new),
            self.token.map(str::to_owned),
        );
        Some(Envelope {
            command_id: CommandId::new(self.command_id),
            actor: Actor::from(self.actor),
            at,
            command: if self.check_out {
                Command::CheckOut {
                    session,
                    person,
                    token,
                    time,
                }
            } else {
                Command::CheckIn {
                    session,
                    person,
                    token,
                    time,
                }
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;

    fn serde_way(json: &str) -> Option<Envelope> {
        crate::decode::decode_str::<Envelope>(json, "", crate::decode::MAX_COMMAND_BYTES).ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// AUD-3: a command the scanner reads, serde reads to the same value; a check-in or
        /// check-out as a client writes it (compact or spaced, fields in any order, ids that
        /// pass, no escapes) the scanner reads; edited anywhere (spaces, escapes, quotes,
        /// braces, nulls, cuts), it never reads what serde refuses or reads differently.
        #[test]
        fn aud_3_the_command_scanner_reads_what_serde_reads(
            id in "[a-zA-Z0-9_-]{1,12}|[ -~]{0,6}|[a-zé\"\\\\\u{1}]{1,5}",
            session in "S-[0-9]{1,6}|[ -~é]{0,5}",
            person in proptest::option::of("p-[0-9]{1,5}|[a-z ]{0,4}|85073003328"),
            token in proptest::option::of("TR1\\.[A-Za-z0-9_-]{0,30}\\.[A-Za-z0-9_-]{43}|[ -~é]{0,6}"),
            actor in "system|p-[a-z]{1,6}|[ -~é]{0,5}",
            secs in prop_oneof![Just(0i64), 946_684_800i64..4_102_444_800, Just(253_402_300_799i64)],
            nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000],
            time in proptest::option::of(946_684_800i64..4_102_444_800),
            out: bool,
            spaced: bool,
            order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, prop::sample::select(vec![' ', '\\', '"', '0', ',', '}', '{', 'x', ':', 'Z', 'é', 'n'])), 0..3),
        ) {
            let t = |s: i64, n: u32| DateTime::from_timestamp(s, n).unwrap_or_default();
            let (session, person, time) = (SessionId::new(session), person.map(PersonId::new), time.map(|s| t(s, 0)));
            let command = if out {
                Command::CheckOut { session, person, token, time }
            } else {
                Command::CheckIn { session, person, token, time }
            };
            let env = Envelope { command_id: CommandId::new(id), actor: Actor::from(actor.as_str()), at: t(secs, nanos), command };
            // The envelope's fields in the drawn order, compact or spaced.
            let v = serde_json::to_value(&env).unwrap_or_default();
            let keys = ["command_id", "actor", "at", "command"];
            let sep = if spaced { ", " } else { "," };
            let colon = if spaced { ": " } else { ":" };
            let fields: Vec<String> = order.iter().filter_map(|&i| keys.get(i)).map(|k| {
                let value = if spaced { serde_json::to_string_pretty(&v[*k]) } else { serde_json::to_string(&v[*k]) };
                format!("{}{colon}{}", serde_json::to_string(k).unwrap_or_default(), value.unwrap_or_default())
            }).collect();
            let text = format!("{{{}}}", fields.join(sep));
            let plain = !text.contains('\\');
            match (envelope(&text, usize::MAX), serde_way(&text)) {
                (Some(a), Some(b)) => prop_assert_eq!(a, b),
                (Some(a), None) => prop_assert!(false, "scanner read what serde refuses: {:?}", a),
                (None, Some(_)) => prop_assert!(!plain, "a plain command left to serde: {}", text),
                (None, None) => {}
            }
            // Anything after the object: serde refuses, so must the scanner.
            for tail in ["}", " x", ",", "{}"] {
                prop_assert!(envelope(&format!("{text}{tail}"), usize::MAX).is_none(), "{}{}", text, tail);
            }
            // An insertion may also go after the last character.
            let edited = crate::ledger::line::tests::edit(&text, &edits, true);
            if let Some(a) = envelope(&edited, usize::MAX) {
                let b = serde_way(&edited);
                prop_assert!(b.is_some(), "scanner read what serde refuses: {}", edited);
                prop_assert_eq!(Some(a), b);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// AUD-3, ID-3: a check-in or check-out from its parts reads what decoding reads from
        /// the same parts as JSON, and nothing decoding refuses; every valid one is read.
        #[test]
        fn aud_3_a_scan_from_its_parts_reads_what_decoding_reads(
            id in "[a-zA-Z0-9_-]{1,12}|[ -~]{0,6}|[a-zé\"\\\u{1}]{1,5}",
            session in "S-[0-9]{1,6}|[ -~é]{0,5}",
            person in proptest::option::of("p-[0-9]{1,5}|[a-z ]{0,4}|85073003328"),
            token in proptest::option::of("TR1\\.[A-Za-z0-9_-]{0,30}|[ -~é\u{1}]{0,6}"),
            actor in "system|p-[a-z]{1,6}|[ -~é]{0,5}",
            at in "2026-03-0[1-9]T0[0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]0[0-9]:[0-5][0-9])|[ -~]{0,8}",
            time in proptest::option::of("2026-03-0[1-9]T0[0-9]:[0-5][0-9]:[0-5][0-9](Z|\\+01:00)|2026-13-01T00:00:00Z|x"),
            check_out: bool,
        ) {
            let parts = ScanParts {
                check_out,
                command_id: &id,
                actor: &actor,
                at: &at,
                session: &session,
                person: person.as_deref(),
                token: token.as_deref(),
                time: time.as_deref(),
            };
            let mut command = serde_json::json!({
                "type": if check_out { "check_out" } else { "check_in" },
                "session": session,
            });
            for (k, v) in [("person", &person), ("token", &token), ("time", &time)] {
                if let Some(v) = v {
                    command[k] = serde_json::Value::from(v.as_str());
                }
            }
            let json = serde_json::json!({"command_id": id, "actor": actor, "at": at, "command": command}).to_string();
            prop_assert_eq!(parts.envelope(), serde_way(&json), "{}", json);
        }
    }

    #[test]
    fn aud_3_other_commands_nulls_and_long_texts_go_to_serde() {
        let ok = r#"{"command_id":"c-1","actor":"p-tom","at":"2026-03-02T09:00:00+01:00","command":{"type":"check_in","session":"S-1","person":"p-ann"}}"#;
        let e = envelope(ok, usize::MAX).map(|e| (e.at, e.command));
        let at = DateTime::from_timestamp(1_772_438_400, 0).unwrap_or_default();
        let command = Command::CheckIn {
            session: SessionId::new("S-1"),
            person: Some(PersonId::new("p-ann")),
            token: None,
            time: None,
        };
        assert_eq!(e, Some((at, command)));
        assert!(
            envelope(ok, ok.len() - 1).is_none(),
            "above the size limit: decoding names it"
        );
        assert!(
            envelope(&format!(" {ok}\n"), usize::MAX).is_some(),
            "white space around: read"
        );
        assert!(
            envelope(&format!("{ok}x"), usize::MAX).is_none(),
            "anything after: serde"
        );
        for other in [
            ok.replace("check_in", "start_session"),
            ok.replace(r#""person":"p-ann""#, r#""person":null"#),
            ok.replace(r#""person":"p-ann""#, r#""person":"p-ann","person":"p-bart""#),
            ok.replace(r#""person":"p-ann""#, r#""person":"p-ann","extra":"x""#),
            ok.replace("p-ann", "p-\\u0061nn"),
            ok.replace("p-ann", "p ann"),
        ] {
            assert!(envelope(&other, usize::MAX).is_none(), "{other}");
        }
    }
}
