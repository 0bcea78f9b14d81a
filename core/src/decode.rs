//! Reading JSON input, with errors in the engine's own words (AUD-3, ID-3): the field path
//! (`command.intervals[1].check_out`), what was wrong with it and what was expected, in
//! English and in Dutch — never the offending value, which could be a national number.
//!
//! Input is decoded straight into the engine's types (no JSON tree first), under a size limit
//! and serde_json's nesting limit of 128.
//!
//! # Example
//! ```
//! use tijdreg::ledger::Envelope;
//! let e = Envelope::from_json(r#"{"command_id": "c1", "actor": "system", "at": "2026-03-02T08:00:00Z",
//!     "command": {"type": "check_out", "session": "S-1", "person": 85073003328}}"#).unwrap_err();
//! assert_eq!(e.code(), "invalid_input");
//! assert_eq!(e.message_en(), "invalid input: command.person: a number where text was expected");
//! assert!(!e.message_en().contains("85073003328") && !e.message_nl().contains("85073003328"));
//! ```

use crate::error::Error;
use crate::ids::{ID_MESSAGE_MARK, IdProblem, id_error};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The largest command, query or single JSON document of a binding call, in bytes.
pub const MAX_COMMAND_BYTES: usize = 1 << 20;

/// The largest plain-records document, in bytes (about 30 million intervals).
pub const MAX_RECORDS_BYTES: usize = 4 << 30;

/// Where decoding failed and why, before it becomes an [`Error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub path: String,
    pub en: String,
    pub nl: String,
    pub id: Option<IdProblem>,
}

impl Problem {
    /// A required field that is missing.
    pub fn missing(root: &str, field: &str) -> Problem {
        Problem {
            path: root.to_owned(),
            en: format!("the field {field} is missing"),
            nl: format!("het veld {field} ontbreekt"),
            id: None,
        }
    }

    pub fn into_error(self) -> Error {
        if let Some(p) = self.id {
            return id_error(&self.path, p);
        }
        let (en, nl) = if self.path.is_empty() {
            (self.en, self.nl)
        } else {
            (
                format!("{}: {}", self.path, self.en),
                format!("{}: {}", self.path, self.nl),
            )
        };
        Error::InvalidInput {
            reason: en,
            reason_nl: nl,
        }
    }
}

/// Decodes `json` into `T`; `root` prefixes the field paths (`"command"`, `"records"`, or
/// `""` for none).
///
/// # Errors
/// [`Error::InvalidInput`] (or [`Error::InvalidId`] for a bad id) naming the field path.
pub fn from_str<T: DeserializeOwned>(json: &str, root: &str) -> Result<T, Error> {
    from_str_max(json, root, MAX_RECORDS_BYTES)
}

/// [`from_str`] with a size limit in bytes.
///
/// # Errors
/// As [`from_str`]; [`Error::InvalidInput`] when `json` is longer than `max_bytes`.
pub fn from_str_max<T: DeserializeOwned>(json: &str, root: &str, max_bytes: usize) -> Result<T, Error> {
    decode_str(json, root, max_bytes).map_err(Problem::into_error)
}

pub(crate) fn too_large(max_bytes: usize) -> Problem {
    Problem {
        path: String::new(),
        en: format!("the input is larger than {max_bytes} bytes"),
        nl: format!("de invoer is groter dan {max_bytes} bytes"),
        id: None,
    }
}

pub(crate) fn decode_str<T: DeserializeOwned>(json: &str, root: &str, max_bytes: usize) -> Result<T, Problem> {
    decode_lazy(json, || root.to_owned(), max_bytes)
}

/// A text borrowed from the input when it can be (serde's own `Cow<str>` always copies): for
/// texts that are read and dropped (a tag, an instant's digits).
pub(crate) struct Text<'de>(pub std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Owned(s.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// As [`from_str_max`], with the root made only when the input fails (a log read back line by
/// line names each line without formatting a label for every good one).
pub(crate) fn from_str_max_lazy<'a, T: Deserialize<'a>>(
    json: &'a str,
    root: impl FnOnce() -> String,
    max_bytes: usize,
) -> Result<T, Error> {
    decode_lazy(json, root, max_bytes).map_err(Problem::into_error)
}

