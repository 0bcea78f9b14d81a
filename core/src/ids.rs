//! Identifiers. Every entity is named by an opaque id the host chooses (the engine has no
//! randomness, so it never invents one). Ids are newtypes so that a session id cannot be
//! passed where a person id is expected.
//!
//! An id read from outside (JSON, records, bindings) is checked ([`check_id`]): 1 to
//! [`MAX_ID_CHARS`] characters, letters, digits and `- _ . : / @ + #` only, and never a
//! national number (ID-3: ids are opaque, and the number must not travel as one).
//! [`PersonId::new`] and its siblings do not check: they are for ids the host already trusts;
//! [`PersonId::parse`] checks.

use crate::error::Error;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// The longest id, in characters.
pub const MAX_ID_CHARS: usize = 128;

/// The punctuation an id may contain besides letters and digits.
pub const ID_PUNCTUATION: &str = "-_.:/@+#";

/// What is wrong with an id, in English and Dutch (never the id itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdProblem {
    /// Empty.
    Empty,
    /// Longer than [`MAX_ID_CHARS`].
    TooLong,
    /// A character outside letters, digits and [`ID_PUNCTUATION`] (spaces, control and
    /// bidirectional-format characters included).
    Character,
    /// A valid national number (ID-3).
    NationalNumber,
}

impl IdProblem {
    /// English.
    pub fn en(self) -> String {
        match self {
            IdProblem::Empty => "an id must not be empty".into(),
            IdProblem::TooLong => format!("an id has at most {MAX_ID_CHARS} characters"),
            IdProblem::Character => {
                format!("an id holds only letters, digits and {ID_PUNCTUATION} (no spaces or control characters)")
            }
            IdProblem::NationalNumber => "a national number cannot be used as an id: ids are opaque (ID-3)".into(),
        }
    }
    /// Dutch.
    pub fn nl(self) -> String {
        match self {
            IdProblem::Empty => "een id mag niet leeg zijn".into(),
            IdProblem::TooLong => format!("een id heeft hoogstens {MAX_ID_CHARS} tekens"),
            IdProblem::Character => {
                format!("een id bevat enkel letters, cijfers en {ID_PUNCTUATION} (geen spaties of stuurtekens)")
            }
            IdProblem::NationalNumber => {
                "een rijksregisternummer kan geen id zijn: ids zijn ondoorzichtig (ID-3)".into()
            }
        }
    }
    /// The rule: ID-3 for a national number, AUD-3 (input) otherwise.
    pub fn rule(self) -> &'static str {
        match self {
            IdProblem::NationalNumber => "ID-3",
            _ => "AUD-3",
        }
    }
}

/// Checks an id read from outside (see the module docs).
///
/// # Errors
/// The [`IdProblem`].
///
/// # Example
/// ```
/// use tijdreg::ids::{check_id, IdProblem};
/// assert!(check_id("p-ann").is_ok());
/// assert_eq!(check_id(" p-ann"), Err(IdProblem::Character));
/// assert_eq!(check_id("85.07.30-033.28"), Err(IdProblem::NationalNumber));
/// ```
pub fn check_id(s: &str) -> Result<(), IdProblem> {
    if s.is_empty() {
        return Err(IdProblem::Empty);
    }
    let digits = if s.is_ascii() { scan_ascii(s)? } else { scan_chars(s)? };
    if digits >= 11 && crate::identity::contains_insz(s) {
        return Err(IdProblem::NationalNumber);
    }
    Ok(())
}

/// [`check_id`]'s length and character rules; the number of ASCII digits.
fn scan_chars(s: &str) -> Result<usize, IdProblem> {
    let mut n = 0usize;
    for c in s.chars() {
        n = n.saturating_add(1);
        if n > MAX_ID_CHARS {
            return Err(IdProblem::TooLong);
        }
        if !(c.is_alphanumeric() || ID_PUNCTUATION.contains(c)) {
            return Err(IdProblem::Character);
        }
    }
    Ok(s.bytes().filter(u8::is_ascii_digit).count())
}

