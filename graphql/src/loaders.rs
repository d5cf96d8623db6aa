//! The request's loaders: one [`Loaders`] per request, built by
//! [`crate::schema::prepare`], a named field per loader.
//!
//! A field that walks a relation asks `loaders(ctx)?.<loader>`; the loader's type says
//! what it reads and its `read` (or `load`) names the domain function that runs the
//! SQL, so a reader can follow a field to its statement, and a loader the set lacks
//! is a compile error rather than a failed lookup at run time. Each is a [`Memo`]:
//! it batches the keys a request asks within a short window and shares a load in
//! flight with later askers, so how many statements a query runs does not depend on
//! timing. The set lives for one request: no request sees another's rows.

use sea_orm::DatabaseConnection;

use crate::{
    batch::{DocumentWrites, Idle, Memo, OrganizationBatch, PerOrganization, Read, Reader},
    insights::SnapshotAsOf,
    kpis::{BuiltInKpisByStage, DefinitionsOf, SeriesOf},
    maturity::loaders::{CoreKpisAsOf, StageHistoryAsOf},
    organizations::OrganizationById,
    positions::{PositionsByOrganization, PositionsByUnit},
    priorities::loaders::AssessmentsOf,
    reporting::{LineHistoryByUnit, LinesAsOf, LinesByOrganization},
    stakeholders::loaders::{RelationshipsOf, StakeholdersOf},
    units::{UnitById, UnitsByOrganization},
};

/// Every loader a request's fields read through.
pub struct Loaders {
    /// Organizations by id.
    pub organization_by_id: Memo<Reader<OrganizationById>>,
    /// Units by id.
    pub unit_by_id: Memo<Reader<UnitById>>,
    /// Every unit of an organization.
    pub units_by_organization: Memo<Reader<UnitsByOrganization>>,
    /// The positions heading a unit.
    pub positions_by_unit: Memo<Reader<PositionsByUnit>>,
    /// Every position of an organization.
    pub positions_by_organization: Memo<Reader<PositionsByOrganization>>,
    /// An organization's reporting lines in effect on a date.
    pub lines_as_of: Memo<Reader<LinesAsOf>>,
    /// Every line a unit ever had to a superior.
    pub line_history_by_unit: Memo<Reader<LineHistoryByUnit>>,
    /// Every line of an organization (primes `line_history_by_unit`).
    pub lines_by_organization: Memo<Reader<LinesByOrganization>>,
    /// The built-in KPIs of a maturity stage.
    pub built_in_kpis_by_stage: Memo<Reader<BuiltInKpisByStage>>,
    /// `kpiSeries`, by organization and series.
    pub series: Memo<PerOrganization<SeriesOf>>,
    /// `kpis(stage)`, by organization and stage.
    pub definitions: Memo<PerOrganization<DefinitionsOf>>,
    /// An organization's snapshot on a date (collaboration model, insights, chart).
    pub snapshots: Memo<PerOrganization<SnapshotAsOf>>,
    /// An organization's stage declarations as of a date.
    pub stage_histories: Memo<PerOrganization<StageHistoryAsOf>>,
    /// An organization's core KPIs with their latest period as of a date.
    pub core_kpis: Memo<PerOrganization<CoreKpisAsOf>>,
    /// An organization's leadership-priority assessments.
    pub assessments: Memo<PerOrganization<AssessmentsOf>>,
    /// An organization's stakeholders.
    pub stakeholders: Memo<PerOrganization<StakeholdersOf>>,
    /// An organization's relationships.
    pub relationships: Memo<PerOrganization<RelationshipsOf>>,
}

impl Loaders {
    /// Fresh loaders on `db` for one request whose document's writes `writes` tells;
    /// their batches go when `idle` finds the request idle.
    pub fn new(db: &DatabaseConnection, writes: &DocumentWrites, idle: &Idle) -> Self {
        let scope = (db, writes, idle);
        type Scope<'a> = (&'a DatabaseConnection, &'a DocumentWrites, &'a Idle);
        fn read<R: Read>((db, writes, idle): Scope<'_>) -> Memo<Reader<R>> {
            Memo::new(Reader::new(db.clone()), writes.clone(), idle.clone())
        }
        fn batch<B: OrganizationBatch>((db, writes, idle): Scope<'_>) -> Memo<PerOrganization<B>> {
            Memo::new(
                PerOrganization::new(db.clone()),
                writes.clone(),
                idle.clone(),
            )
        }
        Self {
            organization_by_id: read(scope),
            unit_by_id: read(scope),
            units_by_organization: read(scope),
            positions_by_unit: read(scope),
            positions_by_organization: read(scope),
            lines_as_of: read(scope),
            line_history_by_unit: read(scope),
            lines_by_organization: read(scope),
            built_in_kpis_by_stage: read(scope),
            series: batch(scope),
            definitions: batch(scope),
            snapshots: batch(scope),
            stage_histories: batch(scope),
            core_kpis: batch(scope),
            assessments: batch(scope),
            stakeholders: batch(scope),
            relationships: batch(scope),
        }
    }
}