fn decode_lazy<'a, T: Deserialize<'a>>(
    json: &'a str,
    root: impl FnOnce() -> String,
    max_bytes: usize,
) -> Result<T, Problem> {
    if json.len() > max_bytes {
        // Named by its root (`command`, `log line 7`…), as every other decode error.
        return Err(Problem {
            path: root(),
            ..too_large(max_bytes)
        });
    }
    // Without tracking the field path first (it costs on every value); only input that fails
    // is read again with it, to name where it failed.
    let mut de = serde_json::Deserializer::from_str(json);
    if let Ok(v) = T::deserialize(&mut de).and_then(|v| de.end().map(|()| v)) {
        return Ok(v);
    }
    let root = root();
    let mut de = serde_json::Deserializer::from_str(json);
    let v = serde_path_to_error::deserialize(&mut de).map_err(|e| problem(&root, &e))?;
    de.end().map_err(|e| problem_of(&root, String::new(), &e))?;
    Ok(v)
}

/// Decodes a JSON value into `T` (paths as in [`from_str`]).
///
/// # Errors
/// As [`from_str`].
pub fn from_value<T: DeserializeOwned>(v: serde_json::Value, root: &str) -> Result<T, Error> {
    decode_value(v, root).map_err(Problem::into_error)
}

pub(crate) fn decode_value<T: DeserializeOwned>(v: serde_json::Value, root: &str) -> Result<T, Problem> {
    serde_path_to_error::deserialize(v).map_err(|e| problem(root, &e))
}

/// [`decode_value`] from a borrowed value, which the caller keeps (to locate an error in it).
pub(crate) fn decode_ref<T: DeserializeOwned>(v: &serde_json::Value, root: &str) -> Result<T, Problem> {
    serde_path_to_error::deserialize(v).map_err(|e| problem(root, &e))
}

pub(crate) fn problem(root: &str, e: &serde_path_to_error::Error<serde_json::Error>) -> Problem {
    use serde_path_to_error::Segment;
    let mut segments: Vec<&Segment> = e.path().iter().collect();
    // An unknown field's name is input: it is not part of the path we print.
    if e.inner().to_string().starts_with("unknown field") {
        segments.pop();
    }
    let mut path = String::new();
    for seg in segments {
        match seg {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !path.is_empty() {
                    path.push('.');
                }
                // Keys are input too (MLP fields, dates of parameters): printed only when
                // they look like a field name and cannot be a national number.
                let safe = key.len() <= 64
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                    && key.bytes().filter(u8::is_ascii_digit).count() < 9;
                path.push_str(if safe { key } else { "<key>" });
            }
            Segment::Enum { variant } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(variant);
            }
            Segment::Unknown => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push('?');
            }
        }
    }
    problem_of(root, path, e.inner())
}

pub(crate) fn join(root: &str, path: &str) -> String {
    match (root.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => root.to_owned(),
        (false, false) => format!("{root}.{path}"),
    }
}

fn problem_of(root: &str, path: String, e: &serde_json::Error) -> Problem {
    let path = join(root, &path);
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    use serde_json::error::Category;
    let (en, nl) = match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => syntax(msg, e.line(), e.column()),
        Category::Data => {
            if let Some(rest) = msg.strip_prefix(ID_MESSAGE_MARK) {
                let p = match rest {
                    "Empty" => IdProblem::Empty,
                    "TooLong" => IdProblem::TooLong,
                    "NationalNumber" => IdProblem::NationalNumber,
                    _ => IdProblem::Character,
                };
                return Problem {
                    path,
                    en: String::new(),
                    nl: String::new(),
                    id: Some(p),
                };
            }
            data(msg)
        }
    };
    Problem { path, en, nl, id: None }
}

fn syntax(msg: &str, line: usize, column: usize) -> (String, String) {
    let (en, nl) = if msg.contains("recursion limit") {
        ("nested more than 128 levels deep", "meer dan 128 niveaus diep genest")
    } else if msg.contains("EOF") {
        ("the text ends too early", "de tekst houdt te vroeg op")
    } else if msg.contains("trailing") {
        (
            "there is text after the end of the JSON value",
            "er staat tekst na het einde van de JSON-waarde",
        )
    } else if msg.contains("control character") || msg.contains("escape") || msg.contains("unicode") {
        (
            "a string holds a character that JSON does not allow",
            "een tekst bevat een teken dat JSON niet toelaat",
        )
    } else if msg.contains("duplicate") {
        ("a key appears twice", "een sleutel komt twee keer voor")
    } else {
        ("the text is not well-formed JSON", "de tekst is geen geldige JSON")
    };
    (
        format!("{en} (line {line}, column {column})"),
        format!("{nl} (regel {line}, kolom {column})"),
    )
}

