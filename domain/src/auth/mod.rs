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

pub mod integration_tokens;
pub mod tokens;

use std::fmt;

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
            return Err(Error::Forbidden);
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
            Err(Error::Forbidden)
        } else {
            Ok(())
        }
    }

    /// Refuses roles that may never change the structure, before anything is looked
    /// up: viewers and integrations are `FORBIDDEN` whatever the organization.
    pub fn may_write_structure(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::Editor => Ok(()),
            Role::Viewer | Role::Integration => Err(Error::Forbidden),
        }
    }

    /// May change the structure of `organization`.
    pub fn may_write(&self, organization: Uuid, what: &'static str) -> Result<()> {
        self.may_write_structure()?;
        if !self.reaches(organization) {
            return Err(Error::not_found(what));
        }
        Ok(())
    }

    /// May push KPI data into `organization`: integrations, editors and admins.
    pub fn may_push_kpis(&self, organization: Uuid) -> Result<()> {
        if self.role == Role::Viewer {
            return Err(Error::Forbidden);
        }
        if !self.reaches(organization) {
            return Err(Error::not_found("organization"));
        }
        Ok(())
    }

    /// May read KPI data of `organization`: every role within its reach.
    pub fn may_read_kpis(&self, organization: Uuid) -> Result<()> {
        if !self.reaches(organization) {
            return Err(Error::not_found("organization"));
        }
        Ok(())
    }

    /// Admins only.
    pub fn must_be_admin(&self) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }
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

    /// The principal, when it may change the structure of the organization whose id the
    /// input `field` holds; with that organization's id. Roles that may never write are
    /// `FORBIDDEN` before the id is read; an organization out of reach is `NOT_FOUND`
    /// on `field`, like an unknown one.
    pub fn writer_of(&self, field: &str, id: &str) -> Result<(&Principal, Uuid)> {
        let principal = self.principal()?;
        principal.may_write_structure()?;
        let organization = crate::parse_id(field, id)?;
        principal
            .may_write(organization, "organization")
            .map_err(|e| e.on_field(field))?;
        Ok((principal, organization))
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

    #[test]
    fn another_organization_is_not_found_and_a_role_without_the_right_is_forbidden() {
        let (own, other) = (Uuid::now_v7(), Uuid::now_v7());
        let viewer = principal(Role::Viewer, &[own]);
        assert!(viewer.may_read(own, "unit").is_ok());
        assert!(matches!(
            viewer.may_read(other, "unit"),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            viewer.may_write(own, "unit"),
            Err(Error::Forbidden)
        ));
        let editor = principal(Role::Editor, &[own]);
        assert!(editor.may_write(own, "unit").is_ok());
        assert!(matches!(
            editor.may_write(other, "unit"),
            Err(Error::NotFound { .. })
        ));
        let integration = principal(Role::Integration, &[own]);
        assert!(matches!(
            integration.may_read(own, "unit"),
            Err(Error::Forbidden)
        ));
        let admin = principal(Role::Admin, &[]);
        assert!(admin.may_write(other, "unit").is_ok());
        assert_eq!(admin.scope(), None);
        assert_eq!(viewer.scope(), Some(&[own][..]));
    }
}
