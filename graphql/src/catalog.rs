//! The built-in catalogs in the schema: maturity stages with their KPIs, and
//! leadership priorities (read through `orgdesign_domain::catalog`).

use async_graphql::{Context, Description, ID, Object};
use entity::{kpi_definition, leadership_priority, maturity_stage};
use orgdesign_domain::catalog;

use crate::{
    context::{db, loaders, request},
    enums::{KpiDirection, KpiUnit, PriorityKey, Rollup, StageKey},
    error::GqlResult,
};

/// A maturity stage of marketing: what it answers for and the KPIs that judge it.
#[derive(Debug, Clone, Description)]
pub struct MaturityStage(pub maturity_stage::Model);

#[Object(use_type_description)]
impl MaturityStage {
    /// Which stage.
    async fn key(&self) -> GqlResult<StageKey> {
        Ok(StageKey::from_db(&self.0.key)?)
    }

    /// 1 (traditional) to 4 (revenue).
    async fn ordinal(&self) -> i32 {
        self.0.ordinal
    }

    /// Display name, e.g. "Lead generation".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What marketing at this stage is accountable for.
    async fn accountable_for(&self) -> &str {
        &self.0.accountable_for
    }

    /// A paragraph on what marketing does at this stage and how it is judged.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The built-in KPIs of this stage, core ones first.
    async fn kpis(&self, ctx: &Context<'_>) -> GqlResult<Vec<KpiDefinition>> {
        Ok(loaders(ctx)?
            .built_in_kpis_by_stage
            .load_or_default(self.0.key.clone())
            .await?
            .into_iter()
            .map(KpiDefinition)
            .collect())
    }
}

/// A KPI definition: built-in or an organization's own.
#[derive(Debug, Clone, Description)]
pub struct KpiDefinition(pub kpi_definition::Model);

#[Object(use_type_description)]
impl KpiDefinition {
    /// The definition's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Stable slug integrations push data under.
    async fn key(&self) -> &str {
        &self.0.key
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What it measures; empty when none was given.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The maturity stage it belongs to.
    async fn stage(&self) -> GqlResult<StageKey> {
        Ok(StageKey::from_db(&self.0.stage)?)
    }

    /// What its values count.
    async fn unit(&self) -> GqlResult<KpiUnit> {
        Ok(KpiUnit::from_db(&self.0.unit)?)
    }

    /// Which way is better.
    async fn direction(&self) -> GqlResult<KpiDirection> {
        Ok(KpiDirection::from_db(&self.0.direction)?)
    }

    /// How periods roll up into coarser ones.
    async fn rollup(&self) -> GqlResult<Rollup> {
        Ok(Rollup::from_db(&self.0.rollup)?)
    }

    /// A core KPI: recent data for it is evidence of its stage.
    async fn core(&self) -> bool {
        self.0.core
    }

    /// Part of the built-in catalog (rather than an organization's own).
    async fn built_in(&self) -> bool {
        self.0.organization_id.is_none()
    }
}

/// A leadership priority: trust and relationships rather than campaigns.
#[derive(Debug, Clone, Description)]
pub struct LeadershipPriority(pub leadership_priority::Model);

#[Object(use_type_description)]
impl LeadershipPriority {
    /// Which priority.
    async fn key(&self) -> GqlResult<PriorityKey> {
        Ok(PriorityKey::from_db(&self.0.key)?)
    }

    /// Its place in the list, 1 to 4.
    async fn ordinal(&self) -> i32 {
        self.0.ordinal
    }

    /// Display name, e.g. "Building and managing trust in all its dimensions".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A sentence on what the priority asks of marketing leaders.
    async fn description(&self) -> &str {
        &self.0.description
    }
}

/// Catalog queries.
#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The four maturity stages, in order, each with its KPIs. Any principal,
    /// integrations included (they push data under these KPI keys).
    async fn maturity_stages(&self, ctx: &Context<'_>) -> GqlResult<Vec<MaturityStage>> {
        request(ctx)?.principal()?;
        Ok(catalog::stages(db(ctx)?)
            .await?
            .into_iter()
            .map(MaturityStage)
            .collect())
    }

    /// The four leadership priorities, in order. Any principal.
    async fn leadership_priorities(&self, ctx: &Context<'_>) -> GqlResult<Vec<LeadershipPriority>> {
        request(ctx)?.principal()?;
        Ok(catalog::priorities(db(ctx)?)
            .await?
            .into_iter()
            .map(LeadershipPriority)
            .collect())
    }
}
