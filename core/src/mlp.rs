//! MLP profile fields (MLP-1) and the completeness report (MLP-2). The profile is a map from
//! field name to value so that fields can be added without breaking stored state; the known
//! fields (the ESF+ common indicators) are checked, and hosts may add their own fields under
//! the `x_` prefix.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The ESF+ common indicators with their allowed values (`None`: an ISO date).
pub const FIELDS: &[(&str, Option<&[&str]>)] = &[
    ("sex", Some(&["F", "M", "X"])),
    ("date_of_birth", None),
    (
        "employment_status",
        Some(&[
            "unemployed",
            "long_term_unemployed",
            "inactive",
            "employed",
            "self_employed",
        ]),
    ),
    ("education_level", Some(&["isced_0_2", "isced_3_4", "isced_5_8"])),
    ("disability", Some(YES_NO)),
    ("third_country_national", Some(YES_NO)),
    ("foreign_background", Some(YES_NO)),
    ("minority", Some(YES_NO)),
    ("homelessness", Some(YES_NO)),
];

const YES_NO: &[&str] = &["yes", "no", "undisclosed"];

/// A participant's MLP profile (MLP-1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Profile {
    /// Field values by name.
    pub fields: BTreeMap<String, String>,
}

/// Checks one field (MLP-1).
///
/// # Errors
/// [`Error::InvalidMlpField`] for an unknown name (without `x_`) or a value not allowed.
pub fn validate_field(name: &str, value: &str) -> Result<(), Error> {
    let bad = |reason: String, reason_nl: String| {
        Err(Error::InvalidMlpField {
            field: name.to_owned(),
            reason,
            reason_nl,
        })
    };
    if name.starts_with("x_") && name.len() > 2 {
        return Ok(());
    }
    let known = FIELDS.iter().map(|f| f.0).collect::<Vec<_>>().join(", ");
    match FIELDS.iter().find(|(n, _)| *n == name) {
        None => bad(
            format!("unknown field; known: {known}; host fields start with x_"),
            format!("onbekend veld; gekend: {known}; velden van de host beginnen met x_"),
        ),
        Some((_, Some(allowed))) if !allowed.contains(&value) => bad(
            format!("must be one of {}", allowed.join(", ")),
            format!("moet een van {} zijn", allowed.join(", ")),
        ),
        Some((_, None)) if chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() => bad(
            "must be a date YYYY-MM-DD".into(),
            "moet een datum JJJJ-MM-DD zijn".into(),
        ),
        _ => Ok(()),
    }
}

impl Profile {
    /// The known fields not filled in (MLP-2).
    pub fn missing(&self) -> Vec<&'static str> {
        FIELDS
            .iter()
            .map(|f| f.0)
            .filter(|n| !self.fields.contains_key(*n))
            .collect()
    }
}
