//! [`Suite`] and [`Bench`]: a suite is the images of a build and the benches declared over
//! them; a bench is a body (what one case declares) and the axes its cases range over. The
//! suite is what the engine runs ([`CaseSource`]).

use std::sync::Arc;

use archbench_core::manifest::parse_image_key;

use super::axis::{points, Group, IntoRows, IntoValues, Value};
use super::case::Case;
use crate::images::Images;
use crate::workload::{BenchInfo, CaseInfo, CaseSource, Set, Workload};

type Body = Arc<dyn Fn(&mut Case) + Send + Sync>;

/// One point of a bench's axes and the image key it loads.
type Point = (Vec<(String, Value)>, String);

/// One bench: a name, the body that declares a case, and the axes its cases range over.
#[derive(Clone)]
pub struct Bench {
    name: String,
    source: Option<String>,
    description: String,
    tags: Vec<String>,
    groups: Vec<Group>,
    body: Body,
    errors: Vec<String>,
}

impl std::fmt::Debug for Bench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bench")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("groups", &self.groups)
            .finish_non_exhaustive()
    }
}

impl Bench {
    /// A bench named `name` whose cases `body` declares.
    pub fn new(name: &str, body: impl Fn(&mut Case) + Send + Sync + 'static) -> Self {
        Bench {
            name: name.to_string(),
            source: None,
            description: String::new(),
            tags: Vec::new(),
            groups: Vec::new(),
            body: Arc::new(body),
            errors: Vec::new(),
        }
    }

    /// The kernel source whose images hold the bench's entry points (`saxpy.cu`); needed
    /// when the build compiled several sources and none is named like the bench.
    pub fn source(mut self, file: &str) -> Self {
        self.source = Some(file.to_string());
        self
    }

    /// A sentence on what the bench measures (for listings and reports).
    pub fn description(mut self, text: &str) -> Self {
        self.description = text.to_string();
        self
    }

    /// A group it belongs to (`torch`, `opencv`, …).
    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.push(tag.to_string());
        self
    }

    fn add_group(mut self, g: Group) -> Self {
        for n in &g.names {
            if self.groups.iter().any(|h| h.names.contains(n)) {
                self.errors.push(format!("axis `{n}` is declared twice"));
            }
        }
        if g.default.is_empty() {
            self.errors
                .push(format!("axis {} has no values", g.names.join(", ")));
        }
        self.groups.push(g);
        self
    }

    /// An axis: every case is run for each of `values` (and every value of the other axes).
    pub fn axis(self, name: &str, values: impl IntoValues) -> Self {
        let g = Group::single(name, values.into_values());
        self.add_group(g)
    }

    /// Implementations of one operation, compared side by side: the axis `impl`, whose value
    /// a body reads with [`Case::implementation`] or `c.str("impl")`.
    pub fn impls(self, names: impl IntoValues) -> Self {
        self.axis("impl", names)
    }

    /// Zipped axes that advance together: `zip(["rows", "cols"], vec![(4096, 4096), (32768,
    /// 256)])` gives two cases, not four.
    pub fn zip(self, names: &[&str], rows: impl IntoRows) -> Self {
        let rows = rows.into_rows();
        let mut s = self;
        if rows.iter().any(|r| r.len() != names.len()) {
            s.errors.push(format!(
                "zipped axes {names:?}: every row needs {} values",
                names.len()
            ));
        }
        s.add_group(Group {
            names: names.iter().map(|n| n.to_string()).collect(),
            default: rows,
            quick: None,
            edges: None,
        })
    }

    fn set_rows(mut self, names: &[&str], rows: Vec<Vec<Value>>, set: Set) -> Self {
        let Some(g) = self
            .groups
            .iter_mut()
            .find(|g| g.names.iter().map(String::as_str).eq(names.iter().copied()))
        else {
            self.errors.push(format!(
                "`{}` values for {names:?}: declare the axis (or zipped axes) first",
                if set == Set::Quick { "quick" } else { "edges" }
            ));
            return self;
        };
        if rows.iter().any(|r| r.len() != names.len()) || rows.is_empty() {
            self.errors.push(format!(
                "values for {names:?}: give at least one row of {} values",
                names.len()
            ));
        }
        match set {
            Set::Quick => g.quick = Some(rows),
            _ => g.edges = Some(rows),
        }
        self
    }

    /// The values of axis `name` under `--quick` (default: all of them).
    pub fn quick(self, name: &str, values: impl IntoValues) -> Self {
        let rows = values.into_values().into_iter().map(|v| vec![v]).collect();
        self.set_rows(&[name], rows, Set::Quick)
    }

    /// The rows of zipped axes under `--quick`.
    pub fn quick_rows(self, names: &[&str], rows: impl IntoRows) -> Self {
        self.set_rows(names, rows.into_rows(), Set::Quick)
    }

    /// The values of axis `name` in the edge set (small shapes at the kernels' path
    /// boundaries, run for correctness only; default: the quick values).
    pub fn edges(self, name: &str, values: impl IntoValues) -> Self {
        let rows = values.into_values().into_iter().map(|v| vec![v]).collect();
        self.set_rows(&[name], rows, Set::Edges)
    }

    /// The rows of zipped axes in the edge set (small shapes at the kernels' path boundaries,
    /// run for correctness only; default: the quick rows).
    pub fn edge_rows(self, names: &[&str], rows: impl IntoRows) -> Self {
        self.set_rows(names, rows.into_rows(), Set::Edges)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// A suite: the images of a build and the benches declared over them.
///
/// See [the module docs](crate::bench) for an example.
#[derive(Clone)]
pub struct Suite {
    name: String,
    images: Arc<Images>,
    benches: Vec<Bench>,
    errors: Vec<String>,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("name", &self.name)
            .field("benches", &self.benches)
            .finish_non_exhaustive()
    }
}

