//! Charts: choose one from the result's shape, and render it with Plotters.
//!
//! category + number → bar; date or month + number → line; a single number → a big-number
//! card; anything else → table only. SVG goes to the UI and to "Export chart…"; PNG is
//! rasterised with an embedded DejaVu Sans, so no system font or fontconfig is needed.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use serde_json::Value;

/// Registered under the generic name so SVG viewers use their own sans-serif and PNGs use ours.
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();
/// Above this many categories a bar chart stops being readable.
const MAX_BARS: usize = 40;
const ACCENT: RGBColor = RGBColor(37, 99, 235);
/// A pie's slices, biggest first: at most [`MAX_SLICES`] and "Other".
const SLICE_COLORS: [RGBColor; 7] = [
    RGBColor(37, 99, 235),
    RGBColor(13, 148, 136),
    RGBColor(234, 88, 12),
    RGBColor(147, 51, 234),
    RGBColor(202, 138, 4),
    RGBColor(219, 39, 119),
    RGBColor(148, 163, 184),
];
/// A pie shows at most this many slices; the rest are one "Other" slice.
pub const MAX_SLICES: usize = 6;
/// At most this many series (lines or bars in a group) are told apart by colour.
pub const MAX_SERIES: usize = 6;
/// Above this many groups, shares read better as bars.
const MAX_PIE_GROUPS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Bar,
    Line,
    Number,
    Pie,
    Scatter,
}

impl ChartKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bar => "bar",
            Self::Line => "line",
            Self::Number => "number",
            Self::Pie => "pie",
            Self::Scatter => "scatter",
        }
    }
}

/// Which chart, over which columns.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    pub kind: ChartKind,
    /// Column on the x axis (categories or dates); empty for a number card.
    pub x: String,
    /// Column of the plotted number.
    pub y: String,
    pub title: String,
    /// A second grouping drawn as one series each (grouped bars, several lines): "sales by
    /// region and channel".
    pub series: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart could not be drawn: {0}")]
    Draw(String),
    #[error("the chart's columns are not in the result")]
    MissingColumn,
    #[error("the chart image could not be encoded")]
    Encode(#[source] image::ImageError),
}

fn draw_err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

fn is_date(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let b = s.as_bytes();
        (b.len() == 7 || b.len() >= 10) && b[4] == b'-' && b[..4].iter().all(u8::is_ascii_digit)
    })
}

/// Picks a chart for a result, or none when a table says it better.
pub fn choose(columns: &[String], rows: &[Vec<Value>], title: &str) -> Option<ChartSpec> {
    if rows.is_empty() || columns.is_empty() {
        return None;
    }
    let numeric = |i: usize| {
        rows.iter()
            .all(|r| r.get(i).is_some_and(|v| v.is_number() || v.is_null()))
            && rows.iter().any(|r| r[i].is_number())
    };
    if rows.len() == 1 && columns.len() == 1 && numeric(0) {
        return Some(ChartSpec {
            kind: ChartKind::Number,
            x: String::new(),
            y: columns[0].clone(),
            title: title.to_string(),
            series: None,
        });
    }
    let Some(x) = (0..columns.len()).find(|&i| rows.iter().all(|r| r[i].is_string())) else {
        // Two measures and no labels ("price and quantity of each order"): a scatter plot.
        let mut measures = (0..columns.len()).filter(|&i| numeric(i));
        let (x, y) = (measures.next()?, measures.next()?);
        let id = |c: &str| {
            let c = c.to_ascii_lowercase();
            c == "id" || c.ends_with("_id")
        };
        return (rows.len() >= 3 && !id(&columns[x]) && !id(&columns[y])).then(|| ChartSpec {
            kind: ChartKind::Scatter,
            x: columns[x].clone(),
            y: columns[y].clone(),
            title: title.to_string(),
            series: None,
        });
    };
    let y = (0..columns.len()).find(|&i| i != x && numeric(i))?;
    // Two groupings ("sales by month and region"): one series per value of the one with fewer
    // values (a date is always the x axis), as grouped bars or several lines.
    let text_columns: Vec<usize> = (0..columns.len())
        .filter(|&i| rows.iter().all(|r| r[i].is_string()))
        .collect();
    if let [a, b] = text_columns[..] {
        let distinct = |i: usize| {
            let mut v: Vec<&str> = rows.iter().filter_map(|r| r[i].as_str()).collect();
            v.sort_unstable();
            v.dedup();
            v.len()
        };
        let dated = |i: usize| rows.iter().all(|r| is_date(&r[i]));
        let (x, series) = if dated(a) || (!dated(b) && distinct(a) >= distinct(b)) {
            (a, b)
        } else {
            (b, a)
        };
        let (xs, ss) = (distinct(x), distinct(series));
        if (2..=MAX_SERIES).contains(&ss) && xs >= 2 {
            let kind = if dated(x) {
                ChartKind::Line
            } else if xs * ss <= MAX_BARS {
                ChartKind::Bar
            } else {
                return None;
            };
            return Some(ChartSpec {
                kind,
                x: columns[x].clone(),
                y: columns[y].clone(),
                title: title.to_string(),
                series: Some(columns[series].clone()),
            });
        }
    }
    // Shares of a total ("each region's percentage of revenue"): a pie, when every part is
    // positive and there are few enough to tell apart.
    let share = columns.iter().any(|c| {
        let c = c.to_ascii_lowercase();
        c.contains("percent") || c.contains("share") || c == "pct" || c.ends_with("_pct")
    });
    let parts_positive = rows.iter().all(|r| r[y].as_f64().is_some_and(|v| v > 0.0));
    // One labelled figure ("which region had the highest profit") reads best as a number card.
    let kind = if rows.len() == 1 {
        ChartKind::Number
    } else if rows.iter().all(|r| is_date(&r[x])) {
        ChartKind::Line
    } else if share && parts_positive && rows.len() <= MAX_PIE_GROUPS {
        ChartKind::Pie
    } else if rows.len() <= MAX_BARS {
        ChartKind::Bar
    } else {
        return None;
    };
    Some(ChartSpec {
        kind,
        x: columns[x].clone(),
        y: columns[y].clone(),
        title: title.to_string(),
        series: None,
    })
}

