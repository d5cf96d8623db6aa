//! The structure as a CSV file, HRIS-style: one row per unit, with its function,
//! sourcing, SOLID superior, DOTTED superiors and head position. [`export`] writes the
//! live structure on a date; [`parse`] reads a file back, checked line by line; and
//! [`changes`] computes the scenario changes that turn the live structure into the
//! file's. Pure: no database, no transport.
//!
//! The columns, in the order [`export`] writes them ([`COLUMNS`]):
//!
//! | column | meaning |
//! |---|---|
//! | `id` | the unit's id; empty for a unit the file creates |
//! | `unit` | its name |
//! | `function` | a `UnitFunction` key (`MARKETING`, `SALES`, ...) |
//! | `sourcing` | a `Sourcing` key; empty means `IN_HOUSE` |
//! | `solid_superior` | the unit it reports to on a SOLID line, by name or by id; empty at the top |
//! | `dotted_superiors` | the units it reports to on DOTTED lines, `;`-separated |
//! | `head_position` | the title of the unit's head position (its first by creation); empty when none |
//! | `head_role` | that position's `PositionRole` key |
//!
//! Superiors name units **of the same file**: by name when only one row has that
//! name, else by id (the export writes ids where a name is not unique). A unit of the
//! live structure that the file leaves out is archived by the import.
//!
//! **Invariant:** `changes(live, parse(export(live)))` is empty: export, import and
//! diff round-trip.

use std::{
    collections::{HashMap, HashSet},
    io::Read,
};

use async_graphql::ID;
use entity::{org_unit, position, reporting_line};
use uuid::Uuid;

use super::change::{
    AddDottedLineChange, ArchivePositionChange, ArchiveUnitChange, Change, CreatePositionChange,
    CreateUnitChange, EndLineChange, MoveUnitChange, UpdatePositionChange, UpdateUnitChange,
};
use crate::{
    domain::{LineKind, Name, PositionRole, Sourcing, UnitFunction},
    error::{Error, Result},
    insights::Snapshot,
};

/// The header row [`export`] writes, in order.
pub const COLUMNS: [&str; 8] = [
    "id",
    "unit",
    "function",
    "sourcing",
    "solid_superior",
    "dotted_superiors",
    "head_position",
    "head_role",
];

/// A unit's head position as a file gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub title: String,
    pub role: PositionRole,
}

/// One unit of a file, parsed and resolved: its superiors are indexes into the same
/// list of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The file line the row starts on (line 1 is the header), for errors.
    pub line: u64,
    /// The live unit it describes; `None` for a unit the file creates.
    pub id: Option<Uuid>,
    pub name: String,
    pub function: UnitFunction,
    pub sourcing: Sourcing,
    /// The row of its SOLID superior; `None` at the top.
    pub solid_superior: Option<usize>,
    /// The rows of its DOTTED superiors, each once.
    pub dotted_superiors: Vec<usize>,
    pub head: Option<Head>,
}

/// The error field of a row's column: `line[12].function`.
fn at(line: u64, column: &str) -> String {
    format!("line[{line}].{column}")
}

// ---------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------

/// The active units of `s`, their SOLID superiors and depths, for export and diffing.
struct Live<'a> {
    units: HashMap<Uuid, &'a org_unit::Model>,
    /// Active unit → its SOLID line to an active superior.
    solid: HashMap<Uuid, &'a reporting_line::Model>,
    /// Active unit → its DOTTED lines to active superiors.
    dotted: HashMap<Uuid, Vec<&'a reporting_line::Model>>,
    /// Active unit → its head position (the first active one by creation).
    heads: HashMap<Uuid, &'a position::Model>,
}

impl<'a> Live<'a> {
    fn new(s: &'a Snapshot) -> Self {
        let units: HashMap<Uuid, &org_unit::Model> = s
            .units
            .iter()
            .filter(|u| !u.archived)
            .map(|u| (u.id, u))
            .collect();
        let mut solid = HashMap::new();
        let mut dotted: HashMap<Uuid, Vec<&reporting_line::Model>> = HashMap::new();
        // Lines touching an archived unit are not part of the active structure (the
        // diff ignores them too), so the file neither shows nor ends them.
        for line in s
            .lines
            .iter()
            .filter(|l| units.contains_key(&l.unit_id) && units.contains_key(&l.superior_unit_id))
        {
            if line.kind == LineKind::Solid.as_str() {
                solid.insert(line.unit_id, line);
            } else {
                dotted.entry(line.unit_id).or_default().push(line);
            }
        }
        let mut heads: HashMap<Uuid, &position::Model> = HashMap::new();
        for p in s
            .positions
            .iter()
            .filter(|p| !p.archived && units.contains_key(&p.unit_id))
        {
            let first = heads.entry(p.unit_id).or_insert(p);
            if (p.created_at, p.id) < (first.created_at, first.id) {
                *first = p;
            }
        }
        Self {
            units,
            solid,
            dotted,
            heads,
        }
    }

    fn superior(&self, unit: Uuid) -> Option<Uuid> {
        self.solid.get(&unit).map(|l| l.superior_unit_id)
    }

    /// SOLID steps from each active unit to its top (a cycle, which stored data never
    /// holds, stops the walk rather than looping).
    fn depths(&self) -> HashMap<Uuid, usize> {
        let mut depths = HashMap::with_capacity(self.units.len());
        for &unit in self.units.keys() {
            let mut depth = 0;
            let mut current = unit;
            while let Some(up) = self.superior(current) {
                depth += 1;
                current = up;
                if depth > self.units.len() {
                    break;
                }
            }
            depths.insert(unit, depth);
        }
        depths
    }
}

