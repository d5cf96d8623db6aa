//! Scenario storage rules: drafting, rebasing, discarding and promoting, and loading
//! what an evaluation reads.
//!
//! A draft's changes are validated in memory against the live snapshot on its date
//! (see [`super::apply`]) whenever they are added or the draft is rebased, and
//! stored as one JSON list. Promotion applies them through the units, positions and
//! reporting services' in-transaction steps, in one transaction that holds the
//! organization's lock, after checking that the live structure is still the one the
//! draft was validated on (`organization.structure_version`).

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{
    audit_log, kpi_definition, kpi_measurement, org_unit, organization, position, reporting_line,
    scenario,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ModelTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::{
    apply::{Draft, Limits},
    change::{self, Change},
    diff::{self, Diff},
};
use crate::{
    auth::{Principal, RequestContext},
    clock::now,
    db::WriteTx,
    domain::{Description, LineKind, Name, PageRequest, StorableDate},
    error::{Error, Result},
    insights::{self, Insight, Snapshot},
    organizations::service::{check_version, lock, organization_of},
    positions::service::{self as positions, NewPosition, PositionChanges},
    reporting::service::{self as reporting, NewLine},
    store::Store,
    units::service::{self as units, NewUnit, UnitChanges, ensure_active},
};

/// Most changes one scenario holds.
pub const MAX_CHANGES: usize = 500;
/// Most drafts one organization holds at once.
pub const MAX_DRAFTS: u64 = 50;
/// Most scenarios `compareScenarios` takes.
pub const MAX_COMPARED: usize = 10;

pub use crate::domain::ScenarioStatus as Status;

/// A new scenario, parsed.
#[derive(Debug)]
pub struct NewScenario {
    pub organization_id: Uuid,
    pub name: Name,
    pub description: Option<Description>,
    pub effective_from: StorableDate,
}

/// A scenario evaluated: the live structure and the scenario's on its date, their
/// insights, and the comparison.
#[derive(Debug)]
pub struct Evaluation {
    pub before: Snapshot,
    pub after: Snapshot,
    pub insights_before: Vec<Insight>,
    pub insights_after: Vec<Insight>,
    /// The units the scenario creates, by key (their ids are the scenario's own).
    pub unit_keys: HashMap<String, Uuid>,
    pub diff: Diff,
}

/// The limits a draft keeps to.
pub fn limits(settings: &crate::settings::Limits) -> Limits {
    Limits {
        max_units: settings.max_units_per_organization,
        max_positions: settings.max_positions_per_unit,
    }
}

fn refuse_closed(current: &scenario::Model, field: &str) -> Result<()> {
    match Status::from_db(&current.status)? {
        Status::Draft => Ok(()),
        Status::Promoted => Err(Error::conflict(
            field,
            "the scenario was promoted already; its changes are live",
        )),
        Status::Discarded => Err(Error::conflict(field, "the scenario was discarded")),
    }
}

/// Applies `changes` to a draft; an error names the change by its place, `label(i)`.
fn apply_all(
    draft: &mut Draft,
    changes: &[Change],
    limits: Limits,
    label: impl Fn(usize) -> String,
) -> Result<()> {
    for (i, change) in changes.iter().enumerate() {
        draft.apply(&label(i), change, limits)?;
    }
    Ok(())
}

/// Creates a draft of an organization the principal may change.
pub async fn create(
    store: &Store,
    ctx: &RequestContext,
    new: NewScenario,
) -> Result<scenario::Model> {
    let (tx, principal, org) = crate::organizations::service::begin_writing(
        store,
        ctx,
        new.organization_id,
        "input.organizationId",
    )
    .await?;
    ensure_active(&org, "input.organizationId")?;
    let row = insert_draft(&tx, &org, principal, (Uuid::now_v7(), now()), new, &[]).await?;
    crate::audit::commit(tx, ctx, org.id, "createScenario", vec![row.id]).await?;
    Ok(row)
}

/// Writes a new draft of `org` holding `changes` (already validated), as `(id, stamp)`
/// (its id and creation time, which name the objects its changes create), if the
/// organization has room for another draft.
async fn insert_draft<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    principal: &Principal,
    (id, stamp): (Uuid, chrono::DateTime<chrono::Utc>),
    new: NewScenario,
    changes: &[Change],
) -> Result<scenario::Model> {
    let drafts = scenario::Entity::find()
        .filter(scenario::Column::OrganizationId.eq(org.id))
        .filter(scenario::Column::Status.eq(Status::Draft.as_str()))
        .count(tx)
        .await?;
    if drafts >= MAX_DRAFTS {
        return Err(Error::LimitExceeded(format!(
            "an organization holds at most {MAX_DRAFTS} draft scenarios; promote or discard one"
        )));
    }
    Ok(scenario::ActiveModel {
        id: Set(id),
        organization_id: Set(org.id),
        name: Set(new.name.into_inner()),
        description: Set(new.description.map(Description::into_inner)),
        effective_from: Set(new.effective_from.get()),
        status: Set(Status::Draft.as_str().to_owned()),
        created_by: Set(principal.subject.chars().take(200).collect()),
        base_structure_version: Set(org.structure_version),
        based_at: Set(stamp),
        changes: Set(change::to_json(changes)),
        closed_at: Set(None),
        created_at: Set(stamp),
        updated_at: Set(stamp),
        version: Set(1),
    }
    .insert(tx)
    .await?)
}

