//! Authorisation of every command and query (ACC-1..6, ORG-4, ARC-2). A rejection names the
//! missing right. To someone with no grant at all on a project's organisations, a target
//! that exists and one that does not get the same answer (ACC-6).

use super::Actor;
use super::state::State;
use crate::access::{Grant, Role};
use crate::error::{Error, Text, txt};
use crate::ids::{GrantId, OrgId, PersonId};
use crate::org::Project;
use crate::session::Session;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

/// The standing of an OrganisationResponsible in a project (ORG-4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Of the promoter organisation, in branch scope: everything, including submitting.
    Promoter,
    /// Of a partner: only its own sessions and participants.
    Partner(OrgId),
}

#[derive(Clone, Copy)]
pub(crate) struct Authz<'a> {
    pub s: &'a State,
    pub actor: &'a Actor,
    pub at: DateTime<Utc>,
    /// The actor's grants, looked up once (a scan asks about them five or six times)…
    mine: [Option<&'a Grant>; 4],
    /// …or, for an actor with more than four, their ids (each looked up when asked).
    more: Option<&'a BTreeSet<GrantId>>,
    /// The actor's employer when they hold grants (kept with them, [`super::state::Holder`]): `None` when
    /// they hold none, and the person record is asked.
    employer: Option<Option<&'a OrgId>>,
}

/// Whether a grant's organisation and branch cover a project (ACC-4, ORG-4).
fn in_scope(g: &Grant, p: &Project) -> bool {
    (g.organisation == p.promoter && (g.branch.is_none() || g.branch == p.branch))
        || p.partners.contains(&g.organisation)
}

impl<'a> Authz<'a> {
    /// What `actor` may do at `at` in the state `s`.
    pub fn new(s: &'a State, actor: &'a Actor, at: DateTime<Utc>) -> Self {
        let holder = match actor {
            Actor::Person(p) => s.idx.grants_by_person.get(p),
            Actor::System => None,
        };
        let ids = holder.map(|h| &h.grants);
        let mut mine = [None; 4];
        let more = match ids {
            Some(ids) if ids.len() <= mine.len() => {
                for (slot, g) in mine.iter_mut().zip(ids.iter().filter_map(|g| s.grants.get(g))) {
                    *slot = Some(g);
                }
                None
            }
            more => more,
        };
        Authz {
            s,
            actor,
            at,
            mine,
            more,
            employer: holder.map(|h| h.employer.as_ref()),
        }
    }

    /// The actor's grants in the order of their ids (none for the system actor).
    fn grants(&self) -> impl Iterator<Item = &'a Grant> + 'a {
        let s = self.s;
        let more = self.more.into_iter().flatten().filter_map(move |g| s.grants.get(g));
        self.mine.into_iter().flatten().chain(more)
    }

