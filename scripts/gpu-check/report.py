#!/usr/bin/env python3
"""Dev side of the prepared GPU device check: the markdown comparison report.

This script owns one thing: turning what the device check brought back into one markdown
file. It reads archbench's results (a results JSON document, schema_version 1 or 2, or
schema 2 JSON Lines), optionally the PyTorch timings written by ``torch_side.py``, an Nsight
Compute CSV, ``archbench kernels --json`` and a text file of device information, and writes:

* a header (device, driver, CUDA, archbench version, run start, mode, ceilings);
* "archbench vs PyTorch": each PyTorch entry next to the fastest archbench variant whose
  check passed and next to ``pkgsCuda`` (same kernel and case label);
* "archbench timing vs Nsight Compute": ncu's ``gpu__time_duration.sum`` per launch, grouped
  by (kernel name, grid) and mapped to archbench cases through the kernels list;
* "archbench vs NVIDIA's libraries, and same-size copies" (with ``--vendor``): what
  ``vendor_side.cu`` measured for CUB's histogram and NPP's filters and resize next to the
  matching archbench case, and each memory-bound case against a copy of its own size;
* archbench cases that have no timing (refused, failed, crashed, ...), with their reason;
* the device information file verbatim.

It measures nothing and changes no input. Standard library only, Python 3.9+.

Usage::

    python3 report.py --results RUN.json[l] [--torch TORCH.json] [--ncu NCU.csv]
        [--kernels KERNELS.json] [--ncu-variant NAME] [--vendor VENDOR.jsonl]
        [--device-info TEXT_FILE] --out REPORT.md

Exit 0 on success; 1 with a message naming the path when the results file is missing or
unreadable; 2 on a usage error. A missing or unreadable optional input makes its section say
so. Non-finite numbers may appear as "NaN", "inf", "-inf" strings (or null) in any float
field of any input and are read as float('nan') / float('inf').
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import statistics
import sys
import tempfile

NAN = float("nan")
DEFAULT_NCU_VARIANT = "pkgsForCudaArch.sm_90"
WITHIN_PCT = 3.0


class InputError(Exception):
    """An input file that cannot be used; the message names the path."""


def warn(msg):
    print(f"report.py: warning: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------------------
# Numbers and formatting
# --------------------------------------------------------------------------------------

def num(value):
    """A float from a JSON value: numbers as they are, "NaN"/"inf"/"-inf" strings parsed,
    anything else (null, bools, junk) NaN."""
    if isinstance(value, bool) or value is None:
        return NAN
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return NAN
    return NAN


def ok(x):
    return isinstance(x, float) and math.isfinite(x)


def positive(x):
    return ok(x) and x > 0


def fmt_time(s):
    """Seconds with a unit: "12.3 µs", "2.345 ms", "1.234 s"; "—" when not finite."""
    if not ok(s):
        return "—"
    a = abs(s)
    if a < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if a < 1.0:
        return f"{s * 1e3:.3f} ms"
    return f"{s:.3f} s"


def fmt_rate(x):
    if not ok(x):
        return "—"
    return f"{x:.0f}" if abs(x) >= 100 else f"{x:.1f}"


def fmt_ratio(x):
    return f"{x:.2f}×" if ok(x) else "—"


def cell(value):
    """Text safe inside a markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def table(header, rows):
    out = ["| " + " | ".join(cell(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(cell(c) for c in r) + " |")
    return out


def as_dict(value):
    return value if isinstance(value, dict) else {}


def as_list(value):
    return value if isinstance(value, list) else []


def text_of(value, default="?"):
    if value is None or value == "":
        return default
    return str(value)


# --------------------------------------------------------------------------------------
# archbench results
# --------------------------------------------------------------------------------------

class Run:
    """An archbench run: the header fields, the cases (in file order), the end record."""

    def __init__(self, header, cases, end, warnings):
        self.header = header
        self.cases = cases
        self.end = end
        self.warnings = warnings

    @property
    def device(self):
        return as_dict(self.header.get("device"))


def read_results(path):
    """Reads a results JSON document or JSON Lines file. Raises InputError when unusable."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise InputError(f"cannot read results file {path}: {exc.strerror or exc}") from exc
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise InputError(f"results file {path} is empty")

    # (a) One JSON document (schema 1 or 2, or a JSON Lines file holding only its header).
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if doc is not None:
        if not isinstance(doc, dict) or "schema_version" not in doc:
            raise InputError(f"{path} is not an archbench results file "
                             "(a JSON object with schema_version was expected)")
        cases = [c for c in as_list(doc.get("cases")) if isinstance(c, dict)]
        return Run(doc, cases, None, check_version(doc, path))

    # (b) JSON Lines: header, then {"case": ...} / {"end": ...} lines.
    warnings = []
    lines = text.split("\n")
    # A file that ends with "\n" splits into a last empty string: the last real line was
    # complete. Otherwise the last line had no newline and may be a truncated write.
    last_complete = text.endswith("\n")
    header, cases, end = None, [], None
    for i, line in enumerate(lines):
        lineno = i + 1
        if not line.strip():
            continue
        is_last = i == len(lines) - 1
        try:
            obj = json.loads(line)
        except ValueError as exc:
            if is_last and not last_complete:
                w = (f"{path}:{lineno}: ignoring the last line: it has no trailing newline and "
                     f"does not parse (a write cut short?): {exc}")
            else:
                w = f"{path}:{lineno}: ignoring a line that does not parse: {exc}"
            warn(w)
            warnings.append(w)
            continue
        if header is None:
            if not isinstance(obj, dict) or "schema_version" not in obj:
                raise InputError(f"{path} is not an archbench results file: its first line "
                                 "is not a header object with schema_version")
            header = obj
            cases.extend(c for c in as_list(obj.get("cases")) if isinstance(c, dict))
            continue
        if isinstance(obj, dict) and isinstance(obj.get("case"), dict):
            cases.append(obj["case"])
        elif isinstance(obj, dict) and "end" in obj:
            end = obj["end"] if isinstance(obj["end"], dict) else {"value": obj["end"]}
        else:
            w = f"{path}:{lineno}: ignoring a line that is neither a case nor an end record"
            warn(w)
            warnings.append(w)
    if header is None:
        raise InputError(f"{path} is not an archbench results file: no line parses as JSON")
    warnings = check_version(header, path) + warnings
    return Run(header, cases, end, warnings)


def check_version(doc, path):
    version = doc.get("schema_version")
    if version in (1, 2):
        return []
    w = f"{path} has schema_version {version!r}; this report knows 1 and 2 and reads it anyway"
    warn(w)
    return [w]


def case_status(c):
    """The v2 status, or one derived from the v1 fields."""
    status = c.get("status")
    if isinstance(status, str) and status:
        return status
    corr = as_dict(c.get("correctness"))
    if corr and corr.get("passed") is False:
        return "failed"
    if c.get("error"):
        return "error"
    if isinstance(c.get("timing"), dict):
        return "ok"
    return "unknown"


def median_of(c):
    return num(as_dict(c.get("timing")).get("median_s"))


def passed(c):
    return as_dict(c.get("correctness")).get("passed") is True


def timed(c):
    return positive(median_of(c))


def fastest_passing(cases):
    """The case with the smallest median among those that passed their check and have one."""
    good = [c for c in cases if passed(c) and timed(c)]
    return min(good, key=median_of) if good else None


def index_cases(cases):
    by_key = {}
    for c in cases:
        key = (str(c.get("kernel")), str(c.get("case")))
        by_key.setdefault(key, []).append(c)
    return by_key


# --------------------------------------------------------------------------------------
# Optional inputs
# --------------------------------------------------------------------------------------

def read_json(path, what):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return json.load(f)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise InputError(f"{what} {path} is not JSON: {exc}") from exc


UNIT_SECONDS = {
    "nsecond": 1e-9, "ns": 1e-9, "usecond": 1e-6, "us": 1e-6, "µs": 1e-6,
    "msecond": 1e-3, "ms": 1e-3, "second": 1.0, "s": 1.0,
}


def parse_number(text):
    """A number from an ncu cell ("1,234.5" allowed); NaN when not a number."""
    t = (text or "").strip().replace(",", "")
    if not t:
        return NAN
    try:
        return float(t)
    except ValueError:
        return NAN


def normalize_kernel_name(name):
    """ncu's "Kernel Name" to a bare entry name: drop "void ", template args, parameters."""
    n = (name or "").strip()
    if n.startswith("void "):
        n = n[5:]
    for sep in ("(", "<"):
        if sep in n:
            n = n.split(sep, 1)[0]
    return n.strip()


def parse_dims(text):
    """ "(512, 1, 1)" or [512, 1, 1] -> (512, 1, 1); None when not three-ish ints."""
    if isinstance(text, (list, tuple)):
        vals = [int(v) for v in text if isinstance(v, (int, float)) and not isinstance(v, bool)]
    else:
        vals = [int(v) for v in re.findall(r"\d+", str(text or ""))]
    if not 1 <= len(vals) <= 3:
        return None
    return tuple(vals + [1] * (3 - len(vals)))


def read_ncu(path):
    """ncu --csv --page raw output -> ([{kernel, grid, block, seconds}], unit, warnings)."""
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            text = f.read()
    except OSError as exc:
        raise InputError(f"cannot read ncu CSV {path}: {exc.strerror or exc}") from exc
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("==")]
    rows = list(csv.reader(lines))
    if not rows:
        raise InputError(f"ncu CSV {path} has no header row")
    header = [h.strip() for h in rows[0]]

    def col(*names):
        for name in names:
            if name in header:
                return header.index(name)
        return None

    i_name = col("Kernel Name", "Function Name", "Name")
    i_grid = col("Grid Size")
    i_block = col("Block Size")
    i_dur = col("gpu__time_duration.sum", "gpu__time_duration")
    missing = [n for n, i in (("Kernel Name", i_name), ("Grid Size", i_grid),
                              ("gpu__time_duration.sum", i_dur)) if i is None]
    if missing:
        raise InputError(f"ncu CSV {path} lacks column(s) {', '.join(missing)} "
                         "(expected `ncu --csv --page raw --metrics gpu__time_duration.sum`)")
    body = rows[1:]
    unit, warnings = None, []
    if body and i_dur < len(body[0]) and not ok(parse_number(body[0][i_dur])):
        unit = body[0][i_dur].strip()  # the units row
        body = body[1:]
    scale = UNIT_SECONDS.get(unit or "nsecond")
    if scale is None:
        raise InputError(f"ncu CSV {path}: unknown duration unit {unit!r}")
    if unit is None:
        w = f"{path}: no units row; assuming gpu__time_duration.sum is in nanoseconds"
        warn(w)
        warnings.append(w)
    out = []
    for r in body:
        if max(i_name, i_grid, i_dur) >= len(r):
            continue
        v = parse_number(r[i_dur])
        grid = parse_dims(r[i_grid])
        if not ok(v) or grid is None:
            warnings.append(f"{path}: skipped a row without a duration or grid: {r[i_name]!r}")
            continue
        out.append({
            "kernel": normalize_kernel_name(r[i_name]),
            "grid": grid,
            "block": parse_dims(r[i_block]) if i_block is not None and i_block < len(r) else None,
            "seconds": v * scale,
        })
    return out, unit or "nsecond (assumed)", warnings


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------

def header_section(run, results_path):
    h, d = run.header, run.device
    tc = as_dict(h.get("toolchain"))
    st = as_dict(h.get("settings"))
    ce = as_dict(h.get("ceilings"))
    device_name = text_of(d.get("name"))
    drv_cuda = d.get("driver_cuda_version")
    if isinstance(drv_cuda, int) and drv_cuda > 0:
        drv_cuda = f"{drv_cuda // 1000}.{(drv_cuda % 1000) // 10}"
    mode = text_of(st.get("mode"))
    if st.get("quick") is True:
        mode += " (quick sizes)"
    copy_gbps, gemm_tflops = num(ce.get("copy_gbps")), num(ce.get("gemm_bf16_tflops"))
    lines = [
        f"# archbench GPU check: {device_name}",
        "",
        f"Measured by `scripts/gpu-check.sh` on {device_name}; numbers are medians of cold "
        "(L2-flushed) samples.",
        "",
        f"- device: {device_name}, capability {text_of(d.get('capability'))}, "
        f"{text_of(d.get('sm_count'))} SMs, SM clock {text_of(d.get('sm_clock_mhz'))} MHz",
        f"- driver: {text_of(d.get('driver_release'), 'release unknown')} "
        f"(CUDA {text_of(drv_cuda)})",
        f"- CUDA toolchain: {text_of(tc.get('cuda'))} (nvcc {text_of(tc.get('nvcc_release'))})",
        f"- archbench {text_of(h.get('archbench_version'))}, results schema "
        f"{text_of(h.get('schema_version'))}, run started {text_of(h.get('started'))}",
        f"- mode: {mode}, seed {text_of(st.get('seed'))}",
        f"- ceilings: copy {fmt_rate(copy_gbps)} GB/s, cuBLAS bf16 GEMM "
        f"{fmt_rate(gemm_tflops)} TFLOP/s" + (f" ({ce.get('note')})" if ce.get("note") else ""),
        f"- results: `{os.path.basename(results_path)}`, {len(run.cases)} case(s)"
        + ("" if run.end is not None or h.get("schema_version") == 1 else
           "; no end record (the run may have been cut short)"),
    ]
    if run.end is not None:
        end = run.end
        wall = num(end.get("wall_s"))
        lines.append(f"- run ended {text_of(end.get('finished'))}"
                     + (f" after {wall:.0f} s" if ok(wall) else "")
                     + f", exit code {text_of(end.get('exit_code'))}")
        for cut in as_list(end.get("cut")):
            lines.append(f"- cut by the run budget: {cut}")
    for w in run.warnings:
        lines.append(f"- warning: {w}")
    return lines


def torch_section(run, torch_path):
    lines = ["", "## archbench vs PyTorch", ""]
    if torch_path is None:
        return lines + ["Missing: no PyTorch timings were given (`--torch`)."]
    try:
        doc = read_json(torch_path, "PyTorch timings")
    except InputError as exc:
        return lines + [f"Missing: {exc}."]
    if not isinstance(doc, dict):
        return lines + [f"Missing: {torch_path} is not a torch_side.py output (not an object)."]
    meta = [f"PyTorch {text_of(doc.get('torch'))}, torchvision {text_of(doc.get('torchvision'))}, "
            f"CUDA {text_of(doc.get('cuda'))} on {text_of(doc.get('device'))}; "
            f"allow_tf32 = {text_of(doc.get('allow_tf32'))}."]
    if doc.get("method"):
        meta.append(f"Method: {doc['method']}.")
    entries = [e for e in as_list(doc.get("entries")) if isinstance(e, dict)]
    torch_dev, run_dev = doc.get("device"), run.device.get("name")
    if torch_dev and run_dev and str(torch_dev) != str(run_dev):
        meta.append(f"**Warning:** PyTorch ran on {torch_dev}, archbench on {run_dev}: "
                    "the two sides are not comparable.")
    if doc.get("error"):
        meta.append(f"**The PyTorch side reported an error:** {doc['error']}")
    if not entries:
        return lines + meta + ["", "No PyTorch entries to compare."]

    by_key = index_cases(run.cases)
    header = ["kernel", "case", "torch op", "torch median", "archbench best (variant)",
              "archbench pkgsCuda", "torch / best", "GB/s torch", "GB/s archbench",
              "TFLOP/s torch / archbench", "note"]
    rows = []
    for e in entries:
        kernel, label = str(e.get("kernel")), str(e.get("case"))
        t_med = num(e.get("median_s"))
        cases = by_key.get((kernel, label), [])
        best = fastest_passing(cases)
        pkgs = next((c for c in cases if c.get("variant") == "pkgsCuda" and timed(c)), None)
        notes = []
        if e.get("error"):
            notes.append(f"torch error: {e['error']}")
        if not cases:
            notes.append("not run by archbench")
        elif best is None:
            statuses = sorted({case_status(c) for c in cases})
            notes.append("no passing archbench timing (status: " + ", ".join(statuses) + ")")
        if e.get("note"):
            notes.append(str(e["note"]))
        b_med = median_of(best) if best else NAN
        ref = best if best is not None else (cases[0] if cases else None)
        nbytes = num(ref.get("bytes")) if ref else num(e.get("bytes"))
        flops = num(ref.get("flops")) if ref else num(e.get("flops"))
        ratio = t_med / b_med if positive(t_med) and positive(b_med) else NAN
        gbps_t = nbytes / t_med / 1e9 if positive(nbytes) and positive(t_med) else NAN
        gbps_b = nbytes / b_med / 1e9 if positive(nbytes) and positive(b_med) else NAN
        tflops = "—"
        if kernel in ("gemm", "sgemm") and positive(flops):
            tf_t = flops / t_med / 1e12 if positive(t_med) else NAN
            tf_b = flops / b_med / 1e12 if positive(b_med) else NAN
            tflops = f"{fmt_rate(tf_t)} / {fmt_rate(tf_b)}"
        rows.append([
            kernel, label, f"`{e.get('op')}`" if e.get("op") else "—",
            fmt_time(t_med) + (f" (n={e.get('n')})" if positive(t_med) else ""),
            f"{fmt_time(b_med)} ({best.get('variant')})" if best else "—",
            fmt_time(median_of(pkgs)) if pkgs else "—",
            fmt_ratio(ratio),
            fmt_rate(gbps_t), fmt_rate(gbps_b), tflops,
            "; ".join(notes),
        ])
    lines += meta + [""] + table(header, rows)
    lines += ["", "torch / best > 1 means archbench's fastest passing variant is faster. GB/s "
              "uses archbench's byte count of the case for both sides (PyTorch may move more, "
              "e.g. float32 images, eager temporaries, a bf16 instead of f32 GEMM output)."]
    return lines


# vendor_side.cu's entries that do what an archbench kernel does, and what differs.
VENDOR_MATCH = {
    "cub_histogram_even": ("histogram_256", "int counters; CUB's own init and sweep launches"),
    "cub_histogram_even_2d": ("histogram_256", "the row-stride overload"),
    "npp_gauss_advanced_binomial_5x5": (
        "gaussian_blur_5x5", "archbench's taps [1 4 6 4 1]/16 as floats, NPP_BORDER_MIRROR"),
    "npp_gauss_5x5": ("gaussian_blur_5x5", "NPP's own 5x5 kernel (sigma 1.6), NPP_BORDER_REPLICATE"),
    "npp_sobel_vert_3x3_8u16s": ("sobel_3x3_dx", "NPP_BORDER_REPLICATE"),
    "npp_resize_linear_8u_c3": ("resize_bilinear", "NPPI_INTER_LINEAR (its own sampling)"),
}


def vendor_check(e):
    """What vendor_side.cu found when it compared the library's output with a reference."""
    if e.get("check"):
        return f"check {e['check']}"
    for key in ("vs_binomial_round", "vs_half_pixel_bilinear"):
        d = as_dict(e.get(key))
        if d:
            n = d.get("interior_pixels", d.get("bytes"))
            bad = d.get("differ", d.get("differ_by_more_than_1"))
            return f"{key}: {bad} of {n} differ (max {d.get('max_abs_diff')})"
    if "differ_vs_dx" in e:
        return f"differs from dx at {e['differ_vs_dx']} of {e.get('interior_pixels')} interior pixels"
    return ""


def vendor_section(run, vendor_path):
    lines = ["", "## archbench vs NVIDIA's libraries, and same-size copies", ""]
    entries, bad = [], 0
    try:
        with open(vendor_path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(obj, dict):
                    entries.append(obj)
                else:
                    bad += 1
    except OSError as exc:
        return lines + [f"Missing: cannot read {vendor_path}: {exc.strerror or exc}."]
    dev = next((e for e in entries if e.get("what") == "device"), {})
    lines.append(f"`vendor_side.cu` on {text_of(dev.get('name'))}: CUDA events around one call, "
                 "L2 flushed before each sample and the call queued behind a spin, as archbench's "
                 "cold mode; median of up to 200 samples." + (f" {bad} line(s) did not parse."
                                                             if bad else ""))
    by_key = index_cases(run.cases)

    rows = []
    for e in entries:
        what = str(e.get("what"))
        if what not in VENDOR_MATCH:
            continue
        kernel, differs = VENDOR_MATCH[what]
        label = str(e.get("case"))
        if e.get("error") or e.get("skipped"):
            rows.append([kernel, label, f"`{e.get('function') or what}`", "—", "—", "—",
                         str(e.get("error") or e.get("skipped"))])
            continue
        v_med = num(e.get("median_us")) / 1e6
        best = fastest_passing(by_key.get((kernel, label), []))
        b_med = median_of(best) if best else NAN
        ratio = v_med / b_med if positive(v_med) and positive(b_med) else NAN
        rows.append([kernel, label, f"`{e.get('function') or what}` ({text_of(e.get('version'))})",
                     fmt_time(v_med), f"{fmt_time(b_med)} ({best.get('variant')})" if best else "—",
                     fmt_ratio(ratio), "; ".join(x for x in (differs, vendor_check(e)) if x)])
    if rows:
        lines += ["", "Library / best > 1 means archbench's fastest passing variant is faster."]
        lines += [""] + table(["kernel", "case", "library call", "library median",
                               "archbench best (variant)", "library / best", "note"], rows)
    have_library_rows = bool(rows)
    skipped = [e for e in entries if e.get("what") == "npp" and e.get("skipped")]
    if skipped:
        lines += ["", f"NPP: skipped ({text_of(skipped[0].get('skipped'))})."]
    copies = {}
    for e in entries:
        nbytes, med = num(e.get("bytes")), num(e.get("median_us"))
        if e.get("what") == "memcpy_d2d" and positive(nbytes) and positive(med) and nbytes < 2 ** 53:
            copies[int(nbytes)] = med / 1e6
    ceiling = num(as_dict(run.header.get("ceilings")).get("copy_gbps"))
    rows = []
    for (kernel, label), cases in sorted(by_key.items()):
        if "gemm" in kernel:
            continue
        best = fastest_passing(cases)
        if best is None:
            continue
        nbytes = num(best.get("bytes"))
        if not positive(nbytes):
            continue
        t_copy = copies.get(int(nbytes) // 2) if nbytes < 2 ** 53 else None
        if t_copy is None:
            continue
        b_med = median_of(best)
        gbps = nbytes / b_med / 1e9
        rows.append([kernel, label, f"{nbytes / 1e6:.1f} MB", f"{fmt_time(b_med)} ({best.get('variant')})",
                     fmt_time(t_copy), f"{100 * t_copy / b_med:.0f} %",
                     f"{100 * gbps / ceiling:.0f} %" if positive(ceiling) else "—"])
    if rows:
        lines += ["", "Same-size copies: `cudaMemcpyAsync` of half the case's bytes (the case counts "
                  "bytes read + written), timed the same way. A small case cannot reach the "
                  "large-copy ceiling even as a copy; the ratio to the same-size copy is what the "
                  "kernel leaves on the table at that size."]
        lines += [""] + table(["kernel", "case", "bytes", "archbench best (variant)",
                               "same-size copy", "% of same-size copy", "% of copy ceiling"], rows)
    elif not have_library_rows:
        lines += ["", "No entry matches an archbench case."]
    return lines


def ncu_section(run, ncu_path, kernels_path, variant_name):
    lines = ["", "## archbench timing vs Nsight Compute", ""]
    if ncu_path is None:
        return lines + ["Missing: no ncu CSV was given (`--ncu`)."]
    if kernels_path is None:
        return lines + ["Missing: the ncu rows cannot be mapped to archbench cases without "
                        "`--kernels KERNELS.json` (`archbench kernels --json`)."]
    try:
        ncu_rows, unit, warnings = read_ncu(ncu_path)
        kernels = read_json(kernels_path, "kernels list")
    except InputError as exc:
        return lines + [f"Missing: {exc}."]
    if not isinstance(kernels, list):
        return lines + [f"Missing: {kernels_path} is not `archbench kernels --json` output."]

    # (entry, grid) -> ncu durations.
    groups = {}
    for r in ncu_rows:
        groups.setdefault((r["kernel"], r["grid"]), []).append(r["seconds"])
    # (entry, grid) -> archbench cases that launch it; and every case's launches.
    owners, case_launches = {}, []
    for k in kernels:
        for c in as_list(as_dict(k).get("cases")):
            c = as_dict(c)
            launches = []
            for launch in as_list(c.get("launches")):
                launch = as_dict(launch)
                key = (str(launch.get("entry")), parse_dims(launch.get("grid")))
                if key[1] is None and launch.get("contract"):
                    # Shaped by the loaded image (grid unknown until run): the profiled
                    # launch of that entry, when ncu saw exactly one grid for it.
                    grids = {g for (e, g) in groups if e == key[0]}
                    if len(grids) == 1:
                        key = (key[0], grids.pop())
                launches.append(key)
                owners.setdefault(key, []).append((str(as_dict(k).get("name")), str(c.get("label"))))
            case_launches.append((str(as_dict(k).get("name")), str(c.get("label")), launches))

    by_key = index_cases(run.cases)
    header = ["entry", "case", "variant", "archbench median", "ncu median (n launches)",
              "difference", "verdict"]
    rows, used = [], set()
    for kname, label, launches in case_launches:
        found = [key for key in launches if key in groups]
        if not found:
            continue
        used.update(found)
        entry_text = " + ".join(f"{e} {fmt_grid(g)}" for e, g in launches)
        timed_cases = [c for c in by_key.get((kname, label), []) if timed(c)]
        chosen = next((c for c in timed_cases if c.get("variant") == variant_name), None)
        vnote = variant_name
        if chosen is None and timed_cases:
            chosen = timed_cases[0]
            vnote = f"{chosen.get('variant')} ({variant_name} has no timing for this case)"
        elif chosen is None:
            vnote = "— (no archbench timing for this case)"
        ambiguous = sorted({o for key in found for o in owners.get(key, [])} - {(kname, label)})
        if len(found) < len(launches):
            ncu_text = (f"only {len(found)} of the case's {len(launches)} launches profiled: "
                        + ", ".join(f"{e} {fmt_time(statistics.median(groups[(e, g)]))}"
                                    for e, g in found))
            a_med, n_med = NAN, NAN
        else:
            meds = [statistics.median(groups[key]) for key in launches]
            n_med = sum(meds)
            counts = "+".join(str(len(groups[key])) for key in launches)
            ncu_text = f"{fmt_time(n_med)} (n={counts})"
            a_med = median_of(chosen) if chosen else NAN
        diff = (a_med - n_med) / n_med * 100 if positive(a_med) and positive(n_med) else NAN
        if not ok(diff):
            verdict = "—"
        elif abs(diff) <= WITHIN_PCT:
            verdict = f"within {WITHIN_PCT:g} %"
        else:
            verdict = f"differs by {diff:+.1f} %"
        if ambiguous:
            verdict += "; the same launch also belongs to " + ", ".join(f"{k} {l}" for k, l in ambiguous)
        rows.append([entry_text, f"{kname} {label}", vnote, fmt_time(a_med), ncu_text,
                     f"{diff:+.1f} %" if ok(diff) else "—", verdict])
    lines += [f"ncu durations in {unit} in `{os.path.basename(ncu_path)}`: {len(ncu_rows)} "
              f"launch(es) of {len(groups)} (kernel, grid) group(s); archbench variant "
              f"{variant_name} unless said otherwise.", ""]
    if rows:
        lines += table(header, rows)
    else:
        lines.append("No ncu launch matches a launch of the kernels list.")
    unmatched = sorted(set(groups) - used)
    if unmatched:
        lines += ["", "ncu launches that match no archbench case: " + ", ".join(
            f"{e} {fmt_grid(g)} (n={len(groups[(e, g)])})" for e, g in unmatched) + "."]
    for w in warnings[:5]:
        lines.append(f"\nwarning: {w}")
    lines += ["", "difference = (archbench − ncu) / ncu. archbench's CUDA-event time includes "
              "the launch's front-end overhead (~1–2 µs), which ncu's gpu__time_duration "
              "excludes, so short kernels read a little slower in archbench. ncu also locks "
              "the clocks to base unless run with `--clock-control none`, and flushes caches "
              "before each profiled launch by default (`--cache-control all`), like archbench's "
              "cold mode. For a case of several launches ncu's medians are summed."]
    return lines


def fmt_grid(g):
    return "(" + ", ".join(str(v) for v in g) + ")" if g else "(?)"


def untimed_section(run):
    rows = []
    for c in run.cases:
        if timed(c):
            continue
        corr = as_dict(c.get("correctness"))
        why = []
        if corr:
            why.append(f"check {'passed' if corr.get('passed') else 'FAILED'}: "
                       f"{text_of(corr.get('mismatches'), '?')} mismatch(es), max |err| "
                       f"{format_float(num(corr.get('max_abs_err')))}"
                       + (f", {corr.get('detail')}" if corr.get("detail") else ""))
        if c.get("error"):
            why.append(str(c["error"]))
        rows.append([c.get("variant"), c.get("kernel"), c.get("case"), case_status(c),
                     "; ".join(why) or "—"])
    lines = ["", "## archbench cases without timing", ""]
    if not rows:
        return lines + ["Every archbench case has a timing."]
    return lines + table(["variant", "kernel", "case", "status", "why"], rows)


def format_float(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.3g}"


def device_info_section(path):
    lines = ["", "## Device information", ""]
    if path is None:
        return lines + ["Missing: no device information file was given (`--device-info`)."]
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as exc:
        return lines + [f"Missing: cannot read {path}: {exc.strerror or exc}."]
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return lines + [f"`{os.path.basename(path)}`, verbatim:", "", fence + "text",
                    text.rstrip("\n"), fence]


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def write_atomic(path, text):
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def build_report(args):
    run = read_results(args.results)
    lines = header_section(run, args.results)
    lines += torch_section(run, args.torch)
    lines += ncu_section(run, args.ncu, args.kernels, args.ncu_variant)
    if args.vendor is not None:
        lines += vendor_section(run, args.vendor)
    lines += untimed_section(run)
    lines += device_info_section(args.device_info)
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description="Markdown report of a GPU device check: archbench "
                                "vs PyTorch vs Nsight Compute.")
    p.add_argument("--results", required=True, help="archbench results (.json or .jsonl)")
    p.add_argument("--torch", help="torch_side.py output")
    p.add_argument("--ncu", help="ncu --csv --page raw --metrics gpu__time_duration.sum output")
    p.add_argument("--kernels", help="archbench kernels --json output (maps ncu launches)")
    p.add_argument("--ncu-variant", default=DEFAULT_NCU_VARIANT,
                   help=f"archbench variant compared with ncu (default {DEFAULT_NCU_VARIANT})")
    p.add_argument("--vendor", help="vendor_side.cu output (JSON Lines): CUB/NPP and same-size copies")
    p.add_argument("--device-info", help="text file included verbatim (e.g. nvidia-smi output)")
    p.add_argument("--out", required=True, help="where to write the markdown")
    args = p.parse_args(argv)
    try:
        text = build_report(args)
    except InputError as exc:
        print(f"report.py: {exc}", file=sys.stderr)
        return 1
    try:
        write_atomic(args.out, text)
    except OSError as exc:
        print(f"report.py: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"report.py: wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