/// The active structure of `s` as CSV: the header row, then one row per active unit,
/// top-down (by depth, then name, then id). A superior is written by name, or by id
/// when its name is not unique among the active units.
pub fn export(s: &Snapshot) -> Result<String> {
    let live = Live::new(s);
    let depths = live.depths();
    let mut name_counts: HashMap<&str, usize> = HashMap::new();
    for u in live.units.values() {
        *name_counts.entry(u.name.as_str()).or_default() += 1;
    }
    let reference = |id: Uuid| -> String {
        match live.units.get(&id) {
            Some(u) if name_counts.get(u.name.as_str()) == Some(&1) => u.name.clone(),
            _ => id.to_string(),
        }
    };
    let mut units: Vec<&org_unit::Model> = live.units.values().copied().collect();
    units.sort_by(|a, b| {
        (depths.get(&a.id), &a.name, a.id).cmp(&(depths.get(&b.id), &b.name, b.id))
    });

    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| Error::Internal(anyhow::anyhow!("writing the CSV: {e}"));
    writer.write_record(COLUMNS).map_err(failed)?;
    for u in units {
        let mut dotted: Vec<String> = live
            .dotted
            .get(&u.id)
            .into_iter()
            .flatten()
            .map(|l| reference(l.superior_unit_id))
            .collect();
        dotted.sort();
        dotted.dedup();
        let head = live.heads.get(&u.id);
        writer
            .write_record([
                u.id.to_string(),
                u.name.clone(),
                u.function.clone(),
                u.sourcing.clone(),
                live.superior(u.id).map(reference).unwrap_or_default(),
                dotted.join(";"),
                head.map(|p| p.title.clone()).unwrap_or_default(),
                head.map(|p| p.role.clone()).unwrap_or_default(),
            ])
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Internal(anyhow::anyhow!("writing the CSV: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::Internal(anyhow::anyhow!("the CSV is not UTF-8: {e}")))
}

// ---------------------------------------------------------------------------------
// Parse
// ---------------------------------------------------------------------------------

/// Where each column sits in a file's header.
struct Layout {
    columns: HashMap<&'static str, usize>,
    width: usize,
}

impl Layout {
    /// Reads the header: the column names of [`COLUMNS`] in any order, each at most
    /// once; `unit` and `function` required, an unknown name refused (a typo would
    /// otherwise silently empty a column).
    fn from_headers(headers: &csv::StringRecord) -> Result<Self> {
        let mut columns = HashMap::new();
        for (i, raw) in headers.iter().enumerate() {
            // Spreadsheets often save UTF-8 with a byte-order mark before the first name.
            let name = raw
                .trim_start_matches('\u{feff}')
                .trim()
                .to_ascii_lowercase();
            let Some(known) = COLUMNS.iter().find(|c| **c == name) else {
                return Err(Error::bad_input(
                    "header",
                    format!(
                        "unknown column {name:?}; the columns are {}",
                        COLUMNS.join(",")
                    ),
                ));
            };
            if columns.insert(*known, i).is_some() {
                return Err(Error::bad_input(
                    "header",
                    format!("the column {known} appears twice"),
                ));
            }
        }
        for required in ["unit", "function"] {
            if !columns.contains_key(required) {
                return Err(Error::bad_input(
                    "header",
                    format!(
                        "the column {required} is missing; the columns are {}",
                        COLUMNS.join(",")
                    ),
                ));
            }
        }
        Ok(Self {
            columns,
            width: headers.len(),
        })
    }

    /// The trimmed value of `column` in `record` ("" when the file has no such column).
    fn get<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        self.columns
            .get(column)
            .and_then(|&i| record.get(i))
            .map_or("", str::trim)
    }
}

/// Reads an enumeration key (`MARKETING`), case-insensitively.
fn key<T: Copy>(
    all: &[T],
    as_str: fn(T) -> &'static str,
    field: &str,
    raw: &str,
    what: &str,
) -> Result<T> {
    let wanted = raw.trim().to_ascii_uppercase();
    all.iter()
        .copied()
        .find(|v| as_str(*v) == wanted)
        .ok_or_else(|| {
            let keys: Vec<&str> = all.iter().map(|v| as_str(*v)).collect();
            Error::bad_input(
                field,
                format!("{raw:?} is not a {what}; one of {}", keys.join(", ")),
            )
        })
}

/// A row as read, before its superiors are resolved.
struct RawRow {
    row: Row,
    solid: Option<String>,
    dotted: Vec<String>,
}

fn read_row(layout: &Layout, record: &csv::StringRecord, line: u64) -> Result<RawRow> {
    let field = |column: &str| at(line, column);
    let id = match layout.get(record, "id") {
        "" => None,
        raw => Some(Uuid::parse_str(raw).map_err(|_| {
            Error::bad_input(
                field("id"),
                format!("{raw:?} is not a unit id (leave it empty for a new unit)"),
            )
        })?),
    };
    let name = Name::parse(&field("unit"), layout.get(record, "unit"))?.into_inner();
    let function = match layout.get(record, "function") {
        "" => {
            return Err(Error::bad_input(
                field("function"),
                "every unit needs a function",
            ));
        }
        raw => key(
            UnitFunction::ALL,
            UnitFunction::as_str,
            &field("function"),
            raw,
            "unit function",
        )?,
    };
    let sourcing = match layout.get(record, "sourcing") {
        "" => Sourcing::InHouse,
        raw => key(
            Sourcing::ALL,
            Sourcing::as_str,
            &field("sourcing"),
            raw,
            "sourcing",
        )?,
    };
    let solid = Some(layout.get(record, "solid_superior"))
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let dotted = layout
        .get(record, "dotted_superiors")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let title = Name::parse_opt(
        &field("head_position"),
        Some(layout.get(record, "head_position")),
    )?;
    let role = layout.get(record, "head_role");
    let head = match (title, role) {
        (None, "") => None,
        (None, _) => {
            return Err(Error::bad_input(
                field("head_position"),
                "a head_role needs the head_position's title",
            ));
        }
        (Some(_), "") => {
            return Err(Error::bad_input(
                field("head_role"),
                "a head_position needs its head_role",
            ));
        }
        (Some(title), raw) => Some(Head {
            title: title.into_inner(),
            role: key(
                PositionRole::ALL,
                PositionRole::as_str,
                &field("head_role"),
                raw,
                "position role",
            )?,
        }),
    };
    Ok(RawRow {
        row: Row {
            line,
            id,
            name,
            function,
            sourcing,
            solid_superior: None,
            dotted_superiors: Vec::new(),
            head,
        },
        solid,
        dotted,
    })
}

/// Finds the row a superior column names: a row's id, else the one row of that name.
struct Resolver {
    by_id: HashMap<Uuid, usize>,
    by_name: HashMap<String, Vec<usize>>,
    lines: Vec<u64>,
}

impl Resolver {
    fn resolve(&self, raw: &str, field: &str) -> Result<usize> {
        let id = Uuid::parse_str(raw).ok();
        if let Some(&i) = id.as_ref().and_then(|id| self.by_id.get(id)) {
            return Ok(i);
        }
        match self.by_name.get(raw).map(Vec::as_slice) {
            Some([i]) => Ok(*i),
            Some(several) => {
                let lines: Vec<String> =
                    several.iter().map(|&i| self.lines[i].to_string()).collect();
                Err(Error::bad_input(
                    field,
                    format!(
                        "{} units of this file are named {raw:?} (lines {}); name the superior by its id, or rename one",
                        several.len(),
                        lines.join(", ")
                    ),
                ))
            }
            None if id.is_some() => Err(Error::bad_input(
                field,
                format!("no unit of this file has the id {raw}"),
            )),
            None => Err(Error::bad_input(
                field,
                format!("no unit of this file is named {raw:?}"),
            )),
        }
    }
}

/// Reads a structure file: the header row, then one unit per row, at most `max_rows`
/// (else `LIMIT_EXCEEDED`). Every error names its line and column as its field
/// (`line[12].function`) and in its message; nothing is partially accepted. Checked
/// here: the text rules and keys of each value, ids unique, superiors naming exactly
/// one unit of the file, no unit its own superior, and no cycle of SOLID superiors.
/// Whether the ids are units of the organization is checked by [`changes`].
pub fn parse<R: Read>(reader: R, max_rows: usize) -> Result<Vec<Row>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        // Rows of the wrong width are refused below, with their line.
        .flexible(true)
        .from_reader(reader);
    let headers = match reader.headers() {
        Ok(h) if h.iter().any(|c| !c.trim().is_empty()) => h.clone(),
        Ok(_) => {
            return Err(Error::bad_input(
                "header",
                format!(
                    "the file is empty; its first line names the columns {}",
                    COLUMNS.join(",")
                ),
            ));
        }
        Err(e) => return Err(unreadable(&e, 1)),
    };
    let layout = Layout::from_headers(&headers)?;
    let mut raws: Vec<RawRow> = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut last_line = 1;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(unreadable(&e, last_line + 1)),
        }
        let line = record.position().map_or(last_line + 1, csv::Position::line);
        last_line = line;
        if record.len() != layout.width {
            return Err(Error::bad_input(
                format!("line[{line}]"),
                format!(
                    "{} fields, but the header names {}",
                    record.len(),
                    layout.width
                ),
            ));
        }
        if raws.len() == max_rows {
            return Err(Error::LimitExceeded(format!(
                "a structure file holds at most {max_rows} units (line {line} is one more)"
            )));
        }
        raws.push(read_row(&layout, &record, line)?);
    }

    let mut resolver = Resolver {
        by_id: HashMap::new(),
        by_name: HashMap::new(),
        lines: raws.iter().map(|r| r.row.line).collect(),
    };
    for (i, raw) in raws.iter().enumerate() {
        if let Some(id) = raw.row.id
            && let Some(&first) = resolver.by_id.get(&id)
        {
            let line = raw.row.line;
            return Err(Error::bad_input(
                at(line, "id"),
                format!(
                    "line {} has the same id; a unit appears once",
                    resolver.lines[first]
                ),
            ));
        }
        if let Some(id) = raw.row.id {
            resolver.by_id.insert(id, i);
        }
        resolver
            .by_name
            .entry(raw.row.name.clone())
            .or_default()
            .push(i);
    }
    let mut rows = Vec::with_capacity(raws.len());
    for (i, raw) in raws.iter().enumerate() {
        let line = raw.row.line;
        let mut row = raw.row.clone();
        if let Some(solid) = &raw.solid {
            let field = at(line, "solid_superior");
            let superior = resolver.resolve(solid, &field)?;
            if superior == i {
                return Err(Error::bad_input(field, "a unit cannot report to itself"));
            }
            row.solid_superior = Some(superior);
        }
        let field = at(line, "dotted_superiors");
        for dotted in &raw.dotted {
            let superior = resolver.resolve(dotted, &field)?;
            if superior == i {
                return Err(Error::bad_input(field, "a unit cannot report to itself"));
            }
            if row.dotted_superiors.contains(&superior) {
                return Err(Error::bad_input(
                    field,
                    format!("{dotted:?} is named twice"),
                ));
            }
            row.dotted_superiors.push(superior);
        }
        rows.push(row);
    }
    refuse_cycles(&rows)?;
    Ok(rows)
}

