//! Bar charts drawn with plotters, to SVG (a string) and PNG (a file), with the bundled
//! DejaVu Sans font (`assets/fonts/`, registered through plotters' `ab_glyph` feature, so
//! no system font is looked up).
//!
//! A [`BarChart`] is a neutral model: categories along x (build variants, or cases for the
//! regression chart), one bar per series (GPU) in each category, optional error intervals
//! and a reference line. Layout is computed from the text: the canvas grows with the number
//! of bars, category labels are rotated and truncated to a fixed length, and the legend is
//! laid out in rows above the plot, so nothing overlaps.
//!
//! The builders at the bottom turn a [`Merged`] report or a [`Comparison`] into charts.

use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform, RGBColor};

use super::baseline::slug;
use super::compare::Comparison;
use super::format::Bound;
use super::glyphs::TextFix;
use super::merge::Merged;
use super::verdict::Verdict;
use super::ReportError;

static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Okabe–Ito colour-blind-safe palette.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
];

// Layout, in pixels.
const BAR_W: u32 = 20;
const GROUP_GAP: u32 = 18;
const MIN_PLOT_W: u32 = 420;
const PLOT_H: u32 = 340;
const Y_AREA: u32 = 90;
const LEFT: u32 = 16;
const RIGHT: u32 = 28;
const TITLE_H: u32 = 34;
const NOTE_H: u32 = 20;
const LEGEND_ROW_H: u32 = 22;
const MAX_LABEL_PX: u32 = 300;
const X_TITLE_H: u32 = 30;
const TITLE_SIZE: f64 = 18.0;
const TEXT_SIZE: f64 = 13.0;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub value: f64,
    /// Error interval drawn as a whisker.
    pub interval: Option<(f64, f64)>,
}

/// One legend entry; `bars[i]` belongs to `categories[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub bars: Vec<Option<Bar>>,
    /// Palette index.
    pub color: usize,
}

/// How series share a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Side by side (one bar per series).
    Grouped,
    /// One slot; at most one series has a bar in each category (e.g. colour by verdict).
    Overlay,
}

/// A horizontal reference line with its legend text.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub value: f64,
    pub label: String,
}

/// A chart ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// File stem (`throughput-copy-64mib`).
    pub id: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub layout: Layout,
    pub reference: Option<Reference>,
    /// A line under the title (e.g. why bars are missing).
    pub note: Option<String>,
}

fn ensure_font() -> Result<(), ReportError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(ReportError::Chart {
            chart: String::new(),
            message: "the bundled font assets/fonts/DejaVuSans.ttf did not load".into(),
        })
    }
}

fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size, FontStyle::Normal)
}

fn text_width(text: &str, size: f64) -> u32 {
    font(size)
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or_else(|_| (text.chars().count() as f64 * size * 0.62) as u32)
}

/// Labels longer than this many characters are cut before they are measured: no glyph is
/// narrower than ~1/8 em, so more could never fit in a chart.
const MAX_LABEL_CHARS: usize = 400;

/// Truncate `text` with `…` so that it is at most `max_px` wide. Control characters become
/// `?`. A binary search over prefixes: O(log n) measurements of at most
/// [`MAX_LABEL_CHARS`] characters, whatever the input's length.
fn fit(text: &str, size: f64, max_px: u32) -> String {
    let chars: Vec<char> = text
        .chars()
        .take(MAX_LABEL_CHARS + 1)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let whole: String = chars.iter().take(MAX_LABEL_CHARS).collect();
    if chars.len() <= MAX_LABEL_CHARS && text_width(&whole, size) <= max_px {
        return whole;
    }
    let fits = |n: usize| {
        let candidate: String = chars[..n].iter().collect::<String>() + "…";
        (text_width(&candidate, size) <= max_px).then_some(candidate)
    };
    // The longest prefix n (1 ≤ n < len) that fits with the ellipsis.
    let (mut lo, mut hi) = (1usize, chars.len().min(MAX_LABEL_CHARS));
    let mut best = None;
    while lo < hi {
        let mid = (lo + hi) / 2;
        match fits(mid) {
            Some(c) => {
                best = Some(c);
                lo = mid + 1;
            }
            None => hi = mid,
        }
    }
    best.unwrap_or_else(|| "…".to_string())
}