/// The kind of value serde found, from its message (`integer `5``, `string "x"`), without
/// the value.
fn found(unexpected: &str) -> (&'static str, &'static str) {
    let kind = unexpected.split(['`', '"']).next().unwrap_or("").trim();
    match kind {
        "integer" | "floating point" => ("a number", "een getal"),
        "string" | "character" => ("text", "tekst"),
        "boolean" => ("true or false", "true of false"),
        "null" | "unit value" => ("null", "null"),
        "map" => ("an object", "een object"),
        "sequence" => ("a list", "een lijst"),
        _ => ("a value", "een waarde"),
    }
}

/// What a field expects, from serde's `expected …` phrase, in our words.
fn expected(phrase: &str) -> (String, String) {
    let p = phrase.trim();
    let fixed = |en: &str, nl: &str| (en.to_owned(), nl.to_owned());
    match p {
        "a string" | "a borrowed string" => fixed("text", "tekst"),
        "a boolean" => fixed("true or false", "true of false"),
        "u8" | "u16" | "u32" => fixed(
            "a whole number from 0 to 4294967295",
            "een geheel getal van 0 tot 4294967295",
        ),
        "u64" | "usize" => fixed("a whole number of 0 or more", "een geheel getal van 0 of meer"),
        "i32" | "i64" | "isize" => fixed("a whole number", "een geheel getal"),
        "a sequence" => fixed("a list", "een lijst"),
        "a map" => fixed("an object", "een object"),
        "option" => fixed("a value or null", "een waarde of null"),
        "a formatted date string" => fixed("a date YYYY-MM-DD", "een datum JJJJ-MM-DD"),
        "a formatted time string" => fixed("a local time HH:MM:SS", "een lokaal uur UU:MM:SS"),
        _ if p.contains("date and time") || p.contains("RFC 3339") => fixed(
            "an RFC 3339 instant such as 2026-03-02T09:00:00+01:00",
            "een RFC 3339-tijdstip zoals 2026-03-02T09:00:00+01:00",
        ),
        _ if p.contains("Decimal") => fixed(
            "a decimal number as text, such as \"12.50\"",
            "een decimaal getal als tekst, zoals \"12.50\"",
        ),
        _ if p.starts_with("struct ")
            || p.starts_with("internally tagged enum")
            || p.starts_with("adjacently tagged") =>
        {
            fixed("an object", "een object")
        }
        _ if p.starts_with("one of ") || p.starts_with('`') => {
            let names: Vec<&str> = p
                .trim_start_matches("one of ")
                .split(['`', ',', ' '])
                .filter(|s| !s.is_empty() && *s != "or")
                .collect();
            let list = names.join(", ");
            (format!("one of {list}"), format!("een van {list}"))
        }
        _ => fixed(
            "a value of the documented form",
            "een waarde van de gedocumenteerde vorm",
        ),
    }
}

