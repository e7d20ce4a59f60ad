#!/usr/bin/env python3
"""The HTML report in a real browser (headless Chromium from Debian's packages).

Usage: browser_check.py REPORT.html ARTIFACT_DIR

Loads the page in a same-origin frame of a small check page, and fails unless:
- the page loads and the frame's document is the report (no parse errors in any SVG);
- the first section is "Where the variants differ", and its table is laid out (non-zero size);
- every chart (each <figure> holding an <svg>) is laid out with a non-zero size and is not
  hidden;
- Chromium reports no console error for the page.
Then keeps a full-width screenshot of the report's top in ARTIFACT_DIR/report.png.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

CHECK_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>pending</title></head>
<body>
<iframe id="r" src="%s" style="width:1400px;height:3000px"></iframe>
<script>
document.getElementById('r').addEventListener('load', function () {
  var out = {loaded: false};
  try {
    var d = this.contentDocument;
    out.loaded = !!d && d.title.length > 0;
    out.title = d.title;
    var vis = function (e) {
      var r = e.getBoundingClientRect();
      var s = d.defaultView.getComputedStyle(e);
      return r.width > 0 && r.height > 0 && s.display !== 'none' && s.visibility !== 'hidden';
    };
    var h2 = d.querySelectorAll('h2');
    out.first_h2 = h2.length ? h2[0].textContent : null;
    var t = h2.length ? h2[0].nextElementSibling : null;
    while (t && t.tagName !== 'TABLE' && t.tagName !== 'H2') t = t.nextElementSibling;
    out.summary_table_visible = !!t && t.tagName === 'TABLE' && vis(t);
    out.summary_rows = t && t.tagName === 'TABLE' ? t.querySelectorAll('tr').length - 1 : 0;
    var figs = d.querySelectorAll('figure');
    out.figures = figs.length;
    out.visible_charts = 0;
    out.hidden = [];
    figs.forEach(function (f) {
      var svg = f.querySelector('svg');
      if (svg && vis(svg)) out.visible_charts++; else out.hidden.push(f.id);
    });
    out.parse_errors = d.querySelectorAll('parsererror').length;
  } catch (e) {
    out.error = String(e);
  }
  document.body.setAttribute('data-result', JSON.stringify(out));
  document.title = 'done';
});
</script>
</body></html>
"""


def main():
    report, artifacts = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(artifacts, exist_ok=True)
    base = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu",
        "--allow-file-access-from-files", "--hide-scrollbars",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        page = os.path.join(os.path.dirname(report), "browser-check.html")
        with open(page, "w", encoding="utf-8") as f:
            f.write(CHECK_PAGE % os.path.basename(report))
        run = subprocess.run(
            base + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000",
                    f"--user-data-dir={tmp}", "--dump-dom", "file://" + page],
            capture_output=True, text=True, timeout=180,
        )
        os.remove(page)
    m = re.search(r'data-result="([^"]*)"', run.stdout)
    if not m:
        sys.exit(f"browser: no result from the check page (exit {run.returncode}):\n{run.stderr[-3000:]}")
    result = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    console = [l for l in run.stderr.splitlines() if "CONSOLE" in l and ("rror" in l or "Uncaught" in l)]
    print("browser:", json.dumps(result))
    problems = []
    if not result.get("loaded"):
        problems.append(f"the report did not load: {result.get('error')}")
    if result.get("first_h2") != "Where the variants differ":
        problems.append(f"the first section is {result.get('first_h2')!r}, not the summary")
    if not result.get("summary_table_visible") or result.get("summary_rows", 0) < 1:
        problems.append("the summary table is not laid out")
    if result.get("figures", 0) < 1 or result.get("visible_charts") != result.get("figures"):
        problems.append(f"charts not drawn: {result.get('hidden')} of {result.get('figures')}")
    if result.get("parse_errors"):
        problems.append(f"{result['parse_errors']} parse error(s) in the page")
    if console:
        problems.append("console errors:\n" + "\n".join(console))
    shot = os.path.join(artifacts, "report.png")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            base + [f"--user-data-dir={tmp}", "--window-size=1400,2400",
                    f"--screenshot={shot}", "file://" + report],
            capture_output=True, text=True, timeout=180,
        )
    if not os.path.exists(shot) or os.path.getsize(shot) < 10000:
        problems.append("no screenshot")
    if problems:
        sys.exit("browser: " + "\nbrowser: ".join(problems))
    print(f"browser: ok: summary with {result['summary_rows']} rows, {result['visible_charts']} charts drawn; screenshot {shot} ({os.path.getsize(shot)} bytes)")


if __name__ == "__main__":
    main()
