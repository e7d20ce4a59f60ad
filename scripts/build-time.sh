#!/usr/bin/env bash
# build-time.sh: measures the two build times issue 13 sets targets for, with the toolchain
# installed and the Rust dependencies already built (as a developer has them):
#   cold  `cargo build --release` with an empty kernel cache: every (kernel file, -gencode
#         target) unit of the default matrix is compiled (target <= 90 s on 2 cores);
#   edit  `cargo build --release` after appending a comment line to one kernels/*.cu: that
#         file's units recompile and the crate re-embeds the images (target <= 15 s).
# Each timed build says where its time went (cargo --timings: the build script, that is nvcc,
# the library and the binary). The edited file is restored byte for byte, also on Ctrl-C.
#
# Usage: scripts/build-time.sh [--cold] [--repeat N] [--json FILE] [FILE.cu ...]
#   FILE.cu   kernel files to edit (default: every kernels/*.cu); none with --cold alone
#   --cold    also time a cold build (into a fresh, temporary kernel cache)
#   --repeat  edits per file (default 1)
#   --json    append one JSON line per timed build to FILE (plus a header line)
# Exit status: 0 measured, 1 a build failed, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."

cold=0 repeat=1 json="" files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cold) cold=1 ;;
    --repeat) repeat="${2:?--repeat needs a number}"; shift ;;
    --json) json="${2:?--json needs a file}"; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-time.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) files+=("$1") ;;
  esac
  shift
done
case "$repeat" in ''|*[!0-9]*|0) echo "build-time.sh: --repeat takes a whole number >= 1, not '$repeat'" >&2; exit 2 ;; esac
if [ ${#files[@]} -eq 0 ] && [ $cold -eq 0 ]; then
  for f in kernels/*.cu; do files+=("$(basename "$f")"); done
fi
for i in "${!files[@]}"; do
  f="${files[$i]##*/}"
  if [ ! -f "kernels/$f" ] || [ "${f%.cu}" = "$f" ]; then
    echo "build-time.sh: '${files[$i]}' is not a kernels/*.cu file (they are: $(cd kernels && echo *.cu))" >&2
    exit 2
  fi
  files[i]="$f"
done

tdir=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d /tmp/archbench-build-time.XXXXXX)
edited=""
restore() {
  if [ -n "$edited" ]; then cp "$work/original.cu" "kernels/$edited"; edited=""; fi
  rm -rf "$work"
}
trap restore EXIT
trap 'exit 130' INT TERM

# One timed `cargo build --release`; prints and (with --json) records a line.
timed_build() { # what file
  local what=$1 file=$2 t0 t1 rc=0
  rm -rf "$tdir/cargo-timings"
  t0=$(date +%s.%N)
  cargo build --release --timings >"$work/log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  if [ $rc -ne 0 ]; then
    echo "build-time.sh: the $what build failed:" >&2
    tail -30 "$work/log" >&2
    exit 1
  fi
  python3 - "$what" "$file" "$t0" "$t1" "$json" "$tdir" <<'PY'
import glob, json, os, re, sys
what, file, t0, t1, out, tdir = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
rec = {"what": what, "file": file or None, "wall_s": round(t1 - t0, 2)}
# cargo --timings' report: where the time went (its layout is cargo's, so read defensively).
units = []
for html in glob.glob(tdir + "/cargo-timings/cargo-timing.html"):
    m = re.search(r"const UNIT_DATA = (\[.*?\]);", open(html, encoding="utf-8").read(), re.S)
    units = json.loads(m.group(1)) if m else []
for u in units:
    if u.get("name") != "archbench-cli" or not u.get("duration"):
        continue
    key = {"run-custom-build": "build_script_s"}.get(u.get("mode"))
    if key is None:
        key = "bin_s" if "bin" in str(u.get("target", "")) else "lib_s"
    rec[key] = round(rec.get(key, 0.0) + u["duration"], 2)
# archbench-build's summary: "archbench-build: N units (C compiled, K from the cache) on J
# threads, F fatbins, in S s (X s compiling)".
outs = sorted(glob.glob(tdir + "/release/build/archbench-cli-*/stderr"), key=os.path.getmtime)
lines = open(outs[-1], encoding="utf-8", errors="replace").read().splitlines() if outs else []
for line in lines:
    m = re.match(r"archbench-build: (\d+) units \((\d+) compiled, (\d+) from the cache\) on (\d+) threads,"
                 r" (\d+) fatbins, in ([0-9.]+) s(?: \(([0-9.]+) s compiling\))?", line)
    if m:
        rec["kernel_build_s"] = float(m.group(6))
        if m.group(7):
            rec["kernel_compile_s"] = float(m.group(7))
        rec["jobs"] = int(m.group(4))
        rec["units_compiled"] = int(m.group(2))
print("  {:<22} {:>5.1f} s wall: build script {:>5} s ({} nvcc units in {} s, then fatbins and"
      " embedding), lib {} s, bin {} s".format(
    (what + " " + (file or "")).strip(), rec["wall_s"], rec.get("build_script_s", "?"),
    rec.get("units_compiled", "?"), rec.get("kernel_compile_s", "?"), rec.get("lib_s", "?"),
    rec.get("bin_s", "?")))
if not rec.get("units_compiled"):
    # Nothing compiled: the cache or cargo's fingerprints made this a no-op, not a measurement.
    print("build-time.sh: the {} build compiled no kernel unit, so it measured nothing; is "
          "ARCHBENCH_KERNEL_CACHE honoured by this build.rs?".format(what), file=sys.stderr)
    sys.exit(1)
if out:
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(rec) + "\n")
PY
}

if [ -n "$json" ]; then
  mkdir -p "$(dirname "$json")"
  python3 - "$json" <<'PY'
import json, os, subprocess, sys, datetime
def sh(*a):
    try:
        return subprocess.run(a, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None
head = {
    "what": "header",
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "commit": sh("git", "rev-parse", "--short", "HEAD"),
    "dirty": bool(sh("git", "status", "--porcelain", "--untracked-files=no")),
    "cores": os.cpu_count(),
    "load_avg_1m": os.getloadavg()[0],
    "rustc": sh("rustc", "--version"),
}
with open(sys.argv[1], "a", encoding="utf-8") as f:
    f.write(json.dumps(head) + "\n")
PY
fi

echo "build-time: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# Bring everything up to date first, so that a timed build does only its own work.
cargo build --release -q

if [ $cold -eq 1 ]; then
  mkdir "$work/kernel-cache"
  export ARCHBENCH_KERNEL_CACHE="$work/kernel-cache"
  timed_build cold ""
fi

for f in "${files[@]}"; do
  for _ in $(seq "$repeat"); do
    cp "kernels/$f" "$work/original.cu"
    edited=$f
    # A new comment changes the source hash, so the cache misses: the file really recompiles.
    printf '// build-time.sh probe %s\n' "$(date +%s%N)" >>"kernels/$f"
    timed_build edit "$f"
    cp "$work/original.cu" "kernels/$f"
    edited=""
  done
done
# Leave the tree built from the restored sources (and the default cache).
unset ARCHBENCH_KERNEL_CACHE
cargo build --release -q
