//! Scenario tests: applying changes and diffing, over hand-built snapshots.
