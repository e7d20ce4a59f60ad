#!/usr/bin/env python3
"""PyTorch side of the prepared GPU device check (device machine).

This script owns one thing: timing the PyTorch / torchvision counterparts of archbench's
kernels on ``cuda:0`` with the same method archbench's cold mode uses, and writing those
timings to a JSON file that ``archbench report --torch`` (the dev side) compares with\narchbench's results.
It does not build, run or judge archbench kernels, and it checks no outputs for correctness
(only ``--selftest-cpu`` checks shapes and a few values, on CPU, at tiny sizes).

Usage::

    python3 torch_side.py --kernels KERNELS.json --out TORCH.json \
        [--budget-s 0.5] [--max-samples 300] [--only REGEX] [--sleep-us 50] [--seed 42]
    python3 torch_side.py --selftest-cpu

``KERNELS.json`` is ``archbench kernels --json``: a list of
``{name, family, file, description, dtypes, rule, cases: [{label, dtype, shape, bytes,
flops, launches: [{entry, grid, block, shared_mem_bytes}]}]}``. Each case's sizes come from
its ``shape`` object (``{"rows": 4096, "cols": 4096}``), never from its display label; a case
whose kernel has no counterpart or whose shape is incomplete gets an entry saying why
instead of a timing.

Timing (archbench's cold mode): once, a zeroed float32 buffer of twice the L2 size. Per
sample: ``flush.sum()`` (L2 flush by reading, which leaves clean lines), ``torch.cuda._sleep(~50 µs of cycles)`` so the following
launches queue up behind it (launch latency hidden), start event, the op, end event,
``end.synchronize()``, ``elapsed_time``. 3 warm-up calls first. A sample whose start event had
already completed when the host finished queuing the op is "late" (the GPU may have idled
waiting for launches): it is discarded and the sleep doubled. An op that is late even with a
long sleep waits on the host inside (e.g. ``bincount`` reads ``max()`` back): its samples
are kept and the entry's note says that they include launch latency.

The script never crashes as a whole: without torch or a CUDA device it writes the output
JSON with a top-level ``"error"`` and exits 0; every case and op is tried on its own and a
failure becomes that entry's ``"error"``. The output is rewritten atomically after every
entry, so a run killed midway keeps what finished.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import sys
import tempfile
import time
import traceback

SCHEMA = "archbench-torch-side/1"

METHOD = (
    "CUDA events around one call per sample; before each sample a zeroed buffer of twice the "
    "L2 size is read (L2 flush that leaves clean lines, as archbench does) and "
    "torch.cuda._sleep(~{sleep_us:g} us) is queued so the op's launches "
    "queue behind it (launch latency hidden); 3 warm-up calls; samples until --budget-s "
    "({budget_s:g} s) per op or --max-samples ({max_samples}), at least 10; samples in which "
    "the host had not finished queuing before the sleep ended are discarded and the sleep "
    "doubled; median, quartiles R type 7"
)

WARMUP_CALLS = 3
MIN_SAMPLES = 10
# The sleep may grow to this multiple of --sleep-us while looking for a length that hides
# the op's launches; an op still late then is treated as one that waits on the host.
MAX_SLEEP_GROWTH = 128
# SM clock assumed for the sleep length when torch cannot read one (H100/H200 boost clock).
FALLBACK_CLOCK_MHZ = 1980.0


# --------------------------------------------------------------------------------------
# Case shapes (plain Python: no torch needed)
# --------------------------------------------------------------------------------------

class ShapeError(ValueError):
    """A case (or kernel) this script has no counterpart for, or whose shape is incomplete."""


_DTYPES = ("f32", "bf16")

# The named sizes each archbench kernel's cases carry in `archbench kernels --json`
# (`"shape"`), and whether the op depends on the case's dtype.
SHAPE_KEYS = {
    "cvt_color_bgr2gray": (("w", "h"), False),
    "gaussian_blur_5x5": (("w", "h"), False),
    "sobel_3x3_dx": (("w", "h"), False),
    "histogram_256": (("w", "h"), False),
    "resize_bilinear": (("sw", "sh", "dw", "dh"), False),
    "add_gelu": (("n",), True),
    "reduce_sum": (("n",), True),
    "softmax": (("rows", "cols"), True),
    "layer_norm": (("rows", "cols"), True),
    "transpose": (("rows", "cols"), True),
    "gemm": (("m", "n", "k"), True),
    "sgemm": (("m", "n", "k"), True),
}


def shape_of(kernel, case):
    """The shape dict of one case of ``archbench kernels --json`` (its ``shape`` object, plus
    ``dtype`` where the op depends on it); raises :class:`ShapeError` when not usable."""
    spec = SHAPE_KEYS.get(kernel)
    if spec is None:
        raise ShapeError(f"no PyTorch counterpart for kernel {kernel!r}")
    keys, typed = spec
    if not isinstance(case, dict) or not isinstance(case.get("shape"), dict):
        raise ShapeError(f"{kernel}: the case has no `shape` object (archbench kernels --json "
                         "of an older archbench?)")
    given = case["shape"]
    out = {}
    for key in keys:
        v = given.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ShapeError(f"{kernel} {case.get('label')!r}: shape {key!r} is {v!r}, "
                             "expected a positive integer")
        out[key] = v
    if typed:
        dtype = case.get("dtype")
        if dtype not in _DTYPES:
            raise ShapeError(f"{kernel} {case.get('label')!r}: dtype {dtype!r} is not one of "
                             f"{', '.join(_DTYPES)}")
        out["dtype"] = dtype
    return out


# --------------------------------------------------------------------------------------
# Statistics (plain Python, same definitions as archbench's src/measure/stats.rs)
# --------------------------------------------------------------------------------------

def quantile_sorted(xs, q):
    """Quantile ``q`` of sorted data, linear interpolation between order statistics (R type 7)."""
    if not xs:
        return float("nan")
    if len(xs) == 1:
        return xs[0]
    h = (len(xs) - 1) * min(max(q, 0.0), 1.0)
    lo = int(math.floor(h))
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def summarize(samples):
    """median / q1 / q3 / min / mean / n of a list of seconds (``None`` fields when empty)."""
    xs = sorted(samples)
    if not xs:
        return {"median_s": None, "q1_s": None, "q3_s": None, "min_s": None, "mean_s": None, "n": 0}
    return {
        "median_s": quantile_sorted(xs, 0.5),
        "q1_s": quantile_sorted(xs, 0.25),
        "q3_s": quantile_sorted(xs, 0.75),
        "min_s": xs[0],
        "mean_s": sum(xs) / len(xs),
        "n": len(xs),
    }


# --------------------------------------------------------------------------------------
# Op construction (torch passed in; works on "cuda" and, for the self-test, "cpu")
# --------------------------------------------------------------------------------------

def _op(text, fn, dtype, note, expect, optional=False):
    """One timed op: the expression as text, a zero-argument callable, the input dtype,
    a note, the expected output shape (self-test) and whether failing is acceptable."""
    return {"op": text, "fn": fn, "dtype": dtype, "note": note, "expect": tuple(expect),
            "optional": optional}


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


class Inputs:
    """Seeded random inputs on one device, created outside the timed region."""

    def __init__(self, torch, device, seed):
        self.torch = torch
        self.device = device
        self.gen = torch.Generator(device=device)
        self.gen.manual_seed(seed)

    def u8(self, shape):
        t = self.torch
        # randint in int64 then narrowed: no reliance on randint's uint8 bounds handling.
        return t.randint(0, 256, tuple(shape), generator=self.gen, device=self.device).to(t.uint8)

    def uniform(self, shape, lo, hi, dtype):
        t = self.torch
        x = t.rand(tuple(shape), generator=self.gen, device=self.device, dtype=t.float32)
        x.mul_(hi - lo).add_(lo)
        return x.to(dtype)


def _torch_dtype(torch, name):
    return {"f32": torch.float32, "bf16": torch.bfloat16}[name]


def _dtype_text(torch_dtype):
    return str(torch_dtype).replace("torch.", "")


def _tvf():
    """torchvision.transforms.v2.functional, imported when first needed."""
    import torchvision.transforms.v2.functional as tvf  # noqa: PLC0415 (lazy on purpose)
    return tvf


def build_ops(torch, kernel, shape, inputs, force_fallback=False):
    """The PyTorch counterpart(s) of one archbench case: a list of :func:`_op` dicts.

    ``force_fallback`` takes the fallback paths (float32 resize, int32 bincount) even when
    the uint8 path works, so the self-test covers both.
    """
    F = torch.nn.functional
    dev = inputs.device

    if kernel == "cvt_color_bgr2gray":
        w, h = shape["w"], shape["h"]
        tvf = _tvf()
        img = inputs.u8((3, h, w))
        return [_op(
            "torchvision.transforms.v2.functional.rgb_to_grayscale(img, num_output_channels=1)",
            lambda: tvf.rgb_to_grayscale(img, num_output_channels=1),
            "uint8",
            "uint8 CHW (3,H,W): planar layout (archbench: interleaved BGR HWC); torchvision's "
            "float coefficients 0.2989/0.587/0.114 in RGB order (archbench: OpenCV's 14-bit "
            "fixed point); eager, may launch several kernels",
            (1, h, w))]

    if kernel == "resize_bilinear":
        sw, sh, dw, dh = shape["sw"], shape["sh"], shape["dw"], shape["dh"]

        def interp(x):
            return F.interpolate(x, size=(dh, dw), mode="bilinear", align_corners=False,
                                 antialias=False)

        text = ('torch.nn.functional.interpolate(x, size=(dh, dw), mode="bilinear", '
                'align_corners=False, antialias=False)')
        x = inputs.u8((1, 3, sh, sw))
        u8_error = "forced by the self-test" if force_fallback else None
        if u8_error is None:
            try:
                interp(x)  # dtype support is checked synchronously, outside the timed region
            except (RuntimeError, NotImplementedError, TypeError) as exc:
                u8_error = _first_line(exc)
        if u8_error is None:
            return [_op(text, lambda: interp(x), "uint8",
                        "uint8 NCHW (1,3,H,W): planar layout (archbench: interleaved BGR HWC); "
                        "half-pixel centres like OpenCV INTER_LINEAR",
                        (1, 3, dh, dw))]
        xf = x.float()
        del x
        return [_op(text, lambda: interp(xf), "float32",
                    f"uint8 bilinear refused here ({u8_error}), so float32 in and out "
                    "(4x archbench's bytes); planar NCHW (1,3,H,W) (archbench: interleaved "
                    "BGR HWC uint8)",
                    (1, 3, dh, dw))]

    if kernel == "gaussian_blur_5x5":
        w, h = shape["w"], shape["h"]
        tvf = _tvf()
        img = inputs.u8((1, h, w))
        return [_op(
            "torchvision.transforms.v2.functional.gaussian_blur(img, kernel_size=[5, 5], "
            "sigma=[1.1, 1.1])",
            lambda: tvf.gaussian_blur(img, kernel_size=[5, 5], sigma=[1.1, 1.1]),
            "uint8",
            "uint8 (1,H,W); a float Gaussian with sigma 1.1 computed in float32 and rounded "
            "back (archbench: OpenCV's integer [1 4 6 4 1]^2/256 kernel); reflect padding "
            "(= BORDER_REFLECT_101)",
            (1, h, w))]

    if kernel == "sobel_3x3_dx":
        w, h = shape["w"], shape["h"]
        xf = inputs.u8((1, 1, h, w)).float()
        k = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
                         dtype=torch.float32, device=dev).view(1, 1, 3, 3)
        return [_op(
            'torch.nn.functional.conv2d(torch.nn.functional.pad(x, (1, 1, 1, 1), '
            'mode="reflect"), sobel_dx)',
            lambda: F.conv2d(F.pad(xf, (1, 1, 1, 1), mode="reflect"), k),
            "float32",
            "float32 in and out (archbench: uint8 -> int16); padding by F.pad reflect "
            "(= BORDER_REFLECT_101) inside the timed op, then a 3x3 cross-correlation "
            "(cuDNN on CUDA)",
            (1, 1, h, w))]

    if kernel == "histogram_256":
        w, h = shape["w"], shape["h"]
        x = inputs.u8((h, w))
        ops = []
        u8_error = "forced by the self-test" if force_fallback else None
        if u8_error is None:
            try:
                torch.bincount(x.view(-1), minlength=256)
            except (RuntimeError, NotImplementedError, TypeError) as exc:
                u8_error = _first_line(exc)
        if u8_error is None:
            ops.append(_op("torch.bincount(x.view(-1), minlength=256)",
                           lambda: torch.bincount(x.view(-1), minlength=256), "uint8",
                           "uint8 input, int64 counts (archbench: uint32)", (256,)))
        else:
            ops.append(_op("torch.bincount(x.view(-1).to(torch.int32), minlength=256)",
                           lambda: torch.bincount(x.view(-1).to(torch.int32), minlength=256),
                           "uint8",
                           f"uint8 bincount refused ({u8_error}): the int32 conversion is "
                           "inside the timed op; int64 counts", (256,)))
        # A second counterpart that needs no host round trip (bincount reads max() back).
        ops.append(_op("torch.histc(x.view(-1).float(), bins=256, min=0, max=256)",
                       lambda: torch.histc(x.view(-1).float(), bins=256, min=0, max=256),
                       "uint8",
                       "alternative without bincount's host sync; the float32 conversion is "
                       "inside the timed op; float32 counts",
                       (256,), optional=True))
        return ops

    if kernel == "add_gelu":
        dt = _torch_dtype(torch, shape["dtype"])
        n = shape["n"]
        a = inputs.uniform((n,), -3.0, 3.0, dt)
        b = inputs.uniform((n,), -3.0, 3.0, dt)
        return [_op('torch.nn.functional.gelu(a + b, approximate="tanh")',
                    lambda: F.gelu(a + b, approximate="tanh"), _dtype_text(dt),
                    "eager: two kernels (add, then tanh-GELU) and a temporary; archbench "
                    "fuses them into one kernel", (n,))]

    if kernel == "softmax":
        dt = _torch_dtype(torch, shape["dtype"])
        rows, cols = shape["rows"], shape["cols"]
        x = inputs.uniform((rows, cols), -5.0, 5.0, dt)
        return [_op("torch.softmax(x, -1)", lambda: torch.softmax(x, -1), _dtype_text(dt),
                    "", (rows, cols))]

    if kernel == "layer_norm":
        dt = _torch_dtype(torch, shape["dtype"])
        rows, cols = shape["rows"], shape["cols"]
        x = inputs.uniform((rows, cols), -2.0, 2.0, dt)
        wt = inputs.uniform((cols,), 0.5, 1.5, dt)
        bs = inputs.uniform((cols,), -0.5, 0.5, dt)
        return [_op("torch.nn.functional.layer_norm(x, (cols,), w, b, 1e-5)",
                    lambda: F.layer_norm(x, (cols,), wt, bs, 1e-5), _dtype_text(dt),
                    "weight and bias in the input dtype", (rows, cols))]

    if kernel == "reduce_sum":
        dt = _torch_dtype(torch, shape["dtype"])
        n = shape["n"]
        x = inputs.uniform((n,), 0.0, 1.0, dt)
        return [_op("x.sum()", lambda: x.sum(), _dtype_text(dt), "", ())]

    if kernel == "transpose":
        dt = _torch_dtype(torch, shape["dtype"])
        rows, cols = shape["rows"], shape["cols"]
        x = inputs.uniform((rows, cols), -1.0, 1.0, dt)
        return [_op("x.t().contiguous()", lambda: x.t().contiguous(), _dtype_text(dt), "",
                    (cols, rows))]

    if kernel in ("gemm", "sgemm"):
        dt = _torch_dtype(torch, shape["dtype"])
        m, n, k = shape["m"], shape["n"], shape["k"]
        a = inputs.uniform((m, k), -1.0, 1.0, dt)
        b = inputs.uniform((n, k), -1.0, 1.0, dt)
        if dt == torch.float32:
            return [_op("a @ b.t()", lambda: a @ b.t(), "float32",
                        "cuBLAS f32 with TF32 off (torch.backends.cuda.matmul.allow_tf32 = "
                        "False)", (m, n))]
        ops = [_op("a @ b.t()", lambda: a @ b.t(), _dtype_text(dt),
                   "cuBLAS; C in bf16 (archbench writes an f32 C)", (m, n))]
        ops.append(_op("torch.mm(a, b.t(), out_dtype=torch.float32)",
                       lambda: torch.mm(a, b.t(), out_dtype=torch.float32), _dtype_text(dt),
                       "cuBLAS with an f32 C, like archbench (needs torch.mm's out_dtype)",
                       (m, n), optional=True))
        return ops

    raise ShapeError(f"no PyTorch counterpart for kernel {kernel!r}")


# --------------------------------------------------------------------------------------
# Timing on the GPU
# --------------------------------------------------------------------------------------

class ColdTimer:
    """archbench's cold-mode timing with PyTorch's public (and one private) CUDA calls."""

    def __init__(self, torch, l2_bytes, sleep_us, clock_mhz):
        self.torch = torch
        # Twice the L2 size, read (not written) before each sample: L2 is left holding clean
        # lines, as after archbench's flush (a memset would leave dirty lines that the op
        # then writes back inside its timed region).
        self.flush = torch.zeros(max(2 * int(l2_bytes) // 4, 1), dtype=torch.float32, device="cuda")
        self.base_cycles = max(1, int(sleep_us * clock_mhz))  # µs x MHz = cycles
        self.sleep_us = sleep_us
        self.start = torch.cuda.Event(enable_timing=True)
        self.end = torch.cuda.Event(enable_timing=True)

    def sample(self, fn, cycles):
        """One cold sample: (seconds, late). ``late``: the start event had completed before
        the host finished queuing the op, so the GPU may have waited for launches."""
        cuda = self.torch.cuda
        self.flush.sum()
        cuda._sleep(cycles)
        self.start.record()
        fn()
        self.end.record()
        late = bool(self.start.query())
        self.end.synchronize()
        return self.start.elapsed_time(self.end) / 1e3, late

    def measure(self, fn, budget_s, max_samples):
        """Warm up, find a sleep that hides the launches, then sample. Returns a dict."""
        for _ in range(WARMUP_CALLS):
            fn()
        self.torch.cuda.synchronize()

        # Calibration: grow the sleep until three samples in a row are on time.
        cycles = self.base_cycles
        host_sync = False
        while True:
            if not any(self.sample(fn, cycles)[1] for _ in range(3)):
                break
            if cycles >= self.base_cycles * MAX_SLEEP_GROWTH:
                host_sync, cycles = True, self.base_cycles
                break
            cycles *= 2

        min_samples = min(MIN_SAMPLES, max_samples)
        hard_stop_s = max(30.0, 20.0 * budget_s)
        samples, late_discarded = [], 0
        t0 = time.perf_counter()
        while True:
            s, late = self.sample(fn, cycles)
            if late and not host_sync:
                late_discarded += 1
                # Mostly late: the host is slower than calibration said; sleep longer.
                if late_discarded > len(samples) + 5 and cycles < self.base_cycles * MAX_SLEEP_GROWTH:
                    cycles *= 2
            else:
                samples.append(s)
            elapsed = time.perf_counter() - t0
            if len(samples) >= max_samples:
                break
            if elapsed >= budget_s and len(samples) >= min_samples:
                break
            if elapsed >= hard_stop_s:
                break
        out = summarize(samples)
        out["samples_s"] = samples
        out["sleep_us"] = self.sleep_us * cycles / self.base_cycles
        out["late_discarded"] = late_discarded
        out["host_sync"] = host_sync
        out["wall_s"] = time.perf_counter() - t0
        return out


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------

def _finite_or_none(x):
    return x if isinstance(x, (int, float)) and math.isfinite(x) else None


def _sanitize(value):
    """A copy of ``value`` with non-finite floats replaced by None (strict JSON)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sanitize(v) for v in value]
    return value


