//! The layout as pure geometry: trees given as superior indexes, no chart, no database.
//! Random trees come from a fixed-seed generator, so a failure names a seed that
//! reproduces it.

use super::{
    BOX_H, BOX_W, DottedRoute, H_GAP, LANES, Layout, MARGIN, STACK_GAP, STACK_INDENT, STACK_MIN,
    V_GAP,
};

const TOP: f64 = 100.0;
const EPS: f64 = 1e-6;

/// xorshift64: enough to shape trees, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A random forest of up to 60 units: several tops, flat teams, long chains, and
/// indexes shuffled so a superior is as often after its subordinate as before.
fn random_tree(seed: u64) -> Vec<Option<usize>> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let n = 1 + rng.below(60);
    let mut built = Vec::with_capacity(n);
    for i in 0..n {
        let superior = match (i, rng.below(10)) {
            (0, _) | (_, 0) => None,
            (_, 1..=2) => Some(i - 1),
            (_, 3..=4) => Some(i - 1 - rng.below(i.min(4))),
            // A sibling of the previous unit, so flat teams grow.
            (_, 5..=7) => built[i - 1],
            _ => Some(rng.below(i)),
        };
        built.push(superior);
    }
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        perm.swap(i, rng.below(i + 1));
    }
    let mut parent = vec![None; n];
    for (i, superior) in built.into_iter().enumerate() {
        parent[perm[i]] = superior.map(|s| perm[s]);
    }
    parent
}

fn seeds() -> impl Iterator<Item = u64> {
    1..=400
}

/// Whether two boxes share any interior point (touching edges is fine).
fn overlap(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.0 + BOX_W && b.0 < a.0 + BOX_W && a.1 < b.1 + BOX_H && b.1 < a.1 + BOX_H
}

/// Whether an axis-parallel segment passes through a box's interior (running along
/// an edge is fine).
fn segment_enters(from: (f64, f64), to: (f64, f64), (bx, by): (f64, f64)) -> bool {
    let (x0, x1) = (from.0.min(to.0), from.0.max(to.0));
    let (y0, y1) = (from.1.min(to.1), from.1.max(to.1));
    if x0 == x1 {
        bx < x0 && x0 < bx + BOX_W && y0 < by + BOX_H && by < y1
    } else {
        by < y0 && y0 < by + BOX_H && x0 < bx + BOX_W && bx < x1
    }
}

fn depth(parent: &[Option<usize>], mut u: usize) -> usize {
    let mut d = 0;
    while let Some(s) = parent[u] {
        u = s;
        d += 1;
    }
    d
}

fn centre(at: (f64, f64)) -> f64 {
    at.0 + BOX_W / 2.0
}

#[test]
fn the_segment_check_sees_a_crossing() {
    // The helper the lane tests rely on: through, along an edge, and beside a box.
    let at = (0.0, 0.0);
    assert!(segment_enters((-10.0, 40.0), (300.0, 40.0), at));
    assert!(segment_enters((100.0, -10.0), (100.0, 10.0), at));
    assert!(!segment_enters((-10.0, 0.0), (300.0, 0.0), at));
    assert!(!segment_enters((100.0, -30.0), (100.0, 0.0), at));
    assert!(!segment_enters(
        (BOX_W + 1.0, -10.0),
        (BOX_W + 1.0, 90.0),
        at
    ));
}

#[test]
fn a_single_unit_is_one_box_at_the_margin() {
    let layout = Layout::from_superiors(&[None]);
    assert_eq!(layout.roots, vec![0]);
    assert!(layout.children[0].is_empty() && !layout.stacked[0]);
    assert_eq!((layout.width, layout.height), (BOX_W, BOX_H));
    assert_eq!(layout.place(TOP), vec![(MARGIN, TOP)]);
}

#[test]
fn an_empty_chart_has_no_boxes_and_no_size() {
    let layout = Layout::from_superiors(&[]);
    assert!(layout.roots.is_empty());
    assert_eq!((layout.width, layout.height), (0.0, 0.0));
    assert!(layout.place(TOP).is_empty());
}

