//! The HTML report of `slant compare --html`: one self-contained page.
//!
//! Everything is inline: the style sheet, and the charts as SVG generated here. The page has no
//! script and loads nothing (its Content-Security-Policy forbids every fetch), so it renders the
//! same offline, from an e-mail attachment, or years later. The output is deterministic: no
//! timestamps, outlets in sorted order.
//!
//! Charts:
//! - one `<g class="bar-group">` per outlet: a stacked bar of the shares of its paragraphs by
//!   predicted class, and under it one dot with a whisker per class: that class's share with its
//!   95% bootstrap interval, on the same axis;
//! - when the model has `hawkish` and `conciliatory`, one `<g class="net-group">` per outlet: the
//!   net slant index with its interval on a −1…+1 axis.

use std::fmt::Write;

use crate::compare::{Comparison, Estimate, OutletStats, SMALL_OUTLET_ARTICLES, UNTESTED_UNKNOWN};
use crate::report::compare::{fmt_estimate, small_warning, training_warning, ModelInfo};

/// Width of every chart, in SVG user units (pixels at 100% zoom).
const WIDTH: f64 = 960.0;
/// Room for outlet and class names on the left of the plot.
const LEFT: f64 = 220.0;
const RIGHT: f64 = 30.0;
const BAR_H: f64 = 28.0;
/// Height of one class's dot-and-whisker row.
const ROW_H: f64 = 13.0;
/// Space between outlets.
const GAP: f64 = 34.0;

/// Colours that stay distinct for the common colour-vision deficiencies (Okabe and Ito's
/// palette): the three stance classes get fixed ones, any other class the next free colour.
fn class_colour(class: &str, index: usize) -> &'static str {
    match class {
        "conciliatory" => "#0072B2",
        "critical" => "#CC79A7",
        "hawkish" => "#D55E00",
        _ => [
            "#009E73", "#E69F00", "#56B4E9", "#F0E442", "#999999", "#000000",
        ][index % 6],
    }
}

/// Black or white, whichever contrasts more with a `#RRGGBB` colour (WCAG relative luminance).
fn text_on(hex: &str) -> &'static str {
    let channel = |i: usize| {
        let v = u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0) as f64 / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    if (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) {
        "#000000"
    } else {
        "#ffffff"
    }
}

/// Escapes text for HTML and SVG content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn pct(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// x position of a share (0..1) in the share chart.
fn share_x(v: f64) -> f64 {
    LEFT + v.clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT)
}

/// A small warning triangle with an exclamation mark, its left corner at (x, y) baseline.
fn warning_icon(out: &mut String, x: f64, y: f64) {
    let _ = write!(
        out,
        r##"<path d="M{:.1} {:.1} l6 -11 l6 11 z" fill="#F0E442" stroke="#5c4b00" stroke-width="1"/><text x="{:.1}" y="{:.1}" class="warn-mark">!</text>"##,
        x,
        y,
        x + 6.0,
        y - 1.5
    );
}

/// A dot with a horizontal whisker: `value` and `ci95` mapped through `x`, centred on `y`.
fn dot_whisker(out: &mut String, x: impl Fn(f64) -> f64, y: f64, e: &Estimate, fill: &str) {
    let (lo, hi, v) = (x(e.ci95[0]), x(e.ci95[1]), x(e.value));
    let _ = write!(
        out,
        r##"<line class="whisker" x1="{lo:.1}" y1="{y:.1}" x2="{hi:.1}" y2="{y:.1}"/><line class="whisker" x1="{lo:.1}" y1="{:.1}" x2="{lo:.1}" y2="{:.1}"/><line class="whisker" x1="{hi:.1}" y1="{:.1}" x2="{hi:.1}" y2="{:.1}"/><circle cx="{v:.1}" cy="{y:.1}" r="4.5" fill="{fill}" stroke="#222" stroke-width="1.2"/>"##,
        y - 4.0,
        y + 4.0,
        y - 4.0,
        y + 4.0
    );
}

