//! Cells a spreadsheet would run as formulas. A name such as `=cmd|' /C calc'!A0` is text on
//! the register, but Excel and WPS execute it when they open a CSV. CSV cells that begin with
//! `= + - @`, a tab or a carriage return are written with a leading apostrophe (OWASP's rule),
//! and reading takes that apostrophe off again, so export → import → export changes nothing.

use std::borrow::Cow;

fn starts_like_a_formula(text: &str) -> bool {
    text.trim_start_matches('\'')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A cell as a CSV file carries it. Values that already begin with apostrophes before such a
/// character get one more, so that `restore` is exact.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if starts_like_a_formula(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell as the register keeps it: `neutralise` undone.
pub fn restore(cell: String) -> String {
    if cell.starts_with('\'') && starts_like_a_formula(&cell) {
        cell[1..].to_string()
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text_and_read_back_unchanged() {
        for value in [
            "=cmd|' /C calc'!A0",
            "+SUM(1,2)",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)",
            "=HYPERLINK(\"http://x\",\"y\")",
            "\tx",
            "'=already quoted",
            "''-twice",
        ] {
            let written = neutralise(value);
            assert!(written.starts_with('\''), "{value:?} → {written:?}");
            assert_eq!(restore(written.into_owned()), value);
        }
        for plain in [
            "王𪚥",
            "长江路1号",
            "",
            "'apostrophe",
            "13800008000",
            "2024-03-05",
        ] {
            assert_eq!(neutralise(plain), plain);
            assert_eq!(restore(plain.to_string()), plain);
        }
    }
}
