//! The stage an organization's KPI data evidences, as pure functions.
//!
//! A stage is **evidenced** when every core KPI of that stage (built-in, or the
//! organization's own marked core) has a point whose period started within the
//! [`RECENT_DAYS`] before the date asked about. The evidenced stage is the highest such
//! stage; with none, nothing is evidenced.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::StageKey;

/// How recent a KPI's latest period must be to count as evidence.
pub const RECENT_DAYS: i64 = 180;

/// One core KPI and the start of its latest stored period, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreKpi {
    pub id: Uuid,
    pub key: String,
    pub stage: StageKey,
    pub latest: Option<NaiveDate>,
}

impl CoreKpi {
    /// Whether its latest data is recent on `as_of`.
    pub fn fresh(&self, as_of: NaiveDate) -> bool {
        self.latest
            .is_some_and(|d| d <= as_of && (as_of - d).num_days() <= RECENT_DAYS)
    }
}

/// The stages in order.
pub const STAGES: [StageKey; 4] = [
    StageKey::Traditional,
    StageKey::LeadGeneration,
    StageKey::Opportunity,
    StageKey::Revenue,
];

/// The ordinal of a stage (1 to 4).
pub fn ordinal(stage: StageKey) -> usize {
    STAGES.iter().position(|s| *s == stage).map_or(0, |i| i + 1)
}

/// The evidenced stage on `as_of`: the highest stage whose core KPIs are all fresh.
pub fn evidenced(core: &[CoreKpi], as_of: NaiveDate) -> Option<StageKey> {
    STAGES.iter().rev().copied().find(|stage| {
        let of_stage: Vec<&CoreKpi> = core.iter().filter(|k| k.stage == *stage).collect();
        !of_stage.is_empty() && of_stage.iter().all(|k| k.fresh(as_of))
    })
}

/// The core KPIs of `stage` that are fresh, and those that are not.
pub fn split(
    core: &[CoreKpi],
    stage: StageKey,
    as_of: NaiveDate,
) -> (Vec<&CoreKpi>, Vec<&CoreKpi>) {
    core.iter()
        .filter(|k| k.stage == stage)
        .partition(|k| k.fresh(as_of))
}

/// The stage after `stage`, if any.
pub fn next(stage: Option<StageKey>) -> Option<StageKey> {
    match stage {
        None => Some(StageKey::Traditional),
        Some(s) => STAGES.get(ordinal(s)).copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ymd as d;

    fn kpi(key: &str, stage: StageKey, latest: Option<NaiveDate>) -> CoreKpi {
        CoreKpi {
            id: Uuid::now_v7(),
            key: key.to_owned(),
            stage,
            latest,
        }
    }

    #[test]
    fn the_highest_stage_with_all_core_kpis_fresh_is_evidenced() {
        let today = d(2024, 6, 30);
        let core = vec![
            kpi("budget", StageKey::Traditional, Some(d(2024, 6, 1))),
            kpi("mqls", StageKey::LeadGeneration, Some(d(2024, 5, 1))),
            kpi("cpl", StageKey::LeadGeneration, Some(d(2024, 6, 1))),
            kpi("pipeline", StageKey::Opportunity, Some(d(2023, 1, 1))),
        ];
        assert_eq!(evidenced(&core, today), Some(StageKey::LeadGeneration));
        let (fresh, stale) = split(&core, StageKey::Opportunity, today);
        assert!(fresh.is_empty());
        assert_eq!(stale[0].key, "pipeline", "older than 180 days");
        assert_eq!(
            next(Some(StageKey::LeadGeneration)),
            Some(StageKey::Opportunity)
        );
        assert_eq!(next(Some(StageKey::Revenue)), None);
        assert_eq!(evidenced(&[], today), None);
    }
}
