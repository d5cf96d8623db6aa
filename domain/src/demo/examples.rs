//! The four demo organizations, one per way of placing marketing. Each is written as
//! what it holds (its units with the positions heading them, its reporting lines, its
//! priorities, stage and KPI data, its drafts) and the builder in `mod.rs` writes it
//! through the services.

use anyhow::Context as _;

use super::{Builder, date, unit};
use crate::{
    CollaborationModel, LineKind, PositionRole, PriorityKey, Responsibility, Sourcing, StageKey,
    UnitFunction,
    positions::service::{self as positions, PositionChanges},
    scenarios::change::{
        AddDottedLineChange, Change, CreatePositionChange, CreateUnitChange, MoveUnitChange,
    },
    settings::Limits,
    store::Store,
};

/// Each business unit's sales team has its own marketing team under it: the pattern
/// that turns marketing reactive and duplicates effort.
pub(super) async fn marketing_under_sales(store: &Store, limits: &Limits) -> anyhow::Result<()> {
    use LineKind::Solid;
    use PositionRole::*;
    use Responsibility::*;
    use Sourcing::InHouse;
    use UnitFunction as F;
    let Some(b) = Builder::organization(
        store,
        limits,
        "northwind-industrial",
        "Northwind Industrial",
        "Industrial equipment",
        4200,
        CollaborationModel::ReportsToSales,
    )
    .await?
    else {
        return Ok(());
    };
    let since = date(2021, 1, 1)?;
    let b = b.since(since);
    let [
        exec,
        pumps,
        valves,
        pumps_sales,
        valves_sales,
        pumps_mkt,
        valves_mkt,
        finance,
    ] = b
        .units([
            unit(
                "Executive board",
                F::Executive,
                InHouse,
                "The CEO and the heads of the two business units.",
            )
            .headed("Chief Executive Officer", Ceo, &[]),
            unit(
                "Pumps business unit",
                F::BusinessUnit,
                InHouse,
                "Industrial pumps, sold through distributors and direct key accounts.",
            ),
            unit(
                "Valves business unit",
                F::BusinessUnit,
                InHouse,
                "Process valves for chemical and food plants.",
            ),
            unit(
                "Pumps sales",
                F::Sales,
                InHouse,
                "Key-account and distributor sales for pumps.",
            )
            .headed("VP Sales, Pumps", VpSales, &[Sales, Revenue]),
            unit(
                "Valves sales",
                F::Sales,
                InHouse,
                "Direct sales for valves.",
            )
            .headed("VP Sales, Valves", VpSales, &[Sales, Revenue]),
            unit(
                "Pumps marketing",
                F::Marketing,
                InHouse,
                "Trade fairs, brochures and leads for the pumps sales team, mostly on request.",
            )
            .headed("Marketing manager, Pumps", Head, &[Demand]),
            unit(
                "Valves marketing",
                F::Marketing,
                InHouse,
                "A second, separate marketing team doing the same work for valves.",
            )
            .headed("Marketing manager, Valves", Head, &[Demand]),
            unit(
                "Finance",
                F::Finance,
                InHouse,
                "Group finance and controlling.",
            ),
        ])
        .await?;
    b.lines(&[
        (pumps, exec, Solid, since, None),
        (valves, exec, Solid, since, None),
        (finance, exec, Solid, since, None),
        (pumps_sales, pumps, Solid, since, None),
        (valves_sales, valves, Solid, since, None),
        (pumps_mkt, pumps_sales, Solid, since, None),
        (valves_mkt, valves_sales, Solid, since, None),
    ])
    .await?;
    // Sales declared a pipeline stage, but the CRM only ever got lead figures.
    b.stage(
        StageKey::Opportunity,
        date(2024, 9, 1)?,
        "Sales asked both marketing teams to own the pipeline.",
    )
    .await?;
    b.monthly_kpis(
        &[
            ("budget_utilisation", 82.0, 0.002),
            ("spend_vs_plan", 97.0, 0.0),
            ("inquiries", 410.0, 0.01),
            ("cost_per_lead", 185.0, -0.004),
            ("mqls", 120.0, 0.012),
        ],
        crate::clock::today(),
        18,
        "northwind-crm",
    )
    .await?;
    northwind_drafts(
        &b,
        exec,
        [pumps, valves],
        [pumps_sales, valves_sales],
        [pumps_mkt, valves_mkt],
    )
    .await?;
    println!(
        "  northwind-industrial: marketing under sales in two business units (two draft scenarios)"
    );
    Ok(())
}