/// Formats a number the way a business user reads it: `12,345.67`, `1,204`.
/// An axis tick: thousands grouped for wide ranges, enough decimals to tell small ticks apart
/// (a day's AI spend of $0.0037 must not read "0.00").
fn axis_label(v: f64, span: f64) -> String {
    if span >= 10.0 || !span.is_finite() || span <= 0.0 {
        return format_number(v);
    }
    let decimals = (2.0 - span.log10().floor()).clamp(1.0, 6.0) as usize;
    format!("{v:.decimals$}")
}

pub fn format_number(v: f64) -> String {
    let negative = v < 0.0;
    let rounded = (v.abs() * 100.0).round() / 100.0;
    let whole = rounded.trunc() as u64;
    let frac = ((rounded - rounded.trunc()) * 100.0).round() as u64;
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if negative && (whole > 0 || frac > 0) {
        "-"
    } else {
        ""
    };
    if v.fract() == 0.0 {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac:02}")
    }
}

fn points(
    spec: &ChartSpec,
    columns: &[String],
    rows: &[Vec<Value>],
) -> Result<Vec<(String, f64)>, ChartError> {
    let yi = columns
        .iter()
        .position(|c| *c == spec.y)
        .ok_or(ChartError::MissingColumn)?;
    let xi = if spec.kind == ChartKind::Number {
        None
    } else {
        Some(
            columns
                .iter()
                .position(|c| *c == spec.x)
                .ok_or(ChartError::MissingColumn)?,
        )
    };
    Ok(rows
        .iter()
        .map(|r| {
            let label = xi
                .map(|i| match &r[i] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            (label, r[yi].as_f64().unwrap_or(0.0))
        })
        .collect())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    spec: &ChartSpec,
    pts: &[(String, f64)],
    grouped: Option<&Grouped>,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_err)?;
    let (w, h) = root.dim_in_pixel();
    if let Some(g) = grouped {
        draw_series(root, spec, g, (w, h))?;
        return root.present().map_err(draw_err);
    }
    // More points than the chart is wide: drawn thinned (a line keeps each stretch's lowest and
    // highest point, so peaks and dips stay; a scatter every k-th point), and the title says so.
    let thinned;
    let (spec, pts) = match spec.kind {
        ChartKind::Line | ChartKind::Scatter if pts.len() > MAX_POINTS => {
            let kept = thin(pts, spec.kind);
            let spec = ChartSpec {
                title: format!(
                    "{} (showing {} of {} points; the table has them all)",
                    spec.title,
                    format_number(kept.len() as f64),
                    format_number(pts.len() as f64)
                ),
                ..spec.clone()
            };
            thinned = (spec, kept);
            (&thinned.0, thinned.1.as_slice())
        }
        _ => (spec, pts),
    };
    // Text grows with large exports (a 1200×675 PNG) and never shrinks below readable sizes.
    let caption_px = (h / 28).max(18);
    let label_px = (h / 40).max(12);
    match spec.kind {
        ChartKind::Number => {
            let value = pts.first().map_or(0.0, |p| p.1);
            let caption = match pts.first() {
                Some((label, _)) if !label.is_empty() => format!("{label} · {}", spec.title),
                _ => spec.title.clone(),
            };
            let big_style = (FONT, (h / 4).max(24)).into_font().color(&ACCENT);
            let small_style = (FONT, (h / 14).max(12))
                .into_font()
                .color(&RGBColor(71, 85, 105));
            let centre = |t: &str, f: &TextStyle<'_>| -> i32 {
                (w as i32
                    - root
                        .estimate_text_size(t, f)
                        .map(|s| s.0 as i32)
                        .unwrap_or(0))
                    / 2
            };
            let text = format_number(value);
            root.draw_text(
                &text,
                &big_style,
                (centre(&text, &big_style), (h / 3) as i32),
            )
            .map_err(draw_err)?;
            root.draw_text(
                &caption,
                &small_style,
                (centre(&caption, &small_style), (h * 3 / 4) as i32),
            )
            .map_err(draw_err)?;
        }
        ChartKind::Line => {
            let max = pts.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9) * 1.1;
            let min = pts.iter().map(|p| p.1).fold(0.0_f64, f64::min);
            let mut chart = ChartBuilder::on(root)
                .caption(&spec.title, (FONT, caption_px))
                .margin(16)
                .margin_right(40)
                .x_label_area_size(48)
                .y_label_area_size(80)
                .build_cartesian_2d(0..pts.len().saturating_sub(1).max(1), min..max)
                .map_err(draw_err)?;
            let labels: Vec<String> = pts.iter().map(|p| p.0.clone()).collect();
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE)
                .x_labels(pts.len().min(12))
                .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
                .y_label_formatter(&|v| axis_label(*v, max - min))
                .x_desc(&spec.x)
                .y_desc(&spec.y)
                .label_style((FONT, label_px))
                .draw()
                .map_err(draw_err)?;
            chart
                .draw_series(LineSeries::new(
                    pts.iter().enumerate().map(|(i, p)| (i, p.1)),
                    ACCENT.stroke_width(2),
                ))
                .map_err(draw_err)?;
            // Dots only where they can be told apart.
            if pts.len() <= MAX_DOTS {
                chart
                    .draw_series(
                        pts.iter()
                            .enumerate()
                            .map(|(i, p)| Circle::new((i, p.1), 3, ACCENT.filled())),
                    )
                    .map_err(draw_err)?;
            }
        }
        ChartKind::Pie => {
            let slices = pie_slices(pts);
            let total: f64 = slices.iter().map(|s| s.1).sum();
            let area = root
                .titled(&spec.title, (FONT, caption_px))
                .map_err(draw_err)?;
            let (aw, ah) = area.dim_in_pixel();
            let center = ((aw / 2) as i32, (ah / 2) as i32);
            let radius = f64::from(aw.min(ah)) * 0.34;
            let sizes: Vec<f64> = slices.iter().map(|s| s.1).collect();
            let colors: Vec<RGBColor> = (0..slices.len())
                .map(|i| SLICE_COLORS[i.min(SLICE_COLORS.len() - 1)])
                .collect();
            let labels: Vec<String> = slices
                .iter()
                .map(|(label, v)| format!("{label} {:.0}%", v / total.max(1e-12) * 100.0))
                .collect();
            let mut pie = Pie::new(&center, &radius, &sizes, &colors, &labels);
            pie.start_angle(-90.0);
            pie.label_style((FONT, label_px).into_font().color(&RGBColor(51, 65, 85)));
            pie.label_offset(radius * 0.12);
            area.draw(&pie).map_err(draw_err)?;
        }
        ChartKind::Scatter => {
            let xy: Vec<(f64, f64)> = pts
                .iter()
                .filter_map(|(x, y)| Some((x.parse::<f64>().ok()?, *y)))
                .collect();
            let span = |v: &mut dyn Iterator<Item = f64>| {
                let (lo, hi) = v.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                    (lo.min(x), hi.max(x))
                });
                let pad = ((hi - lo).abs() * 0.05).max(1e-9);
                (lo - pad, hi + pad)
            };
            let (x0, x1) = span(&mut xy.iter().map(|p| p.0));
            let (y0, y1) = span(&mut xy.iter().map(|p| p.1));
            let mut chart = ChartBuilder::on(root)
                .caption(&spec.title, (FONT, caption_px))
                .margin(16)
                .margin_right(40)
                .x_label_area_size(48)
                .y_label_area_size(80)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .light_line_style(WHITE)
                .x_label_formatter(&|v| axis_label(*v, x1 - x0))
                .y_label_formatter(&|v| axis_label(*v, y1 - y0))
                .x_desc(&spec.x)
                .y_desc(&spec.y)
                .label_style((FONT, label_px))
                .draw()
                .map_err(draw_err)?;
            chart
                .draw_series(
                    xy.iter()
                        .map(|p| Circle::new(*p, 4, ACCENT.mix(0.7).filled())),
                )
                .map_err(draw_err)?;
        }
        ChartKind::Bar => {
            let max = pts.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1e-9) * 1.1;
            let min = pts.iter().map(|p| p.1).fold(0.0_f64, f64::min) * 1.1;
            let labels: Vec<String> = pts.iter().map(|p| p.0.clone()).collect();
            let mut chart = ChartBuilder::on(root)
                .caption(&spec.title, (FONT, caption_px))
                .margin(16)
                .margin_right(40)
                .x_label_area_size(48)
                .y_label_area_size(80)
                .build_cartesian_2d((0..pts.len().saturating_sub(1)).into_segmented(), min..max)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(WHITE)
                .x_labels(pts.len())
                .x_label_formatter(&|seg| match seg {
                    // At most about 12 labels, so 30 days do not print over each other.
                    SegmentValue::CenterOf(i) if i % pts.len().div_ceil(12).max(1) == 0 => {
                        labels.get(*i).cloned().unwrap_or_default()
                    }
                    _ => String::new(),
                })
                .y_label_formatter(&|v| axis_label(*v, max - min))
                .x_desc(&spec.x)
                .y_desc(&spec.y)
                .label_style((FONT, label_px))
                .draw()
                .map_err(draw_err)?;
            chart
                .draw_series(pts.iter().enumerate().map(|(i, p)| {
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), 0.0),
                            (SegmentValue::Exact(i + 1), p.1),
                        ],
                        ACCENT.filled(),
                    );
                    bar.set_margin(0, 0, 6, 6);
                    bar
                }))
                .map_err(draw_err)?;
            // Each bar's value above it, when there is room for the text.
            let (plot_w, _) = chart.plotting_area().dim_in_pixel();
            let value_style = (FONT, label_px).into_font().color(&RGBColor(51, 65, 85));
            let widest = pts
                .iter()
                .filter_map(|p| {
                    root.estimate_text_size(&format_number(p.1), &value_style)
                        .ok()
                })
                .map(|s| s.0)
                .max()
                .unwrap_or(0);
            if !pts.is_empty() && widest + 8 < plot_w / pts.len() as u32 {
                chart
                    .draw_series(pts.iter().enumerate().map(|(i, p)| {
                        Text::new(
                            format_number(p.1),
                            (SegmentValue::CenterOf(i), p.1),
                            value_style.clone().pos(Pos::new(
                                HPos::Center,
                                if p.1 >= 0.0 { VPos::Bottom } else { VPos::Top },
                            )),
                        )
                    }))
                    .map_err(draw_err)?;
            }
        }
    }
    root.present().map_err(draw_err)
}

