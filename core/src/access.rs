//! Roles, grants and work relationships as data from ACM/IDM. Rules ACC-1 (roles), ACC-2
//! (a grant is for an organisation, optionally one branch, with a validity period), ACC-3
//! (external and partner trainers need a valid work relationship). The checks that use them
//! on every command (ACC-4..6, ORG-4, ARC-2) live in [`crate::ledger`]'s authorisation step.

use crate::calendar::local_date;
use crate::ids::{BranchId, GrantId, OrgId, PersonId, RelationshipId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A role (ACC-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Plans sessions, manages participants, submits.
    OrganisationResponsible,
    /// Runs sessions, registers attendance.
    Trainer,
    /// Enters own e-learning hours.
    ProjectStaff,
    /// Approves e-learning hours.
    Supervisor,
    /// Funder side: late corrections and reopenings.
    EsfSupport,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A validity period in Brussels calendar dates, both ends inclusive: a period that ends on
/// 31 March ends at midnight Brussels time between 31 March and 1 April (ACC-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validity {
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
}

impl Validity {
    /// Whether the instant's Brussels date lies in the period.
    pub fn covers(&self, at: DateTime<Utc>) -> bool {
        let d = local_date(at);
        d >= self.valid_from && self.valid_until.is_none_or(|u| d <= u)
    }
}

/// A role granted to a person for an organisation (ACC-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Id.
    pub id: GrantId,
    /// Holder.
    pub person: PersonId,
    /// Role.
    pub role: Role,
    /// Organisation the grant is for.
    pub organisation: OrgId,
    /// Branch, when the grant is bound to one (ACC-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<BranchId>,
    /// Validity period.
    #[serde(flatten)]
    pub validity: Validity,
    /// Instant of revocation, if revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Grant {
    /// Valid at `at`: inside its period and not revoked before (ACC-2).
    pub fn is_valid(&self, at: DateTime<Utc>) -> bool {
        self.validity.covers(at) && self.revoked_at.is_none_or(|r| at < r)
    }
}

/// Kind of work relationship (werkrelatie).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelationshipKind {
    /// Vast.
    Permanent,
    /// Extern.
    External,
    /// Gedelegeerd.
    Delegated,
}

/// A person's work relationship between their organisation and a promoter (ACC-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkRelationship {
    /// Id.
    pub id: RelationshipId,
    /// The trainer.
    pub person: PersonId,
    /// The trainer's organisation.
    pub organisation: OrgId,
    /// The promoter they act for.
    pub promoter: OrgId,
    /// Kind.
    pub kind: RelationshipKind,
    /// Validity period.
    #[serde(flatten)]
    pub validity: Validity,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acc_1_roles_display_as_they_are_written_in_commands() {
        // Hosts show roles to people and match them against the JSON of grants.
        for r in [
            Role::Trainer,
            Role::OrganisationResponsible,
            Role::EsfSupport,
            Role::Supervisor,
        ] {
            let json = serde_json::to_string(&r).unwrap_or_default();
            assert_eq!(format!("\"{r}\""), json);
        }
    }
}
