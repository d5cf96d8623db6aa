//! A KPI's trend against its target, as SVG: the rolled-up value per period as a solid
//! line with a dot per period, the target as a dashed line, on a scale with round ticks.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use svg::node::element::{Circle, Group, Path, Text, Title};

use super::text;
use crate::{Granularity, kpis::series::SeriesPoint};

/// What a trend chart shows.
#[derive(Debug)]
pub struct Trend<'a> {
    pub organization: &'a str,
    pub kpi: &'a entity::kpi_definition::Model,
    pub granularity: Granularity,
    /// The range asked for, `[from, to)`.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub points: &'a [SeriesPoint],
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 76.0;
const BOTTOM: f64 = 56.0;
const VALUE: &str = "#2563eb";
const TARGET: &str = "#ea580c";

/// A round step near `raw`: 1, 2, 2.5 or 5 times a power of ten.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let exp = 10f64.powf(raw.log10().floor());
    let f = raw / exp;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * exp
}

/// The ticks of a scale covering `[lo, hi]`, about five of them.
pub fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    // A flat series gets a scale as wide as its value (1 near zero), so the width
    // stays above the precision of the numbers.
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + lo.abs().max(1.0))
    };
    let step = nice_step((hi - lo) / 5.0);
    let start = (lo / step).floor() as i64;
    let end = (hi / step).ceil() as i64;
    match end.checked_sub(start) {
        Some(1..=20) => (start..=end).map(|i| i as f64 * step).collect(),
        // Values too large for round steps: just the two ends.
        _ => vec![lo, hi],
    }
}

