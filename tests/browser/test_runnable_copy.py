"""A learner's view of a runnable copy: chapter 0's copy, executed in fast mode, must quote in its
prose the numbers of its own run; nbconvert's HTML of it, opened in a real browser, shows
typeset maths, no MyST syntax and no error output.

`make test` executes the copy once, in its nbval step, which writes it into EXECUTED_COPIES
(and gives the book's cache chapter 0 from the same run); run alone, this test executes it."""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, open_page
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from tutorial_lib.glue import NOT_YET, fill_glue
from tutorial_lib.myst_markdown import count_raw_myst
from tutorial_lib.notebook_copies import PROSE_TAG, RUNNABLE_DIR, SOLUTION_TAG

COPY = ROOT / RUNNABLE_DIR / "00_welcome.ipynb"
MATHJAX = (Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
           / "site-packages" / "sphinx-mathjax-offline" / "static" / "mathjax" / "tex-chtml.js")
LOADER = Path(__file__).with_name("mathjax3_loader.js")
# what the copy's page may ask the network for, and is refused here: the Colab badge and the
# require.js that nbconvert's template always links
EXPECTED_OUTSIDE = ("colab-badge.svg", "require.min.js")


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> Path:
    """Chapter 0's runnable copy, executed in fast mode: nbval's run when `make test` made one
    (EXECUTED_COPIES), else a run here with a fresh model cache."""
    out = tmp_path_factory.mktemp("runnable")
    if os.environ.get("EXECUTED_COPIES"):
        done = ROOT / os.environ["EXECUTED_COPIES"] / COPY.name
        assert done.exists(), f"{done} is missing: `make nbval` writes it"
        shutil.copy(done, out / COPY.name)
        return out / COPY.name
    # a separate process: its kernel talks over loopback, which the tests themselves refuse
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-nbconvert"), "--to", "notebook",
         "--execute", str(COPY), "--output-dir", str(out),
         "--ExecutePreprocessor.timeout=600"],
        env={**os.environ, "TUTORIAL_FAST": "1", "TQDM_DISABLE": "1",
             "TUTORIAL_CACHE": str(out / "cache")},
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return out / COPY.name


def glued_values(notebook) -> dict[str, object]:
    """name -> value of everything the run glued, read from myst-nb's records in the outputs."""
    values = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record:
                text = output["data"][record["mime_prefix"] + "text/plain"]
                try:
                    values[record["name"]] = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    values[record["name"]] = text
    return values


def test_the_prose_quotes_the_numbers_of_this_run(executed):
    notebook = nbformat.read(executed, as_version=4)
    values = glued_values(notebook)
    prose = [cell for cell in notebook.cells if PROSE_TAG in cell.metadata.get("tags", [])]
    assert prose and values
    for cell in prose:
        template = cell.source.split("r'''\n", 1)[1].rsplit("\n'''", 1)[0]
        shown = [output["data"]["text/markdown"] for output in cell.outputs
                 if "text/markdown" in output.get("data", {})]
        assert shown == [fill_glue(template, values)], (shown, template)
        assert NOT_YET not in shown[0] and count_raw_myst(shown[0]) == 0


def test_the_html_reads_like_the_book(executed, browser):
    # the cells whose source Jupyter and Colab keep folded away are shown as they show them
    folded = TagRemovePreprocessor(remove_input_tags={PROSE_TAG, SOLUTION_TAG}, enabled=True)
    exporter = HTMLExporter(mathjax_url=f"{LOADER.as_uri()}?src={MATHJAX.as_uri()}")
    exporter.register_preprocessor(folded)
    html, _ = exporter.from_filename(str(executed))
    page_path = executed.with_suffix(".html")
    page_path.write_text(html, encoding="utf-8")
    page, outside = open_page(browser, page_path)
    assert all(url.endswith(EXPECTED_OUTSIDE) for url in outside), outside
    page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
    assert page.locator("mjx-container").count() >= 5
    text = "\n".join(page.locator(".jp-RenderedMarkdown").all_inner_texts())
    assert "Exercise 0.1" in text and "Out of" in text  # a Markdown cell and a prose output
    assert count_raw_myst(text) == 0 and "{glue" not in text
    assert not re.search(r"\$\S[^$]*\$", text), "maths left as raw TeX"
    assert NOT_YET not in text
    assert "Traceback (most recent call last)" not in page.inner_text("body")
    stderr = ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"
    assert page.locator(stderr).count() == 0
    assert page.locator("details").count() >= 3
    page.context.close()