/// Values beyond this magnitude are drawn at it: an axis must stay finite (plotters loops
/// forever on an infinite range) and nothing archbench measures comes near it.
const AXIS_LIMIT: f64 = 1e15;

/// Computed geometry.
struct Geometry {
    width: u32,
    height: u32,
    header_h: u32,
    label_h: u32,
    legend: Vec<Vec<(usize, String)>>,
    labels: Vec<String>,
}

impl BarChart {
    fn slots(&self) -> u32 {
        match self.layout {
            Layout::Grouped => self.series.len().max(1) as u32,
            Layout::Overlay => 1,
        }
    }

    fn geometry(&self) -> Geometry {
        let labels: Vec<String> = self
            .categories
            .iter()
            .map(|c| fit(c, TEXT_SIZE, MAX_LABEL_PX))
            .collect();
        let label_w = labels
            .iter()
            .map(|l| text_width(l, TEXT_SIZE))
            .max()
            .unwrap_or(0);
        let group_px = self.slots() * BAR_W + GROUP_GAP;
        let plot_w = (self.categories.len().max(1) as u32 * group_px).max(MIN_PLOT_W);
        let width = LEFT + Y_AREA + plot_w + RIGHT;
        let title_w = text_width(&self.title, TITLE_SIZE) + 2 * LEFT;
        let width = width.max(title_w);
        // Legend entries: index into series (or usize::MAX for the reference line).
        let mut entries: Vec<(usize, String)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (i, fit(&s.name, TEXT_SIZE, width / 2)))
            .collect();
        if let Some(r) = &self.reference {
            entries.push((usize::MAX, fit(&r.label, TEXT_SIZE, width / 2)));
        }
        let mut legend: Vec<Vec<(usize, String)>> = vec![Vec::new()];
        let mut x = LEFT;
        for e in entries {
            let w = 28 + text_width(&e.1, TEXT_SIZE) + 24;
            if x + w > width - RIGHT && legend.last().is_some_and(|r| !r.is_empty()) {
                legend.push(Vec::new());
                x = LEFT;
            }
            x += w;
            if let Some(row) = legend.last_mut() {
                row.push(e);
            }
        }
        let note_h = if self.note.is_some() { NOTE_H } else { 0 };
        let header_h = TITLE_H + note_h + legend.len() as u32 * LEGEND_ROW_H + 8;
        let label_h = label_w + 16 + X_TITLE_H;
        Geometry {
            width,
            height: header_h + PLOT_H + label_h,
            header_h,
            label_h,
            legend,
            labels,
        }
    }

    /// Canvas size in pixels (width, height).
    pub fn size(&self) -> (u32, u32) {
        let g = self.geometry();
        (g.width, g.height)
    }

    fn y_range(&self) -> (f64, f64) {
        let mut lo: f64 = 0.0;
        let mut hi: f64 = 0.0;
        let bars = self.series.iter().flat_map(|s| s.bars.iter().flatten());
        for b in bars {
            let (a, c) = b.interval.unwrap_or((b.value, b.value));
            for v in [b.value, a, c] {
                if v.is_finite() {
                    let v = v.clamp(-AXIS_LIMIT, AXIS_LIMIT);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        if let Some(r) = self.reference.as_ref().filter(|r| r.value.is_finite()) {
            lo = lo.min(r.value.clamp(-AXIS_LIMIT, AXIS_LIMIT));
            hi = hi.max(r.value.clamp(-AXIS_LIMIT, AXIS_LIMIT));
        }
        let span = (hi - lo).max(f64::EPSILON);
        let hi = if hi > 0.0 { hi + 0.12 * span } else { hi };
        let lo = if lo < 0.0 { lo - 0.12 * span } else { lo };
        if hi - lo < 1e-12 {
            (0.0, 1.0)
        } else {
            (lo, hi)
        }
    }

    /// Render to an SVG document.
    pub fn to_svg(&self) -> Result<String, ReportError> {
        ensure_font()?;
        let g = self.geometry();
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (g.width, g.height)).into_drawing_area();
            self.draw(&root, &g).map_err(|e| self.err(e))?;
            root.present().map_err(|e| self.err(e))?;
        }
        Ok(out)
    }

    /// Render to a PNG file.
    pub fn to_png(&self, path: &Path) -> Result<(), ReportError> {
        ensure_font()?;
        let g = self.geometry();
        let font = ab_glyph::FontRef::try_from_slice(FONT_BYTES).map_err(|e| self.err(e))?;
        let backend = TextFix {
            inner: BitMapBackend::new(path, (g.width, g.height)),
            font,
        };
        let root = backend.into_drawing_area();
        self.draw(&root, &g).map_err(|e| self.err(e))?;
        root.present().map_err(|e| self.err(e))
    }

    fn err(&self, e: impl std::fmt::Display) -> ReportError {
        ReportError::Chart {
            chart: self.id.clone(),
            message: e.to_string(),
        }
    }

    fn color(&self, series: usize) -> RGBColor {
        let idx = self.series.get(series).map(|s| s.color).unwrap_or(series);
        PALETTE[idx % PALETTE.len()]
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        g: &Geometry,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let text = |size: f64| TextStyle::from(font(size)).color(&BLACK);
        // Title, note, legend.
        root.draw(&Text::new(
            self.title.clone(),
            ((LEFT) as i32, 10),
            text(TITLE_SIZE),
        ))?;
        let mut y = TITLE_H as i32;
        if let Some(note) = &self.note {
            root.draw(&Text::new(
                note.clone(),
                (LEFT as i32, y),
                text(TEXT_SIZE - 1.0).color(&RGBColor(90, 90, 90)),
            ))?;
            y += NOTE_H as i32;
        }
        for row in &g.legend {
            let mut x = LEFT as i32;
            for (idx, name) in row {
                if *idx == usize::MAX {
                    root.draw(&PathElement::new(
                        vec![(x, y + 8), (x + 20, y + 8)],
                        BLACK.stroke_width(2),
                    ))?;
                } else {
                    root.draw(&Rectangle::new(
                        [(x, y + 2), (x + 20, y + 14)],
                        self.color(*idx).filled(),
                    ))?;
                }
                root.draw(&Text::new(name.clone(), (x + 28, y + 1), text(TEXT_SIZE)))?;
                x += 28 + text_width(name, TEXT_SIZE) as i32 + 24;
            }
            y += LEGEND_ROW_H as i32;
        }

        let (_, body) = root.split_vertically(g.header_h);
        let n = self.categories.len().max(1);
        let (ylo, yhi) = self.y_range();
        let mut chart = ChartBuilder::on(&body)
            .margin_left(LEFT)
            .margin_right(RIGHT)
            .x_label_area_size(g.label_h)
            .y_label_area_size(Y_AREA)
            .build_cartesian_2d(0f64..n as f64, ylo..yhi)?;
        // Same number of decimals on every tick, from the tick step (span / 8).
        let step = (yhi - ylo) / 8.0;
        let decimals = (-step.log10().floor()).clamp(0.0, 4.0) as usize;
        let y_fmt = move |v: &f64| {
            let s = format!("{v:.decimals$}");
            if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
                s[1..].to_string()
            } else {
                s
            }
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .y_label_formatter(&y_fmt)
            .y_desc(self.y_label.clone())
            .label_style(text(TEXT_SIZE))
            .axis_desc_style(text(TEXT_SIZE + 1.0))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()?;

        // Bars and whiskers.
        let slots = self.slots() as f64;
        let group_px = slots * BAR_W as f64 + GROUP_GAP as f64;
        let bar_frac = BAR_W as f64 / group_px;
        let base = 0f64.clamp(ylo, yhi);
        for (si, s) in self.series.iter().enumerate() {
            let slot = match self.layout {
                Layout::Grouped => si as f64,
                Layout::Overlay => 0.0,
            };
            let color = self.color(si);
            for (ci, bar) in s.bars.iter().enumerate() {
                let Some(bar) = bar else { continue };
                if !bar.value.is_finite() {
                    continue;
                }
                let clip = |v: f64| v.clamp(ylo, yhi);
                let x0 = ci as f64 + (1.0 - slots * bar_frac) / 2.0 + slot * bar_frac;
                let x1 = x0 + bar_frac;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, base), (x1, clip(bar.value))],
                    color.filled(),
                )))?;
                if let Some((lo, hi)) = bar
                    .interval
                    .filter(|(a, b)| a.is_finite() && b.is_finite())
                    .map(|(a, b)| (clip(a), clip(b)))
                {
                    let xm = (x0 + x1) / 2.0;
                    let cap = bar_frac / 4.0;
                    let style = BLACK.stroke_width(2);
                    chart.draw_series([
                        PathElement::new(vec![(xm, lo), (xm, hi)], style),
                        PathElement::new(vec![(xm - cap, lo), (xm + cap, lo)], style),
                        PathElement::new(vec![(xm - cap, hi), (xm + cap, hi)], style),
                    ])?;
                }
            }
        }
        if let Some(r) = self.reference.as_ref().filter(|r| r.value.is_finite()) {
            let v = r.value.clamp(ylo, yhi);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, v), (n as f64, v)],
                BLACK.stroke_width(2),
            )))?;
        }

        // Category labels, rotated to read top-down, hanging from the x axis.
        let label_style = text(TEXT_SIZE)
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (ci, label) in g.labels.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(ci as f64 + 0.5, ylo));
            root.draw(&Text::new(label.clone(), (px, py + 8), label_style.clone()))?;
        }
        // X-axis title at the bottom.
        let (xa, _) = chart.backend_coord(&(0.0, ylo));
        let (xb, _) = chart.backend_coord(&(n as f64, ylo));
        let title_w = text_width(&self.x_label, TEXT_SIZE + 1.0) as i32;
        root.draw(&Text::new(
            self.x_label.clone(),
            (
                (xa + xb) / 2 - title_w / 2,
                g.height as i32 - X_TITLE_H as i32 + 6,
            ),
            text(TEXT_SIZE + 1.0),
        ))?;
        Ok(())
    }
}

