//! Reading a structure file back, checked line by line.

use std::{collections::HashMap, io::Read};

use uuid::Uuid;

use super::*;
use crate::{
    Name, PositionRole, Sourcing, UnitFunction,
    error::{Error, Result},
};

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