fn id(unit: uuid::Uuid) -> String {
    unit.to_string()
}

/// Northwind's two drafts: its marketing teams consolidated in a CMO-led center with
/// dotted lines into the business units; and the podcast's provocation, sales under
/// marketing.
async fn northwind_drafts(
    b: &Builder<'_>,
    exec: uuid::Uuid,
    business_units: [uuid::Uuid; 2],
    sales: [uuid::Uuid; 2],
    marketing: [uuid::Uuid; 2],
) -> anyhow::Result<()> {
    let center = |key: &str, name: &str| {
        vec![
            Change::CreateUnit(CreateUnitChange {
                key: key.to_owned(),
                name: name.to_owned(),
                function: UnitFunction::Marketing,
                sourcing: Sourcing::InHouse,
                description: Some(
                    "One marketing organization for both business units, under a CMO on the executive board."
                        .to_owned(),
                ),
                superior_unit_id: Some(id(exec)),
            }),
            Change::CreatePosition(CreatePositionChange {
                key: None,
                unit_id: key.to_owned(),
                title: "Chief Marketing Officer".to_owned(),
                role: PositionRole::Cmo,
                holder_name: None,
                responsibilities: vec![Responsibility::Brand, Responsibility::Demand],
            }),
        ]
    };
    let mut independent = center("marketing-center", "Marketing center");
    for team in marketing {
        independent.push(Change::MoveUnit(MoveUnitChange {
            unit_id: id(team),
            superior_unit_id: "marketing-center".to_owned(),
        }));
    }
    for unit in business_units {
        independent.push(Change::AddDottedLine(AddDottedLineChange {
            unit_id: "marketing-center".to_owned(),
            superior_unit_id: id(unit),
        }));
    }
    b.scenario(
        "Independent marketing center",
        "Both marketing teams move out of sales into one center under a CMO who reports to the CEO; the center keeps dotted lines into the business units it serves.",
        independent,
    )
    .await?;
    let mut inverted = center("marketing-and-sales", "Marketing and sales");
    for team in marketing.into_iter().chain(sales) {
        inverted.push(Change::MoveUnit(MoveUnitChange {
            unit_id: id(team),
            superior_unit_id: "marketing-and-sales".to_owned(),
        }));
    }
    b.scenario(
        "Sales reports to marketing",
        "The podcast's provocation: both sales teams and both marketing teams under one CMO-led unit on the executive board.",
        inverted,
    )
    .await?;
    Ok(())
}