#[test]
fn no_two_boxes_overlap_in_any_tree_and_all_stay_inside_the_layout() {
    for seed in seeds() {
        let parent = random_tree(seed);
        let layout = Layout::from_superiors(&parent);
        let at = layout.place(TOP);
        assert_eq!(at.len(), parent.len());
        for (i, &a) in at.iter().enumerate() {
            assert!(
                a.0 >= MARGIN - EPS
                    && a.0 + BOX_W <= MARGIN + layout.width + EPS
                    && a.1 >= TOP - EPS
                    && a.1 + BOX_H <= TOP + layout.height + EPS,
                "seed {seed}: box {i} at {a:?} outside {} x {}",
                layout.width,
                layout.height
            );
            for (j, &b) in at.iter().enumerate().skip(i + 1) {
                assert!(
                    !overlap(a, b),
                    "seed {seed}: boxes {i} {a:?} and {j} {b:?} overlap"
                );
            }
        }
    }
}

#[test]
fn a_row_parent_is_centred_over_its_subordinates_and_a_column_parent_heads_its_column() {
    let (mut rows, mut columns) = (0, 0);
    for seed in seeds() {
        let parent = random_tree(seed);
        let layout = Layout::from_superiors(&parent);
        let at = layout.place(TOP);
        for (u, kids) in layout.children.iter().enumerate() {
            let Some((&first, &last)) = kids.first().zip(kids.last()) else {
                continue;
            };
            let p = at[u];
            if layout.stacked[u] {
                columns += 1;
                assert!(kids.len() >= STACK_MIN, "seed {seed}: column of {u}");
                for (i, &c) in kids.iter().enumerate() {
                    assert!(layout.children[c].is_empty(), "seed {seed}: {c} not a leaf");
                    let want = (
                        p.0 + STACK_INDENT,
                        p.1 + BOX_H + STACK_GAP + i as f64 * (BOX_H + STACK_GAP),
                    );
                    assert!(
                        (at[c].0 - want.0).abs() < EPS && (at[c].1 - want.1).abs() < EPS,
                        "seed {seed}: {c} at {:?}, not {want:?} under {u}",
                        at[c]
                    );
                }
            } else {
                rows += 1;
                let middle = (centre(at[first]) + centre(at[last])) / 2.0;
                assert!(
                    (centre(p) - middle).abs() < EPS,
                    "seed {seed}: {u} not centred over its subordinates"
                );
                for pair in kids.windows(2) {
                    assert!(
                        at[pair[0]].0 + BOX_W + H_GAP <= at[pair[1]].0 + EPS,
                        "seed {seed}: subordinates of {u} out of order or too close"
                    );
                }
                for &c in kids {
                    assert!(
                        (at[c].1 - (p.1 + BOX_H + V_GAP)).abs() < EPS,
                        "seed {seed}: {c} not one row under {u}"
                    );
                }
            }
        }
    }
    // The random trees exercise both ways of listing subordinates.
    assert!(
        rows > 100 && columns > 100,
        "rows {rows}, columns {columns}"
    );
}

#[test]
fn every_unit_of_one_depth_shares_a_row_unless_listed_in_a_column() {
    for seed in seeds() {
        let parent = random_tree(seed);
        let layout = Layout::from_superiors(&parent);
        let at = layout.place(TOP);
        for (u, &superior) in parent.iter().enumerate() {
            if superior.is_some_and(|s| layout.stacked[s]) {
                continue;
            }
            let row = TOP + depth(&parent, u) as f64 * (BOX_H + V_GAP);
            assert!(
                (at[u].1 - row).abs() < EPS,
                "seed {seed}: unit {u} at depth {} is at y {}, not {row}",
                depth(&parent, u),
                at[u].1
            );
        }
    }
}

#[test]
fn units_reporting_to_no_one_stand_side_by_side() {
    let layout = Layout::from_superiors(&[None; 20]);
    assert_eq!(layout.roots, (0..20).collect::<Vec<_>>());
    assert_eq!(layout.width, 20.0 * BOX_W + 19.0 * H_GAP);
    assert_eq!(layout.height, BOX_H);
    for (i, &(x, y)) in layout.place(TOP).iter().enumerate() {
        assert_eq!((x, y), (MARGIN + i as f64 * (BOX_W + H_GAP), TOP));
    }
}

