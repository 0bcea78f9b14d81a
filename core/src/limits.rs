//! Limits at every boundary (`docs/limits.md`): how long a name or text may be, how many
//! items a list may hold, which years a date or instant may fall in, how large a JSON
//! document may be. They keep a hostile or careless input from growing the state without
//! bound, and they keep every count and amount far below what could overflow (issue 12).
//!
//! Every refusal is an [`Error::InvalidInput`] (AUD-3) that names the field and the limit and
//! never echoes the value. Ids have their own alphabet and length ([`crate::ids::check_id`]).

use crate::error::Error;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use std::ops::RangeInclusive;

/// Years a date or an instant may fall in: sessions, entries, parameters, grants, closure
/// dates and every command's instant.
pub const YEARS: RangeInclusive<i32> = 2000..=2099;
/// Characters in a name (organisation, branch, call, person, training, project number,
/// training code, location).
pub const MAX_NAME_CHARS: usize = 200;
/// Characters in a free text (problem report, rejection reason, MLP field value).
pub const MAX_TEXT_CHARS: usize = 2000;
/// Characters in an e-mail address (RFC 5321).
pub const MAX_EMAIL_CHARS: usize = 254;
/// Characters in a QR token.
pub const MAX_TOKEN_CHARS: usize = 1024;
/// Participants of one session.
pub const MAX_PARTICIPANTS: usize = 10_000;
/// Trainers of one session.
pub const MAX_TRAINERS: usize = 100;
/// Breaks of one session.
pub const MAX_BREAKS: usize = 100;
/// Partners of one project.
pub const MAX_PARTNERS: usize = 100;
/// Attendance intervals of one participant in one session.
pub const MAX_INTERVALS: usize = 10_000;
/// Closure dates in one command.
pub const MAX_CLOSURE_DATES: usize = 1_000;
/// Fields of one MLP profile.
pub const MAX_MLP_FIELDS: usize = 100;
pub use crate::decode::{MAX_COMMAND_BYTES, MAX_RECORDS_BYTES};
/// Nesting depth of any JSON document (serde_json's own limit, kept).
pub const MAX_JSON_DEPTH: usize = 128;

fn refuse(field: &str, en: &str, nl: &str) -> Error {
    Error::invalid(format!("{field}: {en}"), format!("{field}: {nl}"))
}

/// Bidirectional formatting characters (Trojan Source, CVE-2021-42574): they reorder what a
/// reader sees.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn no_insz(field: &str, s: &str) -> Result<(), Error> {
    no_insz_in(field, s, s.bytes().filter(u8::is_ascii_digit).count())
}

/// [`no_insz`] of a text whose digits are counted (a national number needs eleven).
fn no_insz_in(field: &str, s: &str, digits: usize) -> Result<(), Error> {
    if digits >= 11 && crate::identity::contains_insz(s) {
        Err(Error::invalid(
            format!("{field}: a national number belongs only in a person's insz field, where it is masked (ID-3)"),
            format!(
                "{field}: een rijksregisternummer hoort enkel in het veld insz van een persoon, waar het gemaskeerd wordt (ID-3)"
            ),
        ))
    } else {
        Ok(())
    }
}

