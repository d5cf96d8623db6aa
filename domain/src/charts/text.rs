//! Fitting text into boxes without font metrics: widths are estimated per character
//! (generously, so real sans-serif fonts come out narrower), lines are wrapped at word
//! boundaries and anything that still does not fit ends with an ellipsis.

/// The estimated width of `text` in pixels at `size` pixels, in a sans-serif font.
pub fn width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| {
            let em = match c {
                'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.30,
                'f' | 't' | 'r' | 'I' | ' ' | '(' | ')' | '-' => 0.40,
                'm' | 'w' | 'M' | 'W' | '@' => 0.90,
                c if c.is_ascii_uppercase() || c.is_ascii_digit() => 0.68,
                c if c.is_ascii() => 0.58,
                // Accented and other scripts: assume wide.
                _ => 0.80,
            };
            em * size
        })
        .sum()
}

/// Shortens `text` to fit `max` pixels at `size`, ending with "…" when cut.
pub fn fit(text: &str, size: f64, max: f64) -> String {
    if width(text, size) <= max {
        return text.to_owned();
    }
    let budget = max - width("…", size);
    let mut out = String::new();
    let mut used = 0.0;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]), size);
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// Wraps `text` into at most `lines` lines of `max` pixels at `size`; the last line
/// ends with "…" when the text does not fit.
pub fn wrap(text: &str, size: f64, max: f64, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut words = text.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if width(&candidate, size) <= max {
            current = candidate;
            continue;
        }
        if out.len() + 1 == lines {
            // Last line: put the rest in and cut it.
            let rest: Vec<&str> = words.collect();
            let all = if rest.is_empty() {
                candidate
            } else {
                format!("{candidate} {}", rest.join(" "))
            };
            out.push(fit(&all, size, max));
            return out;
        }
        if current.is_empty() {
            // One word longer than a line: cut it.
            out.push(fit(word, size, max));
        } else {
            out.push(std::mem::replace(&mut current, word.to_owned()));
            if width(&current, size) > max {
                current = fit(&current, size, max);
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Drops the characters XML 1.0 does not allow (controls other than tab and line
/// breaks, U+FFFE, U+FFFF), so a name holding one cannot make a document unreadable.
pub fn xml_safe(document: String) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if document.chars().all(allowed) {
        document
    } else {
        document.chars().filter(|&c| allowed(c)).collect()
    }
}

/// A number in few characters: 1.2M, 45k, 3.14, 87.
pub fn compact(value: f64) -> String {
    let abs = value.abs();
    let (scaled, suffix) = if abs >= 1e9 {
        (value / 1e9, "B")
    } else if abs >= 1e6 {
        (value / 1e6, "M")
    } else if abs >= 1e4 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let digits = if scaled.abs() >= 100.0 || scaled.fract() == 0.0 {
        0
    } else if scaled.abs() >= 10.0 {
        1
    } else {
        2
    };
    let formatted = format!("{scaled:.digits$}");
    let trimmed = if formatted.contains('.') {
        formatted.trim_end_matches('0').trim_end_matches('.')
    } else {
        &formatted
    };
    format!("{trimmed}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_cuts_the_last_line() {
        let lines = wrap("Brand and communications", 13.0, 120.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| width(l, 13.0) <= 120.0));
        assert_eq!(lines.join(" "), "Brand and communications");
        let long = wrap(
            "A very long unit name that will never fit in two short lines of a box",
            13.0,
            120.0,
            2,
        );
        assert_eq!(long.len(), 2);
        assert!(long[1].ends_with('…'));
        assert!(long.iter().all(|l| width(l, 13.0) <= 120.0));
        let word = wrap("Supercalifragilisticexpialidocious", 13.0, 80.0, 2);
        assert!(word[0].ends_with('…') && width(&word[0], 13.0) <= 80.0);
        assert_eq!(wrap("", 13.0, 80.0, 2), Vec::<String>::new());
    }

    #[test]
    fn characters_xml_forbids_are_dropped() {
        assert_eq!(
            xml_safe("<t>A\u{FFFF}B\u{1}C\tD\u{FFFE}</t>".to_owned()),
            "<t>ABC\tD</t>"
        );
        assert_eq!(xml_safe("Zürich 東京 😀".to_owned()), "Zürich 東京 😀");
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(compact(1_150_000.0), "1.15M");
        assert_eq!(compact(45_000.0), "45k");
        assert_eq!(compact(87.0), "87");
        assert_eq!(compact(1.23456), "1.23");
        assert_eq!(compact(2_500_000_000.0), "2.5B");
        assert_eq!(compact(-12_500.0), "-12.5k");
        assert_eq!(compact(0.5), "0.5");
    }
}