/// Begins a write into the organization of scenario `id` and reads the scenario
/// under its lock.
async fn begin_for_scenario(
    store: &Store,
    principal: &Principal,
    id: Uuid,
) -> Result<(WriteTx, organization::Model, scenario::Model)> {
    let field = "input.scenarioId";
    let organization = organization_of::<scenario::Entity>(
        store,
        principal,
        id,
        scenario::Column::OrganizationId,
        "scenario",
        field,
    )
    .await?;
    let tx = crate::db::begin_write(&store.writes, Some(organization)).await?;
    let org = lock(&tx, organization).await?;
    let current = scenario::Entity::find_by_id(id)
        .one(&tx)
        .await?
        .filter(|s| s.organization_id == org.id)
        .ok_or_else(|| Error::not_found_at("scenario", field))?;
    Ok((tx, org, current))
}

/// The live snapshot a draft starts from, read before its write begins (no read waits
/// behind the write's turn, and the write holds its connection only to write); the
/// draft's version, checked under the lock, tells whether it changed meanwhile.
async fn live_of_draft(store: &Store, principal: &Principal, id: Uuid) -> Result<Snapshot> {
    let draft = find(&store.db, id)
        .await?
        .filter(|s| principal.reaches(s.organization_id))
        .ok_or_else(|| Error::not_found_at("scenario", "input.scenarioId"))?;
    live(&store.db, draft.organization_id, draft.effective_from).await
}

/// The live snapshot a draft of `organization` on `date` starts from.
async fn live(db: &DatabaseConnection, organization: Uuid, date: NaiveDate) -> Result<Snapshot> {
    insights::snapshot(db, organization, date).await
}

/// Appends `changes` to a draft whose `version` is current, each validated against
/// the state the earlier ones leave; nothing is stored when one is refused (its
/// error names it: `changes[2].superiorUnitId`, counting in `changes`).
pub async fn add_changes(
    store: &Store,
    ctx: &RequestContext,
    id: Uuid,
    version: i32,
    changes: Vec<Change>,
    draft_limits: Limits,
) -> Result<scenario::Model> {
    let principal = ctx.principal()?;
    principal.may_write_structure()?;
    if changes.is_empty() {
        return Err(Error::bad_input(
            "input.changes",
            "give at least one change",
        ));
    }
    let live = live_of_draft(store, principal, id).await?;
    let (tx, org, current) = begin_for_scenario(store, principal, id).await?;
    refuse_closed(&current, "input.scenarioId")?;
    check_version("the scenario", current.version, version)?;
    let mut all = change::from_json(&current.changes)?;
    if all.len() + changes.len() > MAX_CHANGES {
        return Err(Error::LimitExceeded(format!(
            "a scenario holds at most {MAX_CHANGES} changes"
        )));
    }
    let mut draft = Draft::new(current.id, live, current.created_at);
    apply_all(&mut draft, &all, draft_limits, |i| format!("changes[{i}]")).map_err(stale_draft)?;
    apply_all(&mut draft, &changes, draft_limits, |i| {
        format!("changes[{i}]")
    })?;
    all.extend(changes);
    let mut row: scenario::ActiveModel = current.clone().into();
    row.changes = Set(change::to_json(&all));
    row.version = Set(current.version + 1);
    row.updated_at = Set(now());
    let updated = row.update(&tx).await?;
    crate::audit::commit(tx, ctx, org.id, "addScenarioChanges", vec![updated.id]).await?;
    Ok(updated)
}

