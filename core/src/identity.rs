//! People and their national number. Rules ID-1 (INSZ structure and checksum), ID-2 (name,
//! e-mail, birth date) and ID-3 (the number is never printed; only [`Insz::reveal`] shows it).

// Arithmetic on at most eleven decimal digits (each 0..=9): far below every integer bound.
#![allow(clippy::arithmetic_side_effects)]

use crate::error::Error;
use crate::ids::{OrgId, PersonId};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Sex as far as an INSZ tells it (ID-1): odd sequence numbers are men, even are women;
/// a BIS number with +20 on the month does not tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// Female.
    F,
    /// Male.
    M,
}

/// What kind of national number (ID-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InszKind {
    /// Rijksregisternummer.
    National,
    /// BIS number, sex unknown at issue (month + 20).
    BisSexUnknown,
    /// BIS number, sex known at issue (month + 40).
    BisSexKnown,
}

/// A Belgian national number (rijksregisternummer or BIS number), rule ID-1.
///
/// Its `Display`, `Debug` and serde output are masked (`85.07.30-xxx.xx`, rule ID-3); only
/// [`Insz::reveal`] shows the number.
///
/// # Example
/// ```
/// use tijdreg::identity::Insz;
/// let n: Insz = "85.07.30-033.28".parse()?;
/// assert_eq!(n.to_string(), "85.07.30-xxx.xx");
/// assert_eq!(n.reveal(), "85073003328");
/// assert_eq!(n.birth_date().map(|d| d.to_string()), Some("1985-07-30".into()));
/// # Ok::<(), tijdreg::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Insz {
    digits: [u8; 11],
    century: u16,
}

impl Insz {
    /// Parses the bare (`85073003328`) or formatted (`85.07.30-033.28`) form.
    ///
    /// # Errors
    /// [`Error::InvalidInsz`] saying what is wrong: the form, the check digits, or an
    /// impossible month or day. The message never contains the number itself.
    pub fn parse(input: &str) -> Result<Insz, Error> {
        let s = input.trim();
        let bytes = s.as_bytes();
        let bare: Vec<u8> = if bytes.len() == 11 && bytes.iter().all(u8::is_ascii_digit) {
            bytes.to_vec()
        } else if bytes.len() == 15 && is_formatted(bytes) {
            bytes.iter().copied().filter(u8::is_ascii_digit).collect()
        } else {
            return Err(invalid(
                "expected 11 digits, bare or as YY.MM.DD-SSS.CC",
                "verwacht 11 cijfers, los of als JJ.MM.DD-VVV.CC",
            ));
        };
        let mut digits = [0u8; 11];
        for (d, b) in digits.iter_mut().zip(&bare) {
            *d = b - b'0';
        }
        // At most 11 decimal digits: far below u64::MAX, no overflow possible.
        let num = |from: usize, to: usize| {
            digits
                .iter()
                .take(to)
                .skip(from)
                .fold(0u64, |a, d| a * 10 + u64::from(*d))
        };
        let first9 = num(0, 9);
        let check = num(9, 11);
        let century = if 97 - first9 % 97 == check {
            1900
        } else if 97 - (2_000_000_000 + first9) % 97 == check {
            2000
        } else {
            return Err(invalid(
                "the check digits do not match the first nine digits",
                "de controlecijfers kloppen niet met de eerste negen cijfers",
            ));
        };
        let month = num(2, 4);
        let base_month = match month {
            0..=12 => month,
            20..=32 => month - 20,
            40..=52 => month - 40,
            _ => {
                return Err(invalid(
                    "the month part is not 00–12 (or 20–32, 40–52 for a BIS number)",
                    "het maanddeel ligt niet in 00–12 (of 20–32, 40–52 voor een BIS-nummer)",
                ));
            }
        };
        let day = num(4, 6);
        if day > 31 {
            return Err(invalid("the day part is above 31", "het dagdeel is groter dan 31"));
        }
        let n = Insz { digits, century };
        if base_month != 0 && day != 0 {
            let year = i32::from(century) + num(0, 2) as i32;
            if NaiveDate::from_ymd_opt(year, base_month as u32, day as u32).is_none() {
                return Err(invalid(
                    "the birth date part is not a real date",
                    "het geboortedatumdeel is geen bestaande datum",
                ));
            }
        }
        Ok(n)
    }

