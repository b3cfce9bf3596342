"""runtime: seeding, device choice, fast mode and the atomic safetensors cache."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import own_files

from tutorial_lib import runtime
from tutorial_lib.errors import BadInputError, CacheError


def test_seed_makes_torch_and_numpy_reproducible():
    import numpy as np

    runtime.seed_everything(7)
    first = torch.randn(3), np.random.rand(3)  # noqa: NPY002 - the global RNG is under test
    generator = runtime.seed_everything(7)
    second = torch.randn(3), np.random.rand(3)  # noqa: NPY002
    assert torch.equal(first[0], second[0]) and (first[1] == second[1]).all()
    assert torch.equal(torch.randn(2, generator=generator),
                       torch.randn(2, generator=torch.Generator().manual_seed(7)))


@pytest.mark.parametrize(("capabilities", "native"), [
    ({"avx512_bf16": True, "amx_bf16": False}, True),
    ({"avx512_bf16": False, "amx_bf16": True}, True),
    ({"avx512_bf16": False, "amx_bf16": False, "avx2": True}, False),
])
def test_bfloat16_only_where_the_cpu_does_it_in_hardware(monkeypatch, capabilities, native):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    assert runtime.native_bfloat16() is native
    weights = torch.randn(4, 4, requires_grad=True)
    with runtime.bfloat16_where_native():
        product = torch.randn(2, 4) @ weights
    assert product.dtype == (torch.bfloat16 if native else torch.float32)
    product.float().sum().backward()
    assert weights.grad.dtype == torch.float32  # the weights and their gradients stay float32


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed_is_refused(bad):
    with pytest.raises(BadInputError, match="seed"):
        runtime.seed_everything(bad)


def test_device_choice(monkeypatch):
    assert runtime.get_device("cpu") == torch.device("cpu")
    assert runtime.get_device().type in {"cpu", "cuda", "mps"}
    monkeypatch.setenv("TUTORIAL_DEVICE", "cpu")
    assert runtime.get_device() == torch.device("cpu")
    with pytest.raises(BadInputError, match="unknown device 'tpu'"):
        runtime.get_device("tpu")


def test_fast_mode_switches_budget_and_cache_folder(monkeypatch):
    full_dir = runtime.cache_dir()
    assert not runtime.fast_mode() and runtime.budget(100, 3) == 100
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    assert runtime.fast_mode() and runtime.budget(100, 3) == 3
    assert runtime.cache_dir() != full_dir  # fast-mode models never mix with full ones


def test_save_load_round_trip_with_metadata(isolated_cache):
    path = runtime.cache_dir() / "model.safetensors"
    tensors = {"weight": torch.randn(4, 3), "bias": torch.arange(3.0)}
    runtime.save_tensors(path, tensors, metadata={"steps": "10"})
    loaded = runtime.load_tensors(path)
    assert all(torch.equal(tensors[k], loaded[k]) for k in tensors)
    assert runtime.read_metadata(path) == {"steps": "10"}
    assert own_files(path.parent) == ["model.safetensors"]  # no temp files left


def test_corrupt_cache_file_gives_one_clear_error(isolated_cache):
    path = runtime.cache_dir() / "model.safetensors"
    runtime.save_tensors(path, {"w": torch.ones(100)})
    path.write_bytes(path.read_bytes()[:50])  # truncated, as by a crash in a non-atomic writer
    with pytest.raises(CacheError, match="corrupt.*delete it"):
        runtime.load_tensors(path)
    with pytest.raises(CacheError, match="corrupt"):
        runtime.read_metadata(path)
    with pytest.raises(CacheError, match="no cache file"):
        runtime.load_tensors(path.with_name("missing.safetensors"))


def test_interrupted_save_keeps_the_previous_file(isolated_cache, tmp_path):
    """Kill a process in the middle of writing a big file: the old cache must still load."""
    path = runtime.cache_dir() / "model.safetensors"
    runtime.save_tensors(path, {"w": torch.zeros(3)})
    script = textwrap.dedent(f"""
        import os, sys, torch
        from tutorial_lib import runtime
        import safetensors.torch as st
        real_save = st.save_file
        def slow_save(tensors, filename, metadata=None):
            real_save(tensors, filename, metadata=metadata)
            print("written-temp", flush=True)
            import time; time.sleep(60)   # killed here, before the rename
        runtime.save_file = slow_save
        runtime.save_tensors({str(path)!r}, {{"w": torch.ones(1_000_000)}})
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             env={**os.environ})
    assert child.stdout.readline().strip() == "written-temp"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert torch.equal(runtime.load_tensors(path)["w"], torch.zeros(3))


def test_torch_threads_is_restored_even_after_an_error():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), runtime.torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before