/// An earlier change that no longer holds against the live structure: the draft
/// needs a rebase, whatever the new changes are.
fn stale_draft(err: Error) -> Error {
    match err {
        Error::BadInput { field, message }
        | Error::Conflict {
            field: Some(field),
            message,
        } => Error::conflict(
            "input.scenarioId",
            format!(
                "the live structure changed since this draft was validated: its change {field} no longer applies ({message}); rebase or discard the draft"
            ),
        ),
        Error::NotFound {
            what,
            field: Some(field),
        } => Error::conflict(
            "input.scenarioId",
            format!(
                "the live structure changed since this draft was validated: the {what} of its change {field} is gone; rebase or discard the draft"
            ),
        ),
        other => other,
    }
}

/// Re-validates every change of a draft against today's live structure and makes it
/// the draft's base; nothing changes when a change is refused (its error names it).
pub async fn rebase(
    store: &Store,
    ctx: &RequestContext,
    id: Uuid,
    version: i32,
    draft_limits: Limits,
) -> Result<scenario::Model> {
    let principal = ctx.principal()?;
    principal.may_write_structure()?;
    let live = live_of_draft(store, principal, id).await?;
    let (tx, org, current) = begin_for_scenario(store, principal, id).await?;
    refuse_closed(&current, "input.scenarioId")?;
    check_version("the scenario", current.version, version)?;
    let all = change::from_json(&current.changes)?;
    let mut draft = Draft::new(current.id, live, current.created_at);
    apply_all(&mut draft, &all, draft_limits, |i| format!("changes[{i}]"))?;
    let mut row: scenario::ActiveModel = current.clone().into();
    row.base_structure_version = Set(org.structure_version);
    row.based_at = Set(now());
    row.version = Set(current.version + 1);
    row.updated_at = Set(now());
    let updated = row.update(&tx).await?;
    crate::audit::commit(tx, ctx, org.id, "rebaseScenario", vec![updated.id]).await?;
    Ok(updated)
}

/// Ends a draft without applying it.
pub async fn discard(
    store: &Store,
    ctx: &RequestContext,
    id: Uuid,
    version: i32,
) -> Result<scenario::Model> {
    let principal = ctx.principal()?;
    principal.may_write_structure()?;
    let (tx, org, current) = begin_for_scenario(store, principal, id).await?;
    refuse_closed(&current, "input.scenarioId")?;
    check_version("the scenario", current.version, version)?;
    let updated = close(&tx, current, Status::Discarded).await?;
    crate::audit::commit(tx, ctx, org.id, "discardScenario", vec![updated.id]).await?;
    Ok(updated)
}

async fn close<C: ConnectionTrait>(
    tx: &C,
    current: scenario::Model,
    status: Status,
) -> Result<scenario::Model> {
    let version = current.version;
    let mut row: scenario::ActiveModel = current.into();
    row.status = Set(status.as_str().to_owned());
    row.closed_at = Set(Some(now()));
    row.version = Set(version + 1);
    row.updated_at = Set(now());
    Ok(row.update(tx).await?)
}

/// The structure operations `structure_version` counts, for naming what changed.
const STRUCTURE_OPERATIONS: &[&str] = &[
    "createUnit",
    "updateUnit",
    "createPosition",
    "updatePosition",
    "addReportingLine",
    "replaceReportingLine",
    "endReportingLine",
    "deleteReportingLine",
];

