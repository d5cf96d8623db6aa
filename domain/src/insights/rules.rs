//! The insight rules: each a small pure function over a loaded [`Snapshot`], tested on
//! its own. They explain what the structure says, in plain words, with the ids of the
//! evidence.

use std::collections::{HashMap, HashSet};

use entity::{org_unit, position, reporting_line};
use uuid::Uuid;

use super::model::{Inferred, has_marketing_head};
use crate::{CollaborationModel, LineKind, UnitFunction, maturity::evidence as maturity};

/// How much an insight matters.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// One thing the structure says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insight {
    /// Stable code, e.g. `MARKETING_REPORTS_TO_SALES`.
    pub code: &'static str,
    pub severity: Severity,
    pub title: String,
    pub explanation: String,
    pub recommendation: String,
    /// The units, positions and lines it rests on.
    pub evidence: Vec<Uuid>,
}

/// What the rules read: one organization's structure on one date.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub units: Vec<org_unit::Model>,
    pub positions: Vec<position::Model>,
    /// Lines in effect on the date.
    pub lines: Vec<reporting_line::Model>,
    pub model: Inferred,
    /// The date the snapshot is of.
    pub as_of: chrono::NaiveDate,
    /// The latest declared stage on the date: (assessment id, stage).
    pub declared_stage: Option<(Uuid, crate::StageKey)>,
    /// The core KPIs with the start of their latest stored period.
    pub core_kpis: Vec<crate::maturity::evidence::CoreKpi>,
    /// Every leadership-priority assessment up to the date, newest first.
    pub priorities: Vec<entity::priority_assessment::Model>,
    /// Active stakeholders and relationships.
    pub stakeholders: Vec<entity::stakeholder::Model>,
    pub relationships: Vec<entity::relationship::Model>,
}

impl Snapshot {
    fn unit(&self, id: Uuid) -> Option<&org_unit::Model> {
        self.units.iter().find(|u| u.id == id)
    }

    fn name(&self, id: Uuid) -> String {
        self.unit(id)
            .map_or_else(|| "a unit".to_owned(), |u| u.name.clone())
    }

    fn solid_superior(&self, id: Uuid) -> Option<&reporting_line::Model> {
        self.lines
            .iter()
            .find(|l| l.unit_id == id && l.kind == LineKind::Solid.as_str())
    }
}

/// Every rule, in a stable order.
pub fn all(snapshot: &Snapshot) -> Vec<Insight> {
    let mut out = Vec::new();
    out.extend(marketing_reports_to_sales(snapshot));
    out.extend(marketing_duplicated(snapshot));
    out.extend(marketing_outsourced(snapshot));
    out.extend(no_cmo_commercial_leadership(snapshot));
    out.extend(several_tops(snapshot));
    out.extend(declared_stage_without_evidence(snapshot));
    out.extend(evidence_ahead_of_declared(snapshot));
    out.extend(revenue_stage_without_revenue_owner(snapshot));
    out.extend(priorities_unassessed_or_low(snapshot));
    out.extend(missing_key_relationships(snapshot));
    out
}

/// Marketing keeps no relationship with finance, IT or the line of business.
pub fn missing_key_relationships(s: &Snapshot) -> Vec<Insight> {
    if s.model.branches.is_empty() {
        return Vec::new();
    }
    let functions: HashMap<Uuid, UnitFunction> = s
        .units
        .iter()
        .filter_map(|u| UnitFunction::from_db(&u.function).ok().map(|f| (u.id, f)))
        .collect();
    let function_of = |unit: Uuid| functions.get(&unit).copied();
    let marketing: Vec<Uuid> = s
        .units
        .iter()
        .filter(|u| !u.archived && function_of(u.id) == Some(UnitFunction::Marketing))
        .map(|u| u.id)
        .collect();
    let marketing_set: HashSet<Uuid> = marketing.iter().copied().collect();
    let stakeholders: HashMap<Uuid, &entity::stakeholder::Model> =
        s.stakeholders.iter().map(|st| (st.id, st)).collect();
    let kept: HashSet<UnitFunction> = s
        .relationships
        .iter()
        .filter(|r| marketing_set.contains(&r.owner_unit_id))
        .filter_map(|r| stakeholders.get(&r.stakeholder_id).copied())
        .filter_map(|st| st.unit_id.and_then(function_of))
        .collect();
    [
        (UnitFunction::Finance, "finance", "budgets are argued without a shared view of what marketing returns"),
        (UnitFunction::It, "IT", "new-media tools and data are chosen without marketing at the table"),
        (UnitFunction::BusinessUnit, "the line-of-business executives", "the units marketing serves have no agreed channel to it"),
    ]
    .into_iter()
    .filter(|(function, _, _)| !kept.contains(function))
    .map(|(function, who, why)| {
        let mut evidence = marketing.clone();
        evidence.extend(s.units.iter().filter(|u| function_of(u.id) == Some(function)).map(|u| u.id));
        Insight {
            code: "MISSING_KEY_RELATIONSHIP",
            severity: Severity::Warning,
            title: format!("Marketing keeps no relationship with {who}"),
            explanation: format!(
                "Building relationships with many stakeholders is one of marketing leadership's priorities, but no \
                 marketing unit tracks one with {who}: {why}."
            ),
            recommendation: format!("Name an owner in marketing for the relationship with {who}, and review it regularly."),
            evidence,
        }
    })
    .collect()
}

