//! Reporting-line storage rules and the structure's invariants.
//!
//! Every write runs in one transaction that first takes the organization's lock
//! (through [`crate::write::begin`]), then checks the invariants against
//! the stored lines, then writes. So a violation writes nothing, and two concurrent
//! writers cannot both pass a check that only one of them may pass.

use chrono::NaiveDate;
use entity::{org_unit, organization, reporting_line};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ModelTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use super::structure::{Span, cycle_date};
use crate::{
    LineKind, StorableDate,
    audit::Operation,
    auth::{Principal, Writer},
    clock::now,
    error::{Error, Result},
    query::{lines_in_effect_on, rows_in},
    store::Store,
    write::{self, Row, Versioned, check_version},
};

/// A new line, parsed.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub unit_id: Uuid,
    pub superior_unit_id: Uuid,
    pub kind: LineKind,
    /// Storable dates: inputs are checked with [`StorableDate`] at the boundary.
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
}

impl NewLine {
    fn span(&self) -> Span {
        Span {
            from: self.effective_from,
            to: self.effective_to,
        }
    }
}

/// Loads a unit of `org` for the input `field` and checks it exists for the whole of
/// `span`. A unit that does not exist, or that the principal cannot see, is
/// `NOT_FOUND` on that field; one of another organization the principal does see, or
/// one that had ended by the line's start, is `BAD_USER_INPUT` on it; a line that
/// would start before the unit exists, or outlast it, is `BAD_USER_INPUT` on the date
/// at fault.
async fn unit_of<C: ConnectionTrait>(
    tx: &C,
    principal: &Principal,
    org: &organization::Model,
    id: Uuid,
    field: &str,
    span: Span,
) -> Result<org_unit::Model> {
    let unit = reachable_unit(tx, principal, org, id, field).await?;
    let (from, to) = (unit.effective_from, unit.effective_to);
    if let Some(end) = to
        && end <= span.from
    {
        return Err(Error::bad_input(
            field,
            format!("the unit is archived: it ended on {end}, before the line would start"),
        ));
    }
    if span.from < from {
        return Err(Error::bad_input(
            "effectiveFrom",
            format!(
                "the unit \"{}\" exists from {from}; a line to or from it cannot start earlier",
                unit.name
            ),
        ));
    }
    if let Some(end) = to
        && span.to.is_none_or(|line_end| line_end > end)
    {
        return Err(Error::bad_input(
            "effectiveTo",
            format!(
                "the unit \"{}\" ends on {end}; the line must end by then",
                unit.name
            ),
        ));
    }
    Ok(unit)
}

/// The unit `id` of `org` as the principal may name it in a line.
async fn reachable_unit<C: ConnectionTrait>(
    tx: &C,
    principal: &Principal,
    org: &organization::Model,
    id: Uuid,
    field: &str,
) -> Result<org_unit::Model> {
    match org_unit::Entity::find_by_id(id).one(tx).await? {
        // A unit the principal cannot see is as good as unknown.
        Some(unit) if !principal.reaches(unit.organization_id) => {
            Err(Error::not_found_at("unit", field))
        }
        Some(unit) if unit.organization_id != org.id => Err(Error::bad_input(
            field,
            "the unit belongs to another organization; lines join units of one organization only",
        )),
        Some(unit) => Ok(unit),
        None => Err(Error::not_found_at("unit", field)),
    }
}

/// Checks `line` against the stored lines of its organization, ignoring `replacing`
/// (the line being changed, if any).
async fn check_invariants<C: ConnectionTrait>(
    tx: &C,
    principal: &Principal,
    org: &organization::Model,
    line: &NewLine,
    replacing: Option<Uuid>,
) -> Result<()> {
    if line.unit_id == line.superior_unit_id {
        return Err(Error::bad_input(
            "superiorUnitId",
            "a unit cannot report to itself",
        ));
    }
    if let Some(to) = line.effective_to
        && to <= line.effective_from
    {
        return Err(Error::bad_input(
            "effectiveTo",
            "must be after effectiveFrom",
        ));
    }
    let span = line.span();
    unit_of(tx, principal, org, line.unit_id, "unitId", span).await?;
    unit_of(
        tx,
        principal,
        org,
        line.superior_unit_id,
        "superiorUnitId",
        span,
    )
    .await?;

    let others: Vec<reporting_line::Model> = reporting_line::Entity::find()
        .filter(reporting_line::Column::OrganizationId.eq(org.id))
        .all(tx)
        .await?
        .into_iter()
        .filter(|l| Some(l.id) != replacing)
        .collect();
    match line.kind {
        LineKind::Solid => {
            if let Some(clash) = others.iter().find(|l| {
                l.unit_id == line.unit_id
                    && l.kind == LineKind::Solid.as_str()
                    && span.intersect(Span::of(l)).is_some()
            }) {
                return Err(Error::conflict(
                    "effectiveFrom",
                    format!(
                        "the unit already has a SOLID superior from {} ({}); a unit has at most one at a time, so end or replace that line first",
                        clash.effective_from, clash.id
                    ),
                ));
            }
            if let Some(date) = cycle_date(&others, line.unit_id, line.superior_unit_id, span) {
                return Err(Error::conflict(
                    "superiorUnitId",
                    format!("this SOLID line would close a cycle of reporting lines on {date}"),
                ));
            }
        }
        LineKind::Dotted => {
            if others.iter().any(|l| {
                l.unit_id == line.unit_id
                    && l.superior_unit_id == line.superior_unit_id
                    && l.kind == LineKind::Dotted.as_str()
                    && span.intersect(Span::of(l)).is_some()
            }) {
                return Err(Error::conflict(
                    "effectiveFrom",
                    "an overlapping DOTTED line between these units already exists",
                ));
            }
        }
    }
    Ok(())
}