/// The `CONFLICT` of a draft whose base is no longer the live structure, naming the
/// changes made since.
async fn moved_on<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    current: &scenario::Model,
) -> Result<Error> {
    let since = audit_log::Entity::find()
        .filter(audit_log::Column::OrganizationId.eq(org.id))
        .filter(audit_log::Column::CreatedAt.gt(current.based_at))
        .filter(audit_log::Column::Operation.is_in(STRUCTURE_OPERATIONS.iter().copied()))
        .order_by_asc(audit_log::Column::CreatedAt)
        .limit(5)
        .all(tx)
        .await?;
    let count = org.structure_version - current.base_structure_version;
    let named: Vec<String> = since
        .iter()
        .map(|e| {
            let objects: Vec<&str> = e
                .object_ids
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .collect();
            format!("{} {} by {}", e.operation, objects.join(","), e.actor)
        })
        .collect();
    Ok(Error::conflict(
        "input.scenarioId",
        format!(
            "the live structure changed {count} time(s) since this draft was validated ({}{}); rebase it (rebaseScenario) to check its changes against today's structure",
            named.join("; "),
            if count > 5 { "; ..." } else { "" }
        ),
    ))
}

/// Applies a draft whose `version` is current to the live structure, through the
/// services, in one transaction dated `effective_from`: one audit entry per change
/// (each naming the scenario), one structure-change announcement each. `CONFLICT`
/// when the live structure changed since the draft was validated.
pub async fn promote(
    store: &Store,
    ctx: &RequestContext,
    id: Uuid,
    version: i32,
    draft_limits: Limits,
) -> Result<scenario::Model> {
    let principal = ctx.principal()?;
    principal.may_write_structure()?;
    let (tx, org, current) = begin_for_scenario(store, principal, id).await?;
    ensure_active(&org, "input.scenarioId")?;
    refuse_closed(&current, "input.scenarioId")?;
    check_version("the scenario", current.version, version)?;
    if org.structure_version != current.base_structure_version {
        return Err(moved_on(&tx, &org, &current).await?);
    }
    let changes = change::from_json(&current.changes)?;
    let mut audited = Vec::with_capacity(changes.len() + 1);
    let mut promotion = Promotion {
        tx: &tx,
        principal,
        org: &org,
        date: current.effective_from,
        limits: draft_limits,
        units: HashMap::new(),
        positions: HashMap::new(),
    };
    for (i, change) in changes.iter().enumerate() {
        let at = format!("changes[{i}]");
        let (operation, mut objects) = promotion
            .apply(change)
            .await
            .map_err(|err| refield(err, &at))?;
        objects.push(current.id);
        audited.push((operation, objects));
    }
    let promoted = close(&tx, current, Status::Promoted).await?;
    crate::webhooks::outbox::enqueue(
        &tx,
        org.id,
        crate::webhooks::EventType::ScenarioPromoted,
        serde_json::json!({
            "scenarioId": promoted.id,
            "name": promoted.name,
            "effectiveFrom": promoted.effective_from.to_string(),
            "changes": changes.len(),
        }),
    )
    .await?;
    audited.push(("promoteScenario", vec![promoted.id]));
    store
        .commit_structure_changes(tx, ctx, org.id, audited)
        .await?;
    Ok(promoted)
}

/// A service's error about its own input (`input.superiorUnitId`) as one about the
/// scenario's change (`changes[2].superiorUnitId`).
fn refield(err: Error, at: &str) -> Error {
    let field = err
        .field()
        .map(|f| format!("{at}.{}", f.strip_prefix("input.").unwrap_or(f)))
        .unwrap_or_else(|| at.to_owned());
    err.on_field(&field)
}

/// The state of a promotion: the transaction and what the changes created so far.
struct Promotion<'a, C> {
    tx: &'a C,
    principal: &'a Principal,
    org: &'a organization::Model,
    date: NaiveDate,
    limits: Limits,
    units: HashMap<String, Uuid>,
    positions: HashMap<String, Uuid>,
}