const MISSING_NOTE: &str =
    "Missing bar: the variant did not load, failed its check, or was not run on that GPU.";

fn has_gaps(series: &[Series]) -> bool {
    series.iter().any(|s| s.bars.iter().any(Option::is_none))
}

fn chart_id(kind: &str, kernel: &str, case: &str) -> String {
    format!("{kind}-{}-{}", slug(kernel), slug(case))
}

/// Throughput (GB/s or TFLOP/s) of every variant of one kernel × case, one bar per GPU.
pub fn throughput(m: &Merged, kernel: &str, case: &str) -> Option<BarChart> {
    let variants = m.variants_of(kernel, case);
    let first = m
        .gpus
        .iter()
        .find_map(|g| variants.iter().find_map(|v| g.find(kernel, case, v)))?;
    let bound = Bound::of(first);
    let series = per_gpu(m, &variants, |g, v| {
        let c = g.find(kernel, case, v)?;
        c.timing.as_ref()?;
        bound.values(c).map(|(v, _)| v)
    });
    series
        .iter()
        .any(|s| s.bars.iter().any(Option::is_some))
        .then(|| BarChart {
            id: chart_id("throughput", kernel, case),
            title: format!("{kernel} · {case}: throughput by build variant"),
            x_label: "build variant".into(),
            y_label: format!("throughput ({}, higher is better)", bound.unit()),
            categories: variants.iter().map(|s| s.to_string()).collect(),
            note: has_gaps(&series).then(|| MISSING_NOTE.to_string()),
            series,
            layout: Layout::Grouped,
            reference: None,
        })
}

