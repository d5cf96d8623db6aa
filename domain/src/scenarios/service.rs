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
use entity::{audit_log, org_unit, organization, position, reporting_line, scenario};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::{
    apply::{Draft, Limits},
    change::{self, Change},
    promotion::{Promotion, refield},
};
use crate::{
    Description, Name, StorableDate,
    audit::Operation,
    auth::Writer,
    clock::now,
    error::{Error, Result},
    insights::{self, Snapshot},
    store::Store,
    write::{self, Row, Target, Versioned, Write, check_version},
};

/// Most changes one scenario holds.
pub const MAX_CHANGES: usize = 500;
/// Most drafts one organization holds at once.
pub const MAX_DRAFTS: u64 = 50;
/// Most scenarios `compareScenarios` takes.
pub const MAX_COMPARED: usize = 10;

pub use crate::ScenarioStatus as Status;

/// A new scenario, parsed.
#[derive(Debug)]
pub struct NewScenario {
    pub organization_id: Uuid,
    pub name: Name,
    pub description: Option<Description>,
    pub effective_from: StorableDate,
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
pub(super) fn apply_all(
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
    writer: Writer<'_>,
    new: NewScenario,
) -> Result<scenario::Model> {
    let target = Target::organization(new.organization_id, "organizationId").active();
    let write = write::begin(store, writer, target).await?;
    let draft = (Uuid::now_v7(), now());
    insert_draft(write, draft, new, &[], Operation::CreateScenario).await
}

/// Writes a new draft of the organization `write` changes, holding `changes` (already
/// validated), as `(id, stamp)` (its id and creation time, which name the objects its
/// changes create), if the organization has room for another draft; commits it as
/// `operation`.
async fn insert_draft(
    write: Write<'_>,
    (id, stamp): (Uuid, chrono::DateTime<chrono::Utc>),
    new: NewScenario,
    changes: &[Change],
    operation: Operation,
) -> Result<scenario::Model> {
    let (tx, org, principal) = (&write.tx, &write.organization, write.principal()?);
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
    let row = scenario::ActiveModel {
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
    .await?;
    write.commit(operation, vec![row.id]).await?;
    Ok(row)
}

/// Begins a change of draft `id` made against its `version`, read again under its
/// organization's lock: `CONFLICT` when it is no longer a draft or the version is
/// stale. `active` asks that the organization be active too (what a promotion needs).
async fn begin_on_draft<'s>(
    store: &'s Store,
    writer: Writer<'s>,
    (id, version): (Uuid, i32),
    active: bool,
) -> Result<(Write<'s>, scenario::Model)> {
    let scenario = Row::new(id, "scenarioId");
    let scenario = if active { scenario.active() } else { scenario };
    let (write, current) = write::begin_on::<scenario::Entity>(store, writer, scenario).await?;
    refuse_closed(&current, "scenarioId")?;
    check_version("the scenario", current.version, version)?;
    Ok((write, current))
}

/// The live snapshot a draft starts from, read before its write begins (no read waits
/// behind the write's turn, and the write holds its connection only to write); the
/// draft's version, checked under the lock, tells whether it changed meanwhile.
async fn live_of_draft(store: &Store, writer: Writer<'_>, id: Uuid) -> Result<Snapshot> {
    let draft = scenario::Entity::find_by_id(id)
        .one(&store.db)
        .await?
        .filter(|s| writer.principal().reaches(s.organization_id))
        .ok_or_else(|| Error::not_found_at("scenario", "scenarioId"))?;
    live(&store.db, draft.organization_id, draft.effective_from).await
}

/// The live snapshot a draft of `organization` on `date` starts from.
pub(super) async fn live(
    db: &DatabaseConnection,
    organization: Uuid,
    date: NaiveDate,
) -> Result<Snapshot> {
    insights::snapshot(db, organization, date).await
}

/// Appends `changes` to a draft whose `version` is current, each validated against
/// the state the earlier ones leave; nothing is stored when one is refused (its
/// error names it: `changes[2].superiorUnitId`, counting in `changes`).
pub async fn add_changes(
    store: &Store,
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
    changes: Vec<Change>,
    draft_limits: Limits,
) -> Result<scenario::Model> {
    if changes.is_empty() {
        return Err(Error::bad_input("changes", "give at least one change"));
    }
    let live = live_of_draft(store, writer, id).await?;
    let (write, current) = begin_on_draft(store, writer, (id, version), false).await?;
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
    let mut row = current.next_version(now());
    row.changes = Set(change::to_json(&all));
    update_and_commit(write, row, Operation::AddScenarioChanges).await
}

/// Writes `row` and commits the change as `operation`.
async fn update_and_commit(
    write: Write<'_>,
    row: scenario::ActiveModel,
    operation: Operation,
) -> Result<scenario::Model> {
    let updated = row.update(&write.tx).await?;
    write.commit(operation, vec![updated.id]).await?;
    Ok(updated)
}

/// An earlier change that no longer holds against the live structure: the draft
/// needs a rebase, whatever the new changes are.
pub(super) fn stale_draft(err: Error) -> Error {
    match err {
        Error::BadInput { field, message }
        | Error::Conflict {
            field: Some(field),
            message,
        } => Error::conflict(
            "scenarioId",
            format!(
                "the live structure changed since this draft was validated: its change {field} no longer applies ({message}); rebase or discard the draft"
            ),
        ),
        Error::NotFound {
            what,
            field: Some(field),
        } => Error::conflict(
            "scenarioId",
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
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
    draft_limits: Limits,
) -> Result<scenario::Model> {
    let live = live_of_draft(store, writer, id).await?;
    let (write, current) = begin_on_draft(store, writer, (id, version), false).await?;
    let all = change::from_json(&current.changes)?;
    let mut draft = Draft::new(current.id, live, current.created_at);
    apply_all(&mut draft, &all, draft_limits, |i| format!("changes[{i}]"))?;
    let mut row = current.next_version(now());
    row.base_structure_version = Set(write.organization.structure_version);
    row.based_at = Set(now());
    update_and_commit(write, row, Operation::RebaseScenario).await
}

/// Ends a draft without applying it.
pub async fn discard(
    store: &Store,
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
) -> Result<scenario::Model> {
    let (write, current) = begin_on_draft(store, writer, (id, version), false).await?;
    let row = closed(current, Status::Discarded);
    update_and_commit(write, row, Operation::DiscardScenario).await
}

/// `current` closed as `status` (promoted or discarded), now.
fn closed(current: scenario::Model, status: Status) -> scenario::ActiveModel {
    let mut row = current.next_version(now());
    row.status = Set(status.as_str().to_owned());
    row.closed_at = Set(Some(now()));
    row
}

/// The ids an audit entry names.
fn object_ids(entry: &audit_log::Model) -> impl Iterator<Item = Uuid> + '_ {
    entry
        .object_ids
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str()?.parse().ok())
}

/// What the objects of some audit entries are called today: units by name, positions by
/// title, reporting lines by the units they join.
struct Subjects {
    units: HashMap<Uuid, String>,
    positions: HashMap<Uuid, String>,
    lines: HashMap<Uuid, (Uuid, Uuid)>,
}

impl Subjects {
    async fn of<C: ConnectionTrait>(tx: &C, entries: &[audit_log::Model]) -> Result<Self> {
        let ids: Vec<Uuid> = entries.iter().flat_map(object_ids).collect();
        let lines: HashMap<Uuid, (Uuid, Uuid)> = reporting_line::Entity::find()
            .filter(reporting_line::Column::Id.is_in(ids.clone()))
            .all(tx)
            .await?
            .into_iter()
            .map(|line| (line.id, (line.unit_id, line.superior_unit_id)))
            .collect();
        let unit_ids = ids.iter().copied().chain(
            lines
                .values()
                .flat_map(|&(unit, superior)| [unit, superior]),
        );
        let units = org_unit::Entity::find()
            .filter(org_unit::Column::Id.is_in(unit_ids))
            .all(tx)
            .await?
            .into_iter()
            .map(|unit| (unit.id, unit.name))
            .collect();
        let positions = position::Entity::find()
            .filter(position::Column::Id.is_in(ids))
            .all(tx)
            .await?
            .into_iter()
            .map(|position| (position.id, position.title))
            .collect();
        Ok(Self {
            units,
            positions,
            lines,
        })
    }