impl<C: ConnectionTrait> Promotion<'_, C> {
    fn unit_id(&self, raw: &str) -> Result<Uuid> {
        match self.units.get(raw) {
            Some(id) => Ok(*id),
            None => crate::domain::parse_id("input.unitId", raw),
        }
    }

    fn position_id(&self, raw: &str) -> Result<Uuid> {
        match self.positions.get(raw) {
            Some(id) => Ok(*id),
            None => crate::domain::parse_id("input.positionId", raw),
        }
    }

    async fn unit(&self, id: Uuid, field: &str) -> Result<org_unit::Model> {
        org_unit::Entity::find_by_id(id)
            .one(self.tx)
            .await?
            .filter(|u| u.organization_id == self.org.id)
            .ok_or_else(|| Error::not_found_at("unit", field))
    }

    async fn position(&self, id: Uuid) -> Result<position::Model> {
        position::Entity::find_by_id(id)
            .one(self.tx)
            .await?
            .filter(|p| p.organization_id == self.org.id)
            .ok_or_else(|| Error::not_found_at("position", "input.positionId"))
    }

    /// The lines of `unit` (either way) in effect on the date.
    async fn lines_of(&self, unit: Uuid) -> Result<Vec<reporting_line::Model>> {
        Ok(reporting_line::Entity::find()
            .filter(reporting_line::Column::OrganizationId.eq(self.org.id))
            .filter(
                sea_orm::Condition::any()
                    .add(reporting_line::Column::UnitId.eq(unit))
                    .add(reporting_line::Column::SuperiorUnitId.eq(unit)),
            )
            .all(self.tx)
            .await?
            .into_iter()
            .filter(|l| crate::reporting::structure::Span::of(l).contains(self.date))
            .collect())
    }

    fn line(&self, unit: Uuid, superior: Uuid, kind: LineKind) -> NewLine {
        NewLine {
            unit_id: unit,
            superior_unit_id: superior,
            kind,
            effective_from: self.date,
            effective_to: None,
        }
    }

    /// Applies one change through the services' in-transaction steps; the audit
    /// operation and the objects it wrote.
    async fn apply(&mut self, change: &Change) -> Result<(&'static str, Vec<Uuid>)> {
        match change {
            Change::CreateUnit(c) => {
                let unit = units::create_in(
                    self.tx,
                    self.org,
                    NewUnit {
                        organization_id: self.org.id,
                        name: Name::parse("input.name", &c.name)?,
                        function: c.function,
                        sourcing: c.sourcing,
                        description: Description::parse_opt(
                            "input.description",
                            c.description.as_deref(),
                        )?,
                    },
                    self.limits.max_units,
                )
                .await?;
                self.units.insert(c.key.clone(), unit.id);
                let mut objects = vec![unit.id];
                if let Some(superior) = &c.superior_unit_id {
                    let superior = self.unit_id(superior)?;
                    let line = reporting::add_in(
                        self.tx,
                        self.principal,
                        self.org,
                        self.line(unit.id, superior, LineKind::Solid),
                    )
                    .await?;
                    objects.push(line.id);
                }
                Ok(("createUnit", objects))
            }
            Change::UpdateUnit(c) => {
                let id = self.unit_id(&c.unit_id)?;
                let current = self.unit(id, "input.unitId").await?;
                let updated = units::update_in(
                    self.tx,
                    self.org,
                    current.clone(),
                    UnitChanges {
                        id,
                        version: current.version,
                        name: c
                            .name
                            .as_deref()
                            .map(|n| Name::parse("input.name", n))
                            .transpose()?,
                        function: c.function,
                        sourcing: c.sourcing,
                        description: None,
                        archived: None,
                    },
                    self.date,
                )
                .await?;
                Ok(("updateUnit", vec![updated.id]))
            }
            Change::ArchiveUnit(c) => {
                let id = self.unit_id(&c.unit_id)?;
                let mut objects = Vec::new();
                for line in self.lines_of(id).await? {
                    objects.push(line.id);
                    if line.effective_from >= self.date {
                        // It would hold from the date only: it never does.
                        line.delete(self.tx).await?;
                    } else {
                        let version = line.version;
                        reporting::end_in(
                            self.tx,
                            self.principal,
                            self.org,
                            line,
                            version,
                            self.date,
                        )
                        .await?;
                    }
                }
                let current = self.unit(id, "input.unitId").await?;
                let updated = units::update_in(
                    self.tx,
                    self.org,
                    current.clone(),
                    UnitChanges {
                        id,
                        version: current.version,
                        name: None,
                        function: None,
                        sourcing: None,
                        description: None,
                        archived: Some(true),
                    },
                    self.date,
                )
                .await?;
                objects.insert(0, updated.id);
                Ok(("updateUnit", objects))
            }
            Change::MoveUnit(c) => {
                let unit = self.unit_id(&c.unit_id)?;
                let superior = self
                    .unit_id(&c.superior_unit_id)
                    .map_err(|e| e.on_field("input.superiorUnitId"))?;
                let (ended, added) = reporting::replace_in(
                    self.tx,
                    self.principal,
                    self.org,
                    self.line(unit, superior, LineKind::Solid),
                )
                .await?;
                let mut objects = vec![added.id];
                objects.extend(ended.map(|l| l.id));
                Ok(("replaceReportingLine", objects))
            }
            Change::AddDottedLine(c) => {
                let unit = self.unit_id(&c.unit_id)?;
                let superior = self
                    .unit_id(&c.superior_unit_id)
                    .map_err(|e| e.on_field("input.superiorUnitId"))?;
                let line = reporting::add_in(
                    self.tx,
                    self.principal,
                    self.org,
                    self.line(unit, superior, LineKind::Dotted),
                )
                .await?;
                Ok(("addReportingLine", vec![line.id]))
            }
            Change::EndLine(c) => {
                let id = crate::domain::parse_id("input.lineId", &c.line_id)?;
                let line = reporting_line::Entity::find_by_id(id)
                    .one(self.tx)
                    .await?
                    .filter(|l| l.organization_id == self.org.id)
                    .ok_or_else(|| Error::not_found_at("reporting line", "input.lineId"))?;
                let version = line.version;
                let ended =
                    reporting::end_in(self.tx, self.principal, self.org, line, version, self.date)
                        .await
                        .map_err(|e| e.on_field("input.lineId"))?;
                Ok(("endReportingLine", vec![ended.id]))
            }
            Change::CreatePosition(c) => {
                let unit_id = self.unit_id(&c.unit_id)?;
                let unit = self.unit(unit_id, "input.unitId").await?;
                let row = positions::create_in(
                    self.tx,
                    self.org,
                    &unit,
                    NewPosition {
                        unit_id,
                        title: Name::parse("input.title", &c.title)?,
                        role: c.role,
                        holder_name: Name::parse_opt("input.holderName", c.holder_name.as_deref())?,
                        responsibilities: c.responsibilities.clone(),
                    },
                    self.limits.max_positions,
                )
                .await?;
                if let Some(key) = &c.key {
                    self.positions.insert(key.clone(), row.id);
                }
                Ok(("createPosition", vec![row.id]))
            }
            Change::UpdatePosition(c) => {
                let id = self.position_id(&c.position_id)?;
                let current = self.position(id).await?;
                let unit_id = c.unit_id.as_deref().map(|u| self.unit_id(u)).transpose()?;
                let updated = positions::update_in(
                    self.tx,
                    self.org,
                    current.clone(),
                    PositionChanges {
                        id,
                        version: current.version,
                        unit_id,
                        title: c
                            .title
                            .as_deref()
                            .map(|t| Name::parse("input.title", t))
                            .transpose()?,
                        role: c.role,
                        holder_name: Name::parse_opt("input.holderName", c.holder_name.as_deref())?
                            .map(Some),
                        responsibilities: c.responsibilities.clone(),
                        archived: None,
                    },
                )
                .await?;
                Ok(("updatePosition", vec![updated.id]))
            }
            Change::ArchivePosition(c) => {
                let id = self.position_id(&c.position_id)?;
                let current = self.position(id).await?;
                let updated = positions::update_in(
                    self.tx,
                    self.org,
                    current.clone(),
                    PositionChanges {
                        id,
                        version: current.version,
                        unit_id: None,
                        title: None,
                        role: None,
                        holder_name: None,
                        responsibilities: None,
                        archived: Some(true),
                    },
                )
                .await?;
                Ok(("updatePosition", vec![updated.id]))
            }
        }
    }
}