fn data(msg: &str) -> (String, String) {
    let split = |rest: &str| -> (String, String) {
        match rest.split_once(", expected ") {
            Some((_, exp)) => expected(exp),
            None => expected(""),
        }
    };
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (f_en, f_nl) = found(rest.split(", expected ").next().unwrap_or(""));
        let (e_en, e_nl) = split(rest);
        return (
            format!("{f_en} where {e_en} was expected"),
            format!("{f_nl} waar {e_nl} verwacht werd"),
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        let (e_en, e_nl) = split(rest);
        return (
            format!("not a valid value; expected {e_en}"),
            format!("geen geldige waarde; verwacht {e_nl}"),
        );
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        let (e_en, e_nl) = split(rest);
        return (
            format!("the wrong number of items; expected {e_en}"),
            format!("het verkeerde aantal elementen; verwacht {e_nl}"),
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        let (e_en, e_nl) = split(rest);
        return (
            format!("an unknown value; expected {e_en}"),
            format!("een onbekende waarde; verwacht {e_nl}"),
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        let (e_en, e_nl) = split(rest);
        return (
            format!(
                "a field that does not belong here; allowed: {}",
                e_en.trim_start_matches("one of ")
            ),
            format!(
                "een veld dat hier niet thuishoort; toegelaten: {}",
                e_nl.trim_start_matches("een van ")
            ),
        );
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let field = rest.trim_matches('`');
        return (
            format!("the field {field} is missing"),
            format!("het veld {field} ontbreekt"),
        );
    }
    if let Some(rest) = msg.strip_prefix("duplicate field ") {
        let field = rest.trim_matches('`');
        return (
            format!("the field {field} appears twice"),
            format!("het veld {field} komt twee keer voor"),
        );
    }
    // Custom messages of date, time and decimal parsers: never echoed (they may quote input).
    (
        "not a valid value of the documented form".to_owned(),
        "geen geldige waarde van de gedocumenteerde vorm".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        n: u32,
        at: chrono::DateTime<chrono::Utc>,
        amount: rust_decimal::Decimal,
        who: crate::ids::PersonId,
        #[serde(default)]
        list: Vec<u32>,
    }

    fn err(json: &str) -> (String, String) {
        match from_str::<Doc>(json, "doc") {
            Err(e) => (e.message_en(), e.message_nl()),
            Ok(_) => (String::new(), String::new()),
        }
    }

    #[test]
    fn aud_3_decode_errors_name_the_path_never_the_value() {
        let ok = r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "1.5", "who": "p"}"#;
        assert!(from_str::<Doc>(ok, "doc").is_ok());
        let cases = [
            (
                r#"{"n": 85073003328, "at": "2026-03-02T09:00:00Z", "amount": "1", "who": "p"}"#,
                "doc.n: not a valid value; expected a whole number from 0 to 4294967295",
            ),
            (
                r#"{"n": 1, "at": 85073003328, "amount": "1", "who": "p"}"#,
                "doc.at: a number where an RFC 3339 instant",
            ),
            (
                r#"{"n": 1, "at": "85073003328", "amount": "1", "who": "p"}"#,
                "doc.at: not a valid value of the documented form",
            ),
            (
                r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "x85073003328", "who": "p"}"#,
                "doc.amount",
            ),
            (
                r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "1", "who": "85073003328"}"#,
                "doc.who: a national number cannot be used as an id",
            ),
            (
                r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "1", "who": "p", "85073003328": 1}"#,
                "doc: a field that does not belong here; allowed: n, at, amount, who, list",
            ),
            (
                r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "1", "who": "p", "list": [1, "85073003328"]}"#,
                "doc.list[1]: text where a whole number",
            ),
            (
                r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "1"}"#,
                "doc: the field who is missing",
            ),
            (r#"{"n": 1, "#, "the text ends too early"),
            (
                "{\"n\": 1, \"at\": \"2026-03-02T09:00:00Z\", \"amount\": \"1\", \"who\": \"p\u{1}85073003328\"}",
                "a string holds a character that JSON does not allow",
            ),
            (
                r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "1", "who": "p\q85073003328"}"#,
                "a string holds a character that JSON does not allow",
            ),
            (
                r#"{"n": 1, "at": "2026-03-02T09:00:00Z", "amount": "1", "who": "p\ud800"}"#,
                "a string holds a character that JSON does not allow",
            ),
        ];
        for (json, want) in cases {
            let (en, nl) = err(json);
            assert!(en.contains(want), "{en:?} should contain {want:?}");
            assert!(
                !en.contains("85073003328") && !nl.contains("85073003328"),
                "{en} / {nl}"
            );
            assert!(
                !nl.contains("expected") && !nl.contains("invalid"),
                "Dutch fully translated: {nl}"
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        let e = from_str::<serde_json::Value>(&deep, "").map(|_| ()).unwrap_err();
        assert!(
            e.message_en().contains("nested more than 128 levels"),
            "{}",
            e.message_en()
        );
        let big = format!("\"{}\"", "x".repeat(100));
        assert!(from_str_max::<String>(&big, "", 50).is_err());
    }
}
