//! The event types an endpoint may ask for, by their wire names.

use std::fmt;

/// What happened, as the `type` of a webhook body. The strings are the API: endpoints
/// name them in `events`, receivers switch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// An organization's structure changed (`data`: `operation`, `objectIds`, and
    /// `effectiveOn`, the day it took effect). Sent when the change takes effect: at
    /// once for a change dated today or earlier, on its day for one dated later.
    StructureChanged,
    /// A change dated in the future was written (`data`: `operation`, `objectIds`,
    /// `effectiveOn`); `structure.changed` follows on that day.
    StructureScheduled,
    /// A push inserted or corrected KPI points (`data`: `kpiKeys`, `inserted`,
    /// `corrected`).
    KpiPointsRecorded,
    /// A scenario was promoted into the organization's structure.
    ScenarioPromoted,
    /// An insight appeared that was not there at the last evaluation.
    InsightRaised,
    /// An insight of the last evaluation is gone.
    InsightResolved,
    /// An integration token was revoked.
    IntegrationTokenRevoked,
}

/// The `type` of a test ping (`pingWebhookEndpoint`): sent to one endpoint on request,
/// never subscribed to.
pub const PING: &str = "webhook.ping";

impl EventType {
    /// Every type, in the order the documentation lists them.
    pub const ALL: [Self; 7] = [
        Self::StructureChanged,
        Self::StructureScheduled,
        Self::KpiPointsRecorded,
        Self::ScenarioPromoted,
        Self::InsightRaised,
        Self::InsightResolved,
        Self::IntegrationTokenRevoked,
    ];

    /// The wire name, e.g. `structure.changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StructureChanged => "structure.changed",
            Self::StructureScheduled => "structure.scheduled",
            Self::KpiPointsRecorded => "kpi.points_recorded",
            Self::ScenarioPromoted => "scenario.promoted",
            Self::InsightRaised => "insight.raised",
            Self::InsightResolved => "insight.resolved",
            Self::IntegrationTokenRevoked => "integration_token.revoked",
        }
    }

    /// The type with wire name `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether the change an event of this type tells may raise or resolve insights
    /// (so the organization's insights are evaluated again after it).
    pub fn may_change_insights(self) -> bool {
        matches!(self, Self::StructureChanged | Self::ScenarioPromoted)
    }

    /// Whether it is one of the insight events, which need the organization's
    /// insights watched.
    pub fn is_insight(self) -> bool {
        matches!(self, Self::InsightRaised | Self::InsightResolved)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_reads_back_from_its_wire_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse(PING), None);
        assert_eq!(EventType::parse("Structure.Changed"), None);
    }
}