/// A CMO-led marketing center reporting to the CEO, with dotted lines into the
/// business units it serves.
pub(super) async fn independent_center(store: &Store, limits: &Limits) -> anyhow::Result<()> {
    use LineKind::*;
    use PositionRole::*;
    use PriorityKey::*;
    use Responsibility::*;
    use Sourcing::InHouse;
    use UnitFunction as F;
    let Some(b) = Builder::organization(
        store,
        limits,
        "lumen-health",
        "Lumen Health",
        "Medical technology",
        9800,
        CollaborationModel::IndependentMatrix,
    )
    .await?
    else {
        return Ok(());
    };
    let since = date(2020, 7, 1)?;
    let b = b.since(since);
    let [exec, marketing, brand, demand, sales, diagnostics, devices, finance, it] = b
        .units([
            unit("Executive office", F::Executive, InHouse, "CEO and executive team.")
                .headed("Chief Executive Officer", Ceo, &[]),
            unit("Group marketing", F::Marketing, InHouse, "One marketing center with its own budget: brand, demand and marketing operations for the whole group.")
                .headed("Chief Marketing Officer", Cmo, &[Brand, Demand, Revenue]),
            unit("Brand and communications", F::Marketing, InHouse, "Brand, PR and internal communications."),
            unit("Demand generation", F::Marketing, InHouse, "Campaigns, marketing automation and the lead funnel."),
            unit("Sales", F::Sales, InHouse, "Hospital and clinic sales.")
                .headed("Chief Revenue Officer", Cro, &[Sales, Revenue]),
            unit("Diagnostics business unit", F::BusinessUnit, InHouse, "Imaging and lab diagnostics."),
            unit("Devices business unit", F::BusinessUnit, InHouse, "Monitoring devices."),
            unit("Finance", F::Finance, InHouse, "Finance and investor relations."),
            unit("IT", F::It, InHouse, "Group IT and the CIO's office."),
        ])
        .await?;
    b.lines(&[
        (marketing, exec, Solid, since, None),
        (sales, exec, Solid, since, None),
        (diagnostics, exec, Solid, since, None),
        (devices, exec, Solid, since, None),
        (finance, exec, Solid, since, None),
        (it, exec, Solid, since, None),
        (brand, marketing, Solid, since, None),
        (demand, marketing, Solid, since, None),
        (marketing, diagnostics, Dotted, since, None),
        (marketing, devices, Dotted, since, None),
    ])
    .await?;
    b.relationship(marketing, finance, "Group finance", 74)
        .await?;
    b.relationship(marketing, it, "Group IT", 66).await?;
    b.relationship(marketing, diagnostics, "Diagnostics leadership", 80)
        .await?;
    b.priorities(&[
        (
            CompanyValues,
            78,
            Some(marketing),
            "Values programme rolled out with HR in 2025.",
        ),
        (
            StakeholderRelationships,
            71,
            Some(marketing),
            "Quarterly reviews with finance, IT and both business units.",
        ),
        (
            NewMediaCapability,
            64,
            Some(marketing),
            "Social and video skills trained across sales.",
        ),
        (
            Trust,
            82,
            Some(marketing),
            "Clinical claims reviewed before publication.",
        ),
    ])
    .await?;
    // A revenue-stage marketing center: every stage's core KPIs reported monthly.
    b.stage(
        StageKey::Revenue,
        date(2025, 2, 1)?,
        "The CMO answers for marketing-sourced revenue in the group plan.",
    )
    .await?;
    let today = crate::clock::today();
    b.monthly_kpis(
        &[
            ("budget_utilisation", 88.0, 0.001),
            ("spend_vs_plan", 99.0, 0.0),
            ("marketing_spend", 410_000.0, 0.006),
            ("inquiries", 2400.0, 0.015),
            ("leads", 1500.0, 0.015),
            ("cost_per_lead", 96.0, -0.005),
            ("mqls", 780.0, 0.018),
            ("sals", 520.0, 0.015),
            ("sqls", 310.0, 0.016),
            ("pipeline_generated", 4_200_000.0, 0.014),
            ("won_deals", 48.0, 0.012),
            ("marketing_sourced_revenue", 1_150_000.0, 0.012),
            ("marketing_roi", 3.1, 0.006),
            ("customer_acquisition_cost", 5400.0, -0.004),
        ],
        today,
        24,
        "lumen-hubspot",
    )
    .await?;
    b.monthly_target("mqls", 1000, today, 12).await?;
    b.monthly_target("marketing_sourced_revenue", 1_400_000, today, 12)
        .await?;
    println!("  lumen-health: independent marketing center with matrix lines");
    Ok(())
}

