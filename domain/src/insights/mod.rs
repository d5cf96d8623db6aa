//! What orgdesign explains: the collaboration model the reporting lines actually form,
//! and insights — what the structure says, in plain words, with evidence.
//!
//! Everything here is computed on read from one loaded snapshot of an organization
//! (its units, positions and the lines in effect on a date, its declared stage, core
//! KPI freshness, priorities and relationships: a fixed number of queries however
//! large the organization), by pure functions tested on their own.
//!
//! - `snapshot`: loading snapshots ([`snapshots`], one organization or many at once).
//! - [`model`]: which collaboration model the lines form.
//! - [`rules`]: the insight rules.

pub mod model;
pub mod rules;
mod snapshot;
#[cfg(test)]
pub(crate) mod tests;

pub use rules::{Insight, Severity, Snapshot};
pub use snapshot::{snapshot, snapshots};

/// Every insight of a snapshot at or above `min_severity`, most severe first (then by
/// code, then in rule order).
pub fn evaluate(snapshot: &Snapshot, min_severity: Option<Severity>) -> Vec<Insight> {
    let mut found = rules::all(snapshot);
    if let Some(min) = min_severity {
        found.retain(|i| i.severity >= min);
    }
    found.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(b.code)));
    found
}