/// A leadership priority nobody has assessed, or whose latest score is low.
pub fn priorities_unassessed_or_low(s: &Snapshot) -> Vec<Insight> {
    let mut out = Vec::new();
    for key in crate::PriorityKey::ALL {
        let latest = s.priorities.iter().find(|a| a.priority == key.as_str());
        match latest {
            None => out.push(Insight {
                code: "PRIORITY_UNASSESSED",
                severity: Severity::Warning,
                title: format!("{} has never been assessed", key.as_str()),
                explanation: format!(
                    "Marketing leaders carry four priorities about trust and relationships that no campaign metric \
                     shows; {} has no assessment, so nobody can tell whether it is looked after.",
                    key.as_str()
                ),
                recommendation: "Score it (0 to 100) with an owner unit, and reassess it regularly.".to_owned(),
                evidence: Vec::new(),
            }),
            Some(a) if a.score < crate::priorities::LOW_SCORE => out.push(Insight {
                code: "PRIORITY_SCORED_LOW",
                severity: Severity::Warning,
                title: format!("{} scores {} out of 100", key.as_str(), a.score),
                explanation: format!(
                    "The latest assessment of {} is {} (under {}): this part of marketing leadership is neglected.",
                    key.as_str(),
                    a.score,
                    crate::priorities::LOW_SCORE
                ),
                recommendation: "Name an owner, agree on what would raise the score, and reassess.".to_owned(),
                evidence: std::iter::once(a.id).chain(a.owner_unit_id).collect(),
            }),
            Some(_) => {}
        }
    }
    out
}

/// The declared stage's core KPIs have no recent data.
pub fn declared_stage_without_evidence(s: &Snapshot) -> Vec<Insight> {
    let Some((assessment, stage)) = s.declared_stage else {
        return Vec::new();
    };
    let (_, stale) = maturity::split(&s.core_kpis, stage, s.as_of);
    if stale.is_empty() {
        return Vec::new();
    }
    let keys: Vec<&str> = stale.iter().map(|k| k.key.as_str()).collect();
    vec![Insight {
        code: "DECLARED_STAGE_WITHOUT_KPIS",
        severity: Severity::Warning,
        title: format!("The declared {} stage lacks recent data for {}", stage.as_str(), keys.join(", ")),
        explanation: format!(
            "The organization says marketing is at the {} stage, but these core KPIs of that stage have no \
             data from the last {} days: {}. A stage is judged by its KPIs; without them the claim cannot be checked.",
            stage.as_str(),
            maturity::RECENT_DAYS,
            keys.join(", ")
        ),
        recommendation: "Connect the integrations that report these KPIs, or declare the stage the data supports.".to_owned(),
        evidence: std::iter::once(assessment).chain(stale.iter().map(|k| k.id)).collect(),
    }]
}