async fn insert<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    line: NewLine,
) -> Result<reporting_line::Model> {
    let now = now();
    let row = reporting_line::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        unit_id: Set(line.unit_id),
        superior_unit_id: Set(line.superior_unit_id),
        kind: Set(line.kind.as_str().to_owned()),
        effective_from: Set(line.effective_from),
        effective_to: Set(line.effective_to),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    row.insert(tx).await.map_err(|e| {
        Error::unique_as_conflict(
            e,
            "effectiveFrom",
            "the unit already has a current SOLID superior",
        )
    })
}

/// Adds a line after checking every invariant.
pub async fn add(
    store: &Store,
    writer: Writer<'_>,
    line: NewLine,
) -> Result<reporting_line::Model> {
    let unit = Row::new(line.unit_id, "unitId");
    let (mut write, _) = write::begin_on::<org_unit::Entity>(store, writer, unit.active()).await?;
    write.takes_effect_on(line.effective_from);
    let principal = write.principal()?;
    let row = add_in(&write.tx, principal, &write.organization, line).await?;
    write
        .commit(Operation::AddReportingLine, vec![row.id])
        .await?;
    Ok(row)
}

/// The write of [`add`] inside a transaction that holds `org`'s lock.
pub(crate) async fn add_in<C: ConnectionTrait>(
    tx: &C,
    principal: &Principal,
    org: &organization::Model,
    line: NewLine,
) -> Result<reporting_line::Model> {
    check_invariants(tx, principal, org, &line, None).await?;
    insert(tx, org, line).await
}

/// Gives `unit` a new superior from `effective_from`: its line of `kind` in effect on
/// that date (if any) ends there, and the new one starts. Both or neither are written.
pub async fn replace(
    store: &Store,
    writer: Writer<'_>,
    line: NewLine,
) -> Result<(Option<reporting_line::Model>, reporting_line::Model)> {
    let unit = Row::new(line.unit_id, "unitId");
    let (mut write, _) = write::begin_on::<org_unit::Entity>(store, writer, unit.active()).await?;
    write.takes_effect_on(line.effective_from);
    let principal = write.principal()?;
    let (ended, added) = replace_in(&write.tx, principal, &write.organization, line).await?;
    let mut changed = vec![added.id];
    changed.extend(ended.as_ref().map(|l| l.id));
    write
        .commit(Operation::ReplaceReportingLine, changed)
        .await?;
    Ok((ended, added))
}

/// The write of [`replace`] inside a transaction that holds `org`'s lock.
pub(crate) async fn replace_in<C: ConnectionTrait>(
    tx: &C,
    principal: &Principal,
    org: &organization::Model,
    line: NewLine,
) -> Result<(Option<reporting_line::Model>, reporting_line::Model)> {
    let previous = reporting_line::Entity::find()
        .filter(reporting_line::Column::OrganizationId.eq(org.id))
        .filter(reporting_line::Column::UnitId.eq(line.unit_id))
        .filter(reporting_line::Column::Kind.eq(line.kind.as_str()))
        .all(tx)
        .await?
        .into_iter()
        .find(|l| {
            Span::of(l).contains(line.effective_from)
                && (line.kind == LineKind::Solid || l.superior_unit_id != line.superior_unit_id)
        });
    let ended = match previous {
        Some(previous) if previous.effective_from == line.effective_from => {
            return Err(Error::conflict(
                "effectiveFrom",
                "the current line starts on the same day; end it earlier or delete it if it was recorded in error",
            ));
        }
        Some(previous) => {
            let mut row = previous.next_version(now());
            row.effective_to = Set(Some(line.effective_from));
            Some(row.update(tx).await?)
        }
        None => None,
    };
    check_invariants(tx, principal, org, &line, None).await?;
    let added = insert(tx, org, line).await?;
    Ok((ended, added))
}