#[test]
fn a_wide_flat_team_is_listed_in_a_column_and_stays_narrow() {
    let mut parent = vec![Some(0); 31];
    parent[0] = None;
    let layout = Layout::from_superiors(&parent);
    assert!(layout.stacked[0]);
    assert_eq!(layout.width, STACK_INDENT + BOX_W);
    assert_eq!(layout.height, BOX_H + 30.0 * (BOX_H + STACK_GAP));
    let at = layout.place(TOP);
    assert_eq!(at[0], (MARGIN, TOP));
    assert!(at[1..].iter().all(|a| a.0 == MARGIN + STACK_INDENT));
    assert_eq!(at[30].1 + BOX_H, TOP + layout.height);
}

#[test]
fn a_flat_team_with_one_deeper_member_spreads_into_a_row() {
    // Twelve subordinates, one of them with its own: a row, not a column.
    let mut parent = vec![Some(0); 14];
    parent[0] = None;
    parent[13] = Some(5);
    let layout = Layout::from_superiors(&parent);
    assert!(!layout.stacked[0] && !layout.stacked[5]);
    assert_eq!(layout.width, 12.0 * BOX_W + 11.0 * H_GAP);
    assert_eq!(layout.height, 3.0 * BOX_H + 2.0 * V_GAP);
    let at = layout.place(TOP);
    assert!(at[1..13].iter().all(|a| a.1 == TOP + BOX_H + V_GAP));
    // A single subordinate sits straight under its superior.
    assert_eq!(at[13], (at[5].0, at[5].1 + BOX_H + V_GAP));
}

#[test]
fn fewer_than_enough_leaves_stay_in_a_row() {
    let layout = Layout::from_superiors(&[None, Some(0), Some(0)]);
    assert!(!layout.stacked[0]);
    let at = layout.place(TOP);
    assert_eq!(at[1].1, at[2].1);
    assert_eq!(centre(at[0]), (centre(at[1]) + centre(at[2])) / 2.0);
}

#[test]
fn a_cycle_is_broken_and_every_unit_still_gets_its_own_box() {
    // 1 and 2 report to each other, 3 to 1, 4 to itself: none reaches a top.
    let layout = Layout::from_superiors(&[None, Some(2), Some(1), Some(1), Some(4)]);
    assert_eq!(layout.roots, vec![0, 1, 4]);
    assert_eq!(layout.children[1], vec![2, 3]);
    assert!(layout.children[2].is_empty() && layout.children[4].is_empty());
    let at = layout.place(TOP);
    for (i, &a) in at.iter().enumerate() {
        assert!(a.0 >= MARGIN && a.1 >= TOP, "box {i} left unplaced: {a:?}");
        for &b in &at[i + 1..] {
            assert!(!overlap(a, b));
        }
    }
}