/// A chart with series: the x axis's labels in order, and each series' value at each label
/// (none where the result has no row for it).
#[derive(Debug, Clone, PartialEq)]
pub struct Grouped {
    pub xs: Vec<String>,
    pub series: Vec<(String, Vec<Option<f64>>)>,
}

fn group(spec: &ChartSpec, columns: &[String], rows: &[Vec<Value>]) -> Result<Grouped, ChartError> {
    let at = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .ok_or(ChartError::MissingColumn)
    };
    let (xi, yi) = (at(&spec.x)?, at(&spec.y)?);
    let si = at(spec.series.as_deref().unwrap_or_default())?;
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let mut xs: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        let (x, name) = (text(&r[xi]), text(&r[si]));
        if !xs.contains(&x) {
            xs.push(x);
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if rows.iter().all(|r| is_date(&r[xi])) {
        xs.sort();
    }
    let series = names
        .into_iter()
        .map(|name| {
            let values = xs
                .iter()
                .map(|x| {
                    rows.iter()
                        .find(|r| text(&r[xi]) == *x && text(&r[si]) == name)
                        .and_then(|r| r[yi].as_f64())
                })
                .collect();
            (name, values)
        })
        .collect();
    Ok(Grouped { xs, series })
}

/// Grouped bars (one bar per series in each group) or one line per series, with a legend.
fn draw_series<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    spec: &ChartSpec,
    g: &Grouped,
    (_, h): (u32, u32),
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let caption_px = (h / 28).max(18);
    let label_px = (h / 40).max(12);
    let values = g.series.iter().flat_map(|s| s.1.iter().flatten().copied());
    let n = g.series.len().max(1);
    // Headroom above the highest value for the legend's rows.
    let max = values.clone().fold(0.0_f64, f64::max).max(1e-9) * (1.1 + 0.07 * n as f64);
    let min = values.fold(0.0_f64, f64::min) * 1.1;
    let color = |i: usize| SLICE_COLORS[i % (SLICE_COLORS.len() - 1)];
    let mut chart = ChartBuilder::on(root)
        .caption(&spec.title, (FONT, caption_px))
        .margin(16)
        .margin_right(40)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..g.xs.len().max(1) as f64, min..max)
        .map_err(draw_err)?;
    let every = g.xs.len().div_ceil(12).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .x_labels(g.xs.len() * 2 + 1)
        .x_label_formatter(&|v| {
            // Labels at the middle of each group.
            let i = (v - 0.5).round();
            if (v - 0.5 - i).abs() < 1e-6 && i >= 0.0 && (i as usize).is_multiple_of(every) {
                g.xs.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|v| axis_label(*v, max - min))
        .x_desc(&spec.x)
        .y_desc(&spec.y)
        .label_style((FONT, label_px))
        .draw()
        .map_err(draw_err)?;
    for (k, (name, values)) in g.series.iter().enumerate() {
        let c = color(k);
        let drawn = if spec.kind == ChartKind::Line {
            chart
                .draw_series(LineSeries::new(
                    values
                        .iter()
                        .enumerate()
                        .filter_map(|(i, v)| v.map(|v| (i as f64 + 0.5, v))),
                    c.stroke_width(2),
                ))
                .map_err(draw_err)?
        } else {
            let width = 0.8 / n as f64;
            chart
                .draw_series(values.iter().enumerate().filter_map(|(i, v)| {
                    let v = (*v)?;
                    let left = i as f64 + 0.1 + width * k as f64;
                    Some(Rectangle::new(
                        [(left, 0.0), (left + width * 0.92, v)],
                        c.filled(),
                    ))
                }))
                .map_err(draw_err)?
        };
        drawn
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(203, 213, 225))
        .label_font((FONT, label_px))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

/// At most this many points are drawn on a line or a scatter plot (about one per pixel column
/// of the screen chart); more are thinned by [`thin`].
pub const MAX_POINTS: usize = 600;
/// A line's points are marked with dots up to this many.
const MAX_DOTS: usize = 60;

/// At most [`MAX_POINTS`] of `pts`, in order: for a line, the lowest and highest point of each
/// of [`MAX_POINTS`]/2 equal stretches (the first of the two first); for a scatter plot, every
/// k-th point.
fn thin(pts: &[(String, f64)], kind: ChartKind) -> Vec<(String, f64)> {
    if pts.len() <= MAX_POINTS {
        return pts.to_vec();
    }
    if kind != ChartKind::Line {
        let step = pts.len().div_ceil(MAX_POINTS);
        return pts.iter().step_by(step).cloned().collect();
    }
    let stretch = pts.len().div_ceil(MAX_POINTS / 2);
    let mut kept = Vec::with_capacity(MAX_POINTS);
    for chunk in pts.chunks(stretch) {
        let lowest = (0..chunk.len()).min_by(|&a, &b| chunk[a].1.total_cmp(&chunk[b].1));
        let highest = (0..chunk.len()).max_by(|&a, &b| chunk[a].1.total_cmp(&chunk[b].1));
        let (Some(lo), Some(hi)) = (lowest, highest) else {
            continue;
        };
        let (first, second) = (lo.min(hi), lo.max(hi));
        kept.push(chunk[first].clone());
        if second != first {
            kept.push(chunk[second].clone());
        }
    }
    kept
}

/// A pie's slices: the biggest [`MAX_SLICES`] parts, biggest first, and the rest as "Other".
fn pie_slices(pts: &[(String, f64)]) -> Vec<(String, f64)> {
    let mut parts: Vec<(String, f64)> = pts.iter().filter(|p| p.1 > 0.0).cloned().collect();
    parts.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    if parts.len() > MAX_SLICES + 1 {
        let other: f64 = parts[MAX_SLICES..].iter().map(|p| p.1).sum();
        parts.truncate(MAX_SLICES);
        parts.push(("Other".into(), other));
    }
    parts
}

fn register_font() {
    REGISTER.call_once(|| {
        // The font is compiled in and known to be valid; a failure here is a build defect.
        let registered = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
        assert!(registered.is_ok(), "embedded DejaVu Sans is a valid font");
    });
}

/// The size a chart is drawn at for the answer area; the SVG has a viewBox, so the screen scales
/// it to the column's width. A single number needs far less height than axes do.
pub fn screen_size(kind: ChartKind) -> (u32, u32) {
    match kind {
        ChartKind::Number => (880, 200),
        _ => (880, 380),
    }
}

/// Export sizes: 16:9, sharp on slides and in documents.
pub const PNG_EXPORT_SIZE: (u32, u32) = (1200, 675);
pub const SVG_EXPORT_SIZE: (u32, u32) = (960, 540);

/// Renders the chart as an SVG document.
pub fn render_svg(
    spec: &ChartSpec,
    columns: &[String],
    rows: &[Vec<Value>],
    size: (u32, u32),
) -> Result<String, ChartError> {
    register_font();
    let pts = points(spec, columns, rows)?;
    let grouped = spec
        .series
        .as_ref()
        .map(|_| group(spec, columns, rows))
        .transpose()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, spec, &pts, grouped.as_ref())?;
    }
    Ok(svg)
}