/// Marketing bought in from an agency; the company keeps a small sales team.
pub(super) async fn outsourced_marketing(store: &Store, limits: &Limits) -> anyhow::Result<()> {
    use LineKind::Solid;
    use PositionRole::*;
    use Responsibility::*;
    use Sourcing::*;
    use UnitFunction as F;
    let Some(b) = Builder::organization(
        store,
        limits,
        "fjord-outdoor",
        "Fjord Outdoor",
        "Outdoor equipment retail",
        180,
        CollaborationModel::Outsourced,
    )
    .await?
    else {
        return Ok(());
    };
    let since = date(2022, 3, 1)?;
    let b = b.since(since);
    let [exec, agency, sales] = b
        .units([
            unit(
                "Management",
                F::Executive,
                InHouse,
                "Founder-CEO and the management team.",
            )
            .headed("Chief Executive Officer", Ceo, &[Brand]),
            unit(
                "Marketing",
                F::Marketing,
                InHouse,
                "Two marketers on the payroll ran brand and the webshop's campaigns.",
            )
            .headed("Marketing lead", Head, &[Brand, Digital]),
            unit(
                "Sales and stores",
                F::Sales,
                InHouse,
                "Webshop and three stores.",
            )
            .headed("Head of sales", Head, &[Sales]),
        ])
        .await?;
    b.lines(&[
        (agency, exec, Solid, since, None),
        (sales, exec, Solid, since, None),
    ])
    .await?;
    // Marketing was handed to an agency on a retainer in September 2023: the same
    // unit, outsourced and renamed from that day; before it, marketing was in-house.
    b.change_unit(
        agency,
        date(2023, 9, 1)?,
        Some("Brandwerk agency"),
        Some(Outsourced),
        Some("An outside agency on a retainer runs brand, campaigns and social media."),
    )
    .await?;
    b.units([unit(
        "Pop-up stores project",
        F::Other,
        InHouse,
        "A seasonal project team set up in 2025; nobody recorded whom it reports to.",
    )
    .from(date(2025, 4, 1)?)])
        .await?;
    // The agency is judged on spend, yet its monthly report already covers the funnel.
    b.stage(
        StageKey::Traditional,
        date(2023, 1, 15)?,
        "The agency retainer is judged on spend against plan.",
    )
    .await?;
    b.monthly_kpis(
        &[
            ("budget_utilisation", 91.0, 0.0),
            ("spend_vs_plan", 102.0, -0.001),
            ("inquiries", 160.0, 0.02),
            ("cost_per_lead", 34.0, -0.006),
            ("mqls", 42.0, 0.02),
        ],
        crate::clock::today(),
        12,
        "brandwerk-report",
    )
    .await?;
    println!("  fjord-outdoor: outsourced marketing");
    Ok(())
}