/// What an ASCII byte is in an id: 0 not allowed, 1 allowed, 2 a digit. Computed when the
/// crate is compiled: an index out of range would stop the build, not panic.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const ASCII_CLASS: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0usize;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            2
        } else if c.is_ascii_alphabetic() {
            1
        } else {
            0
        };
        b += 1;
    }
    let p = ID_PUNCTUATION.as_bytes();
    let mut i = 0usize;
    while i < p.len() {
        t[p[i] as usize] = 1;
        i += 1;
    }
    t
};

/// [`scan_chars`] for an ASCII text, byte by byte in one pass with a table (the common case):
/// an ASCII character is alphanumeric exactly when it is an ASCII letter or digit.
fn scan_ascii(s: &str) -> Result<usize, IdProblem> {
    let mut digits = 0usize;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if i >= MAX_ID_CHARS {
            return Err(IdProblem::TooLong);
        }
        match ASCII_CLASS.get(usize::from(b)).copied().unwrap_or(0) {
            0 => return Err(IdProblem::Character),
            class => digits = digits.saturating_add(usize::from(class >> 1)),
        }
    }
    Ok(digits)
}

/// The error for an id that fails [`check_id`], naming the field.
pub fn id_error(field: &str, problem: IdProblem) -> Error {
    Error::InvalidId {
        field: field.to_owned(),
        reason: problem.en(),
        reason_nl: problem.nl(),
        rule: problem.rule().to_owned(),
    }
}

