//! Insights watched for webhooks: what identifies an insight across evaluations (its
//! code and evidence), how it is told in an event, and which were raised or resolved
//! between two evaluations. The storage steps (the baseline when an endpoint starts
//! listening, the evaluation after a change or once a day) are in [`evaluation`].

pub mod evaluation;

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::insights::{Insight, Severity};

/// An insight's identity: SHA-256 (hex) of its code and sorted evidence ids. The same
/// risk over other units is another insight.
pub fn fingerprint(insight: &Insight) -> String {
    let mut evidence: Vec<String> = insight.evidence.iter().map(ToString::to_string).collect();
    evidence.sort_unstable();
    let mut hasher = Sha256::new();
    hasher.update(insight.code.as_bytes());
    for id in evidence {
        hasher.update(b"|");
        hasher.update(id.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// An insight as events carry it (the fields of the GraphQL `Insight`).
pub fn describe(insight: &Insight) -> Value {
    json!({
        "code": insight.code,
        "severity": match insight.severity {
            Severity::Info => "INFO",
            Severity::Warning => "WARNING",
            Severity::Critical => "CRITICAL",
        },
        "title": insight.title,
        "explanation": insight.explanation,
        "recommendation": insight.recommendation,
        "evidence": insight.evidence.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// What changed between the stored insights and the current ones.
#[derive(Debug, Default, PartialEq)]
pub struct Changes {
    /// New insights: (fingerprint, code, description).
    pub raised: Vec<(String, String, Value)>,
    /// Fingerprints of stored insights that are gone, with their stored descriptions.
    pub resolved: Vec<(String, Value)>,
}

/// The insights raised and resolved from `stored` (fingerprint → description) to
/// `current`, each list in a stable order.
pub fn changes(stored: &HashMap<String, Value>, current: &[Insight]) -> Changes {
    let mut seen = HashSet::new();
    let mut out = Changes::default();
    for insight in current {
        let print = fingerprint(insight);
        if !seen.insert(print.clone()) {
            continue;
        }
        if !stored.contains_key(&print) {
            out.raised
                .push((print, insight.code.to_owned(), describe(insight)));
        }
    }
    let mut gone: Vec<(String, Value)> = stored
        .iter()
        .filter(|(print, _)| !seen.contains(*print))
        .map(|(print, value)| (print.clone(), value.clone()))
        .collect();
    gone.sort_by(|a, b| a.0.cmp(&b.0));
    out.resolved = gone;
    out
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn insight(code: &'static str, evidence: Vec<Uuid>) -> Insight {
        Insight {
            code,
            severity: Severity::Warning,
            title: code.to_owned(),
            explanation: String::new(),
            recommendation: String::new(),
            evidence,
        }
    }

    #[test]
    fn an_insight_is_its_code_and_evidence_in_any_order() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            fingerprint(&insight("X", vec![a, b])),
            fingerprint(&insight("X", vec![b, a]))
        );
        assert_ne!(
            fingerprint(&insight("X", vec![a])),
            fingerprint(&insight("Y", vec![a]))
        );
        assert_ne!(
            fingerprint(&insight("X", vec![a])),
            fingerprint(&insight("X", vec![b]))
        );
    }

    #[test]
    fn new_insights_are_raised_and_missing_ones_resolved() {
        let unit = Uuid::now_v7();
        let kept = insight("KEPT", vec![unit]);
        let gone = insight("GONE", vec![unit]);
        let stored: HashMap<String, Value> = [&kept, &gone]
            .into_iter()
            .map(|i| (fingerprint(i), describe(i)))
            .collect();
        let new = insight("MARKETING_REPORTS_TO_SALES", vec![unit]);
        let found = changes(&stored, &[kept.clone(), new.clone(), new.clone()]);
        assert_eq!(found.raised.len(), 1);
        assert_eq!(found.raised[0].1, "MARKETING_REPORTS_TO_SALES");
        assert_eq!(found.resolved, vec![(fingerprint(&gone), describe(&gone))]);
        assert_eq!(changes(&stored, &[kept, gone]), Changes::default());
    }
}
