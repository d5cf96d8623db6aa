//! Who is asking, and what they may do.
//!
//! Every request carries a [`RequestContext`] with the [`Principal`] its bearer token
//! names (or none). Resolvers and services ask the principal, never headers:
//!
//! | role | may |
//! |---|---|
//! | `admin` | everything, in every organization, including organizations themselves and tokens |
//! | `editor` | read and write the structure of its organizations; issue and revoke their integration tokens; read their audit log |
//! | `viewer` | read the structure of its organizations |
//! | `integration` | push and read KPI data of its organization, nothing else |
//!
//! An object of an organization outside the principal's reach is reported as not found,
//! so its existence is never confirmed.
//!
//! # Changes are authorized once
//!
//! Whether a role may change anything is decided in one place: the functions of
//! [`RequestContext`] that grant a [`Capability`] ([`RequestContext::writer`] for the
//! structure and settings, [`RequestContext::kpi_pusher`] for KPI pushes,
//! [`RequestContext::admin`] for what only admins do). A capability can be made no other
//! way, so holding one is the proof that the role allows the change. The edges
//! (resolvers, REST handlers, the CLI) obtain it first, before they read their input,
//! so a role that may not act learns nothing from its input's errors; every service
//! that changes something takes it instead of the bare context, and the write protocol
//! ([`crate::write::begin`]) asks of it only whether the organization is in reach
//! ([`Capability::reach`]). Nothing after the grant asks the role again.

pub mod integration_tokens;
pub mod tokens;

use std::{fmt, marker::PhantomData};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// A principal's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Editor,
    Viewer,
    Integration,
}