    /// The number in full, bare form. This is the only way to see it (ID-3).
    pub fn reveal(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The eleven digits, as the key of the one-person-per-number index (ID-4).
    pub(crate) fn digits(&self) -> [u8; 11] {
        self.digits
    }

    /// The number in full, formatted `YY.MM.DD-SSS.CC`.
    pub fn reveal_formatted(&self) -> String {
        let r = self.reveal();
        format!("{}.{}.{}-{}.{}", &r[0..2], &r[2..4], &r[4..6], &r[6..9], &r[9..11])
    }

    /// Whether this is a rijksregisternummer or a BIS number.
    pub fn kind(&self) -> InszKind {
        match self.digits[2] * 10 + self.digits[3] {
            20..=32 => InszKind::BisSexUnknown,
            40..=52 => InszKind::BisSexKnown,
            _ => InszKind::National,
        }
    }

    /// The birth year (the century follows from the check digits).
    pub fn birth_year(&self) -> i32 {
        i32::from(self.century) + i32::from(self.digits[0] * 10 + self.digits[1])
    }

    /// The birth date, when month and day are known (not `00`).
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let m = u32::from(self.digits[2] * 10 + self.digits[3]) % 20;
        let d = u32::from(self.digits[4] * 10 + self.digits[5]);
        // month % 20 maps 20..32 and 40..52 back to 0..12.
        NaiveDate::from_ymd_opt(self.birth_year(), m, d).filter(|_| m != 0 && d != 0)
    }

    /// The sex, when the number tells it.
    pub fn sex(&self) -> Option<Sex> {
        if self.kind() == InszKind::BisSexUnknown {
            return None;
        }
        let seq = u32::from(self.digits[6]) * 100 + u32::from(self.digits[7]) * 10 + u32::from(self.digits[8]);
        Some(if seq % 2 == 1 { Sex::M } else { Sex::F })
    }

    /// The masked form, `85.07.30-xxx.xx` (ID-3).
    pub fn masked(&self) -> String {
        let r = self.reveal();
        format!("{}.{}.{}-xxx.xx", &r[0..2], &r[2..4], &r[4..6])
    }
}

/// Whether a text holds a valid national number anywhere (ID-3): eleven digits in a row (not
/// part of a longer run of digits), or the formatted `YY.MM.DD-SSS.CC` form, or the same with
/// spaces for separators. Names, texts and ids that do are refused, so that the number can
/// only be stored where it is masked.
///
/// ```
/// use tijdreg::identity::contains_insz;
/// assert!(contains_insz("call Ann (85073003328)"));
/// assert!(contains_insz("nr 85.07.30-033.28"));
/// assert!(contains_insz("85 07 30 033 28"));
/// assert!(!contains_insz("85073003329"));
/// assert!(!contains_insz("2026-03-02 09:00 room 12345678901"));
/// ```
pub fn contains_insz(s: &str) -> bool {
    // Every window that can hold one starts or ends a run of digits of a known length: the
    // plain form is a run of exactly 11 (bounded by non-digits), the formatted one has its
    // `SSS` as a run of exactly 3, nine bytes after the window's start. So one pass over the
    // runs finds every candidate window, and only those are checked.
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            continue;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let found = match i - start {
            11 => insz_window(s, start, 11),
            3 => start.checked_sub(9).is_some_and(|w| insz_window(s, w, 15)),
            _ => false,
        };
        if found {
            return true;
        }
    }
    false
}

/// Whether the `len` bytes of `s` from `i` (11: the plain form; 15: with separators) are a
/// valid national number not inside a longer run of digits.
fn insz_window(s: &str, i: usize, len: usize) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let Some(w) = b.get(i..i.saturating_add(len)) else {
        return false;
    };
    let plausible = if len == 11 {
        w.iter().all(u8::is_ascii_digit)
    } else {
        [2usize, 5, 8, 12]
            .iter()
            .all(|&k| w.get(k).is_some_and(|c| matches!(c, b'.' | b'-' | b' ')))
            && w.iter().filter(|c| c.is_ascii_digit()).count() == 11
    };
    plausible
        && (i == 0 || !digit(i.wrapping_sub(1)))
        && !digit(i.saturating_add(len))
        && s.get(i..i.saturating_add(len))
            .is_some_and(|t| Insz::parse(&t.replace(' ', "")).is_ok() || Insz::parse(t).is_ok())
}

fn is_formatted(b: &[u8]) -> bool {
    b.iter().enumerate().all(|(i, c)| match i {
        2 | 5 | 12 => *c == b'.',
        8 => *c == b'-',
        _ => c.is_ascii_digit(),
    })
}

