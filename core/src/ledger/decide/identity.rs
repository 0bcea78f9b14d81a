//! People and grants from the identity feed: rules ID-1 (a valid national number), ID-2
//! (name, e-mail, birth date), ID-4 (one person per national number), ACC-1 and ACC-2
//! (grants of a role for an organisation, optionally a branch, with a validity period;
//! revocation) and ACC-3 (work relationships of external and partner trainers).

use super::Cx;
use super::*;

impl<'a> Cx<'a> {
    pub(super) fn register_person(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::RegisterPerson {
            person,
            name,
            email,
            insz,
            birth_date,
            organisation,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        if s.persons.contains_key(person) || person.as_str() == "system" {
            return Err(exists(Entity::Person, person.as_str()));
        }
        if let Some(o) = organisation {
            self.org(o)?;
        }
        let insz = insz.as_ref().map(|i| Insz::parse(&i.0)).transpose()?;
        if let Some(existing) = insz.as_ref().and_then(|n| s.idx.person_by_insz.get(&n.digits())) {
            // ID-4. Only the system registers people, and it sees everyone; the id is named
            // only to an actor who may see that person.
            let shown = s.persons.get(existing).filter(|_| self.az.is_system());
            return Err(Error::DuplicateNationalNumber {
                existing: shown.map(|p| p.id.to_string()),
            });
        }
        let p = Person::new(
            person.clone(),
            name,
            Email::parse(email)?,
            insz,
            *birth_date,
            organisation.clone(),
        )?;
        Ok(vec![Event::PersonRegistered { person: p }])
    }

    pub(super) fn grant_role(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::GrantRole {
            grant,
            person,
            role,
            organisation,
            branch,
            valid_from,
            valid_until,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        if s.grants.contains_key(grant) {
            return Err(exists(Entity::Grant, grant.as_str()));
        }
        self.person(person)?;
        self.org_with_branch(organisation, branch.as_ref())?;
        let validity = validity(*valid_from, *valid_until)?;
        Ok(vec![Event::RoleGranted {
            grant: Grant {
                id: grant.clone(),
                person: person.clone(),
                role: *role,
                organisation: organisation.clone(),
                branch: branch.clone(),
                validity,
                revoked_at: None,
            },
        }])
    }

    pub(super) fn revoke_grant(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::RevokeGrant { grant } = c else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        let g = s
            .grants
            .get(grant)
            .ok_or_else(|| unknown(Entity::Grant, grant.as_str()))?;
        if g.revoked_at.is_some() {
            return Err(Error::invalid(
                format!("grant {grant} is already revoked"),
                format!("recht {grant} is al ingetrokken"),
            ));
        }
        Ok(vec![Event::GrantRevoked {
            grant: grant.clone(),
            at: self.at,
        }])
    }

    pub(super) fn add_work_relationship(&self, c: &Command) -> Result<Vec<Event>, Error> {
        let Command::AddWorkRelationship {
            relationship,
            person,
            organisation,
            promoter,
            kind,
            valid_from,
            valid_until,
        } = c
        else {
            return Err(mismatch());
        };
        let s = self.s;
        self.az.require_system()?;
        if s.relationships.contains_key(relationship) {
            return Err(exists(Entity::Relationship, relationship.as_str()));
        }
        self.person(person)?;
        self.org(organisation)?;
        self.org(promoter)?;
        Ok(vec![Event::WorkRelationshipAdded {
            relationship: WorkRelationship {
                id: relationship.clone(),
                person: person.clone(),
                organisation: organisation.clone(),
                promoter: promoter.clone(),
                kind: *kind,
                validity: validity(*valid_from, *valid_until)?,
            },
        }])
    }
}

fn validity(valid_from: NaiveDate, valid_until: Option<NaiveDate>) -> Result<Validity, Error> {
    if valid_until.is_some_and(|u| u < valid_from) {
        return Err(Error::invalid(
            "valid_until is before valid_from",
            "valid_until ligt voor valid_from",
        ));
    }
    Ok(Validity {
        valid_from,
        valid_until,
    })
}
