//! Writing results: one JSON document per line, or aligned plain-text tables.

use std::io::Write;

use serde::Serialize;

use crate::error::{CliError, CliResult};

/// One line on stdout. A closed stdout (`mediasaur files list | head -1`) is an error, not a panic.
pub fn print_line(line: &str) -> CliResult<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::new("io", format!("cannot write to stdout: {e}")))
}

/// One JSON document on its own line on stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> CliResult<()> {
    print_line(&to_json(value)?)
}

/// `value` as one line of JSON.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> CliResult<String> {
    serde_json::to_string(value)
        .map_err(|e| CliError::new("internal", format!("cannot encode JSON: {e}")))
}

/// A table with a header, columns padded to their widest cell; the last column is not padded.
pub fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> CliResult<()> {
    table_lines(header, rows)
        .iter()
        .try_for_each(|line| print_line(line))
}

fn table_lines<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> Vec<String> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == N {
                out.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                out.push_str(cell);
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out
    };
    let mut lines = vec![line(*header)];
    lines.extend(
        rows.iter()
            .map(|row| line(row.each_ref().map(String::as_str))),
    );
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_the_widest_cell() {
        let rows = [
            ["file_1".to_owned(), "12 B".to_owned(), "a.txt".to_owned()],
            [
                "file_22".to_owned(),
                "1.0 KiB".to_owned(),
                "b/c.jpg".to_owned(),
            ],
        ];
        assert_eq!(
            table_lines(&["ID", "SIZE", "PATH"], &rows),
            [
                "ID       SIZE     PATH",
                "file_1   12 B     a.txt",
                "file_22  1.0 KiB  b/c.jpg",
            ]
        );
    }
}