/// A name: 1 to [`MAX_NAME_CHARS`] characters, not blank, no leading or trailing white space,
/// no control or bidirectional formatting characters, no national number (ID-3).
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` and the limit.
pub fn name(field: &str, s: &str) -> Result<(), Error> {
    let ok = !s.trim().is_empty()
        && s.trim() == s
        && s.chars().count() <= MAX_NAME_CHARS
        && !s.chars().any(|c| c.is_control() || is_bidi_control(c));
    if ok {
        Ok(())
    } else {
        Err(refuse(
            field,
            "a name holds 1 to 200 characters, without leading or trailing spaces, control or bidirectional formatting characters",
            "een naam bevat 1 tot 200 tekens, zonder spaties vooraan of achteraan, stuurtekens of tekens die de schrijfrichting wijzigen",
        ))
    }
    .and_then(|()| no_insz(field, s))
}

/// A free text: at most [`MAX_TEXT_CHARS`] characters, line breaks and tabs allowed, no other
/// control or bidirectional formatting characters, no national number (ID-3).
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` and the limit.
pub fn text(field: &str, s: &str) -> Result<(), Error> {
    let ok = s.chars().count() <= MAX_TEXT_CHARS
        && !s
            .chars()
            .any(|c| (c.is_control() && !matches!(c, '\n' | '\t')) || is_bidi_control(c));
    if ok {
        Ok(())
    } else {
        Err(refuse(
            field,
            "a text holds at most 2000 characters, without control characters other than line breaks and tabs",
            "een tekst bevat hoogstens 2000 tekens, zonder andere stuurtekens dan regeleinden en tabs",
        ))
    }
    .and_then(|()| no_insz(field, s))
}

/// At most `max` characters, without control characters (tokens, e-mail addresses).
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` and the limit.
pub fn short(field: &str, s: &str, max: usize) -> Result<(), Error> {
    // ASCII (nearly every token and address) in one byte-wise pass that also counts the
    // digits: its control characters are below 0x20 and 0x7f, and it holds no bidirectional
    // formatting character.
    let (clean, digits) = if s.is_ascii() {
        ascii_profile(s.as_bytes())
    } else {
        (
            !s.chars().any(|c| c.is_control() || is_bidi_control(c)),
            s.bytes().filter(u8::is_ascii_digit).count(),
        )
    };
    if s.len() <= max && clean {
        Ok(())
    } else {
        Err(refuse(
            field,
            &format!("at most {max} characters, without control characters"),
            &format!("hoogstens {max} tekens, zonder stuurtekens"),
        ))
    }
    .and_then(|()| no_insz_in(field, s, digits))
}

/// Whether ASCII bytes are free of control characters, and how many digits they hold: in
/// blocks of 255 bytes with byte-wide counters, which the compiler turns into vector code.
fn ascii_profile(b: &[u8]) -> (bool, usize) {
    let (mut control, mut digits) = (0u8, 0usize);
    for block in b.chunks(255) {
        let mut d = 0u8;
        for &x in block {
            d = d.wrapping_add(u8::from(x.wrapping_sub(b'0') < 10));
            control |= u8::from(x < 0x20) | u8::from(x == 0x7f);
        }
        digits = digits.saturating_add(usize::from(d));
    }
    (control == 0, digits)
}

/// A list of at most `max` items.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` and the limit.
pub fn count(field: &str, n: usize, max: usize) -> Result<(), Error> {
    if n <= max {
        Ok(())
    } else {
        Err(refuse(
            field,
            &format!("at most {max} items"),
            &format!("hoogstens {max} elementen"),
        ))
    }
}

/// A date in [`YEARS`].
///
/// # Errors
/// [`Error::InvalidInput`] naming `field` and the range.
pub fn date(field: &str, d: NaiveDate) -> Result<(), Error> {
    if YEARS.contains(&d.year()) {
        Ok(())
    } else {
        Err(years(field))
    }
}

fn years(field: &str) -> Error {
    refuse(
        field,
        "a date in the years 2000..=2099",
        "een datum in de jaren 2000..=2099",
    )
}

/// A local time of day without a leap second (`23:59:60` does not exist in Brussels).
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn time(field: &str, t: NaiveTime) -> Result<(), Error> {
    if t.nanosecond() < 1_000_000_000 {
        Ok(())
    } else {
        Err(refuse(
            field,
            "a time of day from 00:00:00 to 23:59:59 (no leap second)",
            "een tijdstip van 00:00:00 tot 23:59:59 (geen schrikkelseconde)",
        ))
    }
}