/// The KPI data evidences a higher stage than the one declared.
pub fn evidence_ahead_of_declared(s: &Snapshot) -> Vec<Insight> {
    let Some((assessment, declared)) = s.declared_stage else {
        return Vec::new();
    };
    let Some(evidenced) = maturity::evidenced(&s.core_kpis, s.as_of) else {
        return Vec::new();
    };
    if maturity::ordinal(evidenced) <= maturity::ordinal(declared) {
        return Vec::new();
    }
    let (fresh, _) = maturity::split(&s.core_kpis, evidenced, s.as_of);
    vec![Insight {
        code: "EVIDENCE_AHEAD_OF_DECLARED_STAGE",
        severity: Severity::Info,
        title: format!("The data shows the {} stage; {} is declared", evidenced.as_str(), declared.as_str()),
        explanation: format!(
            "Every core KPI of the {} stage has recent data, so marketing already works at that stage \
             while the organization still declares {}.",
            evidenced.as_str(),
            declared.as_str()
        ),
        recommendation: "Review the declared stage, and the accountability and KPIs that come with the higher one.".to_owned(),
        evidence: std::iter::once(assessment).chain(fresh.iter().map(|k| k.id)).collect(),
    }]
}

/// REVENUE stage declared, but no marketing head answers for revenue.
pub fn revenue_stage_without_revenue_owner(s: &Snapshot) -> Vec<Insight> {
    let Some((assessment, crate::StageKey::Revenue)) = s.declared_stage else {
        return Vec::new();
    };
    let marketing_units: HashSet<Uuid> = s
        .units
        .iter()
        .filter(|u| UnitFunction::from_db(&u.function).ok() == Some(UnitFunction::Marketing))
        .map(|u| u.id)
        .collect();
    let heads: Vec<&position::Model> = s
        .positions
        .iter()
        .filter(|p| !p.archived && marketing_units.contains(&p.unit_id))
        .collect();
    let owns_revenue = heads.iter().any(|p| {
        crate::positions::responsibilities(p)
            .is_ok_and(|list| list.contains(&crate::Responsibility::Revenue))
    });
    if owns_revenue {
        return Vec::new();
    }
    vec![Insight {
        code: "REVENUE_STAGE_WITHOUT_REVENUE_RESPONSIBILITY",
        severity: Severity::Warning,
        title: "REVENUE stage declared, but no marketing head answers for revenue".to_owned(),
        explanation:
            "At the revenue stage marketing is accountable for revenue, yet no position heading a \
                      marketing unit carries the REVENUE responsibility."
                .to_owned(),
        recommendation:
            "Give the marketing head revenue responsibility (and the KPIs for it), or declare the \
                         stage marketing is actually accountable for."
                .to_owned(),
        evidence: std::iter::once(assessment)
            .chain(heads.iter().map(|p| p.id))
            .collect(),
    }]
}

/// A marketing branch whose solid line goes to sales.
pub fn marketing_reports_to_sales(s: &Snapshot) -> Vec<Insight> {
    s.model
        .branches
        .iter()
        .filter(|b| b.model == CollaborationModel::ReportsToSales)
        .map(|b| {
            let superior = s.solid_superior(b.unit_id).map(|l| s.name(l.superior_unit_id)).unwrap_or_default();
            let mut evidence = vec![b.unit_id];
            evidence.extend(&b.line_ids);
            Insight {
                code: "MARKETING_REPORTS_TO_SALES",
                severity: Severity::Warning,
                title: format!("{} reports to {superior}", s.name(b.unit_id)),
                explanation: format!(
                    "{} answers to a sales unit. Marketing under sales tends to become reactive and short-term: \
                     it serves ad-hoc requests, brand consistency suffers and long-term investments are skipped.",
                    s.name(b.unit_id)
                ),
                recommendation: "Give marketing its own line to the executive team (with dotted lines to sales if needed), \
                                 or agree on a share of its capacity reserved for brand and long-term work."
                    .to_owned(),
                evidence,
            }
        })
        .collect()
}

/// Several marketing branches, each under a different sales or business unit.
pub fn marketing_duplicated(s: &Snapshot) -> Vec<Insight> {
    let embedded: Vec<_> = s
        .model
        .branches
        .iter()
        .filter(|b| {
            matches!(
                b.model,
                CollaborationModel::ReportsToSales | CollaborationModel::EmbeddedInBusinessUnit
            )
        })
        .collect();
    let superiors: HashSet<Uuid> = embedded
        .iter()
        .filter_map(|b| s.solid_superior(b.unit_id).map(|l| l.superior_unit_id))
        .collect();
    if embedded.len() < 2 || superiors.len() < 2 {
        return Vec::new();
    }
    let mut evidence: Vec<Uuid> = embedded.iter().map(|b| b.unit_id).collect();
    evidence.extend(embedded.iter().flat_map(|b| b.line_ids.iter().copied()));
    vec![Insight {
        code: "MARKETING_DUPLICATED_ACROSS_UNITS",
        severity: Severity::Critical,
        title: format!("{} separate marketing teams under different units", embedded.len()),
        explanation: "Each business unit or sales team has its own marketing team. Effort is duplicated, \
                      the brand speaks with several voices, and nobody oversees marketing strategy as a whole."
            .to_owned(),
        recommendation: "Bring the teams under one marketing lead (keeping dotted lines to the units they serve), \
                         or at least a shared brand and planning function."
            .to_owned(),
        evidence,
    }]
}

