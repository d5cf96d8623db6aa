//! Pure functions over reporting lines: the structure's shape and its invariants.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::reporting_line;
use uuid::Uuid;

use crate::LineKind;

/// A half-open date range `[from, to)`; `to = None` is open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Span {
    /// The span of a stored line.
    pub fn of(line: &reporting_line::Model) -> Self {
        Self {
            from: line.effective_from,
            to: line.effective_to,
        }
    }

    /// The dates both spans cover, if any.
    pub fn intersect(self, other: Self) -> Option<Self> {
        let from = self.from.max(other.from);
        let to = match (self.to, other.to) {
            (None, t) | (t, None) => t,
            (Some(a), Some(b)) => Some(a.min(b)),
        };
        match to {
            Some(to) if to <= from => None,
            _ => Some(Self { from, to }),
        }
    }

    /// Whether `date` falls inside.
    pub fn contains(self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|to| date < to)
    }
}

fn is_solid(line: &reporting_line::Model) -> bool {
    line.kind == LineKind::Solid.as_str()
}

/// The SOLID superior of `unit` among lines in effect on one date.
pub fn solid_superior(lines: &[reporting_line::Model], unit: Uuid) -> Option<Uuid> {
    lines
        .iter()
        .find(|l| l.unit_id == unit && is_solid(l))
        .map(|l| l.superior_unit_id)
}

/// How many units report to `unit` on a SOLID line, among lines of one date.
pub fn span_of_control(lines: &[reporting_line::Model], unit: Uuid) -> i32 {
    let count = lines
        .iter()
        .filter(|l| l.superior_unit_id == unit && is_solid(l))
        .count();
    i32::try_from(count).unwrap_or(i32::MAX)
}

/// SOLID steps from `unit` to the top, among lines of one date. Stops after as many
/// steps as there are lines, so even corrupt (cyclic) data cannot loop forever.
pub fn depth(lines: &[reporting_line::Model], unit: Uuid) -> i32 {
    let superiors: HashMap<Uuid, Uuid> = lines
        .iter()
        .filter(|l| is_solid(l))
        .map(|l| (l.unit_id, l.superior_unit_id))
        .collect();
    let mut depth = 0;
    let mut current = unit;
    while let Some(&next) = superiors.get(&current) {
        depth += 1;
        current = next;
        if depth as usize > superiors.len() {
            break;
        }
    }
    depth
}

/// If a new SOLID line `unit → superior` over `span` would close a cycle on some date,
/// returns the first such date.
///
/// Walks up from `superior` along SOLID lines, narrowing the span to the dates every
/// step of the path holds; reaching `unit` with dates left means a cycle on them. The
/// existing lines are acyclic on every date and a unit has at most one SOLID superior
/// per date, so each path is bounded; a step budget guards against corrupt data.
pub fn cycle_date(
    lines: &[reporting_line::Model],
    unit: Uuid,
    superior: Uuid,
    span: Span,
) -> Option<NaiveDate> {
    let mut by_unit: HashMap<Uuid, Vec<&reporting_line::Model>> = HashMap::new();
    for line in lines.iter().filter(|l| is_solid(l)) {
        by_unit.entry(line.unit_id).or_default().push(line);
    }
    let mut stack = vec![(superior, span)];
    let mut budget = lines.len().saturating_mul(lines.len()).max(64);
    while let Some((current, span)) = stack.pop() {
        if current == unit {
            return Some(span.from);
        }
        budget = budget.saturating_sub(1);
        if budget == 0 {
            // Corrupt data; refusing is the safe answer.
            return Some(span.from);
        }
        for line in by_unit.get(&current).into_iter().flatten() {
            if let Some(narrowed) = span.intersect(Span::of(line)) {
                stack.push((line.superior_unit_id, narrowed));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::ymd as date;

    fn line(
        unit: Uuid,
        superior: Uuid,
        from: NaiveDate,
        to: Option<NaiveDate>,
    ) -> reporting_line::Model {
        reporting_line::Model {
            id: Uuid::now_v7(),
            organization_id: Uuid::nil(),
            unit_id: unit,
            superior_unit_id: superior,
            kind: "SOLID".to_owned(),
            effective_from: from,
            effective_to: to,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    #[test]
    fn spans_intersect_on_the_dates_both_cover() {
        let a = Span {
            from: date(2024, 1, 1),
            to: Some(date(2024, 6, 1)),
        };
        let b = Span {
            from: date(2024, 3, 1),
            to: None,
        };
        assert_eq!(
            a.intersect(b),
            Some(Span {
                from: date(2024, 3, 1),
                to: Some(date(2024, 6, 1))
            })
        );
        let c = Span {
            from: date(2024, 6, 1),
            to: None,
        };
        assert_eq!(
            a.intersect(c),
            None,
            "half-open: the end date is not covered"
        );
    }

    #[test]
    fn a_line_closing_a_loop_is_a_cycle() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let lines = vec![
            line(b, a, date(2024, 1, 1), None),
            line(c, b, date(2024, 1, 1), None),
        ];
        let span = Span {
            from: date(2024, 2, 1),
            to: None,
        };
        assert_eq!(cycle_date(&lines, a, c, span), Some(date(2024, 2, 1)));
        assert_eq!(cycle_date(&lines, c, a, span), None);
    }

    #[test]
    fn lines_that_never_hold_on_the_same_date_make_no_cycle() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        // B reported to A during 2023 only; A reporting to B from 2024 is fine...
        let lines = vec![line(b, a, date(2023, 1, 1), Some(date(2024, 1, 1)))];
        let from_2024 = Span {
            from: date(2024, 1, 1),
            to: None,
        };
        assert_eq!(cycle_date(&lines, a, b, from_2024), None);
        // ...but from mid-2023 it overlaps, and the cycle starts on the first shared date.
        let from_mid_2023 = Span {
            from: date(2023, 7, 1),
            to: None,
        };
        assert_eq!(
            cycle_date(&lines, a, b, from_mid_2023),
            Some(date(2023, 7, 1))
        );
    }

    #[test]
    fn depth_and_span_of_control_follow_solid_lines() {
        let (ceo, cmo, brand, demand) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let d = date(2024, 1, 1);
        let lines = vec![
            line(cmo, ceo, d, None),
            line(brand, cmo, d, None),
            line(demand, cmo, d, None),
        ];
        assert_eq!(depth(&lines, ceo), 0);
        assert_eq!(depth(&lines, brand), 2);
        assert_eq!(span_of_control(&lines, cmo), 2);
        assert_eq!(solid_superior(&lines, demand), Some(cmo));
    }
}