/// The stacked-bar chart of shares, one `bar-group` per outlet.
fn share_chart(c: &Comparison) -> String {
    let k = c.classes.len();
    let block = BAR_H + 8.0 + ROW_H * k as f64 + GAP;
    let top = 44.0;
    let plot_h = block * c.outlets.len() as f64;
    let height = top + plot_h + 52.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="share-title share-desc"><title id="share-title">Share of each outlet's paragraphs by predicted stance</title><desc id="share-desc">One stacked bar per outlet; under each bar, every stance's share as a dot with its 95% bootstrap interval over articles.</desc>"#
    );
    // Legend.
    let mut lx = LEFT;
    for (i, class) in c.classes.iter().enumerate() {
        let _ = write!(
            s,
            r##"<rect x="{lx:.1}" y="12" width="14" height="14" fill="{}" stroke="#222" stroke-width="0.5"/><text x="{:.1}" y="24" class="legend">{}</text>"##,
            class_colour(class, i),
            lx + 20.0,
            escape(class)
        );
        lx += 34.0 + 8.5 * class.chars().count() as f64;
    }
    // Grid and ticks.
    for t in 0..=10 {
        let v = t as f64 / 10.0;
        let x = share_x(v);
        let major = t % 2 == 0;
        let _ = write!(
            s,
            r#"<line class="{}" x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}"/>"#,
            if major { "grid" } else { "grid minor" },
            top + plot_h
        );
        if major {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{:.1}" class="tick">{}</text>"#,
                top + plot_h + 16.0,
                pct(v)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" class="axis-title">Share of the outlet's paragraphs (bar: all stances stacked; dots: each stance's share, whiskers: 95% interval)</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        top + plot_h + 40.0
    );
    for (n, o) in c.outlets.iter().enumerate() {
        let y = top + block * n as f64 + 6.0;
        let _ = write!(
            s,
            r#"<g class="bar-group" data-outlet="{}"><text x="{:.1}" y="{:.1}" class="outlet">{}</text>"#,
            escape(&o.outlet),
            LEFT - 10.0,
            y + 12.0,
            escape(&o.outlet)
        );
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" class="counts">{} article{}, {} paragraphs</text>"#,
            LEFT - 10.0,
            y + 25.0,
            o.articles,
            if o.articles == 1 { "" } else { "s" },
            o.paragraphs
        );
        let mut cum = 0.0;
        for (i, (class, e)) in c.classes.iter().zip(&o.shares).enumerate() {
            let colour = class_colour(class, i);
            let (x0, x1) = (share_x(cum), share_x(cum + e.value));
            cum += e.value;
            if x1 - x0 <= 0.0 {
                continue;
            }
            let _ = write!(
                s,
                r#"<rect class="segment" x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{BAR_H}" fill="{colour}"><title>{}: {} of {} paragraphs</title></rect>"#,
                x1 - x0,
                escape(class),
                pct(e.value),
                o.paragraphs
            );
            if x1 - x0 >= 36.0 {
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" class="seg-label" fill="{}">{}</text>"#,
                    (x0 + x1) / 2.0,
                    y + BAR_H / 2.0 + 4.5,
                    text_on(colour),
                    pct(e.value)
                );
            }
        }
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="{BAR_H}" class="bar-frame"/>"#,
            share_x(0.0),
            share_x(1.0) - share_x(0.0)
        );
        for (i, (class, e)) in c.classes.iter().zip(&o.shares).enumerate() {
            let ry = y + BAR_H + 8.0 + ROW_H * i as f64 + ROW_H / 2.0;
            let _ = write!(
                s,
                r#"<g class="interval"><title>{}: {} (95% interval {} to {})</title><text x="{:.1}" y="{:.1}" class="row-label">{}</text>"#,
                escape(class),
                pct(e.value),
                pct(e.ci95[0]),
                pct(e.ci95[1]),
                LEFT - 10.0,
                ry + 3.5,
                escape(class)
            );
            dot_whisker(&mut s, share_x, ry, e, class_colour(class, i));
            s.push_str("</g>");
        }
        if o.is_small() {
            let wy = y + BAR_H + 8.0 + ROW_H * k as f64 + 14.0;
            warning_icon(&mut s, 8.0, wy);
            let _ = write!(
                s,
                r#"<text x="26" y="{:.1}" class="warn-text">{}</text>"#,
                wy - 1.0,
                escape(&small_warning(o).unwrap_or_default())
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    s
}

/// The net slant chart, when every outlet has a net slant.
fn net_chart(c: &Comparison) -> Option<String> {
    let nets: Vec<(&OutletStats, Estimate)> = c
        .outlets
        .iter()
        .map(|o| o.net_slant.map(|n| (o, n)))
        .collect::<Option<_>>()?;
    let row = 34.0;
    let top = 30.0;
    let plot_h = row * nets.len() as f64;
    let height = top + plot_h + 56.0;
    let x = |v: f64| LEFT + (v.clamp(-1.0, 1.0) + 1.0) / 2.0 * (WIDTH - LEFT - RIGHT);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="net-title"><title id="net-title">Net slant index by outlet: hawkish share minus conciliatory share, with 95% intervals</title>"#
    );
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="18" class="end-label" text-anchor="start">&#8592; more conciliatory</text><text x="{:.1}" y="18" class="end-label" text-anchor="end">more hawkish &#8594;</text>"##,
        x(-1.0),
        x(1.0)
    );
    for t in -4..=4 {
        let v = t as f64 / 4.0;
        let label = if t == 0 {
            "0".to_string()
        } else {
            format!("{v:+.2}")
        };
        let _ = write!(
            s,
            r#"<line class="{}" x1="{:.1}" y1="{top:.1}" x2="{:.1}" y2="{:.1}"/><text x="{:.1}" y="{:.1}" class="tick">{label}</text>"#,
            if t == 0 { "grid zero" } else { "grid" },
            x(v),
            x(v),
            top + plot_h,
            x(v),
            top + plot_h + 16.0,
        );
    }
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{:.1}" class="axis-title">Net slant index = hawkish share &#8722; conciliatory share (&#8722;1 all conciliatory, +1 all hawkish); whiskers: 95% interval</text>"##,
        (LEFT + WIDTH - RIGHT) / 2.0,
        top + plot_h + 40.0
    );
    for (n, (o, e)) in nets.iter().enumerate() {
        let y = top + row * n as f64 + row / 2.0;
        let _ = write!(
            s,
            r#"<g class="net-group" data-outlet="{}"><title>{}: {:+.2} (95% interval {:+.2} to {:+.2})</title><text x="{:.1}" y="{:.1}" class="outlet">{}</text>"#,
            escape(&o.outlet),
            escape(&o.outlet),
            e.value,
            e.ci95[0],
            e.ci95[1],
            LEFT - 10.0,
            y + 4.5,
            escape(&o.outlet)
        );
        if o.is_small() {
            warning_icon(&mut s, 8.0, y + 5.0);
        }
        dot_whisker(&mut s, x, y, e, "#444444");
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    Some(s)
}

