//! Organisations, calls and projects: rules ORG-1 (organisations, branches, projects with a
//! promoter, a branch and partners), ORG-2 (trainings with a code unique in the project,
//! classroom or e-learning), ORG-3 (dated call parameters in their ranges, the trainings cap,
//! whether e-learning is allowed) and DL-3 (closure dates of the call's calendar).

use super::Cx;
use super::*;

impl<'a> Cx<'a> {
    pub(super) fn create_organisation(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CreateOrganisation { organisation, name } = c else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        if s.organisations.contains_key(organisation) {
            return Err(exists(Entity::Organisation, organisation.as_str()));
        }
        Ok(vec![Event::OrganisationCreated {
            organisation: organisation.clone(),
            name: name.clone(),
        }])
    }

    pub(super) fn add_branch(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::AddBranch {
            organisation,
            branch,
            name,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        let o = s
            .organisations
            .get(organisation)
            .ok_or_else(|| unknown(Entity::Organisation, organisation.as_str()))?;
        if o.branches.contains_key(branch) {
            return Err(exists(Entity::Branch, branch.as_str()));
        }
        Ok(vec![Event::BranchAdded {
            organisation: organisation.clone(),
            branch: branch.clone(),
            name: name.clone(),
        }])
    }

    pub(super) fn create_call(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CreateCall { call, name } = c else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        if s.calls.contains_key(call) {
            return Err(exists(Entity::Call, call.as_str()));
        }
        Ok(vec![Event::CallCreated {
            call: call.clone(),
            name: name.clone(),
        }])
    }

    pub(super) fn set_parameter(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::SetParameter {
            call,
            valid_from,
            parameter,
        } = c
        else {
            return Err(mismatch());
        };
        self.az.require_system()?;
        self.call(call)?;
        parameter.validate()?;
        Ok(vec![Event::ParameterSet {
            call: call.clone(),
            valid_from: *valid_from,
            parameter: parameter.clone(),
        }])
    }

    pub(super) fn add_closure_dates(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::AddClosureDates { call, dates } = c else {
            return Err(mismatch());
        };
        self.az.require_system()?;
        self.call(call)?;
        Ok(vec![Event::ClosureDatesAdded {
            call: call.clone(),
            dates: dates.clone(),
        }])
    }

    pub(super) fn create_project(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::CreateProject {
            project,
            number,
            call,
            promoter,
            branch,
            partners,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        if s.projects.contains_key(project) {
            return Err(exists(Entity::Project, project.as_str()));
        }
        self.call(call)?;
        self.org_with_branch(promoter, branch.as_ref())?;
        for p in partners {
            self.org(p)?;
        }
        Ok(vec![Event::ProjectCreated {
            project: Project {
                id: project.clone(),
                number: number.clone(),
                call: call.clone(),
                promoter: promoter.clone(),
                branch: branch.clone(),
                partners: partners.iter().filter(|p| *p != promoter).cloned().collect(),
            },
        }])
    }

    pub(super) fn add_training(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::AddTraining {
            training,
            project,
            code,
            name,
            kind,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        if s.trainings.contains_key(training) {
            return Err(exists(Entity::Training, training.as_str()));
        }
        let p = s
            .projects
            .get(project)
            .ok_or_else(|| unknown(Entity::Project, project.as_str()))?;
        let codes = s.idx.project_codes.get(project);
        if codes.is_some_and(|c| c.contains_key(code)) {
            return Err(Error::DuplicateTrainingCode { code: code.clone() });
        }
        let params = s
            .calls
            .get(&p.call)
            .map(|c| c.params_on(self.today))
            .unwrap_or_default();
        if let Some(max) = params.max_trainings_per_project
            && codes.map_or(0, |c| c.len()) >= max as usize
        {
            return Err(Error::TooManyTrainings { max });
        }
        if *kind == TrainingKind::ELearning && !params.elearning_allowed {
            return Err(Error::ElearningNotAllowed);
        }
        Ok(vec![Event::TrainingAdded {
            training: Training {
                id: training.clone(),
                project: project.clone(),
                code: code.clone(),
                name: name.clone(),
                kind: *kind,
            },
        }])
    }
}
