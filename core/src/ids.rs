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
use smol_str::SmolStr;
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

/// An id's text: held inline when it has at most 23 bytes (most ids: cloning one allocates
/// nothing), with its first eight bytes kept beside it as one big-endian word (zero-padded), so
/// that an ordered map's search compares words held in its nodes and reaches the text only
/// when the first eight bytes are equal (ADR 26). Its order, equality and hash are those of
/// the text (`str`'s), as the ids' `Borrow<str>` requires.
#[derive(Clone, Default)]
struct Text {
    head: u64,
    text: SmolStr,
}

impl Text {
    const EMPTY: Text = Text {
        head: 0,
        text: SmolStr::new_inline(""),
    };

    #[inline]
    fn new(text: SmolStr) -> Text {
        let mut w = [0u8; 8];
        for (d, s) in w.iter_mut().zip(text.as_bytes()) {
            *d = *s;
        }
        Text {
            head: u64::from_be_bytes(w),
            text,
        }
    }

    #[inline]
    fn as_str(&self) -> &str {
        self.text.as_str()
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        self.head == other.head && self.text == other.text
    }
}

impl Eq for Text {}

/// Byte-wise lexicographic order: the heads' order decides when they differ (a shorter text's
/// padding is lower than any byte but NUL, and a NUL against padding leaves the heads equal),
/// the texts otherwise.
impl Ord for Text {
    #[inline]
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        match self.head.cmp(&other.head) {
            std::cmp::Ordering::Equal => self.text.as_bytes().cmp(other.text.as_bytes()),
            o => o,
        }
    }
}

impl PartialOrd for Text {
    #[inline]
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for Text {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        ///
        /// The text is held inline when it has at most 23 bytes (most ids), so that cloning an
        /// id allocates nothing, and its first eight bytes beside it, so that an ordered map's
        /// search compares words (ADR 26). Order, equality and hash are the text's.
        #[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Text);

        impl $name {
            /// The empty id (never valid from outside: [`check_id`]); what a default is.
            pub const EMPTY: Self = Self(Text::EMPTY);
            /// Wraps a host-chosen identifier the host trusts (not checked).
            pub fn new(id: impl AsRef<str>) -> Self {
                Self(Text::new(SmolStr::new(id)))
            }
            /// Checks and wraps an identifier from outside ([`check_id`]).
            ///
            /// # Errors
            /// [`Error::InvalidId`] saying what is wrong, never echoing the id.
            pub fn parse(id: &str) -> Result<Self, Error> {
                check_id(id).map_err(|p| id_error(stringify!($name), p))?;
                Ok(Self::new(id))
            }
            /// Bytes the id holds on the heap (none when it is held inline), for benchmarks.
            pub fn heap_bytes(&self) -> usize {
                if self.0.text.is_heap_allocated() {
                    // The text behind a shared count (`Arc<str>`: two counters).
                    self.0.text.len().saturating_add(16)
                } else {
                    0
                }
            }
            /// The identifier as text.
            #[inline]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(IdVisitor).map(|t| Self(Text::new(t)))
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
        /// Maps keyed by the id are searched by its text: equality, hashing and order are
        /// those of the text.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::new(s)
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(Text::new(SmolStr::from(s)))
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.text.into()
            }
        }
    )*};
}

/// Reads an id's text as the deserializer has it — borrowed from the input when it can be —
/// and checks it ([`check_id`]) before it is kept: a short id is never put on the heap.
struct IdVisitor;

impl<'de> serde::de::Visitor<'de> for IdVisitor {
    type Value = SmolStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SmolStr, E> {
        match check_id(s) {
            Ok(()) => Ok(SmolStr::new(s)),
            Err(p) => Err(E::custom(IdMessage(p))),
        }
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<SmolStr, E> {
        match check_id(&s) {
            Ok(()) => Ok(SmolStr::from(s)),
            Err(p) => Err(E::custom(IdMessage(p))),
        }
    }
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
            prop_assert_eq!(SessionId::new(&a) == SessionId::new(&b), a == b);
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
            // Held on the heap (more than 23 bytes), equal in their first eight and more.
            "abcdefghijklmnopqrstuvwxyz",
            "abcdefghijklmnopqrstuvwxy",
            "abcdefghijklmnopqrstuvwxyz\0",
            "abcdefghijklmnopqrstuvwxz",
        ];
        let hash = |x: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            use std::hash::Hasher;
            let mut h = std::collections::hash_map::DefaultHasher::new();
            x(&mut h);
            h.finish()
        };
        for a in texts {
            let id = PersonId::new(a);
            assert_eq!(id.as_str(), a);
            // `Borrow<str>`: an id hashes as its text.
            assert_eq!(
                hash(&|h| std::hash::Hash::hash(&id, h)),
                hash(&|h| std::hash::Hash::hash(a, h)),
                "{a:?}"
            );
            for b in texts {
                assert_eq!(id.cmp(&PersonId::new(b)), a.cmp(b), "{a:?} against {b:?}");
                assert_eq!(id.partial_cmp(&PersonId::new(b)), Some(a.cmp(b)), "{a:?} against {b:?}");
                assert_eq!(id == PersonId::new(b), a == b, "{a:?} against {b:?}");
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
