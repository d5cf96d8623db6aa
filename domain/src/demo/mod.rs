//! Demo organizations, one per collaboration model, in our own words. Every row goes
//! through the same services as the API under the actor `orgdesign-demo`, so every
//! invariant holds for them and the audit log shows each one.
//!
//! - this file: [`load`] and the builder that calls the services;
//! - `examples`: the four organizations.

mod examples;

use anyhow::Context as _;
use chrono::{Datelike, NaiveDate};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    CollaborationModel, Description, Granularity, KpiKey, LineKind, Name, PositionRole,
    PriorityKey, RelationshipStrength, Responsibility, Score, Slug, Sourcing, StageKey,
    StorableDate, UnitFunction, Weight,
    auth::{RequestContext, Writer},
    kpis::{
        ParsedPoint,
        service::{self as kpis, NewTarget},
    },
    maturity::service::{self as maturity, NewStageDeclaration},
    organizations::service::{self as organizations, NewOrganization},
    positions::service::{self as positions, NewPosition},
    priorities::service::{self as priorities, NewAssessment},
    reporting::service::{self as reporting, NewLine},
    scenarios::service as scenarios,
    settings::Limits,
    stakeholders::service::{
        self as stakeholders, NewRelationship, NewStakeholder, StakeholderRef,
    },
    store::Store,
    units::service::{self as units, NewUnit, UnitChanges},
};

/// Builds one demo organization.
struct Builder<'a> {
    store: &'a Store,
    ctx: RequestContext,
    limits: &'a Limits,
    org: Uuid,
    /// The day the organization's units and positions exist from, unless a unit says
    /// otherwise: the demo's structure is as old as its first reporting lines.
    since: NaiveDate,
}

impl Builder<'_> {
    /// The demo's actor may change the structure (it is an admin).
    fn writer(&self) -> anyhow::Result<Writer<'_>> {
        Ok(self.ctx.writer()?)
    }
}

fn date(y: i32, m: u32, d: u32) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).context("a demo date is invalid")
}

/// A unit a demo creates, with the positions heading it.
struct Unit<'s> {
    name: &'s str,
    function: UnitFunction,
    sourcing: Sourcing,
    description: &'s str,
    heads: Vec<Head<'s>>,
    /// The first day it exists, when later than the organization's.
    from: Option<NaiveDate>,
}

/// A position heading a unit: title, role, responsibilities.
type Head<'s> = (&'s str, PositionRole, &'s [Responsibility]);

/// A reporting line: unit, superior, kind, from, until.
type Line = (Uuid, Uuid, LineKind, NaiveDate, Option<NaiveDate>);

/// An assessment of a leadership priority: the priority, its score, the unit that owns
/// it, notes.
type Assessment<'s> = (PriorityKey, i32, Option<Uuid>, &'s str);

/// A unit with no position heading it (yet).
fn unit<'s>(
    name: &'s str,
    function: UnitFunction,
    sourcing: Sourcing,
    description: &'s str,
) -> Unit<'s> {
    Unit {
        name,
        function,
        sourcing,
        description,
        heads: Vec::new(),
        from: None,
    }
}

impl<'s> Unit<'s> {
    /// The unit with a position heading it.
    fn headed(
        mut self,
        title: &'s str,
        role: PositionRole,
        responsibilities: &'s [Responsibility],
    ) -> Self {
        self.heads.push((title, role, responsibilities));
        self
    }

    /// The unit exists from `day` rather than from the organization's first day.
    fn from(mut self, day: NaiveDate) -> Self {
        self.from = Some(day);
        self
    }
}

impl<'a> Builder<'a> {
    /// Tracks a relationship from `owner` to a new internal stakeholder, the unit
    /// `unit`, through the stakeholder services (its first review comes with it).
    async fn relationship(
        &self,
        owner: Uuid,
        unit: Uuid,
        name: &str,
        trust: i32,
    ) -> anyhow::Result<()> {
        let stakeholder = stakeholders::create_stakeholder(
            self.store,
            self.writer()?,
            NewStakeholder {
                organization_id: self.org,
                name: Name::parse("name", name)?,
                who: StakeholderRef::Internal(unit),
            },
        )
        .await?;
        stakeholders::create_relationship(
            self.store,
            self.writer()?,
            NewRelationship {
                owner_unit_id: owner,
                stakeholder_id: stakeholder.id,
                trust_score: Score::parse("trust", trust)?,
                strength: RelationshipStrength::Strong,
                notes: None,
            },
        )
        .await?;
        Ok(())
    }

    /// Assesses a leadership priority through the priority service.
    async fn priority(
        &self,
        key: PriorityKey,
        score: i32,
        owner: Option<Uuid>,
        notes: &str,
    ) -> anyhow::Result<()> {
        priorities::assess(
            self.store,
            self.writer()?,
            NewAssessment {
                organization_id: self.org,
                priority: key,
                score: Score::parse("score", score)?,
                weight: Weight::parse("weight", 1)?,
                owner_unit_id: owner,
                notes: Description::parse_opt("notes", Some(notes))?,
                assessed_at: None,
            },
        )
        .await?;
        Ok(())
    }