impl Suite {
    /// A suite over `images` (usually `archbench::images!()`), named after the crate that
    /// built them.
    pub fn new(images: Images) -> Self {
        let name = images.package().unwrap_or("suite").to_string();
        Suite {
            name,
            images: Arc::new(images),
            benches: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Names the suite (recorded with its results; default: the crate's name).
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// Adds a bench named `name` whose cases `body` declares; [`axis`](Self::axis) and the
    /// other bench settings called next apply to it.
    pub fn bench(mut self, name: &str, body: impl Fn(&mut Case) + Send + Sync + 'static) -> Self {
        self.insert(Bench::new(name, body));
        self
    }

    /// Adds a bench built with [`Bench`]'s own methods.
    pub fn with_bench(mut self, bench: Bench) -> Self {
        self.insert(bench);
        self
    }

    fn insert(&mut self, bench: Bench) {
        if self.benches.iter().any(|b| b.name == bench.name) {
            self.errors
                .push(format!("two benches are named `{}`", bench.name));
        }
        self.benches.push(bench);
    }

    fn last(mut self, f: impl FnOnce(Bench) -> Bench, what: &str) -> Self {
        match self.benches.pop() {
            Some(b) => self.benches.push(f(b)),
            None => self
                .errors
                .push(format!("`{what}` before any `bench`: add a bench first")),
        }
        self
    }

    /// [`Bench::axis`] on the last bench added.
    pub fn axis(self, name: &str, values: impl IntoValues) -> Self {
        self.last(|b| b.axis(name, values), "axis")
    }
    /// [`Bench::impls`] on the last bench added.
    pub fn impls(self, names: impl IntoValues) -> Self {
        self.last(|b| b.impls(names), "impls")
    }
    /// [`Bench::zip`] on the last bench added.
    pub fn zip(self, names: &[&str], rows: impl IntoRows) -> Self {
        self.last(|b| b.zip(names, rows), "zip")
    }
    /// [`Bench::quick`] on the last bench added.
    pub fn quick(self, name: &str, values: impl IntoValues) -> Self {
        self.last(|b| b.quick(name, values), "quick")
    }
    /// [`Bench::quick_rows`] on the last bench added.
    pub fn quick_rows(self, names: &[&str], rows: impl IntoRows) -> Self {
        self.last(|b| b.quick_rows(names, rows), "quick_rows")
    }
    /// [`Bench::edges`] on the last bench added.
    pub fn edges(self, name: &str, values: impl IntoValues) -> Self {
        self.last(|b| b.edges(name, values), "edges")
    }
    /// [`Bench::edge_rows`] on the last bench added.
    pub fn edge_rows(self, names: &[&str], rows: impl IntoRows) -> Self {
        self.last(|b| b.edge_rows(names, rows), "edge_rows")
    }
    /// [`Bench::tag`] on the last bench added.
    pub fn tag(self, tag: &str) -> Self {
        self.last(|b| b.tag(tag), "tag")
    }
    /// [`Bench::source`] on the last bench added.
    pub fn source(self, file: &str) -> Self {
        self.last(|b| b.source(file), "source")
    }
    /// [`Bench::description`] on the last bench added.
    pub fn description(self, text: &str) -> Self {
        self.last(|b| b.description(text), "description")
    }

    /// The suite's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The images the suite runs.
    pub fn images(&self) -> &Images {
        &self.images
    }

    /// Its benches.
    pub fn benches(&self) -> &[Bench] {
        &self.benches
    }

    /// Declaration errors of the suite and its benches (an axis declared twice, a bench
    /// whose source the build does not have, …), one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.errors.clone();
        for b in &self.benches {
            out.extend(b.errors.iter().map(|e| format!("bench `{}`: {e}", b.name)));
            if let Err(e) = self.source_of(b) {
                out.push(format!("bench `{}`: {e}", b.name));
            }
        }
        out
    }

    /// Every image key the build has, as (file, axis values).
    fn keys(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.images
            .keys()
            .iter()
            .map(|k| match parse_image_key(k) {
                Some((f, axes)) => (
                    f.to_string(),
                    axes.into_iter()
                        .map(|(n, v)| (n.to_string(), v.to_string()))
                        .collect(),
                ),
                None => (k.to_string(), Vec::new()),
            })
            .collect()
    }

    /// The source file a bench loads: the one named, else the only one built, else the one
    /// named like the bench.
    fn source_of(&self, b: &Bench) -> Result<String, String> {
        let keys = self.keys();
        let mut files: Vec<&str> = Vec::new();
        for (f, _) in &keys {
            if !files.contains(&f.as_str()) {
                files.push(f);
            }
        }
        if let Some(s) = &b.source {
            return if files.is_empty() || files.contains(&s.as_str()) {
                Ok(s.clone())
            } else {
                Err(format!(
                    "its source `{s}` is not in the build (built: {})",
                    files.join(", ")
                ))
            };
        }
        match files.as_slice() {
            [] => Ok(format!("{}.cu", b.name)),
            [one] => Ok(one.to_string()),
            more => {
                let own = format!("{}.cu", b.name);
                if more.contains(&own.as_str()) {
                    Ok(own)
                } else {
                    Err(format!(
                        "the build has several sources ({}); name the bench's with `.source(\"…\")`",
                        more.join(", ")
                    ))
                }
            }
        }
    }

    /// The compile-time axes of `source`: each name with its values, in build order.
    fn compile_axes(&self, source: &str) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (f, axes) in self.keys() {
            if f != source {
                continue;
            }
            for (n, v) in axes {
                match out.iter_mut().find(|(m, _)| *m == n) {
                    Some((_, vs)) => {
                        if !vs.contains(&v) {
                            vs.push(v);
                        }
                    }
                    None => out.push((n, vec![v])),
                }
            }
        }
        out
    }

    fn bench_named(&self, name: &str) -> Option<&Bench> {
        self.benches.iter().find(|b| b.name == name)
    }

    /// The points of a bench in `set`, with the image key each loads.
    fn expand(&self, b: &Bench, set: Set) -> Result<Vec<Point>, String> {
        let source = self.source_of(b)?;
        let compile = self.compile_axes(&source);
        let mut groups = b.groups.clone();
        for (n, vs) in &compile {
            if groups.iter().any(|g| g.names.contains(n)) {
                // The bench names the compile axis itself (to choose or order its values).
                continue;
            }
            groups.push(Group::single(
                n,
                vs.iter().map(|v| Value::Str(v.clone())).collect(),
            ));
        }
        Ok(points(&groups, set)
            .into_iter()
            .map(|p| {
                let axes: Vec<(String, String)> = compile
                    .iter()
                    .filter_map(|(n, _)| {
                        p.iter()
                            .find(|(m, _)| m == n)
                            .map(|(_, v)| (n.clone(), v.to_string()))
                    })
                    .collect();
                let key = if axes.is_empty() {
                    source.clone()
                } else {
                    let parts: Vec<String> = axes.iter().map(|(n, v)| format!("{n}={v}")).collect();
                    format!("{source}[{}]", parts.join(","))
                };
                (p, key)
            })
            .collect())
    }

    /// Runs a bench's body for one point; a panic is the case's error.
    fn declare(&self, b: &Bench, point: Vec<(String, Value)>, set: Set) -> Result<Case, String> {
        let mut c = Case::new(&b.name, point, set);
        match crate::panics::catch(|| (b.body)(&mut c)) {
            Ok(()) => Ok(c),
            Err(m) => Err(format!("the bench's body panicked: {m}")),
        }
    }
}

impl CaseSource for Suite {
    fn suite_name(&self) -> &str {
        &self.name
    }