/// Marketing done by an outside agency or a subsidiary.
pub fn marketing_outsourced(s: &Snapshot) -> Vec<Insight> {
    s.model
        .branches
        .iter()
        .filter(|b| b.model == CollaborationModel::Outsourced)
        .map(|b| Insight {
            code: "MARKETING_OUTSOURCED",
            severity: Severity::Warning,
            title: format!("{} is outsourced or a subsidiary", s.name(b.unit_id)),
            explanation: "An outside team must understand the business and the brand deeply to market it well, \
                          and the company gives up direct control of a key function."
                .to_owned(),
            recommendation: "Keep an in-house owner of brand and marketing strategy who steers the agency, \
                             with clear KPIs for what it delivers."
                .to_owned(),
            evidence: std::iter::once(b.unit_id).chain(b.line_ids.iter().copied()).collect(),
        })
        .collect()
}

/// No CMO, and marketing led from a commercial role.
pub fn no_cmo_commercial_leadership(s: &Snapshot) -> Vec<Insight> {
    if has_marketing_head(&s.positions) {
        return Vec::new();
    }
    s.model
        .branches
        .iter()
        .filter(|b| b.model == CollaborationModel::CommercialLeadership)
        .map(|b| {
            let mut evidence = vec![b.unit_id];
            evidence.extend(&b.line_ids);
            if let Some(line) = s.solid_superior(b.unit_id) {
                evidence.extend(
                    s.positions
                        .iter()
                        .filter(|p| !p.archived && p.unit_id == line.superior_unit_id)
                        .map(|p| p.id),
                );
            }
            Insight {
                code: "NO_CMO_COMMERCIAL_LEADERSHIP",
                severity: Severity::Info,
                title: "No CMO: marketing is led from a commercial role".to_owned(),
                explanation: format!(
                    "There is no chief marketing officer; {} reports into a commercial unit whose leader also \
                     carries revenue, product or growth. Marketing's voice at the top depends on that leader.",
                    s.name(b.unit_id)
                ),
                recommendation: "Make sure someone owns brand, trust and the marketing priorities explicitly, \
                                 and that marketing KPIs reach the executive team."
                    .to_owned(),
                evidence,
            }
        })
        .collect()
}

/// More than one unit at the top of the SOLID structure: some units float unattached.
pub fn several_tops(s: &Snapshot) -> Vec<Insight> {
    let has_superior: HashSet<Uuid> = s
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Solid.as_str())
        .map(|l| l.unit_id)
        .collect();
    let tops: Vec<&org_unit::Model> = s
        .units
        .iter()
        .filter(|u| !u.archived && !has_superior.contains(&u.id))
        .collect();
    if tops.len() < 2 {
        return Vec::new();
    }
    // The executive unit (or the first top) is the real top; the others are orphans.
    let main = tops
        .iter()
        .find(|u| UnitFunction::from_db(&u.function).ok() == Some(UnitFunction::Executive))
        .unwrap_or(&tops[0])
        .id;
    let orphans: Vec<&&org_unit::Model> = tops.iter().filter(|u| u.id != main).collect();
    let names: Vec<&str> = orphans.iter().map(|u| u.name.as_str()).collect();
    let by_name: HashMap<&str, Uuid> = orphans.iter().map(|u| (u.name.as_str(), u.id)).collect();
    vec![Insight {
        code: "STRUCTURE_ORPHAN_UNITS",
        severity: Severity::Warning,
        title: format!("{} unit(s) report to no one", orphans.len()),
        explanation: format!(
            "{} have no SOLID superior on this date, so the chart has several tops. Either a line is missing \
             or a unit should have been archived.",
            names.join(", ")
        ),
        recommendation: "Add the missing reporting lines, or archive units that no longer exist."
            .to_owned(),
        evidence: names
            .iter()
            .filter_map(|n| by_name.get(n).copied())
            .collect(),
    }]
}
