//! Identifiers. Every entity is named by an opaque id the host chooses (the engine has no
//! randomness, so it never invents one). Ids are newtypes so that a session id cannot be
//! passed where a person id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Wraps a host-chosen identifier.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
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
}