impl Trend<'_> {
    fn label(&self, date: NaiveDate) -> String {
        match self.granularity {
            Granularity::Day | Granularity::Week => date.format("%Y-%m-%d").to_string(),
            Granularity::Month => date.format("%b %Y").to_string(),
            Granularity::Quarter => format!("{} Q{}", date.year(), date.month0() / 3 + 1),
            Granularity::Year => date.year().to_string(),
        }
    }

    fn number(&self, value: f64) -> String {
        match self.kpi.unit.as_str() {
            "PERCENT" => format!("{}%", text::compact(value)),
            _ => text::compact(value),
        }
    }

    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        let last_day = self.to.pred_opt().unwrap_or(self.to);
        let caption = format!("{} — {}", self.kpi.name, self.organization);
        let subtitle = format!(
            "{} · by {} · {} to {} · {}",
            self.kpi.key,
            self.granularity.as_str().to_ascii_lowercase(),
            self.from,
            last_day,
            self.kpi.unit.to_ascii_lowercase()
        );
        let label = format!("{caption} ({subtitle})");
        let mut doc = super::document(WIDTH, HEIGHT, label, None)
            .add(
                Text::new(text::fit(&caption, 16.0, WIDTH - 2.0 * RIGHT))
                    .set("x", RIGHT)
                    .set("y", 28)
                    .set("font-size", 16)
                    .set("font-weight", "bold")
                    .set("fill", "#111827"),
            )
            .add(
                Text::new(text::fit(&subtitle, 12.0, WIDTH - 2.0 * RIGHT))
                    .set("x", RIGHT)
                    .set("y", 48)
                    .set("font-size", 12)
                    .set("fill", "#4b5563"),
            );

        let values: Vec<(NaiveDate, f64, Option<f64>)> = self
            .points
            .iter()
            .filter_map(|p| {
                let v = p.value.to_f64()?;
                Some((p.period_start, v, p.target.and_then(|t| t.to_f64())))
            })
            .collect();
        if values.is_empty() {
            return text::xml_safe(
                doc.add(
                    Text::new(format!(
                        "No data for {} between {} and {}",
                        self.kpi.key, self.from, last_day
                    ))
                    .set("x", WIDTH / 2.0)
                    .set("y", HEIGHT / 2.0)
                    .set("text-anchor", "middle")
                    .set("font-size", 14)
                    .set("fill", "#6b7280"),
                )
                .to_string(),
            );
        }

        // Scales: the value axis starts at zero unless the data is negative.
        let all = values
            .iter()
            .flat_map(|(_, v, t)| std::iter::once(*v).chain(*t));
        let (lo, hi) = all.fold((0.0f64, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let ticks = ticks(lo, hi);
        let (y_lo, y_hi) = (
            ticks.first().copied().unwrap_or(0.0),
            ticks.last().copied().unwrap_or(1.0),
        );
        let (y_lo, y_hi) = if y_hi > y_lo {
            (y_lo, y_hi)
        } else {
            (y_lo, y_lo + 1.0)
        };
        let plot_h = HEIGHT - TOP - BOTTOM;
        let plot_w = WIDTH - LEFT - RIGHT;
        let y_of = |v: f64| TOP + plot_h - (v - y_lo) / (y_hi - y_lo) * plot_h;
        let first = values[0].0;
        let span = (values[values.len() - 1].0 - first).num_days().max(0) as f64;
        let x_of = |d: NaiveDate| {
            if span == 0.0 {
                LEFT + plot_w / 2.0
            } else {
                LEFT + 10.0 + (d - first).num_days() as f64 / span * (plot_w - 20.0)
            }
        };

        let mut grid = Group::new().set("class", "grid");
        for tick in &ticks {
            let y = y_of(*tick);
            grid = grid
                .add(
                    Path::new()
                        .set("d", format!("M{LEFT} {y:.1} H{}", WIDTH - RIGHT))
                        .set("stroke", if *tick == 0.0 { "#9ca3af" } else { "#e5e7eb" })
                        .set("stroke-width", 1),
                )
                .add(
                    Text::new(self.number(*tick))
                        .set("x", LEFT - 8.0)
                        .set("y", y + 4.0)
                        .set("text-anchor", "end")
                        .set("font-size", 11)
                        .set("fill", "#4b5563"),
                );
        }
        // At most eight period labels, evenly spread from the first period.
        let every = values.len().div_ceil(8).max(1);
        let mut labels = Group::new().set("class", "periods");
        for (date, _, _) in values.iter().step_by(every) {
            let x = x_of(*date);
            labels = labels
                .add(
                    Path::new()
                        .set("d", format!("M{x:.1} {} v5", TOP + plot_h))
                        .set("stroke", "#9ca3af"),
                )
                .add(
                    Text::new(self.label(*date))
                        .set("x", x)
                        .set("y", TOP + plot_h + 20.0)
                        .set("text-anchor", "middle")
                        .set("font-size", 11)
                        .set("fill", "#4b5563"),
                );
        }

        let mut line = String::new();
        let mut dots = Group::new().set("class", "values").set("fill", VALUE);
        let mut any_partial = false;
        for (i, (date, value, target)) in values.iter().enumerate() {
            let (x, y) = (x_of(*date), y_of(*value));
            let _ = write!(line, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { " L" });
            let mut tip = format!("{}: {}", self.label(*date), self.number(*value));
            if let Some(t) = target {
                let _ = write!(tip, " (target {})", self.number(*t));
            }
            let mut dot = Circle::new()
                .set("cx", format!("{x:.1}"))
                .set("cy", format!("{y:.1}"))
                .set("r", 3);
            if self.partial(*date) {
                // Only part of the period lies in the range: a hollow dot.
                any_partial = true;
                tip.push_str(" — only part of this period is in the range");
                dot = dot
                    .set("class", "partial")
                    .set("fill", "#ffffff")
                    .set("stroke", VALUE)
                    .set("stroke-width", 1.5);
            }
            dots = dots.add(dot.add(Title::new(tip)));
        }
        // The target: connected across consecutive periods that have one.
        let mut target = String::new();
        let mut previous = false;
        for (i, (date, _, t)) in values.iter().enumerate() {
            match t {
                Some(t) => {
                    let (x, y) = (x_of(*date), y_of(*t));
                    let alone = !previous && values.get(i + 1).is_none_or(|n| n.2.is_none());
                    if alone {
                        let _ = write!(target, " M{:.1} {y:.1} H{:.1}", x - 8.0, x + 8.0);
                    } else {
                        let _ =
                            write!(target, " {}{x:.1} {y:.1}", if previous { "L" } else { "M" });
                    }
                    previous = true;
                }
                None => previous = false,
            }
        }
        let has_target = !target.is_empty();

        doc = doc
            .add(grid)
            .add(labels)
            .add(
                Path::new()
                    .set("class", "value")
                    .set("d", line)
                    .set("fill", "none")
                    .set("stroke", VALUE)
                    .set("stroke-width", 2)
                    .set("stroke-linejoin", "round"),
            )
            .add(dots);
        if has_target {
            doc = doc.add(
                Path::new()
                    .set("class", "target")
                    .set("d", target.trim_start().to_owned())
                    .set("fill", "none")
                    .set("stroke", TARGET)
                    .set("stroke-width", 2)
                    .set("stroke-dasharray", "7 5"),
            );
        }
        // Legend, top right.
        let mut legend = Group::new().set("class", "legend").set("font-size", 12);
        let mut x = WIDTH - RIGHT - 80.0 - if has_target { 86.0 } else { 0.0 };
        let entries: &[(&str, &str, bool)] = if has_target {
            &[("value", VALUE, false), ("target", TARGET, true)]
        } else {
            &[("value", VALUE, false)]
        };
        for (name, colour, dashed) in entries {
            let mut sample = Path::new()
                .set("d", format!("M{x} 62 H{}", x + 28.0))
                .set("stroke", *colour)
                .set("stroke-width", 2);
            if *dashed {
                sample = sample.set("stroke-dasharray", "7 5");
            }
            legend = legend.add(sample).add(
                Text::new(*name)
                    .set("x", x + 34.0)
                    .set("y", 66)
                    .set("fill", "#374151"),
            );
            x += 86.0;
        }
        if any_partial {
            legend = legend
                .add(
                    Circle::new()
                        .set("cx", RIGHT + 4.0)
                        .set("cy", HEIGHT - 12.0)
                        .set("r", 3)
                        .set("fill", "#ffffff")
                        .set("stroke", VALUE)
                        .set("stroke-width", 1.5),
                )
                .add(
                    Text::new("only part of the period is in the range")
                        .set("x", RIGHT + 12.0)
                        .set("y", HEIGHT - 8.0)
                        .set("font-size", 11)
                        .set("fill", "#4b5563"),
                );
        }
        text::xml_safe(doc.add(legend).to_string())
    }

    /// Whether the period starting on `start` reaches outside `[from, to)`.
    fn partial(&self, start: NaiveDate) -> bool {
        let end = self.granularity.period_end(start);
        start < self.from || end.is_none_or(|end| end > self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 1175.0),
            vec![0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]
        );
        let flat: Vec<String> = ticks(0.0, 0.0).into_iter().map(text::compact).collect();
        assert_eq!(flat, ["0", "0.2", "0.4", "0.6", "0.8", "1"]);
        // Flat, huge or extreme series still get at least two distinct, finite ticks.
        for (lo, hi) in [
            (-1e16, -1e16),
            (1e15, 1e15),
            (-7.9e28, 7.9e28),
            (1e20, 1e20 + 1.0),
            (-3.0, -3.0),
        ] {
            let t = ticks(lo, hi);
            assert!(
                t.len() >= 2 && t.iter().all(|v| v.is_finite()),
                "{lo} {hi}: {t:?}"
            );
            assert!(t[t.len() - 1] > t[0], "{lo} {hi}: {t:?}");
            assert!(t[0] <= lo && t[t.len() - 1] >= hi, "{lo} {hi}: {t:?}");
        }
        let t = ticks(-30.0, 95.0);
        assert!(t[0] <= -30.0 && *t.last().unwrap_or(&0.0) >= 95.0);
    }
}