/// Speed of each variant relative to the native `pkgsForCudaArch.sm_XX` build for each
/// GPU's capability: native median / variant median (above 1 = faster than native).
pub fn relative_to_native(m: &Merged, kernel: &str, case: &str) -> Option<BarChart> {
    let variants = m.variants_of(kernel, case);
    let series = per_gpu(m, &variants, |g, v| {
        let native = g
            .find(kernel, case, &g.native_variant())?
            .timing
            .as_ref()?
            .median_s;
        let this = g.find(kernel, case, v)?.timing.as_ref()?.median_s;
        (this > 0.0 && native > 0.0).then_some(native / this)
    });
    series
        .iter()
        .any(|s| s.bars.iter().any(Option::is_some))
        .then(|| BarChart {
            id: chart_id("vs-native", kernel, case),
            title: format!("{kernel} · {case}: speed relative to the native build"),
            x_label: "build variant".into(),
            y_label: "speed vs the GPU's native sm_XX build (×)".into(),
            categories: variants.iter().map(|s| s.to_string()).collect(),
            note: has_gaps(&series).then(|| MISSING_NOTE.to_string()),
            series,
            layout: Layout::Grouped,
            reference: Some(Reference {
                value: 1.0,
                label: "native build = 1×".into(),
            }),
        })
}

