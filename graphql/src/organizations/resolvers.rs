//! Organization queries and mutations.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use orgdesign_domain::{
    Line, Name, Slug,
    error::{Error, Result},
    organizations::service::{
        self, NewOrganization, OrganizationChanges, OrganizationFilter, OrganizationOrder,
    },
    parse_count, parse_id,
};

use super::types::Organization;
use crate::{
    context::{db, limits, request, store},
    enums::CollaborationModel,
    error::{AtInput, GqlResult},
    pagination::{self, Page},
};

/// Largest employee count accepted: above any company on earth, below overflow.
const MAX_EMPLOYEES: i32 = 10_000_000;

/// Fields to order organizations by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum OrganizationOrderField {
    /// By name.
    Name,
    /// By slug.
    Slug,
    /// By when each was created.
    CreatedAt,
}

/// Sort direction.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Ascending: A to Z, oldest first (the default).
    #[default]
    Asc,
    /// Descending: Z to A, newest first.
    Desc,
}

/// How to order `organizations`.
#[derive(InputObject, Debug)]
pub struct OrganizationOrderBy {
    /// What to order by.
    field: OrganizationOrderField,
    /// Which way (default `ASC`).
    #[graphql(default)]
    direction: OrderDirection,
}

/// Which organizations to list.
#[derive(InputObject, Debug, Default)]
pub struct OrganizationFilterInput {
    /// Case-insensitive part of the name or slug.
    search: Option<String>,
    /// Only organizations whose industry is exactly this text (up to 200 characters).
    industry: Option<String>,
    /// Whether archived organizations are listed too (default `false`).
    #[graphql(default = false)]
    include_archived: bool,
}

/// Input of `createOrganization`.
#[derive(InputObject, Debug)]
pub struct CreateOrganizationInput {
    /// 3-63 lower-case letters, digits and single hyphens, starting with a letter.
    slug: String,
    /// Display name: one line, up to 200 characters.
    name: String,
    /// Its industry, free text up to 200 characters; blank or null for none.
    industry: Option<String>,
    /// Headcount, 0 to 10,000,000; null when unknown.
    employee_count: Option<i32>,
    /// The collaboration model the organization says it runs; null when undeclared.
    declared_model: Option<CollaborationModel>,
}

/// Input of `updateOrganization`: absent fields stay, `null` clears optional ones.
#[derive(InputObject, Debug)]
pub struct UpdateOrganizationInput {
    /// The organization to change.
    id: ID,
    /// The version the change was made against; a newer stored one is a `CONFLICT`.
    version: i32,
    /// A new slug, same rules as at creation; a taken one is a `CONFLICT`.
    slug: Option<String>,
    /// A new name, up to 200 characters.
    name: Option<String>,
    /// A new industry, up to 200 characters; `null` (or blank) clears it.
    industry: MaybeUndefined<String>,
    /// A new headcount, 0 to 10,000,000; `null` clears it.
    employee_count: MaybeUndefined<i32>,
    /// A new declared collaboration model; `null` clears it.
    declared_model: MaybeUndefined<CollaborationModel>,
    /// Archive (or restore) the organization. Nothing is deleted. Admins only: an
    /// editor who sends it at all gets `FORBIDDEN`.
    archived: Option<bool>,
}

impl CreateOrganizationInput {
    fn parse(self) -> Result<NewOrganization> {
        Ok(NewOrganization {
            slug: Slug::parse("input.slug", &self.slug)?,
            name: Name::parse("input.name", &self.name)?,
            industry: Name::parse_opt("input.industry", self.industry.as_deref())?,
            employee_count: parse_count("input.employeeCount", self.employee_count, MAX_EMPLOYEES)?,
            declared_model: self.declared_model.map(Into::into),
        })
    }
}

impl UpdateOrganizationInput {
    fn parse(self) -> Result<OrganizationChanges> {
        Ok(OrganizationChanges {
            id: parse_id("input.id", &self.id)?,
            version: self.version,
            slug: self
                .slug
                .map(|s| Slug::parse("input.slug", &s))
                .transpose()?,
            name: self
                .name
                .map(|s| Name::parse("input.name", &s))
                .transpose()?,
            industry: match self.industry {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(s) => Some(Line::parse_opt("input.industry", Some(&s))?),
            },
            employee_count: match self.employee_count {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(n) => {
                    Some(parse_count("input.employeeCount", Some(n), MAX_EMPLOYEES)?)
                }
            },
            declared_model: match self.declared_model {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(m) => Some(Some(m.into())),
            },
            archived: self.archived,
        })
    }
}