/// The CMO role was abolished in late 2023; a chief commercial and strategy officer
/// took revenue, product management and growth strategy, and marketing moved under
/// the commercial organization. The history keeps the earlier line.
pub(super) async fn commercial_leadership(store: &Store, limits: &Limits) -> anyhow::Result<()> {
    use LineKind::Solid;
    use PositionRole::*;
    use PriorityKey::*;
    use Responsibility::*;
    use Sourcing::InHouse;
    use UnitFunction as F;
    let Some(b) = Builder::organization(
        store,
        limits,
        "meridian-logistics",
        "Meridian Logistics",
        "Logistics",
        52000,
        CollaborationModel::CommercialLeadership,
    )
    .await?
    else {
        return Ok(());
    };
    let founded = date(2019, 1, 1)?;
    let reorganized = date(2023, 12, 1)?;
    let b = b.since(founded);
    let [exec, commercial, marketing] = b
        .units([
            unit("Group executive", F::Executive, InHouse, "CEO and group executive committee.")
                .headed("Chief Executive Officer", Ceo, &[]),
            unit("Commercial and strategy", F::Commercial, InHouse, "Revenue, product management and growth strategy under one chief officer since December 2023.")
                .from(reorganized)
                .headed("Chief Commercial and Strategy Officer", Cco, &[Revenue, ProductManagement, GrowthStrategy]),
            unit("Marketing", F::Marketing, InHouse, "Brand and campaigns; led by a CMO until the role was removed."),
        ])
        .await?;
    // The CMO heads marketing until the role is removed, below; a head of marketing
    // stays.
    let cmo = b
        .head(marketing, "Chief Marketing Officer", Cmo, &[Brand, Demand])
        .await?;
    b.head(marketing, "Head of marketing", Head, &[Brand, Demand])
        .await?;
    let [sales, product, finance] = b
        .units([
            unit(
                "Sales",
                F::Sales,
                InHouse,
                "Freight and contract-logistics sales.",
            ),
            unit(
                "Product management",
                F::Product,
                InHouse,
                "Logistics products and pricing.",
            ),
            unit("Finance", F::Finance, InHouse, "Group finance."),
        ])
        .await?;
    b.lines(&[
        (commercial, exec, Solid, reorganized, None),
        (finance, exec, Solid, founded, None),
        // Before the reorganization marketing, sales and product reported to the CEO.
        (marketing, exec, Solid, founded, Some(reorganized)),
        (marketing, commercial, Solid, reorganized, None),
        (sales, exec, Solid, founded, Some(reorganized)),
        (sales, commercial, Solid, reorganized, None),
        (product, exec, Solid, founded, Some(reorganized)),
        (product, commercial, Solid, reorganized, None),
    ])
    .await?;
    let cmo_row = positions::find(&store.db, cmo)
        .await?
        .context("the demo CMO vanished")?;
    positions::update(
        store,
        b.writer()?,
        PositionChanges {
            id: cmo,
            version: cmo_row.row.version,
            // The role was removed with the reorganization.
            effective_from: reorganized,
            unit_id: None,
            title: None,
            role: None,
            holder_name: None,
            responsibilities: None,
            archived: Some(true),
        },
    )
    .await?;
    b.priorities(&[
        (
            CompanyValues,
            62,
            Some(commercial),
            "Group values kept by the executive committee.",
        ),
        (
            StakeholderRelationships,
            55,
            Some(commercial),
            "Investor and key-account relationships strong; IT weaker.",
        ),
        (
            NewMediaCapability,
            48,
            Some(marketing),
            "Digital channels run by the commercial team.",
        ),
        (Trust, 31, None, "No owner since the CMO role was removed."),
    ])
    .await?;
    // Revenue declared with the reorganization; revenue attribution stopped with the CMO.
    b.stage(
        StageKey::Revenue,
        date(2024, 6, 1)?,
        "The commercial organization answers for revenue, marketing included.",
    )
    .await?;
    b.monthly_kpis(
        &[
            ("marketing_sourced_revenue", 3_800_000.0, 0.01),
            ("marketing_roi", 2.4, 0.0),
        ],
        date(2023, 11, 1)?,
        12,
        "meridian-bi",
    )
    .await?;
    b.scenario(
        "Restore a CMO",
        "Marketing back under the CEO, led by a Chief Marketing Officer who owns brand, demand and the revenue marketing sources, with a dotted line to the commercial organization.",
        vec![
            Change::MoveUnit(MoveUnitChange {
                unit_id: id(marketing),
                superior_unit_id: id(exec),
            }),
            Change::AddDottedLine(AddDottedLineChange {
                unit_id: id(marketing),
                superior_unit_id: id(commercial),
            }),
            Change::CreatePosition(CreatePositionChange {
                key: Some("cmo".to_owned()),
                unit_id: id(marketing),
                title: "Chief Marketing Officer".to_owned(),
                role: PositionRole::Cmo,
                holder_name: None,
                responsibilities: vec![
                    Responsibility::Brand,
                    Responsibility::Demand,
                    Responsibility::Revenue,
                ],
            }),
        ],
    )
    .await?;
    println!("  meridian-logistics: no CMO, marketing inside a commercial role (a draft scenario)");
    Ok(())
}
