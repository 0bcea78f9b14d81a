//! Organisations, branches, calls, projects and trainings. Rules ORG-1 (organisations have
//! branches; a project has one promoter, optionally one branch, and partners), ORG-2
//! (project → training with a unique code → session; `Classroom` or `ELearning`) and ORG-3
//! (a call carries dated parameters, see [`crate::params`]).

use crate::calendar::Calendar;
use crate::ids::{BranchId, CallId, OrgId, ProjectId, TrainingId};
use crate::params::{DatedParams, Params};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An organisation with its branches (ORG-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Id.
    pub id: OrgId,
    /// Name.
    pub name: String,
    /// Branches by id, with their names.
    #[serde(default)]
    pub branches: BTreeMap<BranchId, String>,
}

/// A funding call with its dated parameters and closure dates (ORG-3, DL-3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Id.
    pub id: CallId,
    /// Name.
    pub name: String,
    /// Dated parameters.
    #[serde(default)]
    pub params: DatedParams,
    /// Closure dates the host added to the working-day calendar.
    #[serde(default)]
    pub closures: BTreeSet<NaiveDate>,
}

impl Call {
    /// The parameters in force on `date`.
    pub fn params_on(&self, date: NaiveDate) -> Params {
        self.params.on(date)
    }

    /// The working-day calendar in force on `date` (profile from the parameters, plus
    /// the closure dates).
    pub fn calendar_on(&self, date: NaiveDate) -> Calendar {
        Calendar {
            profile: self.params_on(date).holiday_profile,
            closures: self.closures.clone(),
        }
    }
}

/// An ESF project (ORG-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Id.
    pub id: ProjectId,
    /// Project number as ESF knows it.
    pub number: String,
    /// The call.
    pub call: CallId,
    /// The promoter organisation.
    pub promoter: OrgId,
    /// The promoter's branch, if the project belongs to one (ACC-4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<BranchId>,
    /// Partner organisations (ORG-4).
    #[serde(default)]
    pub partners: BTreeSet<OrgId>,
}

/// Classroom or e-learning (ORG-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrainingKind {
    /// Sessions with a trainer, attendance by QR or by hand.
    Classroom,
    /// Hours entered by the participant, approved by their supervisor (EL-1..3).
    ELearning,
}

/// A training of a project (ORG-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Training {
    /// Id.
    pub id: TrainingId,
    /// The project.
    pub project: ProjectId,
    /// Training code, unique within the project.
    pub code: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: TrainingKind,
}