def write_atomic(path, doc):
    """Writes JSON to ``path`` via a temporary file in the same directory and os.replace."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(_sanitize(doc), f, indent=1, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def new_entry(kernel, case, op=None, dtype=None, note="", error=None, bytes_=None, flops=None,
              optional=False):
    """An output entry with every field present (timings null until measured)."""
    return {
        "kernel": kernel, "case": case, "op": op, "dtype": dtype,
        "median_s": None, "q1_s": None, "q3_s": None, "min_s": None, "mean_s": None, "n": 0,
        "note": note, "error": error,
        # Extras (not needed by `archbench report`, kept for later analysis).
        "bytes": bytes_, "flops": flops, "samples_s": [], "sleep_us": None,
        "late_discarded": 0, "host_sync": False,
        # An extra counterpart whose failure is expected on some torch builds.
        "optional": optional,
    }


def _fmt_s(s):
    if s is None:
        return "-"
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.3f} ms"


def say(line, err=False):
    """Progress output; best effort (a closed pipe must not stop the measurements)."""
    try:
        print(line, file=sys.stderr if err else sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


def print_entry(e):
    head = f"{e['kernel']:<20} {e['case']:<26} {str(e['op'] or '-')[:48]:<48}"
    if e["error"]:
        say(f"{head} ERROR {e['error']}")
    else:
        say(f"{head} median {_fmt_s(e['median_s'])} (q1 {_fmt_s(e['q1_s'])}, "
            f"q3 {_fmt_s(e['q3_s'])}, n={e['n']})")


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Time PyTorch/torchvision counterparts of archbench's kernels on cuda:0 "
                    "(archbench's cold method) and write them as JSON for `archbench report --torch`.")
    p.add_argument("--kernels", help="output of `archbench kernels --json`")
    p.add_argument("--out", help="where to write the timings JSON")
    p.add_argument("--budget-s", type=float, default=0.5,
                   help="wall time per op for sampling (default 0.5; at least 10 samples)")
    p.add_argument("--max-samples", type=int, default=300, help="samples per op at most (300)")
    p.add_argument("--only", type=re.compile, default=None,
                   help="regex searched in 'KERNEL CASE'; only matching cases run")
    p.add_argument("--sleep-us", type=float, default=50.0,
                   help="GPU sleep before each sample, µs (default 50; grows if too short)")
    p.add_argument("--seed", type=int, default=42, help="seed of the random inputs (42)")
    p.add_argument("--selftest-cpu", action="store_true",
                   help="check label parsing and op construction on CPU at tiny sizes "
                        "(no timing, no GPU); exit 1 on failure")
    args = p.parse_args(argv)
    if not args.selftest_cpu and (not args.kernels or not args.out):
        p.error("--kernels and --out are required (or use --selftest-cpu)")
    if args.budget_s <= 0 or args.max_samples < 1 or args.sleep_us <= 0:
        p.error("--budget-s and --sleep-us must be > 0 and --max-samples >= 1")
    return args


def _device_setup(torch, doc):
    """Device facts, the TF32 switch, and the SM clock for the sleep length."""
    props = torch.cuda.get_device_properties(0)
    doc["device"] = torch.cuda.get_device_name(0)
    doc["capability"] = "%d.%d" % torch.cuda.get_device_capability(0)
    doc["sm_count"] = getattr(props, "multi_processor_count", None)
    doc["l2_bytes"] = int(getattr(props, "L2_cache_size", 0) or 0)
    # sgemm must be plain f32: set the legacy switch only (mixing it with the new
    # fp32_precision API can raise), and read the same switch back.
    try:
        torch.backends.cuda.matmul.allow_tf32 = False
        doc["allow_tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
    except Exception as exc:  # a torch that dropped the legacy API
        doc["allow_tf32_error"] = _first_line(exc)
        try:
            torch.backends.cuda.matmul.fp32_precision = "ieee"
            doc["allow_tf32"] = torch.backends.cuda.matmul.fp32_precision != "ieee"
        except Exception as exc2:
            doc["allow_tf32"] = None
            doc["allow_tf32_error"] += "; " + _first_line(exc2)
    clock, source = None, None
    try:
        # The current SM clock via NVML (needs pynvml). Documented as MHz now, as Hz in
        # older docs: a value in Hz read as MHz would make a sleep of tens of seconds.
        clock = float(torch.cuda.clock_rate(0))
        if clock > 1e5:
            clock /= 1e6
        source = "torch.cuda.clock_rate()"
    except Exception:
        clock = None
    if clock is None or not math.isfinite(clock) or not 500.0 <= clock <= 4000.0:
        clock, source = FALLBACK_CLOCK_MHZ, "assumed (torch.cuda.clock_rate() unavailable, idle or odd)"
    doc["sleep_clock_mhz"] = clock
    doc["sleep_clock_source"] = source
    return clock


def run(args):
    doc = {
        "schema": SCHEMA, "device": None, "torch": None, "torchvision": None, "cuda": None,
        "l2_bytes": None, "allow_tf32": None,
        "method": METHOD.format(sleep_us=args.sleep_us, budget_s=args.budget_s,
                                max_samples=args.max_samples),
        "budget_s": args.budget_s, "max_samples": args.max_samples, "seed": args.seed,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "entries": [],
    }

    def save():
        write_atomic(args.out, doc)

    try:
        with open(args.kernels, encoding="utf-8") as f:
            kernels = json.load(f)
        if not isinstance(kernels, list):
            raise ValueError("expected a JSON array of kernels (archbench kernels --json)")
    except Exception as exc:
        doc["error"] = f"cannot read {args.kernels}: {_first_line(exc)}"
        say(doc["error"], err=True)
        save()
        return 0

    try:
        import torch  # noqa: PLC0415 (imported lazily so --help works without torch)
    except Exception as exc:
        doc["error"] = f"cannot import torch: {_first_line(exc)}"
        say(doc["error"], err=True)
        save()
        return 0
    doc["torch"] = torch.__version__
    doc["cuda"] = torch.version.cuda
    try:
        import torchvision  # noqa: PLC0415
        doc["torchvision"] = torchvision.__version__
    except Exception as exc:
        doc["torchvision_error"] = _first_line(exc)
    if not torch.cuda.is_available() or torch.cuda.device_count() < 1:
        doc["error"] = "no CUDA device visible to torch (torch.cuda.is_available() is False)"
        say(doc["error"], err=True)
        save()
        return 0

    try:
        clock = _device_setup(torch, doc)
        timer = ColdTimer(torch, doc["l2_bytes"], args.sleep_us, clock)
    except Exception as exc:
        doc["error"] = f"CUDA setup failed: {_first_line(exc)}"
        doc["traceback"] = traceback.format_exc()
        say(doc["error"], err=True)
        save()
        return 0
    say(f"torch {doc['torch']} (CUDA {doc['cuda']}), torchvision {doc['torchvision']}, "
        f"{doc['device']} (sm {doc['capability']}), L2 {doc['l2_bytes']} B, "
        f"allow_tf32 {doc['allow_tf32']}, sleep clock {clock:g} MHz")
    save()

    for kernel in kernels:
        kname = str(kernel.get("name", "?")) if isinstance(kernel, dict) else "?"
        cases = kernel.get("cases", []) if isinstance(kernel, dict) else []
        for case in cases if isinstance(cases, list) else []:
            label = case.get("label", "?") if isinstance(case, dict) else "?"
            if args.only and not args.only.search(f"{kname} {label}"):
                continue
            bytes_ = case.get("bytes") if isinstance(case, dict) else None
            flops = case.get("flops") if isinstance(case, dict) else None
            for entry in run_case(torch, timer, args, kname, case, bytes_, flops):
                doc["entries"].append(entry)
                print_entry(entry)
                save()
    doc["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    save()
    return 0


def run_case(torch, timer, args, kernel, case, bytes_, flops):
    """Entries of one case: one per counterpart op, or one saying why there is none."""
    label = str(case.get("label", "?")) if isinstance(case, dict) else "?"
    try:
        shape = shape_of(kernel, case)
    except ShapeError as exc:
        return [new_entry(kernel, label, note="skipped", error=f"skipped: {exc}",
                          bytes_=bytes_, flops=flops)]
    entries = []
    ops = []
    try:
        inputs = Inputs(torch, "cuda", args.seed)
        ops = build_ops(torch, kernel, shape, inputs)
    except Exception as exc:
        entries.append(new_entry(kernel, label, error=f"building inputs: {_first_line(exc)}",
                                 bytes_=bytes_, flops=flops))
    for spec in ops:
        e = new_entry(kernel, label, op=spec["op"], dtype=spec["dtype"], note=spec["note"],
                      bytes_=bytes_, flops=flops, optional=spec["optional"])
        try:
            m = timer.measure(spec["fn"], args.budget_s, args.max_samples)
            for key in ("median_s", "q1_s", "q3_s", "min_s", "mean_s"):
                e[key] = _finite_or_none(m[key])
            e["n"] = m["n"]
            e["samples_s"] = m["samples_s"]
            e["sleep_us"] = m["sleep_us"]
            e["late_discarded"] = m["late_discarded"]
            e["host_sync"] = m["host_sync"]
            extra = []
            if m["host_sync"]:
                extra.append("the op waits on the host inside (still late with a "
                             f"{args.sleep_us * MAX_SLEEP_GROWTH:g} us sleep): its times "
                             "include launch latency")
            if m["late_discarded"]:
                extra.append(f"{m['late_discarded']} late sample(s) discarded, sleep "
                             f"{m['sleep_us']:g} us")
            if m["n"] < MIN_SAMPLES:
                extra.append(f"only {m['n']} samples before the {max(30.0, 20 * args.budget_s):g} s stop")
            if extra:
                e["note"] = "; ".join([e["note"]] + extra if e["note"] else extra)
            if m["n"] == 0:
                e["error"] = "no sample kept"
        except Exception as exc:
            e["error"] = _first_line(exc)
        entries.append(e)
    # Free this case's tensors (held by the ops' closures, including the loop variable's)
    # before the next case allocates its own.
    ops = spec = None
    gc.collect()
    try:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
    except Exception:
        pass
    return entries


# --------------------------------------------------------------------------------------
# CPU self-test
# --------------------------------------------------------------------------------------

def _case(label, dtype, **shape):
    """A case as `archbench kernels --json` writes it (the fields this script reads)."""
    return {"label": label, "dtype": dtype, "shape": shape}


# Tiny cases for --selftest-cpu, and the shape each must give.
SELFTEST_CASES = [
    ("cvt_color_bgr2gray", _case("16x8", "u8", w=16, h=8), {"w": 16, "h": 8}),
    ("resize_bilinear", _case("16x8 -> 8x4", "u8", sw=16, sh=8, dw=8, dh=4),
     {"sw": 16, "sh": 8, "dw": 8, "dh": 4}),
    ("resize_bilinear", _case("16x8 -> 24x12", "u8", sw=16, sh=8, dw=24, dh=12),
     {"sw": 16, "sh": 8, "dw": 24, "dh": 12}),
    ("gaussian_blur_5x5", _case("16x8", "u8", w=16, h=8), {"w": 16, "h": 8}),
    ("sobel_3x3_dx", _case("16x8", "i16", w=16, h=8), {"w": 16, "h": 8}),
    ("histogram_256", _case("16x8", "u8", w=16, h=8), {"w": 16, "h": 8}),
    ("add_gelu", _case("f32 n=37", "f32", n=37), {"dtype": "f32", "n": 37}),
    ("add_gelu", _case("bf16 n=37", "bf16", n=37), {"dtype": "bf16", "n": 37}),
    ("softmax", _case("f32 4x32", "f32", rows=4, cols=32), {"dtype": "f32", "rows": 4, "cols": 32}),
    ("softmax", _case("bf16 4x32", "bf16", rows=4, cols=32),
     {"dtype": "bf16", "rows": 4, "cols": 32}),
    ("layer_norm", _case("f32 4x32", "f32", rows=4, cols=32),
     {"dtype": "f32", "rows": 4, "cols": 32}),
    ("layer_norm", _case("bf16 4x32", "bf16", rows=4, cols=32),
     {"dtype": "bf16", "rows": 4, "cols": 32}),
    ("reduce_sum", _case("f32 n=37", "f32", n=37), {"dtype": "f32", "n": 37}),
    ("transpose", _case("f32 5x7", "f32", rows=5, cols=7), {"dtype": "f32", "rows": 5, "cols": 7}),
    ("gemm", _case("bf16 16x8x32", "bf16", m=16, n=8, k=32), {"dtype": "bf16", "m": 16, "n": 8, "k": 32}),
    ("sgemm", _case("f32 16x8x32", "f32", m=16, n=8, k=32), {"dtype": "f32", "m": 16, "n": 8, "k": 32}),
]

# Cases shape_of must refuse: a dtype without a counterpart, a missing size, a zero size,
# a size that is not an integer, no shape at all, an unknown kernel.
SELFTEST_BAD_CASES = [
    ("softmax", _case("f64 4x4", "f64", rows=4, cols=4)),
    ("gemm", _case("bf16 4x4", "bf16", m=4, n=4)),
    ("cvt_color_bgr2gray", _case("0x8", "u8", w=0, h=8)),
    ("transpose", _case("f32 4x4", "f32", rows="4", cols=4)),
    ("resize_bilinear", {"label": "16x8", "dtype": "u8"}),
    ("no_such_kernel", _case("16x8", "u8", w=16, h=8)),
]


def selftest_shapes():
    """shape_of checks (no torch). Returns a list of failure messages."""
    failures = []
    for kernel, case, want in SELFTEST_CASES:
        try:
            got = shape_of(kernel, case)
            if got != want:
                failures.append(f"shape_of({kernel!r}, {case['label']!r}) = {got}, want {want}")
        except ShapeError as exc:
            failures.append(f"shape_of({kernel!r}, {case['label']!r}) failed: {exc}")
    for kernel, case in SELFTEST_BAD_CASES:
        try:
            got = shape_of(kernel, case)
            failures.append(f"shape_of({kernel!r}, {case['label']!r}) = {got}, want ShapeError")
        except ShapeError:
            pass
    return failures


def _selftest_values(torch, kernel, shape, spec, out):
    """A few value checks beyond the shape. Returns a failure message or None."""
    if kernel == "histogram_256":
        if int(out.sum().item()) != shape["w"] * shape["h"]:
            return f"histogram counts sum to {out.sum().item()}, want {shape['w'] * shape['h']}"
    if kernel == "softmax":
        sums = out.float().sum(-1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=2e-2):
            return f"softmax rows sum to {sums.tolist()}"
    if kernel == "sobel_3x3_dx":
        # A horizontal ramp x -> 2x has dx = (1+2+1) * (2(x+1) - 2(x-1)) = 16 inside and 0
        # in the first column (reflect-101: the pixel left of x=0 is x=1).
        w, h = shape["w"], shape["h"]
        ramp = (torch.arange(w, dtype=torch.float32) * 2).repeat(h, 1).view(1, 1, h, w)
        F = torch.nn.functional
        k = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]).view(1, 1, 3, 3)
        got = F.conv2d(F.pad(ramp, (1, 1, 1, 1), mode="reflect"), k)[0, 0]
        if got[:, 1:-1].unique().tolist() != [16.0] or got[:, 0].abs().max().item() != 0:
            return f"sobel of a ramp gave {got[0].tolist()}"
    return None


def selftest_cpu():
    failures = selftest_shapes()
    print(f"case shapes: {len(SELFTEST_CASES) + len(SELFTEST_BAD_CASES)} checks, "
          f"{len(failures)} failure(s)", flush=True)
    try:
        import torch  # noqa: PLC0415
    except Exception as exc:
        print(f"cannot import torch: {_first_line(exc)}", flush=True)
        return 1
    for kernel, case, _ in SELFTEST_CASES:
        label = case["label"]
        shape = shape_of(kernel, case)
        for fallback in (False, True) if kernel in ("resize_bilinear", "histogram_256") else (False,):
            try:
                ops = build_ops(torch, kernel, shape, Inputs(torch, "cpu", 1), fallback)
            except Exception as exc:
                failures.append(f"{kernel} {label}: building ops: {_first_line(exc)}")
                continue
            for spec in ops:
                what = f"{kernel} {label} [{spec['op']}]" + (" (fallback)" if fallback else "")
                try:
                    out = spec["fn"]()
                    if tuple(out.shape) != spec["expect"]:
                        raise AssertionError(f"shape {tuple(out.shape)}, want {spec['expect']}")
                    bad = _selftest_values(torch, kernel, shape, spec, out)
                    if bad:
                        raise AssertionError(bad)
                    print(f"ok   {what}", flush=True)
                except Exception as exc:
                    if spec["optional"]:
                        print(f"skip {what}: optional, {_first_line(exc)}", flush=True)
                    else:
                        failures.append(f"{what}: {_first_line(exc)}")
                        print(f"FAIL {what}: {_first_line(exc)}", flush=True)
    for f in failures:
        print(f"FAILED: {f}", flush=True)
    print("selftest: " + ("ok" if not failures else f"{len(failures)} failure(s)"), flush=True)
    return 1 if failures else 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.selftest_cpu:
        return selftest_cpu()
    try:
        return run(args)
    except Exception as exc:  # last resort: never crash without leaving a JSON behind
        doc = {"schema": SCHEMA, "error": f"torch_side.py crashed: {_first_line(exc)}",
               "traceback": traceback.format_exc(), "entries": []}
        try:
            with open(args.out, encoding="utf-8") as f:
                old = json.load(f)
            if isinstance(old, dict) and isinstance(old.get("entries"), list):
                old["error"] = doc["error"]
                old["traceback"] = doc["traceback"]
                doc = old
        except Exception:
            pass
        say(doc["error"], err=True)
        try:
            write_atomic(args.out, doc)
        except Exception as exc2:
            say(f"cannot write {args.out}: {_first_line(exc2)}", err=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
