//! The report's charts, drawn as SVG on the server (no JavaScript library). Each chart's
//! numbers are also given as a table beside it, its text alternative.

use std::fmt::Write;

use renkou_core::stats::figures::BySex;
use renkou_store::MonthBirths;

/// Escapes text for SVG (names of areas and methods).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn scale(n: i64, max: i64, width: f64) -> f64 {
    if max <= 0 {
        0.0
    } else {
        n.max(0) as f64 / max as f64 * width
    }
}

/// The population pyramid: men to the left, women to the right, the youngest at the bottom.
pub fn pyramid(bands: &[(String, BySex)], title: &str) -> String {
    let (w, row, mid) = (520.0, 16.0, 56.0);
    let half = (w - mid) / 2.0 - 30.0;
    let max = bands
        .iter()
        .map(|(_, b)| b.male.max(b.female))
        .max()
        .unwrap_or(0);
    let h = row * bands.len() as f64 + 8.0;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(title)
    );
    for (i, (name, b)) in bands.iter().rev().enumerate() {
        let y = 4.0 + i as f64 * row;
        let centre = w / 2.0;
        let lm = scale(b.male, max, half);
        let lf = scale(b.female, max, half);
        let _ = write!(
            s,
            r#"<rect class="m" x="{:.1}" y="{y}" width="{lm:.1}" height="{}"/><rect class="f" x="{:.1}" y="{y}" width="{lf:.1}" height="{}"/><text x="{centre}" y="{:.1}" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end" class="n">{}</text><text x="{:.1}" y="{:.1}" class="n">{}</text>"#,
            centre - mid / 2.0 - lm,
            row - 3.0,
            centre + mid / 2.0,
            row - 3.0,
            y + row - 5.0,
            esc(name),
            centre - mid / 2.0 - lm - 3.0,
            y + row - 5.0,
            b.male,
            centre + mid / 2.0 + lf + 3.0,
            y + row - 5.0,
            b.female,
        );
    }
    s.push_str("</svg>");
    s
}

/// Births per month by sex: two bars a month.
pub fn births(months: &[MonthBirths], title: &str) -> String {
    let (w, h, base) = (520.0, 180.0, 150.0);
    let max = months
        .iter()
        .map(|m| m.male.max(m.female))
        .max()
        .unwrap_or(0);
    let slot = (w - 20.0) / months.len().max(1) as f64;
    let bar = (slot - 6.0) / 2.0;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><line x1="10" y1="{base}" x2="{}" y2="{base}" class="axis"/>"#,
        esc(title),
        w - 10.0
    );
    for (i, m) in months.iter().enumerate() {
        let x = 10.0 + i as f64 * slot + 3.0;
        let hm = scale(m.male, max, base - 20.0);
        let hf = scale(m.female, max, base - 20.0);
        let _ = write!(
            s,
            r#"<rect class="m" x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{hm:.1}"/><rect class="f" x="{:.1}" y="{:.1}" width="{bar:.1}" height="{hf:.1}"/><text x="{:.1}" y="{:.1}" text-anchor="middle" class="n">{}</text>"#,
            base - hm,
            x + bar,
            base - hf,
            x + bar,
            base + 14.0,
            esc(&m.month[5..]),
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars, one per item, with its number at the end.
pub fn bars(items: &[(String, i64)], title: &str) -> String {
    let (w, row, label) = (520.0, 20.0, 150.0);
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let h = row * items.len() as f64 + 8.0;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(title)
    );
    for (i, (name, n)) in items.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let l = scale(*n, max, w - label - 60.0);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="bar" x="{label}" y="{y}" width="{l:.1}" height="{:.1}"/><text x="{:.1}" y="{:.1}" class="n">{n}</text>"#,
            label - 6.0,
            y + row - 7.0,
            esc(name),
            row - 5.0,
            label + l + 4.0,
            y + row - 7.0,
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_each_bar_is_drawn() {
        let svg = bars(&[("A<B".into(), 3), ("C".into(), 0)], "t\"");
        assert!(svg.contains("A&lt;B") && svg.contains("t&quot;"));
        assert_eq!(svg.matches("<rect").count(), 2);
        let p = pyramid(&[("0-4".into(), BySex { male: 2, female: 1 })], "p");
        assert!(p.contains(">2<") && p.contains(">1<"));
    }
}