    fn name(&self, id: Uuid) -> String {
        let unit = |id: &Uuid| {
            self.units
                .get(id)
                .map_or_else(|| id.to_string(), |name| format!("{name:?}"))
        };
        if self.units.contains_key(&id) {
            unit(&id)
        } else if let Some(title) = self.positions.get(&id) {
            format!("position {title:?}")
        } else if let Some((from, to)) = self.lines.get(&id) {
            format!("the line {} → {}", unit(from), unit(to))
        } else {
            id.to_string()
        }
    }
}

/// The `CONFLICT` of a draft whose base is no longer the live structure, naming the
/// changes made since: each one's day, operation, what it changed and who.
async fn moved_on<C: ConnectionTrait>(
    tx: &C,
    org: &organization::Model,
    current: &scenario::Model,
) -> Result<Error> {
    let since = audit_log::Entity::find()
        .filter(audit_log::Column::OrganizationId.eq(org.id))
        .filter(audit_log::Column::CreatedAt.gt(current.based_at))
        .filter(
            audit_log::Column::Operation.is_in(
                Operation::ALL
                    .iter()
                    .filter(|operation| operation.is_structural())
                    .map(|operation| operation.as_str()),
            ),
        )
        .order_by_asc(audit_log::Column::CreatedAt)
        .limit(5)
        .all(tx)
        .await?;
    let count = org.structure_version - current.base_structure_version;
    let subjects = Subjects::of(tx, &since).await?;
    let named: Vec<String> = since
        .iter()
        .map(|e| {
            let objects: Vec<String> = object_ids(e).map(|id| subjects.name(id)).collect();
            format!(
                "{} {} {} by {}",
                e.created_at.date_naive(),
                e.operation,
                objects.join(", "),
                e.actor
            )
        })
        .collect();
    Ok(Error::conflict(
        "scenarioId",
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
    writer: Writer<'_>,
    id: Uuid,
    version: i32,
    draft_limits: Limits,
) -> Result<scenario::Model> {
    let (mut write, current) = begin_on_draft(store, writer, (id, version), true).await?;
    write.takes_effect_on(current.effective_from);
    let (tx, org, principal) = (&write.tx, &write.organization, write.principal()?);
    if org.structure_version != current.base_structure_version {
        return Err(moved_on(tx, org, &current).await?);
    }
    let changes = change::from_json(&current.changes)?;
    let mut audited = Vec::with_capacity(changes.len() + 1);
    let mut promotion = Promotion::new(tx, principal, org, current.effective_from, draft_limits);
    for (i, change) in changes.iter().enumerate() {
        let at = format!("changes[{i}]");
        let (operation, mut objects) = promotion
            .apply(change)
            .await
            .map_err(|err| refield(err, &at))?;
        objects.push(current.id);
        audited.push((operation, objects));
    }
    let promoted = closed(current, Status::Promoted).update(tx).await?;
    crate::webhooks::outbox::enqueue(
        tx,
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
    audited.push((Operation::PromoteScenario, vec![promoted.id]));
    write.commit_all(audited).await?;
    Ok(promoted)
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
    writer: Writer<'_>,
    new: NewScenario,
    rows: &[super::structure_csv::Row],
    draft_limits: Limits,
) -> Result<scenario::Model> {
    let field = "organization";
    writer.reach(new.organization_id, "organization", field)?;
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

    let target = Target::organization(new.organization_id, field).active();
    let write = write::begin(store, writer, target).await?;
    if write.organization.structure_version != seen {
        return Err(Error::conflict(
            field,
            "the live structure changed while the file was compared with it; import the file again",
        ));
    }
    insert_draft(
        write,
        (id, stamp),
        new,
        &changes,
        Operation::ImportStructure,
    )
    .await
}
