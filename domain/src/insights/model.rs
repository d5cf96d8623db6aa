//! Which collaboration model the reporting lines actually form.
//!
//! Each marketing unit at the top of its marketing branch (one whose SOLID superior is
//! not itself a marketing unit) is classified from its own lines and sourcing; teams
//! inside a marketing branch follow their branch. The organization's model is the one
//! all branches share, or MIXED.

use std::collections::HashMap;

use entity::{org_unit, position, reporting_line};
use uuid::Uuid;

use crate::{CollaborationModel, LineKind, PositionRole, Sourcing, UnitFunction};

/// The model one marketing branch is in, with the lines it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchModel {
    pub unit_id: Uuid,
    pub model: CollaborationModel,
    /// The lines (and for sourcing-based models, none) the verdict rests on.
    pub line_ids: Vec<Uuid>,
}

/// The inferred models: per branch, and overall (`None` when there is no marketing
/// unit at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inferred {
    pub branches: Vec<BranchModel>,
    pub overall: Option<CollaborationModel>,
}

fn function(unit: &org_unit::Model) -> Option<UnitFunction> {
    UnitFunction::from_db(&unit.function).ok()
}

/// Whether the organization has a marketing head (an active CMO or VP of marketing).
pub fn has_marketing_head(positions: &[position::Model]) -> bool {
    positions.iter().any(|p| {
        !p.archived
            && matches!(
                PositionRole::from_db(&p.role),
                Ok(PositionRole::Cmo | PositionRole::VpMarketing)
            )
    })
}

/// Infers the models from the units, positions and lines in effect on one date.
pub fn infer(
    units: &[org_unit::Model],
    positions: &[position::Model],
    lines: &[reporting_line::Model],
) -> Inferred {
    let by_id: HashMap<Uuid, &org_unit::Model> = units.iter().map(|u| (u.id, u)).collect();
    let solid: HashMap<Uuid, &reporting_line::Model> = lines
        .iter()
        .filter(|l| l.kind == LineKind::Solid.as_str())
        .map(|l| (l.unit_id, l))
        .collect();
    let is_marketing = |id: Uuid| {
        by_id
            .get(&id)
            .is_some_and(|u| function(u) == Some(UnitFunction::Marketing))
    };
    let head_of_marketing = has_marketing_head(positions);
    let mut branches = Vec::new();
    for unit in units.iter().filter(|u| !u.archived && is_marketing(u.id)) {
        let superior_line = solid.get(&unit.id);
        // Teams inside a marketing branch follow their branch.
        if superior_line.is_some_and(|l| is_marketing(l.superior_unit_id)) {
            continue;
        }
        let superior = superior_line.and_then(|l| by_id.get(&l.superior_unit_id));
        let superior_function = superior.and_then(|s| function(s));
        let sales_below = lines.iter().filter(|l| {
            l.kind == LineKind::Solid.as_str()
                && l.superior_unit_id == unit.id
                && by_id
                    .get(&l.unit_id)
                    .is_some_and(|u| function(u) == Some(UnitFunction::Sales))
        });
        let sales_below: Vec<Uuid> = sales_below.map(|l| l.id).collect();
        let dotted: Vec<Uuid> = lines
            .iter()
            .filter(|l| {
                l.kind == LineKind::Dotted.as_str()
                    && l.unit_id == unit.id
                    && by_id.get(&l.superior_unit_id).is_some_and(|s| {
                        matches!(
                            function(s),
                            Some(UnitFunction::BusinessUnit | UnitFunction::Sales)
                        )
                    })
            })
            .map(|l| l.id)
            .collect();
        let own_line: Vec<Uuid> = superior_line.map(|l| l.id).into_iter().collect();
        let sourcing = Sourcing::from_db(&unit.sourcing).unwrap_or(Sourcing::InHouse);
        let (model, line_ids) = if sourcing != Sourcing::InHouse {
            (CollaborationModel::Outsourced, own_line)
        } else if !sales_below.is_empty() {
            (CollaborationModel::SalesReportsToMarketing, sales_below)
        } else {
            match superior_function {
                Some(UnitFunction::Sales) => (CollaborationModel::ReportsToSales, own_line),
                Some(UnitFunction::Commercial) if !head_of_marketing => {
                    (CollaborationModel::CommercialLeadership, own_line)
                }
                Some(UnitFunction::BusinessUnit) => {
                    (CollaborationModel::EmbeddedInBusinessUnit, own_line)
                }
                _ if !dotted.is_empty() => {
                    let mut ids = own_line;
                    ids.extend(dotted);
                    (CollaborationModel::IndependentMatrix, ids)
                }
                _ => (CollaborationModel::Independent, own_line),
            }
        };
        branches.push(BranchModel {
            unit_id: unit.id,
            model,
            line_ids,
        });
    }
    let overall = match branches.first() {
        None => None,
        Some(first) if branches.iter().all(|b| b.model == first.model) => Some(first.model),
        Some(_) => Some(CollaborationModel::Mixed),
    };
    Inferred { branches, overall }
}