    pub fn person(&self) -> Option<&'a PersonId> {
        match self.actor {
            Actor::Person(p) => Some(p),
            Actor::System => None,
        }
    }

    pub fn is_system(&self) -> bool {
        matches!(self.actor, Actor::System)
    }

    fn valid(&self, role: Role) -> impl Iterator<Item = &'a Grant> + 'a {
        let at = self.at;
        self.grants().filter(move |g| g.role == role && g.is_valid(at))
    }

    /// System actor only (identity feed, ESF back office).
    pub fn require_system(&self) -> Result<(), Error> {
        if self.is_system() {
            Ok(())
        } else {
            Err(Error::access(
                txt(
                    "the system actor (identity feed or ESF back office)",
                    "de systeemactor (identiteitsfeed of ESF-backoffice)",
                ),
                "ACC-1",
            ))
        }
    }

    /// Holds a valid EsfSupport grant.
    pub fn is_support(&self) -> bool {
        self.valid(Role::EsfSupport).next().is_some()
    }

    pub fn standing(&self, p: &Project) -> Option<Standing> {
        let mut partner = None;
        for g in self.valid(Role::OrganisationResponsible).filter(|g| in_scope(g, p)) {
            if g.organisation == p.promoter {
                return Some(Standing::Promoter);
            }
            partner = Some(Standing::Partner(g.organisation.clone()));
        }
        partner
    }

    /// May see the project at all (any valid grant in scope, support, system).
    pub fn sees_project(&self, p: &Project) -> bool {
        self.is_system() || self.is_support() || self.grants().any(|g| g.is_valid(self.at) && in_scope(g, p))
    }

    /// May see the session (ARC-2): system, support, the promoter, the partner that owns it,
    /// a trainer of the owning organisation or assigned to it.
    pub fn sees_session(&self, sess: &Session, p: &Project) -> bool {
        if self.is_system() || self.is_support() {
            return true;
        }
        match self.standing(p) {
            Some(Standing::Promoter) => return true,
            Some(Standing::Partner(o)) if o == sess.owner => return true,
            _ => {}
        }
        let assigned = self.person().is_some_and(|me| sess.trainers.contains(me));
        self.valid(Role::Trainer)
            .any(|g| in_scope(g, p) && (assigned || g.organisation == sess.owner))
    }

    /// The precise refusal for an actor who may see the target (whoever may not gets the
    /// answer a missing target gets, ACC-6): ACC-4 when they hold a valid grant of a role that
    /// would allow it, but for another branch; ACC-1 when they hold none. Outside its validity
    /// a grant does not exist (ACC-2), for every role: an expired or revoked grant counts as
    /// none.
    pub fn deny(&self, p: Option<&Project>, roles: &[Role], needed: Text) -> Error {
        let Some(p) = p else {
            return Error::access(needed, "ACC-6");
        };
        if self.person().is_none() {
            return Error::access(needed, "ACC-1");
        }
        let mine: Vec<&Grant> = self
            .grants()
            .filter(|g| g.organisation == p.promoter || p.partners.contains(&g.organisation))
            .collect();
        if mine.is_empty() {
            return Error::access(needed, "ACC-6");
        }
        let of_role: Vec<&&Grant> = mine.iter().filter(|g| roles.contains(&g.role)).collect();
        if of_role.iter().any(|g| g.is_valid(self.at) && !in_scope(g, p)) {
            return Error::access(
                txt(
                    format!("{} (your grant is bound to another branch)", needed.0),
                    format!("{} (uw recht is beperkt tot een andere vestiging)", needed.1),
                ),
                "ACC-4",
            );
        }
        Error::access(needed, "ACC-1")
    }

    /// Holds a valid grant of `role` whose scope covers the project.
    pub fn has_role_in(&self, p: &Project, role: Role) -> bool {
        self.valid(role).any(|g| in_scope(g, p))
    }

    /// An assigned trainer with a valid Trainer grant in scope and, when not employed by the
    /// promoter, a valid work relationship with it (ACC-3, ACC-5).
    pub fn check_trainer(&self, sess: &Session, p: &Project) -> Result<(), Error> {
        let Some(me) = self.person() else {
            return Err(self.deny(Some(p), &[Role::Trainer, Role::OrganisationResponsible], run()));
        };
        let assigned = sess.trainers.contains(me);
        if !assigned {
            return Err(if self.sees_session(sess, p) {
                Error::access(
                    txt(
                        "to be an assigned trainer of this session",
                        "toegewezen opleider van deze sessie zijn",
                    ),
                    "ACC-5",
                )
            } else {
                self.deny(Some(p), &[Role::Trainer, Role::OrganisationResponsible], run())
            });
        }
        if !self.valid(Role::Trainer).any(|g| in_scope(g, p)) {
            return Err(self.deny(Some(p), &[Role::Trainer, Role::OrganisationResponsible], run()));
        }
        let employer = match self.employer {
            Some(known) => known,
            None => self.s.persons.get(me).and_then(|x| x.organisation.as_ref()),
        };
        let employed_by_promoter = employer == Some(&p.promoter);
        if !employed_by_promoter
            && !self
                .s
                .relationships_of(me)
                .any(|r| r.promoter == p.promoter && r.validity.covers(self.at))
        {
            return Err(Error::access(
                txt(
                    format!(
                        "a valid work relationship with the promoter {} (external or partner trainer)",
                        p.promoter
                    ),
                    format!(
                        "een geldige werkrelatie met promotor {} (externe of partneropleider)",
                        p.promoter
                    ),
                ),
                "ACC-3",
            ));
        }
        Ok(())
    }

    /// Promoter or owning partner (edits), ORG-4.
    pub fn check_editor(&self, sess: Option<&Session>, p: &Project) -> Result<Standing, Error> {
        match self.standing(p) {
            Some(Standing::Promoter) => Ok(Standing::Promoter),
            Some(Standing::Partner(o)) if sess.is_none_or(|s| s.owner == o) => Ok(Standing::Partner(o)),
            Some(Standing::Partner(_)) => Err(Error::access(not_your_session(), "ORG-4")),
            None => Err(self.deny(Some(p), &[Role::OrganisationResponsible], edit())),
        }
    }

    /// Editor, or assigned trainer (running a session).
    pub fn check_runner(&self, sess: &Session, p: &Project) -> Result<(), Error> {
        // An editor of this session (as `check_editor`, without making the refusal a trainer
        // would get from it: every scan by a trainer passes here).
        match self.standing(p) {
            Some(Standing::Promoter) => Ok(()),
            Some(Standing::Partner(o)) if sess.owner == o => Ok(()),
            _ => self.check_trainer(sess, p),
        }
    }

    pub fn require_support(&self) -> Result<(), Error> {
        if self.is_support() {
            Ok(())
        } else {
            Err(Error::access(support(), "ACC-1"))
        }
    }
}

/// OrganisationResponsible of the promoter or owning partner.
pub(crate) fn edit() -> Text {
    txt(
        "a valid OrganisationResponsible grant for the project's promoter (or the partner that planned the session)",
        "een geldig recht OrganisationResponsible voor de promotor van het project (of de partner die de sessie plande)",
    )
}

/// Assigned trainer or OrganisationResponsible.
pub(crate) fn run() -> Text {
    txt(
        "a valid Trainer grant and assignment to the session, or a valid OrganisationResponsible grant for the project",
        "een geldig recht Trainer en toewijzing aan de sessie, of een geldig recht OrganisationResponsible voor het project",
    )
}

/// EsfSupport.
pub(crate) fn support() -> Text {
    txt("a valid EsfSupport grant", "een geldig recht EsfSupport")
}

/// A partner reaching for someone else's session.
pub(crate) fn not_your_session() -> Text {
    txt(
        "to be the promoter organisation or the partner that planned this session",
        "de promotororganisatie zijn of de partner die deze sessie plande",
    )
}

/// Any right on the project (queries).
pub(crate) fn any_right() -> Text {
    txt("a right on the project", "een recht op het project")
}
