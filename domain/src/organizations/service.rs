//! Organization storage rules.

use entity::organization;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, Func, LikeExpr},
};
use uuid::Uuid;

use crate::{
    CollaborationModel, Name, PageRequest, Slug,
    audit::Operation,
    auth::{Admin, Principal, Writer},
    clock::now,
    db::WriteTx,
    error::{Error, Result},
    query::rows_in,
    store::Store,
    write::{self, Target, Versioned},
};

/// A new organization, parsed.
#[derive(Debug)]
pub struct NewOrganization {
    pub slug: Slug,
    pub name: Name,
    pub industry: Option<Name>,
    pub employee_count: Option<i32>,
    pub declared_model: Option<CollaborationModel>,
}

/// Changes to an organization; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug)]
pub struct OrganizationChanges {
    pub id: Uuid,
    pub version: i32,
    pub slug: Option<Slug>,
    pub name: Option<Name>,
    pub industry: Option<Option<Name>>,
    pub employee_count: Option<Option<i32>>,
    pub declared_model: Option<Option<CollaborationModel>>,
    pub archived: Option<bool>,
}

/// Listing filter.
#[derive(Debug, Default)]
pub struct OrganizationFilter {
    /// Case-insensitive substring of the name or slug.
    pub search: Option<String>,
    pub industry: Option<String>,
    pub include_archived: bool,
}

/// Listing order.
#[derive(Debug, Clone, Copy)]
pub enum OrganizationOrder {
    Name,
    Slug,
    CreatedAt,
}

const SLUG_TAKEN: &str = "an organization with this slug already exists";

const SLUG_UNAVAILABLE: &str = "this slug cannot be used; choose another";

/// The answer to a write that clashed with a stored slug. Slugs are unique across the
/// service (they name organizations in REST paths and `organization(slug:)`), so the
/// caller learns at least that the slug is unavailable; whether and which organization
/// holds it is told only to a caller who may see that organization: `CONFLICT` on
/// `slug` for them, and for everyone else the same `BAD_USER_INPUT` on `slug`,
/// whatever holds the slug. The holder is looked up outside the failed
/// transaction (on PostgreSQL it can run nothing more), so a slug taken by a
/// concurrent write is judged the same way.
async fn slug_clash(store: &Store, principal: &Principal, slug: Option<&Slug>) -> Error {
    let holder = match slug {
        Some(slug) => find_by_slug(&store.db, slug).await,
        None => Ok(None),
    };
    match holder {
        Ok(Some(holder)) if principal.can_read(holder.id) => Error::conflict("slug", SLUG_TAKEN),
        Ok(_) => Error::bad_input("slug", SLUG_UNAVAILABLE),
        Err(err) => err,
    }
}

/// Ends `tx` after a failed write and turns a unique-key violation on the slug into
/// [`slug_clash`]'s answer; other errors pass through.
async fn on_write_error(
    store: &Store,
    principal: &Principal,
    tx: WriteTx,
    slug: Option<&Slug>,
    err: sea_orm::DbErr,
) -> Error {
    tx.rollback().await.ok();
    if crate::db::is_unique_violation(&err) {
        slug_clash(store, principal, slug).await
    } else {
        err.into()
    }
}

/// Creates an organization (admins only).
pub async fn create(
    store: &Store,
    admin: Admin<'_>,
    new: NewOrganization,
) -> Result<organization::Model> {
    let write = write::begin_new_organization(store, admin).await?;
    let now = now();
    let row = organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(new.slug.as_str().to_owned()),
        name: Set(new.name.into_inner()),
        industry: Set(new.industry.map(Name::into_inner)),
        employee_count: Set(new.employee_count),
        declared_model: Set(new.declared_model.map(|m| m.as_str().to_owned())),
        archived: Set(false),
        structure_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let org = match row.insert(&write.tx).await {
        Ok(org) => org,
        Err(err) => {
            let principal = admin.principal();
            return Err(on_write_error(store, principal, write.tx, Some(&new.slug), err).await);
        }
    };
    let write = write.created(org.clone());
    write
        .commit(Operation::CreateOrganization, vec![org.id])
        .await?;
    Ok(org)
}

/// Applies `changes` if `version` is still current. Editors may change their
/// organizations; archiving or restoring one is for admins (`FORBIDDEN` for editors).
pub async fn update(
    store: &Store,
    writer: Writer<'_>,
    changes: OrganizationChanges,
) -> Result<organization::Model> {
    if changes.archived.is_some() {
        writer.admin()?;
    }
    let write = write::begin(
        store,
        writer,
        Target::organization(changes.id, "id").at_version(changes.version),
    )
    .await?;
    let mut row = write.organization.clone().next_version(now());
    if let Some(slug) = &changes.slug {
        row.slug = Set(slug.as_str().to_owned());
    }
    if let Some(name) = changes.name {
        row.name = Set(name.into_inner());
    }
    if let Some(industry) = changes.industry {
        row.industry = Set(industry.map(Name::into_inner));
    }
    if let Some(count) = changes.employee_count {
        row.employee_count = Set(count);
    }
    if let Some(model) = changes.declared_model {
        row.declared_model = Set(model.map(|m| m.as_str().to_owned()));
    }
    if let Some(archived) = changes.archived {
        row.archived = Set(archived);
    }
    let updated = match row.update(&write.tx).await {
        Ok(updated) => updated,
        Err(err) => {
            let tx = write.tx;
            return Err(
                on_write_error(store, writer.principal(), tx, changes.slug.as_ref(), err).await,
            );
        }
    };
    write
        .commit(Operation::UpdateOrganization, vec![updated.id])
        .await?;
    Ok(updated)
}

/// One organization by id.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find_by_id(id).one(db).await?)
}

/// Organizations by id (one statement for all of them).
pub async fn by_ids(db: &DatabaseConnection, ids: &[Uuid]) -> Result<Vec<organization::Model>> {
    Ok(rows_in::<organization::Entity>(db, organization::Column::Id, ids, &[]).await?)
}

/// One organization by slug.
pub async fn find_by_slug(
    db: &DatabaseConnection,
    slug: &Slug,
) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await?)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
pub fn like_pattern(needle: &str) -> LikeExpr {
    let mut escaped = String::with_capacity(needle.len() + 2);
    escaped.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('\\')
}

/// A page of organizations and the total count of the filter, limited to `scope`
/// (`None`: all organizations).
pub async fn list(
    db: &DatabaseConnection,
    scope: Option<&[Uuid]>,
    filter: OrganizationFilter,
    order: OrganizationOrder,
    descending: bool,
    page: PageRequest,
) -> Result<(u64, Vec<organization::Model>)> {
    let mut query = organization::Entity::find();
    if let Some(scope) = scope {
        query = query.filter(organization::Column::Id.is_in(scope.iter().copied()));
    }
    if !filter.include_archived {
        query = query.filter(organization::Column::Archived.eq(false));
    }
    if let Some(industry) = filter.industry {
        query = query.filter(organization::Column::Industry.eq(industry));
    }
    if let Some(search) = filter.search {
        let pattern = like_pattern(&search);
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(organization::Column::Name)))
                .like(pattern.clone())
                .or(Expr::col(organization::Column::Slug).like(pattern)),
        );
    }
    let column = match order {
        OrganizationOrder::Name => organization::Column::Name,
        OrganizationOrder::Slug => organization::Column::Slug,
        OrganizationOrder::CreatedAt => organization::Column::CreatedAt,
    };
    let direction = if descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    page.fetch(
        db,
        query
            .order_by(column, direction.clone())
            .order_by(organization::Column::Id, direction),
    )
    .await
}