#[test]
fn dotted_lanes_cross_no_box_and_stay_apart_above_a_row() {
    let (mut lanes, mut curves) = (0, 0);
    for seed in seeds() {
        let parent = random_tree(seed);
        let n = parent.len();
        if n < 2 {
            continue;
        }
        let layout = Layout::from_superiors(&parent);
        let at = layout.place(TOP);
        let mut rng = Rng(seed | 1);
        let lines: Vec<(usize, usize)> = (0..1 + rng.below(12))
            .map(|_| (rng.below(n), rng.below(n)))
            .filter(|(unit, superior)| unit != superior)
            .collect();
        let routes = Layout::dotted_routes(&at, lines.iter().copied());
        assert_eq!(routes.len(), lines.len());
        let mut taken: Vec<(f64, f64)> = Vec::new();
        for (&(unit, superior), route) in lines.iter().zip(&routes) {
            let (s, t) = (at[unit], at[superior]);
            match *route {
                DottedRoute::Lane {
                    x1,
                    from,
                    lane,
                    x2,
                    end,
                } => {
                    lanes += 1;
                    // It leaves the unit's top and ends just outside the superior.
                    assert!(from == s.1 && s.0 < x1 && x1 < s.0 + BOX_W, "seed {seed}");
                    assert!(t.0 < x2 && x2 < t.0 + BOX_W, "seed {seed}");
                    assert!(
                        end == t.1 - 2.0 || end == t.1 + BOX_H + 2.0,
                        "seed {seed}: ends at {end}, box at {t:?}"
                    );
                    assert!(lane < from, "seed {seed}: the lane is above the row");
                    let legs = [
                        ((x1, from), (x1, lane)),
                        ((x1, lane), (x2, lane)),
                        ((x2, lane), (x2, end)),
                    ];
                    for (i, &b) in at.iter().enumerate() {
                        for (leg, &(a, z)) in legs.iter().enumerate() {
                            assert!(
                                !segment_enters(a, z, b),
                                "seed {seed}: line {unit}->{superior}, leg {leg} crosses box {i}"
                            );
                        }
                    }
                    assert!(
                        !taken.contains(&(from, lane)),
                        "seed {seed}: two lines share the lane at {lane} above row {from}"
                    );
                    taken.push((from, lane));
                }
                DottedRoute::Curve { from, to } => {
                    curves += 1;
                    assert_eq!(from, (centre(s), s.1), "seed {seed}");
                    assert_eq!(to, (centre(t), t.1 + BOX_H + 2.0), "seed {seed}");
                }
            }
        }
        for &(row, _) in &taken {
            let used = taken.iter().filter(|(r, _)| *r == row).count();
            assert!(used <= LANES, "seed {seed}: {used} lanes above row {row}");
        }
    }
    assert!(
        lanes > 100 && curves > 100,
        "lanes {lanes}, curves {curves}"
    );
}

#[test]
fn lines_along_one_row_take_the_lanes_in_turn_and_a_fifth_curves() {
    // Six units in a row under a top, each with one of its own so none is stacked,
    // and a dotted line from each to its right-hand neighbour.
    let mut parent = vec![None, Some(0), Some(0), Some(0), Some(0), Some(0), Some(0)];
    parent.extend((1..=6).map(Some));
    let layout = Layout::from_superiors(&parent);
    let at = layout.place(TOP);
    let routes = Layout::dotted_routes(&at, (1..=5).map(|u| (u, u + 1)));
    let row = at[1].1;
    for (k, route) in routes.iter().take(LANES).enumerate() {
        let DottedRoute::Lane {
            from, lane, end, ..
        } = *route
        else {
            panic!("line {k} should take a lane: {route:?}");
        };
        assert_eq!(
            (from, lane, end),
            (row, row - 8.0 - 5.0 * k as f64, row - 2.0)
        );
    }
    assert!(
        matches!(routes[LANES], DottedRoute::Curve { .. }),
        "{:?}",
        routes[LANES]
    );
}

#[test]
fn a_box_between_a_unit_and_its_dotted_superior_sends_the_line_round_in_a_curve() {
    // 0 over 1 and 2, 1 over 3, 2 over 4: unit 3's way up to 0 runs through 1.
    let parent = [None, Some(0), Some(0), Some(1), Some(2)];
    let layout = Layout::from_superiors(&parent);
    let at = layout.place(TOP);
    let routes = Layout::dotted_routes(&at, [(3, 0), (3, 1), (3, 2)]);
    assert!(
        matches!(routes[0], DottedRoute::Curve { .. }),
        "{:?}",
        routes[0]
    );
    // The first line took no lane, so the next ones start from the lowest.
    let DottedRoute::Lane { lane, end, .. } = routes[1] else {
        panic!("straight up to 1: {:?}", routes[1]);
    };
    assert_eq!((lane, end), (at[3].1 - 8.0, at[1].1 + BOX_H + 2.0));
    let DottedRoute::Lane { lane, end, .. } = routes[2] else {
        panic!("across to 2: {:?}", routes[2]);
    };
    assert_eq!((lane, end), (at[3].1 - 13.0, at[2].1 + BOX_H + 2.0));
}