    fn benches(&self) -> Vec<BenchInfo> {
        self.benches
            .iter()
            .map(|b| BenchInfo {
                name: b.name.clone(),
                source: self
                    .source_of(b)
                    .unwrap_or_else(|_| b.source.clone().unwrap_or_default()),
                description: b.description.clone(),
                tags: b.tags.clone(),
            })
            .collect()
    }

    fn cases(&self, bench: &str, set: Set) -> Vec<CaseInfo> {
        let Some(b) = self.bench_named(bench) else {
            return Vec::new();
        };
        let points = match self.expand(b, set) {
            Ok(p) => p,
            Err(e) => {
                return vec![CaseInfo {
                    label: "default".into(),
                    implementation: None,
                    axes: Vec::new(),
                    image: b.source.clone().unwrap_or_default(),
                    bytes: 0,
                    flops: 0,
                    error: Some(e),
                    unchecked: None,
                }]
            }
        };
        let mut out: Vec<CaseInfo> = Vec::with_capacity(points.len());
        for (point, image) in points {
            let axes: Vec<(String, String)> = point
                .iter()
                .map(|(n, v)| (n.clone(), v.to_string()))
                .collect();
            let implementation = point
                .iter()
                .find(|(n, _)| n == "impl")
                .map(|(_, v)| v.to_string());
            let fallback = axes
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            let mut info = CaseInfo {
                label: fallback,
                implementation,
                axes,
                image,
                bytes: 0,
                flops: 0,
                error: None,
                unchecked: None,
            };
            match self.declare(b, point, set) {
                Ok(mut c) => {
                    info.label = c.label_text();
                    (info.bytes, info.flops) = c.work();
                    info.unchecked = c.unchecked_reason();
                    let errors = c.errors();
                    if !errors.is_empty() {
                        info.error = Some(errors.join("; "));
                    }
                    debug_assert_eq!(c.point().len(), info.axes.len());
                }
                Err(e) => info.error = Some(e),
            }
            if out.iter().any(|o| o.label == info.label) {
                info.error.get_or_insert_with(|| {
                    format!(
                        "two cases are labelled `{}`; give each a distinct `c.label(…)`",
                        info.label
                    )
                });
            }
            out.push(info);
        }
        out
    }

    fn workload(&self, bench: &str, set: Set, index: usize) -> Result<Workload, String> {
        let b = self
            .bench_named(bench)
            .ok_or_else(|| format!("no bench `{bench}` in the suite"))?;
        let (point, _) = self
            .expand(b, set)?
            .into_iter()
            .nth(index)
            .ok_or_else(|| format!("bench `{bench}` has no case {index}"))?;
        self.declare(b, point, set)?.into_workload()
    }
}