impl Role {
    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Editor => "editor",
            Self::Viewer => "viewer",
            Self::Integration => "integration",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`: who acts, as written to the audit log.
    pub subject: String,
    pub role: Role,
    /// The organizations the token may touch; ignored for admins, who touch all.
    pub organizations: Vec<Uuid>,
    /// The token's `jti`.
    pub token_id: Option<String>,
}

impl Principal {
    /// A principal for work the service does on its own behalf (the demo loader).
    pub fn system(subject: &str) -> Self {
        Self {
            subject: subject.to_owned(),
            role: Role::Admin,
            organizations: Vec::new(),
            token_id: None,
        }
    }

    /// Whether the principal reaches `organization` at all.
    pub fn reaches(&self, organization: Uuid) -> bool {
        self.role == Role::Admin || self.organizations.contains(&organization)
    }

    /// The organizations a listing is limited to; `None` means all (admins).
    pub fn scope(&self) -> Option<&[Uuid]> {
        (self.role != Role::Admin).then_some(self.organizations.as_slice())
    }

    /// May read the structure of `organization`: integrations may not (`FORBIDDEN`),
    /// an organization out of reach is `NOT_FOUND`.
    pub fn may_read(&self, organization: Uuid, what: &'static str) -> Result<()> {
        if self.role == Role::Integration {
            return Err(refused(READING_STRUCTURE, self.role));
        }
        if !self.reaches(organization) {
            return Err(Error::not_found(what));
        }
        Ok(())
    }

    /// Whether `may_read` would pass; for lookups that answer `null` when not.
    pub fn can_read(&self, organization: Uuid) -> bool {
        self.role != Role::Integration && self.reaches(organization)
    }

    /// Refuses roles that may never read the structure, before anything is looked up.
    pub fn may_read_structure(&self) -> Result<()> {
        if self.role == Role::Integration {
            Err(refused(READING_STRUCTURE, self.role))
        } else {
            Ok(())
        }
    }

    /// May read KPI data of `organization`: every role within its reach.
    pub fn may_read_kpis(&self, organization: Uuid) -> Result<()> {
        if !self.reaches(organization) {
            return Err(Error::not_found("organization"));
        }
        Ok(())
    }
}

/// What reading the structure takes.
const READING_STRUCTURE: &str = "reading an organization's structure, insights and scenarios takes \
     a viewer, editor or admin token (an integration token pushes and reads KPI data only)";

/// The `FORBIDDEN` of an act that `takes` another role than the caller's `role`: what it
/// takes and what the caller holds, nothing about what exists.
pub fn refused(takes: &str, role: Role) -> Error {
    let article = if role == Role::Viewer { "a" } else { "an" };
    Error::Forbidden(format!(
        "not allowed: {takes}; this token is {article} {role} token"
    ))
}

/// Per-request data: built by the HTTP layer, read by resolvers and services.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Echoed in the `x-request-id` response header, written to logs and the audit log.
    pub request_id: String,
    /// `None` when the request carried no token.
    pub principal: Option<Principal>,
}

impl RequestContext {
    /// The principal, or `UNAUTHENTICATED`.
    pub fn principal(&self) -> Result<&Principal> {
        self.principal.as_ref().ok_or(Error::Unauthenticated)
    }

    /// The capability to change the structure and settings of the organizations in
    /// reach: admins and editors. Viewers and integrations are `FORBIDDEN`. The one
    /// place this is decided.
    pub fn writer(&self) -> Result<Writer<'_>> {
        let principal = self.principal()?;
        match principal.role {
            Role::Admin | Role::Editor => Ok(Capability::granted(self, principal)),
            Role::Viewer | Role::Integration => Err(refused(
                "changing an organization (its structure, scenarios, stakeholders, priorities, \
                 webhooks or integration tokens) takes an editor's or an admin's token",
                principal.role,
            )),
        }
    }

    /// The capability to push KPI data into the organizations in reach: integrations,
    /// editors and admins. Viewers are `FORBIDDEN`. The one place this is decided.
    pub fn kpi_pusher(&self) -> Result<KpiPusher<'_>> {
        let principal = self.principal()?;
        match principal.role {
            Role::Admin | Role::Editor | Role::Integration => {
                Ok(Capability::granted(self, principal))
            }
            Role::Viewer => Err(refused(
                "pushing KPI data takes an integration, editor or admin token",
                principal.role,
            )),
        }
    }

    /// The capability to do what only admins do (create organizations, archive and
    /// restore them); every other role is `FORBIDDEN`. The one place this is decided.
    pub fn admin(&self) -> Result<Admin<'_>> {
        let principal = self.principal()?;
        match principal.role {
            Role::Admin => Ok(Capability::granted(self, principal)),
            Role::Editor | Role::Viewer | Role::Integration => Err(refused(
                "creating, archiving and restoring organizations takes an admin's token",
                principal.role,
            )),
        }
    }

    /// The [`writer`](Self::writer) capability and the organization whose id the input
    /// `field` holds, when it is in reach. Roles that may never write are `FORBIDDEN`
    /// before the id is read; an organization out of reach is `NOT_FOUND` on `field`,
    /// like an unknown one.
    pub fn writer_of(&self, field: &str, id: &str) -> Result<(Writer<'_>, Uuid)> {
        let writer = self.writer()?;
        let organization = crate::parse_id(field, id)?;
        writer.reach(organization, "organization", field)?;
        Ok((writer, organization))
    }

    /// The id of the organization the input `field` holds, when the principal may read
    /// its KPI data (every role within reach; elsewhere `NOT_FOUND` on `field`).
    pub fn kpi_reader_of(&self, field: &str, id: &str) -> Result<Uuid> {
        let principal = self.principal()?;
        let organization = crate::parse_id(field, id)?;
        principal
            .may_read_kpis(organization)
            .map_err(|e| e.on_field(field))?;
        Ok(organization)
    }

    /// A context for the service acting on its own (the demo loader, the CLI).
    pub fn system(subject: &str) -> Self {
        Self {
            request_id: format!("{subject}-{}", Uuid::now_v7()),
            principal: Some(Principal::system(subject)),
        }
    }
}

/// What a request was found allowed to do, granted only by the function of
/// [`RequestContext`] that decides it for the right `R` ([`Writer`], [`KpiPusher`],
/// [`Admin`]): services that change something take one, so none of them asks the role
/// again. What it still leaves open is which organizations: [`Capability::reach`].
#[derive(Debug)]
pub struct Capability<'a, R> {
    ctx: &'a RequestContext,
    principal: &'a Principal,
    right: PhantomData<R>,
}

/// The right to change the structure and settings of an organization.
#[derive(Debug)]
pub enum ChangeStructure {}

/// The right to push KPI data into an organization.
#[derive(Debug)]
pub enum PushKpis {}

/// The right to do what only admins do.
#[derive(Debug)]
pub enum Administer {}

/// May change the structure and settings of the organizations in reach
/// ([`RequestContext::writer`]).
pub type Writer<'a> = Capability<'a, ChangeStructure>;

/// May push KPI data into the organizations in reach ([`RequestContext::kpi_pusher`]).
pub type KpiPusher<'a> = Capability<'a, PushKpis>;

/// May do what only admins do ([`RequestContext::admin`]).
pub type Admin<'a> = Capability<'a, Administer>;

impl<R> Clone for Capability<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Capability<'_, R> {}

impl<'a, R> Capability<'a, R> {
    /// Private: only the functions of [`RequestContext`] that decide the role grant one.
    fn granted(ctx: &'a RequestContext, principal: &'a Principal) -> Self {
        Self {
            ctx,
            principal,
            right: PhantomData,
        }
    }

    /// The request the capability was granted to (its request id goes to the audit log).
    pub fn context(self) -> &'a RequestContext {
        self.ctx
    }

    /// Who holds it.
    pub fn principal(self) -> &'a Principal {
        self.principal
    }

    /// Whether `organization` is in the holder's reach: `NOT_FOUND` on `field` (as a
    /// `what`) otherwise, exactly as if it did not exist. Never a question of the role,
    /// which the grant decided.
    pub fn reach(self, organization: Uuid, what: &'static str, field: &str) -> Result<()> {
        if self.principal.reaches(organization) {
            Ok(())
        } else {
            Err(Error::not_found_at(what, field))
        }
    }
}

impl<'a> Writer<'a> {
    /// The [`Admin`] capability of the same request, for a change only admins make
    /// (`FORBIDDEN` for editors): [`RequestContext::admin`].
    pub fn admin(self) -> Result<Admin<'a>> {
        self.ctx.admin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, orgs: &[Uuid]) -> Principal {
        Principal {
            subject: "t".to_owned(),
            role,
            organizations: orgs.to_vec(),
            token_id: None,
        }
    }

    fn request(role: Role, orgs: &[Uuid]) -> RequestContext {
        RequestContext {
            request_id: "r".to_owned(),
            principal: Some(principal(role, orgs)),
        }
    }

    #[test]
    fn another_organization_is_not_found_and_a_role_without_the_right_is_forbidden() -> Result<()> {
        let (own, other) = (Uuid::now_v7(), Uuid::now_v7());
        let viewer = principal(Role::Viewer, &[own]);
        assert!(viewer.may_read(own, "unit").is_ok());
        assert!(matches!(
            viewer.may_read(other, "unit"),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            request(Role::Viewer, &[own]).writer(),
            Err(Error::Forbidden(_))
        ));
        let editor = request(Role::Editor, &[own]);
        let writer = editor.writer()?;
        assert!(writer.reach(own, "unit", "id").is_ok());
        assert!(matches!(
            writer.reach(other, "unit", "id"),
            Err(Error::NotFound { .. })
        ));
        let integration = principal(Role::Integration, &[own]);
        assert!(matches!(
            integration.may_read(own, "unit"),
            Err(Error::Forbidden(_))
        ));
        let admin = principal(Role::Admin, &[]);
        let admin_request = request(Role::Admin, &[]);
        assert!(admin_request.writer()?.reach(other, "unit", "id").is_ok());
        assert_eq!(admin.scope(), None);
        assert_eq!(viewer.scope(), Some(&[own][..]));
        Ok(())
    }

    #[test]
    fn each_capability_is_granted_to_the_roles_it_names_and_no_others() {
        let granted = |role| {
            let ctx = request(role, &[]);
            (
                ctx.writer().is_ok(),
                ctx.kpi_pusher().is_ok(),
                ctx.admin().is_ok(),
            )
        };
        assert_eq!(granted(Role::Admin), (true, true, true));
        assert_eq!(granted(Role::Editor), (true, true, false));
        assert_eq!(granted(Role::Viewer), (false, false, false));
        assert_eq!(granted(Role::Integration), (false, true, false));
        let anonymous = RequestContext {
            request_id: "r".to_owned(),
            principal: None,
        };
        assert!(matches!(anonymous.writer(), Err(Error::Unauthenticated)));
        assert!(matches!(
            anonymous.kpi_pusher(),
            Err(Error::Unauthenticated)
        ));
    }
}