/// A CSV the reader cannot read (an unclosed quote, invalid UTF-8), at its line.
fn unreadable(err: &csv::Error, fallback: u64) -> Error {
    let line = err.position().map_or(fallback, csv::Position::line);
    Error::bad_input(format!("line[{line}]"), format!("unreadable CSV: {err}"))
}

/// Refuses SOLID superiors that go round in a circle, naming the lines of the circle.
fn refuse_cycles(rows: &[Row]) -> Result<()> {
    // 0: not seen, 1: on the current walk, 2: known to reach a top.
    let mut state = vec![0_u8; rows.len()];
    for start in 0..rows.len() {
        let mut path: Vec<usize> = Vec::new();
        let mut current = Some(start);
        while let Some(i) = current {
            match state[i] {
                2 => break,
                1 => {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    let mut lines: Vec<u64> = path[from..].iter().map(|&p| rows[p].line).collect();
                    lines.sort_unstable();
                    let first = lines[0];
                    let listed: Vec<String> = lines.iter().map(u64::to_string).collect();
                    return Err(Error::bad_input(
                        at(first, "solid_superior"),
                        format!(
                            "the SOLID superiors of lines {} form a cycle",
                            listed.join(", ")
                        ),
                    ));
                }
                _ => {
                    state[i] = 1;
                    path.push(i);
                    current = rows[i].solid_superior;
                }
            }
        }
        for i in path {
            state[i] = 2;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Changes
// ---------------------------------------------------------------------------------

/// A temporary key for a unit the file creates, from its name: lower-case letters,
/// digits and dashes, unique among `taken`.
fn key_for(name: &str, taken: &mut HashSet<String>) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut base: String = slug.trim_matches('-').chars().take(50).collect();
    base = base.trim_end_matches('-').to_owned();
    // A key is never an id: a name spelled like one gets a prefix.
    if base.is_empty() || Uuid::parse_str(&base).is_ok() {
        base = format!("unit-{base}").trim_end_matches('-').to_owned();
    }
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// The changes that turn `live` (the organization on the scenario's date) into the
/// structure of `rows`, in an order in which each passes the checks of
/// [`super::apply`]:
///
/// 1. units renamed or given another function or sourcing;
/// 2. new units, top-down, each with its SOLID superior;
/// 3. DOTTED lines the file no longer has, ended;
/// 4. SOLID superiors changed (moved, or a line ended for a new top), top-down by
///    depth in the file, so every superior already sits where the file puts it and
///    no intermediate state has a cycle;
/// 5. DOTTED lines added;
/// 6. head positions created, updated (title, role) or archived (when the file
///    leaves `head_position` empty; other positions of the unit are left alone);
/// 7. units of the live structure the file leaves out, archived deepest first (their
///    subordinates in the file were moved away in step 4).
///
/// `BAD_USER_INPUT` on `line[N].id` when an id is not an active unit of `live`.
pub fn changes(live: &Snapshot, rows: &[Row]) -> Result<Vec<Change>> {
    let current = Live::new(live);
    for row in rows {
        let Some(id) = row.id else { continue };
        match live.units.iter().find(|u| u.id == id) {
            None => {
                return Err(Error::bad_input(
                    at(row.line, "id"),
                    format!(
                        "no unit of this organization has the id {id}; leave the id empty to create a unit"
                    ),
                ));
            }
            Some(u) if u.archived => {
                return Err(Error::bad_input(
                    at(row.line, "id"),
                    format!("the unit {id} is archived; leave the id empty to create a new one"),
                ));
            }
            Some(_) => {}
        }
    }

    // How changes refer to each row's unit: its id, or the key its creation gets.
    let mut taken = HashSet::new();
    let refs: Vec<String> = rows
        .iter()
        .map(|r| match r.id {
            Some(id) => id.to_string(),
            None => key_for(&r.name, &mut taken),
        })
        .collect();
    let unit_ref = |i: usize| ID(refs[i].clone());
    // Depth in the file's tree (acyclic: `parse` refused cycles).
    let depth = |mut i: usize| {
        let mut d = 0;
        while let Some(up) = rows[i].solid_superior {
            d += 1;
            i = up;
            if d > rows.len() {
                break;
            }
        }
        d
    };
    let mut top_down: Vec<usize> = (0..rows.len()).collect();
    top_down.sort_by_key(|&i| (depth(i), i));

    let mut out = Vec::new();
    // 1. Names, functions, sourcing.
    for row in rows {
        let Some(unit) = row.id.and_then(|id| current.units.get(&id)) else {
            continue;
        };
        let name = (unit.name != row.name).then(|| row.name.clone());
        let function = (unit.function != row.function.as_str()).then_some(row.function);
        let sourcing = (unit.sourcing != row.sourcing.as_str()).then_some(row.sourcing);
        if name.is_some() || function.is_some() || sourcing.is_some() {
            out.push(Change::UpdateUnit(UpdateUnitChange {
                unit_id: ID(unit.id.to_string()),
                name,
                function,
                sourcing,
            }));
        }
    }
    // 2. New units, parents first.
    for &i in &top_down {
        let row = &rows[i];
        if row.id.is_some() {
            continue;
        }
        out.push(Change::CreateUnit(CreateUnitChange {
            key: refs[i].clone(),
            name: row.name.clone(),
            function: row.function,
            sourcing: row.sourcing,
            description: None,
            superior_unit_id: row.solid_superior.map(unit_ref),
        }));
    }
    // 3. DOTTED lines the file drops.
    let mut kept_dotted: HashSet<(Uuid, Uuid)> = HashSet::new();
    for row in rows {
        let Some(id) = row.id else { continue };
        let wanted: HashSet<Uuid> = row
            .dotted_superiors
            .iter()
            .filter_map(|&s| rows[s].id)
            .collect();
        for line in current.dotted.get(&id).into_iter().flatten() {
            if wanted.contains(&line.superior_unit_id)
                && kept_dotted.insert((id, line.superior_unit_id))
            {
                continue;
            }
            out.push(Change::EndLine(EndLineChange {
                line_id: ID(line.id.to_string()),
            }));
        }
    }
    // 4. SOLID superiors, top-down.
    for &i in &top_down {
        let Some(id) = rows[i].id else { continue };
        let before = current.superior(id);
        match rows[i].solid_superior {
            None => {
                if let Some(line) = current.solid.get(&id) {
                    out.push(Change::EndLine(EndLineChange {
                        line_id: ID(line.id.to_string()),
                    }));
                }
            }
            // A new superior has no id yet, so it is never the current one.
            Some(superior) if rows[superior].id.is_none() || rows[superior].id != before => {
                out.push(Change::MoveUnit(MoveUnitChange {
                    unit_id: ID(id.to_string()),
                    superior_unit_id: unit_ref(superior),
                }));
            }
            Some(_) => {}
        }
    }
    // 5. DOTTED lines the file adds.
    for (i, row) in rows.iter().enumerate() {
        for &s in &row.dotted_superiors {
            let exists = match (row.id, rows[s].id) {
                (Some(unit), Some(superior)) => kept_dotted.contains(&(unit, superior)),
                _ => false,
            };
            if !exists {
                out.push(Change::AddDottedLine(AddDottedLineChange {
                    unit_id: unit_ref(i),
                    superior_unit_id: unit_ref(s),
                }));
            }
        }
    }
    // 6. Head positions.
    for (i, row) in rows.iter().enumerate() {
        let before = row.id.and_then(|id| current.heads.get(&id));
        match (before, &row.head) {
            (None, None) => {}
            (None, Some(head)) => out.push(Change::CreatePosition(CreatePositionChange {
                key: None,
                unit_id: unit_ref(i),
                title: head.title.clone(),
                role: head.role,
                holder_name: None,
                responsibilities: Vec::new(),
            })),
            (Some(p), None) => out.push(Change::ArchivePosition(ArchivePositionChange {
                position_id: ID(p.id.to_string()),
            })),
            (Some(p), Some(head)) => {
                let title = (p.title != head.title).then(|| head.title.clone());
                let role = (p.role != head.role.as_str()).then_some(head.role);
                if title.is_some() || role.is_some() {
                    out.push(Change::UpdatePosition(UpdatePositionChange {
                        position_id: ID(p.id.to_string()),
                        unit_id: None,
                        title,
                        role,
                        holder_name: None,
                        responsibilities: None,
                    }));
                }
            }
        }
    }
    // 7. Units the file leaves out, deepest first.
    let in_file: HashSet<Uuid> = rows.iter().filter_map(|r| r.id).collect();
    let depths = current.depths();
    let mut gone: Vec<&org_unit::Model> = current
        .units
        .values()
        .copied()
        .filter(|u| !in_file.contains(&u.id))
        .collect();
    gone.sort_by(|a, b| {
        (depths.get(&b.id), &a.name, a.id).cmp(&(depths.get(&a.id), &b.name, b.id))
    });
    for unit in gone {
        out.push(Change::ArchiveUnit(ArchiveUnitChange {
            unit_id: ID(unit.id.to_string()),
        }));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::{
        insights::tests::{head, line, snapshot, unit},
        scenarios::{
            apply::{Draft, Limits},
            diff::diff,
        },
    };

    const LIMITS: Limits = Limits {
        max_units: 5_000,
        max_positions: 50,
    };

    /// Northwind's shape: an executive board, two business units each with sales
    /// and marketing under sales, finance; a DOTTED line from one marketing team to
    /// the board; two units named the same.
    fn northwind() -> Snapshot {
        let exec = unit("Executive board", "EXECUTIVE", "IN_HOUSE");
        let pumps = unit("Pumps", "BUSINESS_UNIT", "IN_HOUSE");
        let valves = unit("Valves", "BUSINESS_UNIT", "IN_HOUSE");
        let pumps_sales = unit("Sales", "SALES", "IN_HOUSE");
        let valves_sales = unit("Sales", "SALES", "IN_HOUSE");
        let pumps_mkt = unit("Pumps marketing", "MARKETING", "IN_HOUSE");
        let valves_mkt = unit("Valves marketing", "MARKETING", "OUTSOURCED");
        let finance = unit("Finance, \"group\"", "FINANCE", "IN_HOUSE");
        let mut archived = unit("Old team", "OTHER", "IN_HOUSE");
        archived.archived = true;
        let lines = vec![
            line(&pumps, &exec, "SOLID"),
            line(&valves, &exec, "SOLID"),
            line(&finance, &exec, "SOLID"),
            line(&pumps_sales, &pumps, "SOLID"),
            line(&valves_sales, &valves, "SOLID"),
            line(&pumps_mkt, &pumps_sales, "SOLID"),
            line(&valves_mkt, &valves_sales, "SOLID"),
            line(&pumps_mkt, &exec, "DOTTED"),
        ];
        let mut ceo = head(&exec, "CEO");
        ceo.title = "Chief Executive Officer".to_owned();
        let mut deputy = head(&exec, "OTHER");
        deputy.title = "Deputy".to_owned();
        let positions = vec![ceo, deputy, head(&pumps_mkt, "HEAD")];
        snapshot(
            vec![
                exec,
                pumps,
                valves,
                pumps_sales,
                valves_sales,
                pumps_mkt,
                valves_mkt,
                finance,
                archived,
            ],
            positions,
            lines,
        )
    }

    fn id_of(s: &Snapshot, name: &str) -> Uuid {
        s.units.iter().find(|u| u.name == name).unwrap().id
    }

    /// Applies `changes` to `live` as a draft does, and returns the structure.
    fn applied(live: &Snapshot, changes: &[Change]) -> Snapshot {
        let mut draft = Draft::new(Uuid::now_v7(), live.clone(), chrono::Utc::now());
        for (i, c) in changes.iter().enumerate() {
            draft
                .apply(&format!("changes[{i}]"), c, LIMITS)
                .unwrap_or_else(|e| panic!("change {i} {c:?}: {e}"));
        }
        draft.finish().0
    }

    /// The structure as comparable text: each active unit's name, function, sourcing,
    /// SOLID superior's name, DOTTED superiors' names and head.
    fn shape(s: &Snapshot) -> Vec<String> {
        let text = export(s).unwrap();
        let rows = parse(text.as_bytes(), 10_000).unwrap();
        let mut out: Vec<String> = rows
            .iter()
            .map(|r| {
                let mut dotted: Vec<&str> = r
                    .dotted_superiors
                    .iter()
                    .map(|&d| rows[d].name.as_str())
                    .collect();
                dotted.sort_unstable();
                format!(
                    "{} {} {} <{}> [{}] {:?}",
                    r.name,
                    r.function.as_str(),
                    r.sourcing.as_str(),
                    r.solid_superior.map_or("", |s| rows[s].name.as_str()),
                    dotted.join(";"),
                    r.head
                )
            })
            .collect();
        out.sort();
        out
    }

    fn csv(live: &Snapshot, edit: impl FnOnce(&mut Vec<Vec<String>>)) -> String {
        let text = export(live).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let mut records: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        edit(&mut records);
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(COLUMNS).unwrap();
        for r in records {
            writer.write_record(r).unwrap();
        }
        String::from_utf8(writer.into_inner().unwrap()).unwrap()
    }

    fn row_named<'a>(records: &'a mut [Vec<String>], name: &str) -> &'a mut Vec<String> {
        records.iter_mut().find(|r| r[1] == name).unwrap()
    }

    fn error_of(text: &str) -> (String, String) {
        match parse(text.as_bytes(), 10_000) {
            Err(Error::BadInput { field, message }) => (field, message),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_exported_structure_parsed_back_changes_nothing() {
        let live = northwind();
        let text = export(&live).unwrap();
        let rows = parse(text.as_bytes(), 10_000).unwrap();
        assert_eq!(rows.len(), 8, "{text}");
        assert!(changes(&live, &rows).unwrap().is_empty(), "{text}");
    }

    #[test]
    fn the_export_is_top_down_writes_ids_for_names_that_repeat_and_quotes_what_needs_it() {
        let live = northwind();
        let text = export(&live).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "id,unit,function,sourcing,solid_superior,dotted_superiors,head_position,head_role"
        );
        let exec = id_of(&live, "Executive board");
        assert_eq!(
            lines[1],
            format!("{exec},Executive board,EXECUTIVE,IN_HOUSE,,,Chief Executive Officer,CEO")
        );
        assert!(!text.contains("Old team"), "archived units are left out");
        assert!(text.contains("\"Finance, \"\"group\"\"\""), "{text}");
        // "Sales" names two units: their subordinates name them by id.
        let pumps_sales = live
            .lines
            .iter()
            .find(|l| l.unit_id == id_of(&live, "Pumps marketing") && l.kind == "SOLID")
            .unwrap()
            .superior_unit_id;
        let pumps_mkt = lines
            .iter()
            .find(|l| l.contains("Pumps marketing,"))
            .unwrap();
        assert!(
            pumps_mkt.contains(&format!(",{pumps_sales},Executive board,")),
            "{pumps_mkt}"
        );
        // Depth order: the board, then its three, then the sales teams, then marketing.
        let depth_of = |name: &str| lines.iter().position(|l| l.contains(name)).unwrap();
        assert!(depth_of("Finance") < depth_of(",Sales,"));
        assert!(depth_of(",Sales,") < depth_of("Pumps marketing"));
    }

    #[test]
    fn a_unit_moved_under_a_new_unit_creates_it_then_moves() {
        let live = northwind();
        let text = csv(&live, |records| {
            row_named(records, "Pumps marketing")[4] = "Marketing center".to_owned();
            records.push(
                [
                    "",
                    "Marketing center",
                    "MARKETING",
                    "",
                    "Executive board",
                    "",
                    "Chief Marketing Officer",
                    "CMO",
                ]
                .map(str::to_owned)
                .to_vec(),
            );
        });
        let rows = parse(text.as_bytes(), 10_000).unwrap();
        let list = changes(&live, &rows).unwrap();
        let exec = id_of(&live, "Executive board").to_string();
        let pumps_mkt = id_of(&live, "Pumps marketing").to_string();
        assert_eq!(list.len(), 3, "{list:#?}");
        assert!(matches!(&list[0], Change::CreateUnit(c)
            if c.key == "marketing-center" && c.superior_unit_id.as_ref().map(|s| s.as_str()) == Some(exec.as_str())));
        assert!(matches!(&list[1], Change::MoveUnit(c)
            if c.unit_id.as_str() == pumps_mkt && c.superior_unit_id.as_str() == "marketing-center"));
        assert!(matches!(&list[2], Change::CreatePosition(c)
            if c.unit_id.as_str() == "marketing-center" && c.role == PositionRole::Cmo));

        let after = applied(&live, &list);
        assert_eq!(shape(&after), {
            let mut expected = shape(&live);
            for s in &mut expected {
                if s.starts_with("Pumps marketing ") {
                    *s = s.replace("<Sales>", "<Marketing center>");
                }
            }
            expected.push(
                "Marketing center MARKETING IN_HOUSE <Executive board> [] Some(Head { title: \"Chief Marketing Officer\", role: Cmo })"
                    .to_owned(),
            );
            expected.sort();
            expected
        });
        let d = diff(&live, &after, &[], &[]);
        assert_eq!(d.units_added.len(), 1);
        assert_eq!(d.units_moved.len(), 1);
        assert_eq!(d.units_moved[0].unit.to_string(), pumps_mkt);
    }

    #[test]
    fn a_unit_left_out_is_archived_after_its_subordinates_move_away() {
        let live = northwind();
        let valves = id_of(&live, "Valves").to_string();
        // Valves and its sales team go; Valves marketing moves to the board.
        let text = csv(&live, |records| {
            records.retain(|r| r[1] != "Valves" && r[4] != "Valves");
            row_named(records, "Valves marketing")[4] = "Executive board".to_owned();
        });
        let rows = parse(text.as_bytes(), 10_000).unwrap();
        let list = changes(&live, &rows).unwrap();
        let kinds: Vec<&str> = list.iter().map(Change::kind).collect();
        assert_eq!(
            kinds,
            ["moveUnit", "archiveUnit", "archiveUnit"],
            "{list:#?}"
        );
        // The sales team (deeper) is archived before its business unit.
        let valves_sales = live
            .lines
            .iter()
            .find(|l| l.unit_id == id_of(&live, "Valves marketing") && l.kind == "SOLID")
            .unwrap()
            .superior_unit_id
            .to_string();
        assert!(matches!(&list[1], Change::ArchiveUnit(c) if c.unit_id.as_str() == valves_sales));
        assert!(matches!(&list[2], Change::ArchiveUnit(c) if c.unit_id.as_str() == valves));
        let after = applied(&live, &list);
        let d = diff(&live, &after, &[], &[]);
        assert_eq!(d.units_archived.len(), 2);
        assert_eq!(d.units_moved.len(), 1);
        assert_eq!(
            changes(&after, &parse(text.as_bytes(), 10_000).unwrap())
                .unwrap()
                .len(),
            0,
            "the file describes the structure the changes make"
        );
    }

    #[test]
    fn a_reshuffled_file_applies_without_a_cycle_and_yields_its_structure() {
        let live = northwind();
        // Turn the tree upside down: Pumps marketing on top, the board under it, the
        // business units under finance; the DOTTED line goes to Valves; heads change.
        let text = csv(&live, |records| {
            row_named(records, "Pumps marketing")[4] = String::new();
            row_named(records, "Pumps marketing")[5] = "Valves".to_owned();
            row_named(records, "Pumps marketing")[6] = String::new();
            row_named(records, "Pumps marketing")[7] = String::new();
            row_named(records, "Executive board")[4] = "Pumps marketing".to_owned();
            row_named(records, "Executive board")[6] = "CEO".to_owned();
            row_named(records, "Pumps")[4] = "Finance, \"group\"".to_owned();
            row_named(records, "Pumps")[3] = "OUTSOURCED".to_owned();
            row_named(records, "Valves")[4] = "Finance, \"group\"".to_owned();
            row_named(records, "Valves marketing")[1] = "Valves marketing team".to_owned();
            row_named(records, "Finance, \"group\"")[6] = "CFO".to_owned();
            row_named(records, "Finance, \"group\"")[7] = "OTHER".to_owned();
        });
        let rows = parse(text.as_bytes(), 10_000).unwrap();
        let list = changes(&live, &rows).unwrap();
        let after = applied(&live, &list);
        let expected: Vec<String> = {
            let reparsed = parse(text.as_bytes(), 10_000).unwrap();
            let mut out: Vec<String> = reparsed
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {} <{}> [{}] {:?}",
                        r.name,
                        r.function.as_str(),
                        r.sourcing.as_str(),
                        r.solid_superior.map_or("", |s| reparsed[s].name.as_str()),
                        r.dotted_superiors
                            .iter()
                            .map(|&d| reparsed[d].name.as_str())
                            .collect::<Vec<_>>()
                            .join(";"),
                        r.head
                    )
                })
                .collect();
            out.sort();
            out
        };
        assert_eq!(shape(&after), expected, "{list:#?}");
        assert!(changes(&after, &rows).unwrap().is_empty());
        // The head the file drops is archived; the deputy stays.
        assert!(list.iter().any(|c| matches!(c, Change::ArchivePosition(_))));
    }

    #[test]
    fn new_units_are_keyed_by_name_uniquely_and_never_like_an_id() {
        let mut taken = HashSet::new();
        assert_eq!(key_for("Marketing center", &mut taken), "marketing-center");
        assert_eq!(
            key_for("Marketing  Center!", &mut taken),
            "marketing-center-2"
        );
        assert_eq!(key_for("Über-Team", &mut taken), "ber-team");
        assert_eq!(key_for("???", &mut taken), "unit");
        let id = Uuid::now_v7().to_string();
        assert_eq!(key_for(&id, &mut taken), format!("unit-{id}"));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let header = COLUMNS.join(",");
        let cases = [
            (
                format!("{header}\n,A,EXECUTIVE,,,,,\n,B,NOPE,,A,,,\n"),
                "line[3].function",
            ),
            (
                format!("{header}\n,A,EXECUTIVE,,,,,\n,B,SALES,,Z,,,\n"),
                "line[3].solid_superior",
            ),
            (
                format!("{header}\n,A,EXECUTIVE,,,,,\n,A,SALES,,,,,\n,C,SALES,,A,,,\n"),
                "line[4].solid_superior",
            ),
            (
                format!("{header}\n,A,EXECUTIVE,,C,,,\n,B,SALES,,A,,,\n,C,SALES,,B,,,\n"),
                "line[2].solid_superior",
            ),
            (
                format!("{header}\n,A,EXECUTIVE,,,A,,\n"),
                "line[2].dotted_superiors",
            ),
            (
                format!("{header}\nnot-an-id,A,EXECUTIVE,,,,,\n"),
                "line[2].id",
            ),
            (format!("{header}\n,,EXECUTIVE,,,,,\n"), "line[2].unit"),
            (
                format!("{header}\n,A,EXECUTIVE,,,,Boss,\n"),
                "line[2].head_role",
            ),
            (
                format!("{header}\n,A,EXECUTIVE,,,,Boss,KING\n"),
                "line[2].head_role",
            ),
            (
                format!("{header}\n,A,EXECUTIVE,,,,,CEO\n"),
                "line[2].head_position",
            ),
            (
                format!("{header}\n,A,EXECUTIVE,BORROWED,,,,\n"),
                "line[2].sourcing",
            ),
            (format!("{header}\n,A,EXECUTIVE\n"), "line[2]"),
            (format!("{header}\n,\"A,EXECUTIVE,,,,,\n"), "line[2]"),
            (format!("{header},extra\n"), "header"),
            ("id,unit\n".to_owned(), "header"),
            (String::new(), "header"),
            (
                format!("{header}\n,\"A\0\",EXECUTIVE,,,,,\n"),
                "line[2].unit",
            ),
        ];
        for (text, expected) in cases {
            let (field, message) = error_of(&text);
            assert_eq!(field, expected, "{text:?}: {message}");
            let shown = Error::bad_input(&field, &message).to_string();
            assert!(shown.starts_with(expected), "{shown}");
        }
        let id = Uuid::now_v7();
        let (field, message) = error_of(&format!(
            "{header}\n{id},A,EXECUTIVE,,,,,\n{id},B,SALES,,,,,\n"
        ));
        assert_eq!(field, "line[3].id", "{message}");
    }

    #[test]
    fn a_file_may_order_its_columns_leave_optional_ones_out_and_carry_a_bom() {
        let rows = parse(
            "\u{feff}Unit,Function,solid_superior\nBoard,executive,\nMarketing,MARKETING,Board\n"
                .as_bytes(),
            10,
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].solid_superior, Some(0));
        assert_eq!(rows[1].sourcing, Sourcing::InHouse);
        assert_eq!(rows[0].function, UnitFunction::Executive);
    }

    #[test]
    fn too_many_rows_is_a_limit() {
        let text = format!("{}\n,A,EXECUTIVE,,,,,\n,B,SALES,,A,,,\n", COLUMNS.join(","));
        assert!(matches!(
            parse(text.as_bytes(), 1),
            Err(Error::LimitExceeded(_))
        ));
    }

    #[test]
    fn ids_must_be_active_units_of_the_organization() {
        let live = northwind();
        let header = COLUMNS.join(",");
        let stranger = Uuid::now_v7();
        let rows = parse(
            format!("{header}\n{stranger},A,EXECUTIVE,,,,,\n").as_bytes(),
            10,
        )
        .unwrap();
        let err = changes(&live, &rows).unwrap_err();
        assert_eq!(err.field(), Some("line[2].id"));
        let archived = id_of(&live, "Old team");
        let rows = parse(
            format!("{header}\n{archived},A,EXECUTIVE,,,,,\n").as_bytes(),
            10,
        )
        .unwrap();
        let err = changes(&live, &rows).unwrap_err();
        assert_eq!(err.field(), Some("line[2].id"));
        assert!(err.to_string().contains("archived"), "{err}");
    }
}