/// An instant in [`YEARS`] without a leap second.
///
/// # Errors
/// [`Error::InvalidInput`] naming `field`.
pub fn instant(field: &str, t: DateTime<Utc>) -> Result<(), Error> {
    if !YEARS.contains(&t.year()) {
        return Err(years(field));
    }
    time(field, t.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_texts_and_counts() {
        assert!(name("n", "Ann Deelnemer").is_ok());
        assert!(name("n", &"é".repeat(200)).is_ok());
        for bad in ["", " ", "Ann ", " Ann", "A\u{0}", "A\u{202e}b", "a\nb"] {
            assert!(name("n", bad).is_err(), "{bad:?}");
        }
        assert!(name("n", &"é".repeat(201)).is_err());
        assert!(text("t", "line one\nline two\ttab").is_ok());
        assert!(text("t", "").is_ok());
        assert!(text("t", "a\u{7}").is_err());
        assert!(text("t", &"x".repeat(2001)).is_err());
        assert!(count("f", 100, 100).is_ok() && count("f", 101, 100).is_err());
        // ID-3: a national number is stored only where it is masked.
        assert!(name("n", "Ann 85073003328").is_err());
        assert!(text("t", "rijksregisternummer 85.07.30-033.28 klopt niet").is_err());
        assert!(short("s", "x85 07 30 033 28", 64).is_err());
        assert!(text("t", "2026-03-02 09:00, lokaal 12345678901").is_ok());
        let e = name("command.name", "Ann 85073003328").expect_err("insz");
        assert!(!e.message_en().contains("85073003328") && e.message_en().contains("ID-3"));
        let e = count("command.trainers", 101, 100).expect_err("too many");
        assert!(e.message_en().contains("command.trainers") && e.message_en().contains("100"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Issue 12: a short text is refused exactly for what the rule says — too long, a
        /// control or bidirectional formatting character (ASCII or not), a national number
        /// (ID-3) — whichever way it is checked.
        #[test]
        fn id_3_short_texts_refused_for_length_control_characters_and_national_numbers(
            s in "[ -~]{0,20}|[a-z\u{0}-\u{1f}\u{7f}\u{80}-\u{9f}\u{e9}\u{202a}-\u{202e}\u{2066}]{0,8}|[0-9 .a-]{0,24}|[a-z\u{7f}]{0,3}(85073003328|85\\.07\\.30-033\\.28|85 07 30 033 28|85073003329|99091999790|99.09.19-997.90)[a-z0-9é]{0,3}",
            max in 0usize..32,
            pad in 0usize..300,
        ) {
            let expected = |s: &str, max: usize| {
                s.len() <= max
                    && !s.chars().any(|c| c.is_control() || is_bidi_control(c))
                    && !crate::identity::contains_insz(s)
            };
            proptest::prop_assert_eq!(short("f", &s, max).is_ok(), expected(&s, max), "{:?}", s);
            // Longer than one block of the byte-wise count: a number across its edge is seen.
            let long = format!("{}{s}", "x".repeat(pad));
            proptest::prop_assert_eq!(short("f", &long, 400).is_ok(), expected(&long, 400), "{:?}", long);
        }
    }

    #[test]
    fn years_and_leap_seconds() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert!(date("d", d(2000, 1, 1)).is_ok() && date("d", d(2099, 12, 31)).is_ok());
        assert!(date("d", d(1999, 12, 31)).is_err() && date("d", d(2100, 1, 1)).is_err());
        assert!(date("d", d(0, 1, 1)).is_err());
        let leap = NaiveTime::from_hms_milli_opt(23, 59, 59, 1_000).expect("leap second");
        assert!(time("t", leap).is_err());
        assert!(time("t", NaiveTime::from_hms_opt(23, 59, 59).expect("time")).is_ok());
        let at: DateTime<Utc> = "2026-01-05T08:00:00Z".parse().expect("instant");
        assert!(instant("at", at).is_ok());
        assert!(instant("at", at.with_year(2100).expect("year")).is_err());
    }
}