/// Organization queries.
#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// One organization by `id` or `slug` (exactly one of them); null when unknown or
    /// out of the token's reach. Admins, editors and viewers.
    async fn organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its id.")] id: Option<ID>,
        #[graphql(desc = "Its slug.")] slug: Option<String>,
    ) -> GqlResult<Option<Organization>> {
        let principal = request(ctx)?.principal()?;
        principal.may_read_structure()?;
        let db = db(ctx)?;
        let found = match (id, slug) {
            (Some(id), None) => service::find(db, parse_id("id", &id)?).await?,
            (None, Some(slug)) => service::find_by_slug(db, &Slug::parse("slug", &slug)?).await?,
            _ => {
                return Err(Error::bad_input("id", "give exactly one of id and slug").into());
            }
        };
        Ok(found
            .filter(|org| principal.can_read(org.id))
            .map(Organization))
    }

    /// Organizations, a page at a time (`first` at most the configured page-size cap):
    /// all for admins, their own for editors and viewers (`totalCount` counts only
    /// those).
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which to list (default: all but archived ones).")] filter: Option<
            OrganizationFilterInput,
        >,
        #[graphql(desc = "The order (default: by name, ascending).")] order_by: Option<
            OrganizationOrderBy,
        >,
        #[graphql(desc = "Page size: 1 to the page-size cap (100 unless configured); default 20.")]
        first: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to continue after; null starts at the top.")]
        after: Option<String>,
    ) -> GqlResult<Page<Organization>> {
        let principal = request(ctx)?.principal()?;
        principal.may_read_structure()?;
        let page = pagination::page_request(first, after.as_deref(), limits(ctx)?.max_page_size)?;
        let filter = filter.unwrap_or_default();
        let search = Line::<200>::parse_opt("filter.search", filter.search.as_deref())?;
        let industry = Line::<200>::parse_opt("filter.industry", filter.industry.as_deref())?;
        let (field, direction) = order_by
            .map(|o| (o.field, o.direction))
            .unwrap_or((OrganizationOrderField::Name, OrderDirection::Asc));
        let order = match field {
            OrganizationOrderField::Name => OrganizationOrder::Name,
            OrganizationOrderField::Slug => OrganizationOrder::Slug,
            OrganizationOrderField::CreatedAt => OrganizationOrder::CreatedAt,
        };
        let (total, rows) = service::list(
            db(ctx)?,
            principal.scope(),
            OrganizationFilter {
                search: search.map(Line::into_inner),
                industry: industry.map(Line::into_inner),
                include_archived: filter.include_archived,
            },
            order,
            direction == OrderDirection::Desc,
            page,
        )
        .await?;
        let node = ctx.look_ahead().field("edges").field("node");
        super::prefetch::organization_page(ctx, &rows, &node).await?;
        Ok(pagination::connection(
            page,
            total,
            rows.into_iter().map(Organization).collect(),
        ))
    }
}

/// Organization mutations.
#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Creates an organization. A taken slug is a `CONFLICT` on `input.slug`. Admins
    /// only.
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new organization.")] input: CreateOrganizationInput,
    ) -> GqlResult<Organization> {
        let admin = request(ctx)?.admin()?;
        let new = input.parse()?;
        let m = service::create(store(ctx)?, admin, new).await.at_input()?;
        Ok(Organization(m))
    }

    /// Changes an organization (including archiving it) if `version` is current.
    /// Admins; editors on their organizations, without `archived`.
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which organization, its version and what changes.")]
        input: UpdateOrganizationInput,
    ) -> GqlResult<Organization> {
        let writer = request(ctx)?.writer()?;
        let changes = input.parse()?;
        let m = service::update(store(ctx)?, writer, changes)
            .await
            .at_input()?;
        Ok(Organization(m))
    }
}