fn invalid(en: &str, nl: &str) -> Error {
    Error::InvalidInsz {
        reason_en: en.to_owned(),
        reason_nl: nl.to_owned(),
    }
}

impl std::str::FromStr for Insz {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Insz::parse(s)
    }
}

impl fmt::Display for Insz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Insz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Insz({})", self.masked())
    }
}

/// Serialises masked (ID-3). Storage that must keep the number uses [`insz_in_storage`].
impl Serialize for Insz {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for Insz {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Insz::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde for storage (commands, events, snapshots): keeps the full number so that a snapshot
/// round-trips. This is a deliberate reveal; use it only on fields that go to storage.
pub mod insz_in_storage {
    use super::Insz;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises the full number.
    pub fn serialize<S: Serializer>(v: &Option<Insz>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.serialize_some(&n.reveal()),
            None => s.serialize_none(),
        }
    }

    /// Parses the full number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Insz>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| Insz::parse(&s).map_err(serde::de::Error::custom)).transpose()
    }
}

/// A national number as typed, not yet checked: commands carry it so that a wrong number is
/// refused by the ledger with [`Error::InvalidInsz`] rather than by the JSON decoder. Its
/// `Debug` shows only the first six characters (ID-3); serde keeps it whole (storage).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InszInput(pub String);

impl fmt::Debug for InszInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(6).collect();
        write!(f, "InszInput({shown}…)")
    }
}