/// One scenario by id.
pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<Option<scenario::Model>> {
    Ok(scenario::Entity::find_by_id(id).one(db).await?)
}

/// Scenarios by id (those that exist).
pub async fn find_many(db: &DatabaseConnection, ids: &[Uuid]) -> Result<Vec<scenario::Model>> {
    Ok(scenario::Entity::find()
        .filter(scenario::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// A page of an organization's scenarios (of one status, or all), newest first.
pub async fn list(
    db: &DatabaseConnection,
    organization: Uuid,
    status: Option<Status>,
    page: PageRequest,
) -> Result<(u64, Vec<scenario::Model>)> {
    let mut query =
        scenario::Entity::find().filter(scenario::Column::OrganizationId.eq(organization));
    if let Some(status) = status {
        query = query.filter(scenario::Column::Status.eq(status.as_str()));
    }
    page.fetch(
        db,
        query
            .order_by_desc(scenario::Column::CreatedAt)
            .order_by_desc(scenario::Column::Id),
    )
    .await
}

/// Evaluates scenarios of one organization: one live snapshot per distinct date, the
/// KPI series of the units that move or are archived in one more pair of statements,
/// however many changes and scenarios. Only drafts can be evaluated: a promoted
/// scenario's changes are the live structure now, a discarded one's are moot.
pub async fn evaluate(
    db: &DatabaseConnection,
    scenarios: &[&scenario::Model],
    draft_limits: Limits,
) -> Result<Vec<Evaluation>> {
    let mut lives: HashMap<(Uuid, NaiveDate), Snapshot> = HashMap::new();
    let mut drafts = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        if Status::from_db(&s.status)? != Status::Draft {
            return Err(Error::conflict(
                "id",
                format!(
                    "the scenario is {}: only drafts are evaluated against the live structure",
                    s.status
                ),
            ));
        }
        let key = (s.organization_id, s.effective_from);
        if let std::collections::hash_map::Entry::Vacant(slot) = lives.entry(key) {
            slot.insert(live(db, s.organization_id, s.effective_from).await?);
        }
        let before = lives[&key].clone();
        let mut draft = Draft::new(s.id, before, s.created_at);
        apply_all(
            &mut draft,
            &change::from_json(&s.changes)?,
            draft_limits,
            |i| format!("changes[{i}]"),
        )
        .map_err(stale_draft)?;
        drafts.push((key, draft.finish()));
    }
    // The KPI series of the units that move or are archived, of every draft at once.
    let mut evaluated = Vec::with_capacity(drafts.len());
    let mut watched: Vec<(Uuid, Uuid)> = Vec::new();
    for (key, (after, unit_keys)) in drafts {
        let before = lives[&key].clone();
        let insights_before = insights::evaluate(&before, None);
        let insights_after = insights::evaluate(&after, None);
        let diff = diff::diff(&before, &after, &insights_before, &insights_after);
        watched.extend(diff.units_losing_their_place().map(|u| (key.0, u)));
        evaluated.push((
            before,
            after,
            insights_before,
            insights_after,
            unit_keys,
            diff,
        ));
    }
    let series = kpi_series(db, &watched).await?;
    Ok(evaluated
        .into_iter()
        .map(
            |(before, after, insights_before, insights_after, unit_keys, diff)| {
                let diff = diff.with_kpi_series(&before, &after, &series);
                Evaluation {
                    before,
                    after,
                    insights_before,
                    insights_after,
                    unit_keys,
                    diff,
                }
            },
        )
        .collect())
}

/// The KPI series recorded against `units` (organization, unit): per unit, each KPI's key and point count.
async fn kpi_series(
    db: &DatabaseConnection,
    units: &[(Uuid, Uuid)],
) -> Result<HashMap<Uuid, Vec<(String, u64)>>> {
    if units.is_empty() {
        return Ok(HashMap::new());
    }
    let mut organizations: Vec<Uuid> = units.iter().map(|u| u.0).collect();
    organizations.sort_unstable();
    organizations.dedup();
    let counts: Vec<(Option<Uuid>, Uuid, i64)> = kpi_measurement::Entity::find()
        .select_only()
        .column(kpi_measurement::Column::UnitId)
        .column(kpi_measurement::Column::KpiId)
        .column_as(kpi_measurement::Column::Id.count(), "points")
        .filter(kpi_measurement::Column::OrganizationId.is_in(organizations))
        .filter(kpi_measurement::Column::UnitId.is_in(units.iter().map(|u| u.1)))
        .group_by(kpi_measurement::Column::UnitId)
        .group_by(kpi_measurement::Column::KpiId)
        .into_tuple()
        .all(db)
        .await?;
    let kpis: HashMap<Uuid, String> = kpi_definition::Entity::find()
        .filter(kpi_definition::Column::Id.is_in(counts.iter().map(|c| c.1)))
        .all(db)
        .await?
        .into_iter()
        .map(|k| (k.id, k.key))
        .collect();
    let mut out: HashMap<Uuid, Vec<(String, u64)>> = HashMap::new();
    for (unit, kpi, points) in counts {
        if let (Some(unit), Some(key)) = (unit, kpis.get(&kpi)) {
            out.entry(unit)
                .or_default()
                .push((key.clone(), u64::try_from(points).unwrap_or(0)));
        }
    }
    for series in out.values_mut() {
        series.sort();
    }
    Ok(out)
}

/// Creates a draft from a structure file (see [`super::structure_csv`]): the changes
/// that turn the live structure on `new.effective_from` into the file's, computed and
/// validated in memory before anything is written, then stored with the draft in one
/// transaction, so a file that is refused leaves nothing behind. `LIMIT_EXCEEDED` when
/// the file makes more than [`MAX_CHANGES`] changes; `CONFLICT` when the live
/// structure changed while the file was compared with it (importing it again is safe).
/// An identical file makes a draft with no changes: its diff is empty.
pub async fn import_structure(
    store: &Store,
    ctx: &RequestContext,
    new: NewScenario,
    rows: &[super::structure_csv::Row],
    draft_limits: Limits,
) -> Result<scenario::Model> {
    let field = "organization";
    let principal = ctx.principal()?;
    principal
        .may_write(new.organization_id, "organization")
        .map_err(|e| e.on_field(field))?;
    // The structure version the snapshot is read at, checked again under the lock.
    let seen = crate::organizations::service::find(&store.db, new.organization_id)
        .await?
        .ok_or_else(|| Error::not_found_at("organization", field))?
        .structure_version;
    let snapshot = live(&store.db, new.organization_id, new.effective_from.get()).await?;
    let changes = super::structure_csv::changes(&snapshot, rows)?;
    if changes.len() > MAX_CHANGES {
        return Err(Error::LimitExceeded(format!(
            "the file makes {} changes to the live structure; a scenario holds at most {MAX_CHANGES}",
            changes.len()
        )));
    }
    let id = Uuid::now_v7();
    let stamp = now();
    let mut draft = Draft::new(id, snapshot, stamp);
    apply_all(&mut draft, &changes, draft_limits, |i| {
        format!("changes[{i}]")
    })?;

    let (tx, principal, org) =
        crate::organizations::service::begin_writing(store, ctx, new.organization_id, field)
            .await?;
    ensure_active(&org, field)?;
    if org.structure_version != seen {
        return Err(Error::conflict(
            field,
            "the live structure changed while the file was compared with it; import the file again",
        ));
    }
    let row = insert_draft(&tx, &org, principal, (id, stamp), new, &changes).await?;
    crate::audit::commit(tx, ctx, org.id, "importStructure", vec![row.id]).await?;
    Ok(row)
}
