"""The HTML report reads on a laptop: sections fold, long tables scroll inside bounded boxes, every
source cited in the figures has its full entry under References; and, when Chromium is installed, the
page laid out at 1400 px has no horizontal overflow and a bounded height."""
import json
import re
import shutil
import subprocess

import pytest

from pdsim.catalog import registry
from pdsim.html_report import write_html_report


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory):
    return write_html_report("demo", tmp_path_factory.mktemp("rep"), run_claims=False)


def test_sections_fold_and_tables_scroll(demo_page):
    page = demo_page.read_text(encoding="utf-8")
    sections = re.findall(r'<details class="section"( open)?><summary><h2>([^<]+)</h2>', page)
    titles = [t for _, t in sections]
    assert titles[:2] == ["Arms", "Figures"] and {"Parameters and sources", "References", "Claims checked"} <= set(titles)
    closed = {t for o, t in sections if not o}
    assert {"Parameters and sources", "References"} <= closed  # the long tables start folded
    tables = page.count("<table")
    assert tables >= 2 and page.count('<div class="scroll"><table') == tables
    assert "max-height" in page and "overflow-wrap: anywhere" in page
    figures = re.findall(r'<details class="figure"( open)?>', page)
    assert len(figures) >= 4 and figures[:3] == [" open"] * 3 and " open" not in figures[3:]


def test_references_list_every_source_with_its_full_entry(demo_page):
    page = demo_page.read_text(encoding="utf-8")
    refs = page.split("<summary><h2>References</h2>", 1)[1].split("</details>", 1)[0]
    reg = registry()
    assert "Gassaway MM, Rives ML" in refs and "doi.org/10.1038/tp.2014.30" in refs
    ids = re.findall(r"<code>([^<]+)</code>:", refs)
    assert "gassaway2014" in ids and all(i in reg.references or i in reg.claims for i in ids)
    params = page.split("<summary><h2>Parameters and sources</h2>", 1)[1].split("</details>", 1)[0]
    assert ".txt:" not in params  # short citations, not seed file spans


def _chromium():
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


_MEASURE = """<script>
window.addEventListener('load', () => {
  const height = document.documentElement.scrollHeight;           // as the page opens
  document.querySelectorAll('details').forEach(d => d.open = true);  // then everything unfolded
  const boxes = [...document.querySelectorAll('.scroll')].map(e => e.getBoundingClientRect().height);
  const out = {width: document.documentElement.scrollWidth, viewport: window.innerWidth,
               height: height, boxes: boxes};
  const pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script></body>"""


def test_layout_at_1400_px_in_chromium(demo_page, tmp_path):
    """Headless Chromium lays the 3-arm demo page out at 1400 px: as it opens, under 12 000 px tall (it
    was 32 000 px before sections folded); with every section unfolded, nothing wider than the window
    and every table box at most 32 em (512 px, plus its 2 px border) tall."""
    exe = _chromium()
    if exe is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium); the layout test needs a browser")
    page = tmp_path / "measure.html"
    page.write_text(demo_page.read_text(encoding="utf-8").replace("</body>", _MEASURE), encoding="utf-8")
    proc = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,900",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="measure">([^<]+)</pre>', proc.stdout)
    assert m, proc.stderr[-2000:]
    got = json.loads(m.group(1).replace("&quot;", '"'))
    assert got["width"] <= got["viewport"], got
    assert len(got["boxes"]) >= 2 and max(got["boxes"]) <= 512 + 2, got
    assert got["height"] < 12000, got