/// An e-mail address, checked in form (ID-2): one `@`, a non-empty local part, a domain of
/// dot-separated labels with at least one dot, no spaces.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Checks the form of an address.
    ///
    /// # Errors
    /// [`Error::InvalidEmail`] naming what is wrong.
    pub fn parse(s: &str) -> Result<Email, Error> {
        let bad = |en: &str, nl: &str| {
            Err(Error::InvalidEmail {
                reason: en.to_owned(),
                reason_nl: nl.to_owned(),
            })
        };
        let s = s.trim();
        let Some((local, domain)) = s.split_once('@') else {
            return bad("no @", "geen @");
        };
        if local.is_empty() || local.len() > 64 {
            return bad(
                "the part before @ is empty or too long",
                "het deel voor @ is leeg of te lang",
            );
        }
        if domain.contains('@') {
            return bad("more than one @", "meer dan één @");
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("it contains spaces", "het bevat spaties");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return bad(
                "the domain is not of the form name.tld",
                "het domein heeft niet de vorm naam.tld",
            );
        }
        Ok(Email(s.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A person (ID-2). Events and reports name people by [`PersonId`], never by INSZ (ID-3).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Person {
    /// Opaque id.
    pub id: PersonId,
    /// Full name.
    pub name: String,
    /// E-mail address, checked in form.
    pub email: Email,
    /// National number, if known. Stored in full, printed masked.
    #[serde(default, with = "insz_in_storage", skip_serializing_if = "Option::is_none")]
    pub insz: Option<Insz>,
    /// Birth date: derived from the INSZ where it holds one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    /// The organisation that employs the person (for work relationships, ACC-3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrgId>,
}

impl Person {
    /// Builds a person, deriving the birth date from the INSZ (ID-2).
    ///
    /// # Errors
    /// [`Error::BirthDateMismatch`] when a given birth date contradicts the INSZ;
    /// [`Error::InvalidName`] for a name outside the limits of `docs/limits.md`.
    pub fn new(
        id: PersonId,
        name: &str,
        email: Email,
        insz: Option<Insz>,
        birth_date: Option<NaiveDate>,
        organisation: Option<OrgId>,
    ) -> Result<Person, Error> {
        crate::limits::name("name", name).map_err(|_| Error::InvalidName)?;
        let derived = insz.as_ref().and_then(Insz::birth_date);
        let birth_date = match (derived, birth_date) {
            (Some(d), Some(g)) if d != g => return Err(Error::BirthDateMismatch { given: g }),
            (Some(d), _) => Some(d),
            (None, Some(g)) => {
                if let Some(n) = &insz
                    && n.birth_year() != g.year()
                {
                    return Err(Error::BirthDateMismatch { given: g });
                }
                Some(g)
            }
            (None, None) => None,
        };
        Ok(Person {
            id,
            name: name.trim().to_owned(),
            email,
            insz,
            birth_date,
            organisation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn id_1_spec_test_vectors() {
        let ok = |s: &str| Insz::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(ok("85073003328").birth_year(), 1985);
        assert_eq!(ok("17073003384").birth_year(), 2017, "2000+ needs the 2 prefix");
        assert_eq!(ok("00012556777").birth_year(), 2000);
        assert_eq!(ok("98472899765").kind(), InszKind::BisSexKnown);
        assert_eq!(ok("00200100112").kind(), InszKind::BisSexUnknown);
        assert_eq!(ok("00200100112").sex(), None);
        assert_eq!(ok("00200100112").birth_date(), None, "BIS month 20 = month unknown");
        let e = Insz::parse("12345678901").unwrap_err();
        assert_eq!((e.code(), e.rule()), ("invalid_insz", "ID-1"));
        assert!(e.to_string().contains("check digits"));
        let e = Insz::parse("85133000105").unwrap_err();
        assert!(e.to_string().contains("month"), "{e}");
    }

    #[test]
    fn id_1_formatted_and_bare_forms_and_clear_errors() {
        assert_eq!(
            Insz::parse("85.07.30-033.28").map(|i| i.reveal()),
            Ok("85073003328".into())
        );
        assert_eq!(
            Insz::parse(" 85073003328 ").map(|i| i.reveal_formatted()),
            Ok("85.07.30-033.28".into())
        );
        for bad in [
            "",
            "8507300332",
            "850730033289",
            "85-07-30.033.28",
            "85.07.30-033-28",
            "abcdefghijk",
            "85.07.30-03328",
        ] {
            let e = Insz::parse(bad).unwrap_err();
            assert!(e.to_string().contains("11 digits"), "{bad}: {e}");
        }
        // Day 32 and 30 February are refused.
        assert!(
            Insz::parse(&with_check("850732033", 1900))
                .unwrap_err()
                .to_string()
                .contains("day")
        );
        assert!(
            Insz::parse(&with_check("850230033", 1900))
                .unwrap_err()
                .to_string()
                .contains("date")
        );
    }

    #[test]
    fn id_1_remainder_zero_gives_97_never_00() {
        // Find nine digits divisible by 97: their check digits are 97.
        let n9 = (850_730_000u64..).find(|n| n % 97 == 0).unwrap();
        let s = format!("{n9:09}97");
        assert_eq!(Insz::parse(&s).map(|i| i.reveal()), Ok(s.clone()));
        assert!(Insz::parse(&format!("{n9:09}00")).is_err());
    }

    #[test]
    fn id_1_29_february_only_in_leap_years() {
        // The check digits fix the century; the birth date must exist in it (1900 was not a
        // leap year, 2000 was).
        for (n9, century, ok) in [
            ("000229001", 1900, false),
            ("000229001", 2000, true),
            ("960229001", 1900, true),
            ("010229001", 2000, false),
            ("040229001", 2000, true),
            ("990229001", 1900, false),
        ] {
            let s = with_check(n9, century);
            assert_eq!(Insz::parse(&s).is_ok(), ok, "{n9} in {century}");
        }
    }

    #[test]
    fn id_1_birth_date_and_sex() {
        let n = Insz::parse("85073003328").unwrap();
        assert_eq!(n.birth_date(), NaiveDate::from_ymd_opt(1985, 7, 30));
        assert_eq!(n.sex(), Some(Sex::M), "sequence 033 is odd");
        let unknown_day = Insz::parse(&with_check("850700033", 1900)).unwrap();
        assert_eq!(unknown_day.birth_date(), None);
        assert_eq!(unknown_day.birth_year(), 1985);
    }

    #[test]
    fn id_3_never_printed_except_by_reveal() {
        let n = Insz::parse("85073003328").unwrap();
        for shown in [n.to_string(), format!("{n:?}"), serde_json::to_string(&n).unwrap()] {
            assert!(!shown.contains("03328") && !shown.contains("033.28"), "{shown}");
            assert!(shown.contains("85.07.30-xxx.xx"));
        }
        let p = Person::new(
            PersonId::new("p1"),
            "Ann",
            Email::parse("ann@example.be").unwrap(),
            Some(n.clone()),
            None,
            None,
        )
        .unwrap();
        assert!(!format!("{p:?}").contains("03328"));
        // Storage keeps the number (snapshots must round-trip), deliberately.
        let stored = serde_json::to_string(&p).unwrap();
        assert!(stored.contains("85073003328"));
        let back: Person = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, p);
        // Error messages never contain it.
        let e = Insz::parse("85073003329").unwrap_err();
        assert!(!e.to_string().contains("8507300332") && !e.message_nl().contains("8507300332"));
    }

    #[test]
    fn id_2_person_email_name_and_birth_date() {
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.be",
            "ann@x",
            "ann@@x.be",
            "a nn@x.be",
            "ann@-x.be",
            "ann@x..be",
        ] {
            let e = Email::parse(bad).unwrap_err();
            assert_eq!((e.code(), e.rule()), ("invalid_email", "ID-2"), "{bad}");
        }
        assert!(Email::parse("ann.peeters+esf@vdab.be").is_ok());
        let email = Email::parse("ann@x.be").unwrap();
        let n = Insz::parse("85073003328").unwrap();
        let p = Person::new(PersonId::new("p"), "Ann", email.clone(), Some(n.clone()), None, None).unwrap();
        assert_eq!(
            p.birth_date,
            NaiveDate::from_ymd_opt(1985, 7, 30),
            "derived from the INSZ"
        );
        let e = Person::new(
            PersonId::new("p"),
            "Ann",
            email.clone(),
            Some(n),
            NaiveDate::from_ymd_opt(1985, 7, 31),
            None,
        )
        .unwrap_err();
        assert_eq!(e.code(), "birth_date_mismatch");
        assert_eq!(
            Person::new(PersonId::new("p"), "  ", email, None, None, None)
                .unwrap_err()
                .rule(),
            "ID-2"
        );
    }

    /// `contains_insz` as it was first written: every window of 11 and 15 bytes tried.
    fn every_window(s: &str) -> bool {
        (0..s.len()).any(|i| insz_window(s, i, 11) || insz_window(s, i, 15))
    }

    fn with_check(n9: &str, century: u64) -> String {
        let n: u64 = n9.parse().unwrap();
        let base = if century == 2000 { 2_000_000_000 + n } else { n };
        format!("{n9}{:02}", 97 - base % 97)
    }

    proptest! {
        #[test]
        fn id_1_generated_valid_insz_parses_and_round_trips(
            yy in 0u32..100, mm in 1u32..=12, dd in 1u32..=28, seq in 1u32..998,
            c2000 in any::<bool>(), bis in 0u32..3,
        ) {
            let month = mm + [0, 20, 40][bis as usize];
            let n9 = format!("{yy:02}{month:02}{dd:02}{seq:03}");
            let s = with_check(&n9, if c2000 { 2000 } else { 1900 });
            let n = Insz::parse(&s).unwrap();
            prop_assert_eq!(n.reveal(), s.clone());
            prop_assert_eq!(Insz::parse(&n.reveal_formatted()).unwrap(), n.clone());
            prop_assert_eq!(n.birth_year(), if c2000 { 2000 } else { 1900 } + yy as i32);
            prop_assert_eq!(n.birth_date(), NaiveDate::from_ymd_opt(n.birth_year(), mm, dd));
        }

        /// ID-3: the search by runs of digits finds a national number exactly where trying
        /// every window does (numbers valid and not, plain, formatted, with spaces or mixed
        /// separators, inside longer runs, among other text).
        #[test]
        fn id_3_contains_insz_agrees_with_trying_every_window(
            yy in 0u32..100, mm in 1u32..=12, dd in 1u32..=28, seq in 1u32..998, valid: bool,
            form in 0usize..5,
            before in "[0-9a-z .-]{0,4}", after in "[0-9a-z .-]{0,4}",
            noise in "[0-9 .-]{0,40}",
        ) {
            let n9 = format!("{yy:02}{mm:02}{dd:02}{seq:03}");
            let n = if valid { with_check(&n9, 1900) } else { format!("{n9}00") };
            let (a, b, c, d, e) = (&n[0..2], &n[2..4], &n[4..6], &n[6..9], &n[9..11]);
            let shown = match form {
                0 => n.clone(),
                1 => format!("{a}.{b}.{c}-{d}.{e}"),
                2 => format!("{a} {b} {c} {d} {e}"),
                3 => format!("{a}-{b} {c}.{d}-{e}"),
                _ => format!("{a}.{b}.{c}{d}.{e}"),
            };
            for text in [format!("{before}{shown}{after}"), noise.clone(), format!("{noise}{shown}")] {
                prop_assert_eq!(contains_insz(&text), every_window(&text), "{}", text);
            }
        }

        #[test]
        fn id_1_random_strings_never_panic(s in "\\PC{0,20}", d in "[0-9.\\-]{0,16}") {
            let _ = Insz::parse(&s);
            let _ = Insz::parse(&d);
            let _ = Email::parse(&s);
        }
    }
}
