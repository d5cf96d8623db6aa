//! The delta report: what changed in an organization's structure between two days
//! ([`super::evaluation::between`]) as a CSV file, one row per change of one value.
//!
//! | column | what it holds |
//! |---|---|
//! | `change` | `unit_added`, `unit_ended`, `unit_moved`, `unit_changed`, `position_added`, `position_ended`, `position_changed`, `line_added`, `line_ended` |
//! | `id` | the unit's, position's or line's id |
//! | `name` | the unit's name or the position's title (as after, or as before for what ended); for a line, `unit → superior` |
//! | `field` | what changed: `superior`, `name`, `function`, `sourcing`, `title`, `role`, `holder`, `responsibilities`; for a line its kind; empty otherwise |
//! | `before`, `after` | the value on each day (a superior, a line's days, by name) |

use std::collections::HashMap;

use uuid::Uuid;

use super::evaluation::Evaluation;
use crate::error::{Error, Result};

/// The header row.
pub const COLUMNS: [&str; 6] = ["change", "id", "name", "field", "before", "after"];

/// The delta report of `e` as CSV text.
pub fn csv(e: &Evaluation) -> Result<String> {
    let names: HashMap<Uuid, &str> = e
        .before
        .units
        .iter()
        .chain(&e.after.units)
        .map(|u| (u.id, u.name.as_str()))
        .collect();
    let name = |id: &Uuid| names.get(id).copied().unwrap_or_default().to_owned();
    let title = |side: &crate::insights::Snapshot, id: &Uuid| {
        side.positions
            .iter()
            .find(|p| p.id == *id)
            .map(|p| p.title.clone())
            .unwrap_or_default()
    };
    let d = &e.diff;
    let mut rows: Vec<[String; 6]> = Vec::new();
    let mut row =
        |change: &str, id: &Uuid, name: String, field: &str, before: String, after: String| {
            rows.push([
                change.to_owned(),
                id.to_string(),
                name,
                field.to_owned(),
                before,
                after,
            ]);
        };
    for u in &d.units_added {
        row("unit_added", u, name(u), "", String::new(), String::new());
    }
    for u in &d.units_archived {
        row("unit_ended", u, name(u), "", String::new(), String::new());
    }
    for m in &d.units_moved {
        let superior = |s: &Option<Uuid>| s.as_ref().map(name).unwrap_or_default();
        row(
            "unit_moved",
            &m.unit,
            name(&m.unit),
            "superior",
            superior(&m.from),
            superior(&m.to),
        );
    }
    for c in &d.units_changed {
        for (field, change) in [
            ("name", &c.name),
            ("function", &c.function),
            ("sourcing", &c.sourcing),
        ] {
            if let Some((before, after)) = change {
                row(
                    "unit_changed",
                    &c.unit,
                    name(&c.unit),
                    field,
                    before.clone(),
                    after.clone(),
                );
            }
        }
    }
    for p in &d.positions_added {
        row(
            "position_added",
            p,
            title(&e.after, p),
            "",
            String::new(),
            String::new(),
        );
    }
    for p in &d.positions_ended {
        row(
            "position_ended",
            p,
            title(&e.before, p),
            "",
            String::new(),
            String::new(),
        );
    }
    for c in &d.positions_changed {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        };
        let fields: [(&str, Option<(String, String)>); 4] = [
            ("title", c.title.clone()),
            ("role", c.role.clone()),
            (
                "holder",
                c.holder_name
                    .as_ref()
                    .map(|(b, a)| (b.clone().unwrap_or_default(), a.clone().unwrap_or_default())),
            ),
            (
                "responsibilities",
                c.responsibilities.as_ref().map(|(b, a)| (text(b), text(a))),
            ),
        ];
        for (field, change) in fields {
            if let Some((before, after)) = change {
                row(
                    "position_changed",
                    &c.position,
                    title(&e.after, &c.position),
                    field,
                    before,
                    after,
                );
            }
        }
    }
    let days = |l: &entity::reporting_line::Model| match l.effective_to {
        Some(to) => format!("{} – {}", l.effective_from, to),
        None => format!("from {}", l.effective_from),
    };
    for l in &d.lines_added {
        let label = format!("{} → {}", name(&l.unit_id), name(&l.superior_unit_id));
        row("line_added", &l.id, label, &l.kind, String::new(), days(l));
    }
    for l in &d.lines_ended {
        let label = format!("{} → {}", name(&l.unit_id), name(&l.superior_unit_id));
        row("line_ended", &l.id, label, &l.kind, days(l), String::new());
    }

    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::Internal(anyhow::anyhow!("writing the CSV: {e}"));
    writer.write_record(COLUMNS).map_err(failed)?;
    for r in rows {
        writer.write_record(&r).map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Internal(anyhow::anyhow!("writing the CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Internal(anyhow::anyhow!("the CSV: {e}")))
}