/// Ends a line on `effective_to` (the first day it no longer holds).
pub async fn end(
    store: &Store,
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
    effective_to: StorableDate,
) -> Result<reporting_line::Model> {
    let effective_to = effective_to.get();
    let line = Row::new(id, "id");
    let (mut write, current) =
        write::begin_on::<reporting_line::Entity>(store, writer, line.active()).await?;
    write.takes_effect_on(effective_to);
    let principal = write.principal()?;
    let org = &write.organization;
    let updated = end_in(&write.tx, principal, org, current, version, effective_to).await?;
    write
        .commit(Operation::EndReportingLine, vec![updated.id])
        .await?;
    Ok(updated)
}

/// The write of [`end`] inside a transaction that holds `org`'s lock, `current` read
/// under it.
pub(crate) async fn end_in<C: ConnectionTrait>(
    tx: &C,
    principal: &Principal,
    org: &organization::Model,
    current: reporting_line::Model,
    version: i32,
    effective_to: NaiveDate,
) -> Result<reporting_line::Model> {
    check_version("the reporting line", current.version, version)?;
    let candidate = NewLine {
        unit_id: current.unit_id,
        superior_unit_id: current.superior_unit_id,
        kind: LineKind::from_db(&current.kind)?,
        effective_from: current.effective_from,
        effective_to: Some(effective_to),
    };
    // The only input here is the new end date, so whatever the check refuses, it is
    // that date's fault.
    check_invariants(tx, principal, org, &candidate, Some(current.id))
        .await
        .map_err(|err| err.on_field("effectiveTo"))?;
    let mut row = current.next_version(now());
    row.effective_to = Set(Some(effective_to));
    Ok(row.update(tx).await?)
}

/// Deletes a line recorded in error. Lines that were true once should be ended instead,
/// so history keeps them.
pub async fn delete(
    store: &Store,
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
) -> Result<reporting_line::Model> {
    let line = Row::new(id, "id");
    let (write, current) =
        write::begin_on::<reporting_line::Entity>(store, writer, line.active()).await?;
    check_version("the reporting line", current.version, version)?;
    delete_in(&write.tx, current.clone()).await?;
    write
        .commit(Operation::DeleteReportingLine, vec![current.id])
        .await?;
    Ok(current)
}

/// The write of [`delete`] inside a transaction that holds the organization's lock
/// (a scenario's promotion removes a line that would only start on its date).
pub(crate) async fn delete_in<C: ConnectionTrait>(
    tx: &C,
    line: reporting_line::Model,
) -> Result<()> {
    line.delete(tx).await?;
    Ok(())
}

/// The lines of each of `organizations` in effect on `date`, oldest first: one
/// statement for all of them.
pub async fn in_effect(
    db: &DatabaseConnection,
    organizations: &[Uuid],
    date: NaiveDate,
) -> Result<Vec<reporting_line::Model>> {
    Ok(reporting_line::Entity::find()
        .filter(reporting_line::Column::OrganizationId.is_in(organizations.iter().copied()))
        .filter(lines_in_effect_on(date))
        .order_by_asc(reporting_line::Column::EffectiveFrom)
        .order_by_asc(reporting_line::Column::Id)
        .all(db)
        .await?)
}

/// Every line each of `units` ever had to a superior, oldest first.
pub async fn of_units(
    db: &DatabaseConnection,
    units: &[Uuid],
) -> Result<Vec<reporting_line::Model>> {
    let order = [
        reporting_line::Column::EffectiveFrom,
        reporting_line::Column::Id,
    ];
    Ok(
        rows_in::<reporting_line::Entity>(db, reporting_line::Column::UnitId, units, &order)
            .await?,
    )
}

/// Every line of each of `organizations`, oldest first.
pub async fn of_organizations(
    db: &DatabaseConnection,
    organizations: &[Uuid],
) -> Result<Vec<reporting_line::Model>> {
    let order = [
        reporting_line::Column::EffectiveFrom,
        reporting_line::Column::Id,
    ];
    let column = reporting_line::Column::OrganizationId;
    Ok(rows_in::<reporting_line::Entity>(db, column, organizations, &order).await?)
}

/// One line by id.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<reporting_line::Model>> {
    Ok(reporting_line::Entity::find_by_id(id).one(db).await?)
}