    /// Declares the maturity stage as of `on` through the maturity service.
    async fn stage(&self, stage: StageKey, on: NaiveDate, rationale: &str) -> anyhow::Result<()> {
        maturity::declare(
            self.store,
            self.writer()?,
            NewStageDeclaration {
                organization_id: self.org,
                stage,
                assessed_on: StorableDate::parse("on", on)?,
                rationale: Description::parse_opt("rationale", Some(rationale))?,
            },
        )
        .await?;
        Ok(())
    }

    /// Records monthly points for each `(kpi, first value, monthly growth)` over the
    /// `months` months ending with `last` (the month containing it), through the same
    /// ingestion service as the API. Values wobble a little around the trend so the
    /// charts look like real data; they are the same on every load.
    async fn monthly_kpis(
        &self,
        kpis: &[(&str, f64, f64)],
        last: NaiveDate,
        months: u32,
        source: &str,
    ) -> anyhow::Result<()> {
        let last = last.with_day(1).context("a demo date is invalid")?;
        let mut points = Vec::new();
        for (k, &(kpi, first, growth)) in kpis.iter().enumerate() {
            for i in 0..months {
                let back = months - 1 - i;
                let period = last
                    .checked_sub_months(chrono::Months::new(back))
                    .context("a demo date is out of range")?;
                let wobble = 1.0 + 0.06 * ((f64::from(i) * 1.7 + k as f64).sin());
                let value = first * (1.0 + growth).powi(i as i32) * wobble;
                // Two decimals, scaled to the stored integer.
                let scaled = ((value * 100.0).round() as i64) * (entity::VALUE_SCALE / 100);
                points.push(ParsedPoint::parse(
                    points.len(),
                    "points",
                    kpi,
                    None,
                    Granularity::Month,
                    period,
                    scaled,
                    source,
                    Vec::new(),
                )?);
            }
        }
        crate::kpis::record(self.store, self.ctx.kpi_pusher()?, self.org, points).await?;
        Ok(())
    }

