//! Where the org chart's boxes go, as pure geometry over node indexes: a tidy tree of
//! the SOLID lines, and the routes of DOTTED lines through lanes above a row. Nothing
//! here draws, reads a snapshot or knows a unit's name, so the invariants (no two boxes
//! overlap, a superior sits over its subordinates, a lane crosses no box) are tested on
//! bare trees (`layout/tests.rs`).

use std::collections::HashMap;

use super::OrgChart;

/// Unit boxes.
pub(super) const BOX_W: f64 = 200.0;
pub(super) const BOX_H: f64 = 80.0;
/// Between sibling subtrees, and between a unit and the row of its subordinates.
const H_GAP: f64 = 24.0;
pub(super) const V_GAP: f64 = 56.0;
/// A unit whose subordinates are all leaves (and at least this many) lists them in a
/// column under itself instead of a row, so wide flat teams stay narrow.
const STACK_MIN: usize = 3;
pub(super) const STACK_INDENT: f64 = 24.0;
const STACK_GAP: f64 = 12.0;
/// Dotted lines between units of one row run in these many lanes above it.
const LANES: usize = 4;
/// Left of the first band; the drawing keeps the same margin around everything.
pub(super) const MARGIN: f64 = 24.0;

/// How one DOTTED line runs between the placed boxes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DottedRoute {
    /// Straight segments: up from `(x1, from)` on the top edge of the unit's box to the
    /// lane at height `lane`, along it to `x2`, then to `end`, just outside the
    /// superior's box.
    Lane {
        x1: f64,
        from: f64,
        lane: f64,
        x2: f64,
        end: f64,
    },
    /// No clear lane: a curve drawn behind the boxes, from the middle of the unit's top
    /// edge to just under the middle of the superior's bottom edge.
    Curve { from: (f64, f64), to: (f64, f64) },
}

/// The tidy-tree layout of the SOLID structure: each subtree owns a band of the width
/// no other subtree uses, so no two boxes can overlap.
#[derive(Debug)]
pub struct Layout {
    /// SOLID subordinates of each node, in node order.
    pub children: Vec<Vec<usize>>,
    /// Whether a node lists its subordinates in a column.
    pub stacked: Vec<bool>,
    /// Roots (units without a SOLID superior) in node order, so on a chart the
    /// executive comes first; then any unit only a cycle reached.
    pub roots: Vec<usize>,
    /// Subtree sizes.
    size: Vec<(f64, f64)>,
    /// Every node, superiors before subordinates.
    order: Vec<usize>,
    /// All the roots' bands side by side, without the margin.
    pub width: f64,
    /// The tallest root's subtree.
    pub height: f64,
}

impl Layout {
    /// Lays out the chart's SOLID structure.
    pub fn new(chart: &OrgChart) -> Self {
        Self::from_superiors(&chart.solid_superiors())
    }

    /// Lays out the tree in which node `i` reports to `parent[i]` (`None` at a top).
    /// Every superior must be an index into `parent`; a cycle is broken, not refused.
    pub fn from_superiors(parent: &[Option<usize>]) -> Self {
        let n = parent.len();
        // Preorder from the roots; a unit unreachable from any root (only possible if
        // the data held a cycle) becomes a root itself.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (unit, superior) in parent.iter().enumerate() {
            if let Some(s) = superior {
                children[*s].push(unit);
            }
        }
        let mut roots: Vec<usize> = (0..n).filter(|&u| parent[u].is_none()).collect();
        let mut order = Vec::with_capacity(n);
        let mut seen = vec![false; n];
        fn visit(root: usize, children: &[Vec<usize>], order: &mut Vec<usize>, seen: &mut [bool]) {
            let mut stack = vec![root];
            while let Some(u) = stack.pop() {
                if std::mem::replace(&mut seen[u], true) {
                    continue;
                }
                order.push(u);
                stack.extend(children[u].iter().rev());
            }
        }
        for &root in &roots {
            visit(root, &children, &mut order, &mut seen);
        }
        for u in 0..n {
            if !seen[u] {
                if let Some(s) = parent[u] {
                    children[s].retain(|&c| c != u);
                }
                roots.push(u);
                visit(u, &children, &mut order, &mut seen);
            }
        }