/// Percentage of the measured ceiling (copy bandwidth or bf16 GEMM) per variant and GPU.
pub fn roofline(m: &Merged, kernel: &str, case: &str) -> Option<BarChart> {
    let variants = m.variants_of(kernel, case);
    let first = m
        .gpus
        .iter()
        .find_map(|g| variants.iter().find_map(|v| g.find(kernel, case, v)))?;
    let bound = Bound::of(first);
    let series = per_gpu(m, &variants, |g, v| {
        let c = g.find(kernel, case, v)?;
        c.timing.as_ref()?;
        bound.values(c)?.1
    });
    let ceiling = match bound {
        Bound::Memory => "measured copy bandwidth",
        Bound::Compute => "measured bf16 GEMM rate",
    };
    series
        .iter()
        .any(|s| s.bars.iter().any(Option::is_some))
        .then(|| BarChart {
            id: chart_id("roofline", kernel, case),
            title: format!("{kernel} · {case}: % of roofline"),
            x_label: "build variant".into(),
            y_label: format!("% of {ceiling}"),
            categories: variants.iter().map(|s| s.to_string()).collect(),
            note: has_gaps(&series).then(|| MISSING_NOTE.to_string()),
            series,
            layout: Layout::Grouped,
            reference: Some(Reference {
                value: 100.0,
                label: format!("100 % = {ceiling}"),
            }),
        })
}

/// Change of median time against the baseline with its bootstrap interval, coloured by
/// verdict. `None` when no case has a timing verdict.
pub fn deltas(c: &Comparison) -> Option<BarChart> {
    let timed: Vec<_> = c.cases.iter().filter(|k| k.timing.is_some()).collect();
    if timed.is_empty() {
        return None;
    }
    let verdicts = [
        (Verdict::Slower, 3),
        (Verdict::Faster, 2),
        (Verdict::Same, 6),
        (Verdict::Unsure, 1),
    ];
    let series: Vec<Series> = verdicts
        .iter()
        .filter(|(v, _)| timed.iter().any(|k| k.verdict() == Some(*v)))
        .map(|(v, color)| Series {
            name: v.to_string(),
            color: *color,
            bars: timed
                .iter()
                .map(|k| {
                    let j = k.timing.as_ref()?;
                    (j.verdict == *v).then(|| Bar {
                        value: j.delta_pct(),
                        interval: j
                            .ci
                            .map(|(lo, hi)| ((lo - 1.0) * 100.0, (hi - 1.0) * 100.0)),
                    })
                })
                .collect(),
        })
        .collect();
    let cross = if c.same_device {
        String::new()
    } else {
        " (different GPUs: not regressions)".to_string()
    };
    Some(BarChart {
        id: format!("regression-{}", slug(&c.new_device)),
        title: format!("{}: median time vs baseline{cross}", c.new_device),
        x_label: "kernel · case · variant".into(),
        y_label: "time change (%, + is slower), 95 % CI".into(),
        categories: timed
            .iter()
            .map(|k| format!("{} · {} · {}", k.kernel, k.case, k.variant))
            .collect(),
        series,
        layout: Layout::Overlay,
        reference: Some(Reference {
            value: 0.0,
            label: "no change".into(),
        }),
        note: None,
    })
}

fn per_gpu(
    m: &Merged,
    variants: &[&str],
    value: impl Fn(&super::merge::GpuRun, &str) -> Option<f64>,
) -> Vec<Series> {
    m.gpus
        .iter()
        .enumerate()
        .map(|(i, g)| Series {
            name: format!("{} (sm {})", g.label, g.run.device.capability),
            color: i,
            bars: variants
                .iter()
                .map(|v| {
                    value(g, v).filter(|x| x.is_finite()).map(|value| Bar {
                        value,
                        interval: None,
                    })
                })
                .collect(),
        })
        .collect()
}

/// Every chart of a report: per kernel × case throughput, vs-native and roofline charts,
/// then one regression chart per comparison.
pub fn all(m: &Merged, comparisons: &[Comparison]) -> Vec<BarChart> {
    let mut out = Vec::new();
    for (k, c) in &m.kernel_cases {
        out.extend(throughput(m, k, c));
        out.extend(relative_to_native(m, k, c));
        out.extend(roofline(m, k, c));
    }
    out.extend(comparisons.iter().filter_map(deltas));
    out
}
