//! Applying a draft's changes to the live structure: each change through the units,
//! positions and reporting services' in-transaction steps (`*_in`), in the caller's
//! transaction (`service::promote` opens it, takes the organization's lock and
//! commits). Units and positions the draft created are named by their keys until
//! they exist.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{org_unit, organization, position, reporting_line};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{apply::Limits, change::Change};
use crate::{
    Description, LineKind, Name,
    audit::Operation,
    auth::Principal,
    error::{Error, Result},
    positions::service::{self as positions, NewPosition, PositionChanges},
    reporting::service::{self as reporting, NewLine},
    units::service::{self as units, NewUnit, UnitChanges},
};

/// A service's error about one of its fields (`superiorUnitId`) as one about the
/// scenario's change (`changes[2].superiorUnitId`).
pub(super) fn refield(err: Error, at: &str) -> Error {
    let field = err
        .field()
        .map(|f| format!("{at}.{f}"))
        .unwrap_or_else(|| at.to_owned());
    err.on_field(&field)
}

/// The state of a promotion: the transaction and what the changes created so far.
pub(super) struct Promotion<'a, C> {
    tx: &'a C,
    principal: &'a Principal,
    org: &'a organization::Model,
    date: NaiveDate,
    limits: Limits,
    units: HashMap<String, Uuid>,
    positions: HashMap<String, Uuid>,
}

impl<'a, C: ConnectionTrait> Promotion<'a, C> {
    /// A promotion into `org` (locked in `tx`), dated `date`.
    pub(super) fn new(
        tx: &'a C,
        principal: &'a Principal,
        org: &'a organization::Model,
        date: NaiveDate,
        limits: Limits,
    ) -> Self {
        Self {
            tx,
            principal,
            org,
            date,
            limits,
            units: HashMap::new(),
            positions: HashMap::new(),
        }
    }

    fn unit_id(&self, raw: &str) -> Result<Uuid> {
        match self.units.get(raw) {
            Some(id) => Ok(*id),
            None => crate::parse_id("input.unitId", raw),
        }
    }

    fn position_id(&self, raw: &str) -> Result<Uuid> {
        match self.positions.get(raw) {
            Some(id) => Ok(*id),
            None => crate::parse_id("input.positionId", raw),
        }
    }

    async fn unit(&self, id: Uuid, field: &str) -> Result<org_unit::Model> {
        org_unit::Entity::find_by_id(id)
            .one(self.tx)
            .await?
            .filter(|u| u.organization_id == self.org.id)
            .ok_or_else(|| Error::not_found_at("unit", field))
    }

    /// Changes unit `id` as it stands now (against its current version): `changes`
    /// says what changes, over changes that change nothing.
    async fn update_unit(
        &self,
        id: Uuid,
        changes: impl FnOnce(UnitChanges) -> UnitChanges,
    ) -> Result<org_unit::Model> {
        let current = self.unit(id, "input.unitId").await?;
        let blank = UnitChanges {
            id,
            version: current.version,
            effective_from: self.date,
            name: None,
            function: None,
            sourcing: None,
            description: None,
            archived: None,
        };
        units::update_in(self.tx, self.org, current, changes(blank)).await
    }

    /// Changes position `id` as it stands now (against its current version):
    /// `changes` says what changes, over changes that change nothing.
    async fn update_position(
        &self,
        id: Uuid,
        changes: impl FnOnce(PositionChanges) -> PositionChanges,
    ) -> Result<position::Model> {
        let current = self.position(id).await?;
        let blank = PositionChanges {
            id,
            version: current.version,
            effective_from: self.date,
            unit_id: None,
            title: None,
            role: None,
            holder_name: None,
            responsibilities: None,
            archived: None,
        };
        positions::update_in(self.tx, self.org, current, changes(blank)).await
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
    pub(super) async fn apply(&mut self, change: &Change) -> Result<(Operation, Vec<Uuid>)> {
        match change {
            Change::CreateUnit(c) => {
                let unit = units::create_in(
                    self.tx,
                    self.org,
                    NewUnit {
                        organization_id: self.org.id,
                        effective_from: self.date,
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
                Ok((Operation::CreateUnit, objects))
            }
            Change::UpdateUnit(c) => {
                let id = self.unit_id(&c.unit_id)?;
                let name = c.name.as_deref();
                let name = name.map(|n| Name::parse("input.name", n)).transpose()?;
                let updated = self
                    .update_unit(id, |blank| UnitChanges {
                        name,
                        function: c.function,
                        sourcing: c.sourcing,
                        ..blank
                    })
                    .await?;
                Ok((Operation::UpdateUnit, vec![updated.id]))
            }
            Change::ArchiveUnit(c) => {
                let id = self.unit_id(&c.unit_id)?;
                let mut objects = Vec::new();
                for line in self.lines_of(id).await? {
                    objects.push(line.id);
                    if line.effective_from >= self.date {
                        // It would hold from the date only: it never does.
                        reporting::delete_in(self.tx, line).await?;
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
                let updated = self
                    .update_unit(id, |blank| UnitChanges {
                        archived: Some(true),
                        ..blank
                    })
                    .await?;
                objects.insert(0, updated.id);
                Ok((Operation::UpdateUnit, objects))
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
                Ok((Operation::ReplaceReportingLine, objects))
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
                Ok((Operation::AddReportingLine, vec![line.id]))
            }
            Change::EndLine(c) => {
                let id = crate::parse_id("input.lineId", &c.line_id)?;
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
                Ok((Operation::EndReportingLine, vec![ended.id]))
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
                        effective_from: self.date,
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
                Ok((Operation::CreatePosition, vec![row.id]))
            }
            Change::UpdatePosition(c) => {
                let id = self.position_id(&c.position_id)?;
                let unit_id = c.unit_id.as_deref().map(|u| self.unit_id(u)).transpose()?;
                let title = c.title.as_deref();
                let title = title.map(|t| Name::parse("input.title", t)).transpose()?;
                let holder_name = Name::parse_opt("input.holderName", c.holder_name.as_deref())?;
                let updated = self
                    .update_position(id, |blank| PositionChanges {
                        unit_id,
                        title,
                        role: c.role,
                        holder_name: holder_name.map(Some),
                        responsibilities: c.responsibilities.clone(),
                        ..blank
                    })
                    .await?;
                Ok((Operation::UpdatePosition, vec![updated.id]))
            }
            Change::ArchivePosition(c) => {
                let id = self.position_id(&c.position_id)?;
                let updated = self
                    .update_position(id, |blank| PositionChanges {
                        archived: Some(true),
                        ..blank
                    })
                    .await?;
                Ok((Operation::UpdatePosition, vec![updated.id]))
            }
        }
    }
}