const STYLE: &str = r##"
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1a1a1a; background: #fff; margin: 24px auto; max-width: 1000px; padding: 0 16px; line-height: 1.45; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
p.lede { color: #333; margin-top: 0.2rem; }
figure { margin: 1rem 0; overflow-x: auto; }
figcaption { font-size: 0.85rem; color: #444; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: right; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { overflow-x: auto; }
.warn.wrap { white-space: normal; }
h3 { font-size: 1rem; margin-top: 1.2rem; }
.warn { display: inline-block; white-space: nowrap; background: #fff6bf; border: 1px solid #b59a00; color: #4d3d00; border-radius: 3px; padding: 0 5px; font-size: 0.8rem; margin-top: 2px; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border: 1px solid #222; margin-right: 4px; vertical-align: -0.05em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; font-size: 0.85rem; }
dt { font-weight: bold; }
dd { margin: 0; word-break: break-all; }
svg text { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
.legend { font-size: 13px; }
.outlet { font-size: 13px; font-weight: bold; text-anchor: end; }
.counts, .row-label { font-size: 10.5px; fill: #444; text-anchor: end; }
.tick { font-size: 11px; fill: #333; text-anchor: middle; }
.axis-title { font-size: 12px; fill: #222; text-anchor: middle; }
.end-label { font-size: 12px; fill: #222; }
.seg-label { font-size: 12px; font-weight: bold; text-anchor: middle; }
.grid { stroke: #d0d0d0; stroke-width: 1; }
.grid.minor { stroke: #ececec; }
.grid.zero { stroke: #555; stroke-width: 1.5; }
.bar-frame { fill: none; stroke: #222; stroke-width: 1; }
.whisker { stroke: #222; stroke-width: 1.5; }
.warn-mark { font-size: 9px; font-weight: bold; text-anchor: middle; fill: #222; }
.warn-text { font-size: 11px; fill: #5c4b00; }
"##;

/// Renders the page.
pub fn render_html(c: &Comparison, model: &ModelInfo, outlets_from: &str) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(h, "<title>slant: predicted stance by outlet</title>");
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(h, "<h1>Predicted stance by outlet</h1>");
    let classes: Vec<String> = c
        .classes
        .iter()
        .enumerate()
        .map(|(i, cl)| {
            format!(
                r#"<span class="swatch" style="background:{}"></span>{}"#,
                class_colour(cl, i),
                escape(cl)
            )
        })
        .collect();
    let _ = writeln!(
        h,
        "<p class=\"lede\">Each paragraph of each article was labelled by the model as one of {}. \
         An outlet's share of a stance is the share of its paragraphs with that label. \
         Intervals are 95% percentile intervals from {} bootstrap resamples of the outlet's <em>articles</em> (seed {}). \
         These are a model's predictions, not hand labels: read them with the model's held-out score below.</p>",
        classes.join(", "),
        c.config.resamples,
        c.config.seed
    );
    let small: Vec<&str> = c
        .outlets
        .iter()
        .filter(|o| o.is_small())
        .map(|o| o.outlet.as_str())
        .collect();
    if !small.is_empty() {
        let _ = writeln!(
            h,
            "<p><span class=\"warn\">&#9888; {} of {} outlets have fewer than {SMALL_OUTLET_ARTICLES} articles ({}): their intervals rest on too few articles to be trusted.</span></p>",
            small.len(),
            c.outlets.len(),
            escape(&small.join(", "))
        );
    }
    if let Some(w) = training_warning(c) {
        let _ = writeln!(
            h,
            "<p><span class=\"warn wrap\">&#9888; {}.</span></p>",
            escape(&w)
        );
    }
    let _ = writeln!(
        h,
        "<figure>{}<figcaption>Stacked bars: shares of all stances (they add up to 100%). Dots and whiskers under each bar: each stance's share and its 95% interval.</figcaption></figure>",
        share_chart(c)
    );
    if let Some(net) = net_chart(c) {
        let _ = writeln!(h, "<figure>{net}<figcaption>Net slant index with its 95% interval from the same article resamples. A yellow triangle marks an outlet with fewer than {SMALL_OUTLET_ARTICLES} articles.</figcaption></figure>");
    }

    // The outlet tables.
    let _ = writeln!(
        h,
        "<h2>Outlets</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>outlet</th><th>articles</th><th>paragraphs</th>"
    );
    for cl in &c.classes {
        let _ = write!(h, "<th>{} share [95% CI]</th>", escape(cl));
    }
    let has_net = c.outlets.iter().any(|o| o.net_slant.is_some());
    if has_net {
        h.push_str("<th>net slant [95% CI]</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for o in &c.outlets {
        let _ = write!(h, "<tr><td>{}", escape(&o.outlet));
        if o.is_small() {
            let _ = write!(
                h,
                " <span class=\"warn\" title=\"{}\">&#9888; under {SMALL_OUTLET_ARTICLES} articles</span>",
                escape(&small_warning(o).unwrap_or_default())
            );
        }
        if o.empty_articles > 0 {
            let _ = write!(
                h,
                "<br><span class=\"warn\">{} article(s) without content paragraphs left out</span>",
                o.empty_articles
            );
        }
        if o.in_training > 0 {
            let _ = write!(
                h,
                "<br><span class=\"warn\">{} paragraphs in the training data</span>",
                o.in_training
            );
        }
        let _ = write!(
            h,
            "</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            o.articles, o.paragraphs
        );
        for e in &o.shares {
            let _ = write!(h, "<td class=\"num\">{}</td>", fmt_estimate(e));
        }
        if has_net {
            let _ = write!(
                h,
                "<td class=\"num\">{}</td>",
                o.net_slant.as_ref().map(fmt_estimate).unwrap_or_default()
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");
    let _ = writeln!(
        h,
        "<h3>Mean class probabilities</h3>\n<div class=\"scroll\"><table>\n<thead><tr><th>outlet</th>"
    );
    for cl in &c.classes {
        let _ = write!(h, "<th>mean p({})</th>", escape(cl));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for o in &c.outlets {
        let _ = write!(h, "<tr><td>{}</td>", escape(&o.outlet));
        for p in &o.mean_probs {
            let _ = write!(h, "<td class=\"num\">{p:.3}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");

    if !c.pairs.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Pairwise differences</h2>\n<p>First outlet minus second. p: two-sided permutation test that shuffles whole articles between the two outlets ({} permutations, seed {}); p = (1 + permutations at least as extreme) / (1 + permutations). Not adjusted for multiple comparisons.</p>",
            c.config.permutations, c.config.seed
        );
        if c.has_unknown() {
            let _ = writeln!(h, "<p>{}</p>", escape(UNTESTED_UNKNOWN));
        }
        h.push_str("<table>\n<thead><tr><th>outlets</th><th>measure</th><th>difference</th><th>p</th></tr></thead>\n<tbody>\n");
        for p in &c.pairs {
            let _ = writeln!(
                h,
                "<tr><td>{} vs {}</td><td>{}</td><td class=\"num\">{:+.3}</td><td class=\"num\">{:.4}</td></tr>",
                escape(&p.a),
                escape(&p.b),
                escape(&p.measure),
                p.difference,
                p.p_value
            );
        }
        h.push_str("</tbody>\n</table>\n");
    }

    // Provenance.
    let _ = writeln!(h, "<h2>Model and method</h2>\n<dl>");
    let mut dd = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    };
    dd("model file", model.path.clone());
    dd("written by", format!("slant {}", model.crate_version));
    dd("trained on", model.trained_on());
    dd(
        "training data SHA-256",
        model
            .training_files
            .iter()
            .map(|f| format!("{}: {}", f.path, f.sha256))
            .collect::<Vec<_>>()
            .join("; "),
    );
    dd(
        "training data",
        format!(
            "{} paragraphs in {} articles; {}",
            model.paragraphs,
            model.groups,
            model
                .class_counts
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    dd(
        "held-out score",
        model
            .held_out_score()
            .unwrap_or_else(|| "none stored in the model".into()),
    );
    dd("outlets from", outlets_from.to_owned());
    dd(
        "intervals",
        format!(
            "{} bootstrap resamples of articles per outlet, seed {}",
            c.config.resamples, c.config.seed
        ),
    );
    dd(
        "tests",
        format!(
            "{} article permutations per pair of outlets, seed {}",
            c.config.permutations, c.config.seed
        ),
    );
    h.push_str("</dl>\n</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{compare, CompareConfig};
    use crate::output::ArticleSummary;

    fn art(doc: &str, outlet: &str, counts: [usize; 3]) -> ArticleSummary {
        ArticleSummary::from_counts(doc, outlet, &counts)
    }

    fn model() -> ModelInfo {
        ModelInfo {
            path: "m.json".into(),
            crate_version: "0.1.0".into(),
            training_files: vec![crate::model::TrainingFile {
                path: "t.tsv".into(),
                role: "data".into(),
                sha256: "ab".into(),
                paragraphs: 10,
            }],
            paragraphs: 10,
            groups: 2,
            class_counts: Default::default(),
            cross_validation: None,
        }
    }

    #[test]
    fn one_bar_group_per_outlet_no_script_and_escaped_names() {
        let classes = ["conciliatory", "critical", "hawkish"].map(String::from);
        let mut arts = vec![art("a", "<Dawn & Co>", [1, 2, 3])];
        for i in 0..5 {
            arts.push(art(&format!("p{i}"), "Print", [2, 0, 1]));
        }
        let config = CompareConfig {
            permutations: 99,
            ..CompareConfig::default()
        };
        let c = compare(&classes, &arts, &config).unwrap();
        let page = render_html(&c, &model(), "m.tsv");
        assert_eq!(page.matches(r#"<g class="bar-group""#).count(), 2);
        assert_eq!(page.matches(r#"<g class="net-group""#).count(), 2);
        assert!(!page.contains("<script"));
        for banned in ["http:", "https:", "src=", "href=", "url(", "@import"] {
            assert!(
                !page.contains(banned),
                "{banned}: the page must load nothing"
            );
        }
        assert!(page.contains("&lt;Dawn &amp; Co&gt;") && !page.contains("<Dawn"));
        // The small outlet is warned about, in the chart and in the table; Print is not.
        assert!(page.contains("only 1 article: fewer than 5"));
        assert_eq!(page.matches("&#9888; under 5 articles").count(), 1);
        assert_eq!(page, render_html(&c, &model(), "m.tsv"), "deterministic");
    }

    #[test]
    fn segment_text_contrasts_with_its_colour() {
        assert_eq!(text_on("#0072B2"), "#ffffff");
        assert_eq!(text_on("#D55E00"), "#000000");
        assert_eq!(text_on("#F0E442"), "#000000");
        assert_eq!(text_on("#000000"), "#ffffff");
    }
}