/// Byte-wise lexicographic order (that of `str` and `[u8]`), with the first eight bytes
/// compared as one big-endian word: ids are looked up in ordered maps many times a command,
/// and most differ within their first eight bytes, where a call to `memcmp` cost more than
/// the comparison.
#[inline]
pub(crate) fn cmp_text(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    if let (Some(x), Some(y)) = (a.first_chunk::<8>(), b.first_chunk::<8>()) {
        let (x, y) = (u64::from_be_bytes(*x), u64::from_be_bytes(*y));
        if x != y {
            return x.cmp(&y);
        }
    }
    a.cmp(b)
}

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Default, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        /// The order of the texts ([`str`]'s), compared eight bytes at a time.
        impl Ord for $name {
            #[inline]
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                cmp_text(self.0.as_bytes(), other.0.as_bytes())
            }
        }
        impl PartialOrd for $name {
            #[inline]
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl $name {
            /// Wraps a host-chosen identifier the host trusts (not checked).
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            /// Checks and wraps an identifier from outside ([`check_id`]).
            ///
            /// # Errors
            /// [`Error::InvalidId`] saying what is wrong, never echoing the id.
            pub fn parse(id: &str) -> Result<Self, Error> {
                check_id(id).map_err(|p| id_error(stringify!($name), p))?;
                Ok(Self(id.to_owned()))
            }
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                match check_id(&s) {
                    Ok(()) => Ok(Self(s)),
                    Err(p) => Err(serde::de::Error::custom(IdMessage(p))),
                }
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        /// Maps keyed by the id are searched by its text: equality, hashing and order are
        /// those of the text.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    )*};
}

id_type! {
    /// An organisation (promoter, partner, external trainer's employer, the funder).
    OrgId,
    /// A branch (vestiging) of an organisation.
    BranchId,
    /// A funding call (oproep).
    CallId,
    /// An ESF project.
    ProjectId,
    /// A training (opleiding) of a project.
    TrainingId,
    /// A dated session (opleidingssessie) of a training.
    SessionId,
    /// A person: the opaque id events and reports use instead of the national number (ID-3).
    PersonId,
    /// A role grant from ACM/IDM.
    GrantId,
    /// A work relationship (werkrelatie).
    RelationshipId,
    /// An e-learning hours entry.
    EntryId,
    /// The client's id of a command, used for idempotent retries (ATT-3).
    CommandId,
    /// A scanning device registered for a project (ATT-6).
    DeviceId,
}

/// The serde message of a bad id: a marker the decoder recognises, then the problem (never
/// the id itself).
pub(crate) struct IdMessage(pub IdProblem);

/// Marks serde messages that are about an id, so the decoder can turn them into
/// [`Error::InvalidId`].
pub(crate) const ID_MESSAGE_MARK: &str = "tijdreg-invalid-id:";

impl fmt::Display for IdMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ID_MESSAGE_MARK}{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// AUD-3: the byte-wise check of an ASCII id gives the verdicts of the character-wise
        /// one (length first met, then the first character outside the alphabet).
        #[test]
        fn aud_3_ascii_id_check_is_the_character_check(s in "[ -~\t\n]{0,140}", t in "[a-zA-Z0-9_.:/@+#-]{0,140}") {
            prop_assert_eq!(scan_ascii(&s), scan_chars(&s));
            prop_assert_eq!(scan_ascii(&t), scan_chars(&t));
        }
    }

    proptest! {
        /// Ids order as their texts do (maps of ids iterate in id order).
        #[test]
        fn aud_3_ids_order_as_their_texts(a in "[a-c\\x00é-]{0,20}", b in "[a-c\\x00é-]{0,20}", p in "[a-z0-9-]{0,17}") {
            let (a, b) = (format!("{p}{a}"), format!("{p}{b}"));
            prop_assert_eq!(SessionId::new(a.clone()).cmp(&SessionId::new(b.clone())), a.cmp(&b));
            prop_assert_eq!(cmp_text(a.as_bytes(), b.as_bytes()), a.as_bytes().cmp(b.as_bytes()));
            // Maps keyed by ids are searched by text (`Borrow<str>`): found by either.
            let map: std::collections::BTreeMap<SessionId, u8> = [(SessionId::new(a.clone()), 1), (SessionId::new(format!("{p}b")), 2)].into();
            prop_assert_eq!(map.get(b.as_str()), map.get(&SessionId::new(b.clone())));
            prop_assert!(map.contains_key(a.as_str()));
        }
    }

    /// Ids order as their texts do where the word comparison ends: texts shorter than eight
    /// bytes (padded with zero bytes, which a text may itself hold), texts of exactly eight,
    /// and texts whose first eight bytes are equal.
    #[test]
    fn aud_3_ids_order_as_their_texts_around_the_first_eight_bytes() {
        let texts = [
            "",
            "\0",
            "\0\0",
            "a",
            "a\0",
            "a\0\0",
            "ab",
            "ab\0",
            "ab\0a",
            "p-tom",
            "p-00012",
            "p-00012\0",
            "p-000120",
            "p-00013",
            "S-000123",
            "S-000123\0",
            "S-0001230",
            "S-000124",
            "S-0001231",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgi",
            "é",
            "e\u{301}",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(cmp_text(a.as_bytes(), b.as_bytes()), a.cmp(b), "{a:?} against {b:?}");
                assert_eq!(PersonId::new(a).cmp(&PersonId::new(b)), a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }

    #[test]
    fn aud_3_id_3_id_limits_at_the_edges() {
        let long = "a".repeat(MAX_ID_CHARS);
        assert_eq!(check_id(&long), Ok(()));
        assert_eq!(check_id(&format!("{long}b")), Err(IdProblem::TooLong));
        assert_eq!(check_id("S 1"), Err(IdProblem::Character));
        assert_eq!(check_id("cursus-é"), Ok(()), "letters beyond ASCII are letters");
        assert_eq!(
            check_id("a\u{a0}b"),
            Err(IdProblem::Character),
            "a non-breaking space is not"
        );
        assert_eq!(check_id("p-85073003328"), Err(IdProblem::NationalNumber));
    }
}