        let mut size = vec![(BOX_W, BOX_H); n];
        let mut stacked = vec![false; n];
        for &u in order.iter().rev() {
            let kids = &children[u];
            if kids.is_empty() {
                continue;
            }
            if kids.len() >= STACK_MIN && kids.iter().all(|&c| children[c].is_empty()) {
                stacked[u] = true;
                size[u] = (
                    STACK_INDENT + BOX_W,
                    BOX_H + kids.len() as f64 * (BOX_H + STACK_GAP),
                );
            } else {
                let row: f64 =
                    kids.iter().map(|&c| size[c].0).sum::<f64>() + H_GAP * (kids.len() - 1) as f64;
                let tallest = kids.iter().map(|&c| size[c].1).fold(0.0, f64::max);
                size[u] = (row.max(BOX_W), BOX_H + V_GAP + tallest);
            }
        }
        let width = roots.iter().map(|&r| size[r].0).sum::<f64>()
            + H_GAP * roots.len().saturating_sub(1) as f64;
        let height = roots.iter().map(|&r| size[r].1).fold(0.0, f64::max);
        Self {
            children,
            stacked,
            roots,
            size,
            order,
            width,
            height,
        }
    }

    /// The top-left corner of every node's box, with the first row at `top`.
    pub fn place(&self, top: f64) -> Vec<(f64, f64)> {
        let mut at = vec![(0.0, 0.0); self.size.len()];
        let mut stack: Vec<(usize, f64, f64)> = Vec::new();
        let mut x = MARGIN;
        for &root in &self.roots {
            stack.push((root, x, top));
            x += self.size[root].0 + H_GAP;
        }
        while let Some((u, left, y)) = stack.pop() {
            let kids = &self.children[u];
            let (w, _) = self.size[u];
            if kids.is_empty() {
                at[u] = (left + (w - BOX_W) / 2.0, y);
            } else if self.stacked[u] {
                at[u] = (left, y);
                for (i, &c) in kids.iter().enumerate() {
                    let cy = y + BOX_H + STACK_GAP + i as f64 * (BOX_H + STACK_GAP);
                    at[c] = (left + STACK_INDENT, cy);
                }
            } else {
                let row: f64 = kids.iter().map(|&c| self.size[c].0).sum::<f64>()
                    + H_GAP * (kids.len() - 1) as f64;
                let mut cx = left + (w - row) / 2.0;
                for &c in kids {
                    stack.push((c, cx, y + BOX_H + V_GAP));
                    cx += self.size[c].0 + H_GAP;
                }
                // Centred over its subordinates below, once they are placed.
                at[u] = (left, y);
            }
        }
        // Subordinates before superiors: each row parent goes midway over the boxes of
        // its first and last subordinates, which stays inside its own band.
        for &u in self.order.iter().rev() {
            let kids = &self.children[u];
            if kids.is_empty() || self.stacked[u] {
                continue;
            }
            at[u].0 = (at[kids[0]].0 + at[kids[kids.len() - 1]].0) / 2.0;
        }
        at
    }

    /// The route of each DOTTED line `(unit, superior)` between the boxes at `at`, in
    /// the order given: up from the unit's top into a lane just above its row, across,
    /// and into the superior's top (same row) or bottom (a row above) when no box is in
    /// the way, else a curve. Lanes are shared out per row in that order so parallel
    /// lines stay apart; only a route that takes its lane uses one up.
    pub fn dotted_routes(
        at: &[(f64, f64)],
        lines: impl IntoIterator<Item = (usize, usize)>,
    ) -> Vec<DottedRoute> {
        let mut lane_of_row: HashMap<i64, usize> = HashMap::new();
        let mut routes = Vec::new();
        for (unit, superior) in lines {
            let (sx, sy) = at[unit];
            let (tx, ty) = at[superior];
            let lane = lane_of_row.entry(sy.round() as i64).or_insert(0);
            let k = *lane as f64;
            let toward = if tx > sx { 1.0 } else { -1.0 };
            let offset = 16.0 + 6.0 * k;
            let x1 = sx + BOX_W / 2.0 + toward * offset;
            let x2 = tx + BOX_W / 2.0 - toward * offset;
            let y = sy - 8.0 - 5.0 * k;
            let end = if *lane >= LANES {
                // Every lane above this row is taken: a curve rather than a line
                // drawn over another.
                None
            } else if (sy - ty).abs() < 0.5 {
                Some(ty - 2.0)
            } else if ty + BOX_H < y {
                Some(ty + BOX_H + 2.0)
            } else {
                None
            };
            let route = if let Some(end) = end
                && Self::route_is_clear(at, superior, (x1, sy), (x2, y), end)
            {
                *lane += 1;
                DottedRoute::Lane {
                    x1,
                    from: sy,
                    lane: y,
                    x2,
                    end,
                }
            } else {
                // No clear lane: a curve behind the boxes, from the unit to its superior.
                DottedRoute::Curve {
                    from: (sx + BOX_W / 2.0, sy),
                    to: (tx + BOX_W / 2.0, ty + BOX_H + 2.0),
                }
            };
            routes.push(route);
        }
        routes
    }

    /// Whether a dotted line's route crosses no box: up from `start` to the lane at
    /// `corner.1`, along it to `corner.0`, then to `end` at the edge of `target`'s box.
    pub fn route_is_clear(
        at: &[(f64, f64)],
        target: usize,
        start: (f64, f64),
        corner: (f64, f64),
        end: f64,
    ) -> bool {
        let (x1, sy) = start;
        let (x2, lane) = corner;
        let (lo, hi) = (x1.min(x2), x1.max(x2));
        let inside_x = |x: f64, bx: f64| bx < x && x < bx + BOX_W;
        let spans = |a: f64, b: f64, by: f64| by < a.max(b) && by + BOX_H > a.min(b);
        !at.iter().enumerate().any(|(i, &(bx, by))| {
            let across = by < lane && lane < by + BOX_H && bx < hi && bx + BOX_W > lo;
            let rising = inside_x(x1, bx) && spans(lane, sy - 0.5, by);
            let arriving = i != target && inside_x(x2, bx) && spans(lane, end, by);
            across || rising || arriving
        })
    }
}

#[cfg(test)]
mod tests;