    /// Sets the monthly target of `kpi` for the `months` months ending with `last`,
    /// through the KPI service.
    async fn monthly_target(
        &self,
        kpi: &str,
        value: i64,
        last: NaiveDate,
        months: u32,
    ) -> anyhow::Result<()> {
        let last = last.with_day(1).context("a demo date is invalid")?;
        for back in 0..months {
            let period = last
                .checked_sub_months(chrono::Months::new(back))
                .context("a demo date is out of range")?;
            kpis::set_target(
                self.store,
                self.writer()?,
                NewTarget {
                    organization_id: self.org,
                    kpi: KpiKey::parse("kpi", kpi)?,
                    unit_id: None,
                    granularity: Granularity::Month,
                    period_start: StorableDate::parse("period", period)?,
                    value_scaled: value * entity::VALUE_SCALE,
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn organization(
        store: &'a Store,
        limits: &'a Limits,
        slug: &str,
        name: &str,
        industry: &str,
        employees: i32,
        model: CollaborationModel,
    ) -> anyhow::Result<Option<Builder<'a>>> {
        let slug = Slug::parse("slug", slug)?;
        let ctx = RequestContext::system("orgdesign-demo");
        if organizations::find_by_slug(&store.db, &slug)
            .await?
            .is_some()
        {
            println!("  {} is already loaded; skipped", slug.as_str());
            return Ok(None);
        }
        let org = organizations::create(
            store,
            ctx.admin()?,
            NewOrganization {
                slug,
                name: Name::parse("name", name)?,
                industry: Some(Name::parse("industry", industry)?),
                employee_count: Some(employees),
                declared_model: Some(model),
            },
        )
        .await?;
        Ok(Some(Self {
            store,
            ctx,
            limits,
            org: org.id,
            since: crate::clock::today(),
        }))
    }

    /// The builder, its units and positions existing from `day` on.
    fn since(self, day: NaiveDate) -> Self {
        Self { since: day, ..self }
    }

    async fn unit(&self, unit: &Unit<'_>) -> anyhow::Result<Uuid> {
        let Unit {
            name,
            function,
            sourcing,
            description,
            ..
        } = *unit;
        let unit = units::create(
            self.store,
            self.writer()?,
            NewUnit {
                organization_id: self.org,
                effective_from: unit.from.unwrap_or(self.since),
                name: Name::parse("name", name)?,
                function,
                sourcing,
                description: Description::parse_opt("description", Some(description))?,
            },
            self.limits.max_units_per_organization,
        )
        .await?;
        Ok(unit.id)
    }

    /// Changes a unit's name, sourcing and description from `on`, through the unit
    /// service.
    async fn change_unit(
        &self,
        unit: Uuid,
        on: NaiveDate,
        name: Option<&str>,
        sourcing: Option<Sourcing>,
        description: Option<&str>,
    ) -> anyhow::Result<()> {
        let current = units::find(&self.store.db, unit)
            .await?
            .context("a demo unit vanished")?;
        units::update(
            self.store,
            self.writer()?,
            UnitChanges {
                id: unit,
                version: current.row.version,
                effective_from: on,
                name: name.map(|n| Name::parse("name", n)).transpose()?,
                function: None,
                sourcing,
                description: description
                    .map(|d| Description::parse_opt("description", Some(d)))
                    .transpose()?,
                archived: None,
            },
        )
        .await?;
        Ok(())
    }

    async fn head(
        &self,
        unit: Uuid,
        title: &str,
        role: PositionRole,
        responsibilities: &[Responsibility],
    ) -> anyhow::Result<Uuid> {
        let effective_from = units::find(&self.store.db, unit)
            .await?
            .map_or(self.since, |u| u.row.effective_from);
        let position = positions::create(
            self.store,
            self.writer()?,
            NewPosition {
                unit_id: unit,
                effective_from,
                title: Name::parse("title", title)?,
                role,
                holder_name: None,
                responsibilities: responsibilities.to_vec(),
            },
            self.limits.max_positions_per_unit,
        )
        .await?;
        Ok(position.id)
    }

    async fn line(
        &self,
        unit: Uuid,
        superior: Uuid,
        kind: LineKind,
        from: NaiveDate,
        to: Option<NaiveDate>,
    ) -> anyhow::Result<()> {
        reporting::add(
            self.store,
            self.writer()?,
            NewLine {
                unit_id: unit,
                superior_unit_id: superior,
                kind,
                effective_from: from,
                effective_to: to,
            },
        )
        .await?;
        Ok(())
    }
}

impl Builder<'_> {
    /// Creates `units` in order, each followed by the positions heading it; their ids,
    /// in the same order.
    async fn units<const N: usize>(&self, units: [Unit<'_>; N]) -> anyhow::Result<[Uuid; N]> {
        let mut ids = [Uuid::nil(); N];
        for (id, unit) in ids.iter_mut().zip(units) {
            *id = self.unit(&unit).await?;
            for (title, role, responsibilities) in unit.heads {
                self.head(*id, title, role, responsibilities).await?;
            }
        }
        Ok(ids)
    }

    /// Adds `lines` in order.
    async fn lines(&self, lines: &[Line]) -> anyhow::Result<()> {
        for &(unit, superior, kind, from, to) in lines {
            self.line(unit, superior, kind, from, to).await?;
        }
        Ok(())
    }

    /// Records `assessments` in order.
    async fn priorities(&self, assessments: &[Assessment<'_>]) -> anyhow::Result<()> {
        for &(key, score, owner, notes) in assessments {
            self.priority(key, score, owner, notes).await?;
        }
        Ok(())
    }

    /// Drafts a scenario of the organization with `changes`, dated the first day of
    /// the next quarter (a date that stays ahead of today for a while).
    async fn scenario(
        &self,
        name: &str,
        description: &str,
        changes: Vec<crate::scenarios::change::Change>,
    ) -> anyhow::Result<Uuid> {
        let today = crate::clock::today();
        let quarter_start_month = (today.month0() / 3) * 3 + 1;
        let next_quarter = NaiveDate::from_ymd_opt(today.year(), quarter_start_month, 1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(3)))
            .context("no next quarter")?;
        let draft = scenarios::create(
            self.store,
            self.writer()?,
            scenarios::NewScenario {
                organization_id: self.org,
                name: Name::parse("name", name)?,
                description: Description::parse_opt("description", Some(description))?,
                effective_from: StorableDate::parse("effectiveFrom", next_quarter)?,
            },
        )
        .await?;
        scenarios::add_changes(
            self.store,
            self.writer()?,
            draft.id,
            draft.version,
            changes,
            scenarios::limits(self.limits),
        )
        .await?;
        Ok(draft.id)
    }
}

/// Loads every demo organization that is not there yet.
///
/// The store is made here on `db`: on PostgreSQL, running servers' subscribers hear
/// of the demo's structure changes and KPI pushes as of any other writer's.
pub async fn load(db: &DatabaseConnection, limits: &Limits) -> anyhow::Result<()> {
    let store = Store::new(db.clone());
    println!("loading demo organizations");
    examples::marketing_under_sales(&store, limits).await?;
    examples::independent_center(&store, limits).await?;
    examples::outsourced_marketing(&store, limits).await?;
    examples::commercial_leadership(&store, limits).await?;
    println!(
        "done; try `{{ organizations {{ edges {{ node {{ slug units {{ name superior {{ name }} }} }} }} }} }}` in GraphiQL"
    );
    Ok(())
}