/// Renders the chart as a PNG image (text rasterised with the embedded font).
pub fn render_png(
    spec: &ChartSpec,
    columns: &[String],
    rows: &[Vec<Value>],
    size: (u32, u32),
) -> Result<Vec<u8>, ChartError> {
    register_font();
    let pts = points(spec, columns, rows)?;
    let grouped = spec
        .series
        .as_ref()
        .map(|_| group(spec, columns, rows))
        .transpose()?;
    let mut buffer = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        draw(&root, spec, &pts, grouped.as_ref())?;
    }
    let image = image::RgbImage::from_raw(size.0, size.1, buffer)
        .ok_or_else(|| ChartError::Draw("buffer size".into()))?;
    let mut png = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut png),
            image::ImageOutputFormat::Png,
        )
        .map_err(ChartError::Encode)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_string()).collect()
    }

    #[track_caller]
    fn kind(columns: &[&str], rows: Value) -> Option<ChartKind> {
        let rows: Vec<Vec<Value>> = serde_json::from_value(rows).unwrap();
        choose(&cols(columns), &rows, "t").map(|s| s.kind)
    }

    #[test]
    fn a_line_of_more_points_than_pixels_is_thinned_and_says_so() {
        // 10,000 days with one peak and one dip inside a stretch: both survive the thinning.
        let mut pts: Vec<(String, f64)> = (0..10_000)
            .map(|i| (format!("day {i}"), f64::from(i % 7)))
            .collect();
        pts[4_321].1 = 1_000.0;
        pts[8_765].1 = -50.0;
        let kept = thin(&pts, ChartKind::Line);
        assert!(kept.len() <= MAX_POINTS, "{} points kept", kept.len());
        assert!(kept.iter().any(|p| p.1 == 1_000.0) && kept.iter().any(|p| p.1 == -50.0));
        let order: Vec<usize> = kept
            .iter()
            .map(|p| p.0[4..].parse::<usize>().unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "kept in order");
        let scatter = thin(&pts, ChartKind::Scatter);
        assert!(scatter.len() <= MAX_POINTS && scatter.len() > MAX_POINTS / 2);
        // Drawn: the title says how many of how many are shown.
        let rows: Vec<Vec<Value>> = (0..10_000)
            .map(|i| vec![json!(format!("2020-01-01T{i:05}")), json!(i % 7)])
            .collect();
        let spec = choose(&cols(&["day", "revenue"]), &rows, "revenue by day").unwrap();
        assert_eq!(spec.kind, ChartKind::Line);
        let svg = render_svg(&spec, &cols(&["day", "revenue"]), &rows, (760, 380)).unwrap();
        let note = format!("showing {} of 10,000 points", kept.len());
        assert!(svg.contains(&note), "{note} not in the title");
        assert!(svg.len() < 200_000, "{} bytes", svg.len());
    }

    #[test]
    fn chart_follows_the_shape_of_the_result() {
        assert_eq!(
            kind(&["region", "revenue"], json!([["West", 10.5], ["East", 3]])),
            Some(ChartKind::Bar)
        );
        assert_eq!(
            kind(
                &["month", "revenue"],
                json!([["2026-01", 10.5], ["2026-02", 3]])
            ),
            Some(ChartKind::Line)
        );
        assert_eq!(
            kind(
                &["order_date", "revenue"],
                json!([["2026-01-01", 1], ["2026-01-02", 2]])
            ),
            Some(ChartKind::Line)
        );
        assert_eq!(
            kind(&["revenue"], json!([[1234.5]])),
            Some(ChartKind::Number)
        );
        assert_eq!(
            kind(&["region", "profit"], json!([["West", 1234.5]])),
            Some(ChartKind::Number)
        );
        assert_eq!(kind(&["name", "email"], json!([["a", "b"]])), None);
        assert_eq!(kind(&["a", "b"], json!([[1, 2], [3, 4]])), None);
        assert_eq!(kind(&["x"], json!([])), None);
    }

    #[test]
    fn small_axis_ticks_keep_enough_decimals_to_differ() {
        assert_eq!(axis_label(0.0037, 0.004), "0.00370");
        assert_eq!(axis_label(0.25, 0.5), "0.250");
        assert_eq!(axis_label(3.5, 5.0), "3.50");
        assert_eq!(axis_label(1234.5, 5000.0), format_number(1234.5));
        let days: Vec<Vec<Value>> = (1..=30)
            .map(|d| vec![json!(format!("11-{d:02}")), json!(0.0001 * f64::from(d))])
            .collect();
        let spec = ChartSpec {
            kind: ChartKind::Bar,
            x: "day".into(),
            y: "spent".into(),
            title: "t".into(),
            series: None,
        };
        let svg = render_svg(&spec, &cols(&["day", "spent"]), &days, (880, 300)).unwrap();
        assert!(
            svg.contains("11-01") && svg.contains("11-04") && !svg.contains("11-02"),
            "one label in every few days"
        );
        assert!(svg.contains("0.0030"), "ticks below a cent are readable");
    }

    #[test]
    fn shares_are_pies_with_six_slices_at_most_and_two_measures_scatter() {
        let share = json!([
            ["North", 40, 40.0],
            ["South", 20, 20.0],
            ["East", 10, 10.0],
            ["West", 9, 9.0],
            ["Central", 8, 8.0],
            ["Online", 7, 7.0],
            ["Phone", 4, 4.0],
            ["Fax", 2, 2.0]
        ]);
        assert_eq!(
            kind(&["region", "revenue", "percent_of_total"], share.clone()),
            Some(ChartKind::Pie)
        );
        // A negative part cannot be a slice: bars.
        assert_eq!(
            kind(
                &["region", "profit", "percent_of_total"],
                json!([["North", 5, 120.0], ["South", -1, -20.0]])
            ),
            Some(ChartKind::Bar)
        );
        let rows: Vec<Vec<Value>> = serde_json::from_value(share).unwrap();
        let pts: Vec<(String, f64)> = rows
            .iter()
            .map(|r| (r[0].as_str().unwrap().to_string(), r[1].as_f64().unwrap()))
            .collect();
        let slices = pie_slices(&pts);
        assert_eq!(slices.len(), MAX_SLICES + 1);
        assert_eq!(slices.last().unwrap(), &("Other".to_string(), 6.0));
        let columns = cols(&["region", "revenue", "percent_of_total"]);
        let spec = choose(&columns, &rows, "Share of revenue by region").unwrap();
        let svg = render_svg(&spec, &columns, &rows, (880, 380)).unwrap();
        assert!(
            svg.contains("North 40%") && svg.contains("Other 6%"),
            "labelled slices"
        );
        assert!(!svg.contains("Fax"), "the smallest parts are in Other");

        let points = json!([[1.0, 10.0], [2.0, 19.5], [3.5, 31.0], [5.0, 52.0]]);
        assert_eq!(
            kind(&["price", "quantity"], points.clone()),
            Some(ChartKind::Scatter)
        );
        assert_eq!(
            kind(&["order_id", "quantity"], points.clone()),
            None,
            "ids are not measures"
        );
        let rows: Vec<Vec<Value>> = serde_json::from_value(points).unwrap();
        let columns = cols(&["price", "quantity"]);
        let spec = choose(&columns, &rows, "Price and quantity").unwrap();
        let svg = render_svg(&spec, &columns, &rows, (880, 380)).unwrap();
        assert_eq!(svg.matches("<circle").count(), 4, "one dot per row");
    }

    #[test]
    fn two_groupings_are_series_grouped_bars_or_several_lines() {
        let rows: Vec<Vec<Value>> = serde_json::from_value(json!([
            ["North", "Online", 10.0],
            ["North", "Store", 7.0],
            ["South", "Online", 4.0],
            ["South", "Store", 9.5],
            ["East", "Online", 3.0]
        ]))
        .unwrap();
        let columns = cols(&["region", "channel", "revenue"]);
        let spec = choose(&columns, &rows, "Revenue by region and channel").unwrap();
        assert_eq!(
            (spec.kind, spec.x.as_str(), spec.series.as_deref()),
            (ChartKind::Bar, "region", Some("channel"))
        );
        let svg = render_svg(&spec, &columns, &rows, (880, 380)).unwrap();
        assert!(
            svg.contains("Online") && svg.contains("Store"),
            "a legend names each series"
        );
        let g = group(&spec, &columns, &rows).unwrap();
        assert_eq!(g.xs, ["North", "South", "East"]);
        assert_eq!(
            g.series[1],
            ("Store".to_string(), vec![Some(7.0), Some(9.5), None])
        );

        let monthly: Vec<Vec<Value>> = serde_json::from_value(json!([
            ["2026-02", "North", 5],
            ["2026-01", "North", 4],
            ["2026-01", "South", 2],
            ["2026-02", "South", 3]
        ]))
        .unwrap();
        let columns = cols(&["month", "region", "revenue"]);
        let spec = choose(&columns, &monthly, "t").unwrap();
        assert_eq!((spec.kind, spec.x.as_str()), (ChartKind::Line, "month"));
        assert_eq!(
            group(&spec, &columns, &monthly).unwrap().xs,
            ["2026-01", "2026-02"]
        );
        let svg = render_svg(&spec, &columns, &monthly, (880, 380)).unwrap();
        assert!(svg.matches("<polyline").count() >= 2, "a line per region");
    }

    #[test]
    fn bars_say_their_values_where_they_fit() {
        let (spec, columns, rows) = region_chart();
        let svg = render_svg(&spec, &columns, &rows, (880, 380)).unwrap();
        assert!(
            svg.contains("\n120\n</text>") && svg.contains("\n80.50\n</text>"),
            "values above the bars"
        );
    }

    #[test]
    fn numbers_read_like_money() {
        assert_eq!(format_number(1234567.891), "1,234,567.89");
        assert_eq!(format_number(1204.0), "1,204");
        assert_eq!(format_number(-5.5), "-5.50");
        assert_eq!(format_number(0.0), "0");
    }

    fn region_chart() -> (ChartSpec, Vec<String>, Vec<Vec<Value>>) {
        let columns = cols(&["region", "revenue"]);
        let rows = vec![
            vec![json!("North"), json!(120.0)],
            vec![json!("West"), json!(80.5)],
        ];
        (
            choose(&columns, &rows, "Revenue by region").unwrap(),
            columns,
            rows,
        )
    }

    #[test]
    fn bar_chart_svg_has_bars_labels_and_title() {
        let (spec, columns, rows) = region_chart();
        let svg = render_svg(&spec, &columns, &rows, (640, 360)).unwrap();
        assert!(svg.starts_with("<svg"), "an SVG document");
        assert!(svg.contains("Revenue by region") && svg.contains("North") && svg.contains("West"));
        let bars = svg.matches("fill=\"#2563EB\"").count();
        assert_eq!(bars, 2, "one filled bar per region:\n{svg}");
    }

    #[test]
    fn bar_chart_svg_snapshot() {
        // Update with `UPDATE_EXPECT=1 cargo test -p plainsight-core chart`; review the diff.
        let (spec, columns, rows) = region_chart();
        expect_test::expect_file!["../tests/snapshots/region_bar.svg"]
            .assert_eq(&render_svg(&spec, &columns, &rows, (640, 360)).unwrap());
    }

    #[test]
    fn png_renders_text_without_system_fonts() {
        let (spec, columns, rows) = region_chart();
        let png = render_png(&spec, &columns, &rows, (640, 360)).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        // The caption band at the top holds dark anti-aliased title text drawn with the embedded font.
        let dark = img
            .enumerate_pixels()
            .filter(|(_, y, p)| *y < 40 && p.0.iter().all(|c| *c < 100))
            .count();
        assert!(
            dark > 50,
            "title text should be drawn in the caption band, found {dark} dark pixels"
        );
    }

    #[test]
    fn number_card_shows_the_value() {
        let spec = ChartSpec {
            kind: ChartKind::Number,
            x: String::new(),
            y: "revenue".into(),
            title: "Revenue this year".into(),
            series: None,
        };
        let svg = render_svg(
            &spec,
            &cols(&["revenue"]),
            &[vec![json!(1234567.5)]],
            (400, 240),
        )
        .unwrap();
        assert!(svg.contains("1,234,567.50"), "{svg}");
    }
}
