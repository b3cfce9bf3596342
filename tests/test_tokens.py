"""The token model: the VQ codebook and its gradients by hand, sampling with and without the
key-value cache, guidance, the cached pipeline, and bad input."""

import math
import warnings

import numpy as np
import pytest
import torch

from tutorial_lib.errors import BadInputError, CacheWarning
from tutorial_lib.runtime import cache_dir
from tutorial_lib.tokens import pipeline
from tutorial_lib.tokens.evaluate import bits_per_image, model_bits
from tutorial_lib.tokens.model import IMAGE_TOKENS, TokenGPT, TokenGPTConfig, caption_ids
from tutorial_lib.tokens.sampling import _sample_batch, guided_logits, pick, sample_tokens
from tutorial_lib.tokens.train import train_vq
from tutorial_lib.tokens.vq import (
    Codebook,
    VQConfig,
    VQTokenizer,
    code_usage,
    reconstruction_loss,
    straight_through,
)


def test_each_vector_goes_to_its_nearest_code():
    book = Codebook(3, 2, decay=0.5, dead_after=0.0)
    book.codes.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]))
    z = torch.tensor([[0.1, 0.1], [0.9, -0.2], [0.2, 1.4], [0.6, 0.0]])
    assert book.nearest(z).tolist() == [0, 1, 2, 1]


def test_the_codebook_moves_to_the_moving_average_of_its_vectors():
    """decay 0.5: counts 0.5 * 1 + 0.5 * n_k, sums 0.5 * old + 0.5 * sum of assigned vectors,
    code = sum / count (Laplace smoothing changes it by under 1e-4 here)."""
    book = Codebook(2, 1, decay=0.5, dead_after=0.0)
    book.codes.copy_(torch.tensor([[0.0], [10.0]]))
    book.sums.copy_(book.codes)
    z = torch.tensor([[1.0], [3.0], [9.0]])
    book.update(z, book.nearest(z), torch.Generator().manual_seed(0))
    assert book.counts.tolist() == [1.5, 1.0]  # 0.5 + 0.5 * 2 and 0.5 + 0.5 * 1
    assert book.sums.flatten().tolist() == [2.0, 9.5]  # 0.5 * 0 + 0.5 * 4, 0.5 * 10 + 0.5 * 9
    np.testing.assert_allclose(book.codes.flatten(), [2.0 / 1.5, 9.5 / 1.0], rtol=1e-4)


def test_an_unused_code_is_restarted_at_a_vector_of_the_batch():
    book = Codebook(2, 1, decay=0.5, dead_after=0.6)
    book.codes.copy_(torch.tensor([[0.0], [100.0]]))
    book.sums.copy_(book.codes)
    z = torch.tensor([[1.0], [2.0]])
    book.update(z, book.nearest(z), torch.Generator().manual_seed(0))
    # code 1 got nothing: its count fell to 0.5 < 0.6, so it now sits on one of the vectors
    assert book.codes[1].item() in (1.0, 2.0) and book.counts[1].item() == 1.0


def test_a_dead_code_restarts_where_the_codebook_fits_worst():
    book = Codebook(3, 1, decay=0.5, dead_after=0.6)
    book.codes.copy_(torch.tensor([[0.0], [0.1], [100.0]]))
    book.sums.copy_(book.codes)
    z = torch.cat([torch.zeros(99, 1), torch.tensor([[10.0]])])  # 99 fit code 0, one fits badly
    for seed in range(5):
        again = Codebook(3, 1, decay=0.5, dead_after=0.6)
        again.load_state_dict(book.state_dict())
        again.update(z, again.nearest(z), torch.Generator().manual_seed(seed))
        assert again.codes[2].item() == 10.0  # a uniform draw would pick a zero 99 times in 100


def test_straight_through_passes_the_quantized_value_forward_and_the_gradient_back():
    z = torch.tensor([0.2, -1.3], requires_grad=True)
    quantized = torch.tensor([0.0, -1.0])
    out = straight_through(z, quantized)
    assert out.tolist() == [0.0, -1.0]
    (out * torch.tensor([3.0, 5.0])).sum().backward()
    assert z.grad.tolist() == [3.0, 5.0]  # d(out)/dz = 1: the decoder's gradient, unchanged


def test_the_reconstruction_loss_weighs_the_object_more_than_the_background():
    images = -torch.ones(1, 3, 2, 2)
    images[0, :, 0, 0] = 1.0  # one object pixel, three black ones
    miss_object = images.clone()
    miss_object[0, :, 0, 0] = 0.0
    miss_background = images.clone()
    miss_background[0, :, 1, 1] = 0.0
    assert reconstruction_loss(miss_object, images, 10.0) == pytest.approx(
        10 * reconstruction_loss(miss_background, images, 10.0).item())


def test_the_reconstruction_loss_charges_broken_edges_more_than_an_even_shift():
    """Two reconstructions with the same squared error in every pixel: shifting the whole
    image by 0.1 leaves its edges intact, a checkerboard of +-0.1 breaks every one."""
    images = torch.zeros(1, 3, 4, 4)
    signs = (torch.arange(4)[:, None] + torch.arange(4)) % 2 * 2 - 1
    shifted, checkered = images + 0.1, images + 0.1 * signs
    assert reconstruction_loss(shifted, images, 1.0) == pytest.approx(0.01)  # pixels only
    assert reconstruction_loss(checkered, images, 1.0) > 3 * reconstruction_loss(shifted, images,
                                                                                1.0)


def test_code_usage_and_bits_per_image():
    assert code_usage(torch.arange(8), 8) == {"perplexity": pytest.approx(8.0), "codes_used": 8}
    assert code_usage(torch.zeros(5, dtype=torch.long), 8)["perplexity"] == pytest.approx(1.0)
    bits = bits_per_image(VQTokenizer(VQConfig(codebook_size=512)))
    assert bits == {"token_bits": 64 * 9.0, "pixel_bits": 32 * 32 * 3 * 8}


def test_the_tokenizer_learns_to_reconstruct():
    run = train_vq(VQConfig(steps=150, train_images=500, batch_size=32, width=32,
                            codebook_size=64), progress=False)
    losses = run.history.values["reconstruction"]
    assert losses[-1] < 0.4 * losses[0]  # the loss falls by well over half
    tokens = run.tokenizer.encode(torch.zeros(2, 3, 32, 32))
    assert tokens.shape == (2, 8, 8) and run.tokenizer.decode(tokens).shape == (2, 3, 32, 32)


@pytest.mark.parametrize("native", [True, False])
def test_the_tokenizer_computes_the_same_in_bfloat16_and_float32(monkeypatch, native):
    """Where the CPU has bfloat16 the convolutions run in it; the codes and pictures they give
    are float32 and within bfloat16's rounding of the float32 ones."""
    torch.manual_seed(0)
    vq = VQTokenizer(VQConfig(codebook_size=64)).eval()
    images = torch.rand(4, 3, 32, 32) * 2 - 1
    exact = vq.encoder(images)
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx512_bf16": native})
    z = vq.convolve(vq.encoder, images)
    assert z.dtype == torch.float32
    assert torch.allclose(z, exact, atol=0.05 * exact.abs().max().item())
    assert (not torch.equal(z, exact)) is native
    pictures = vq.decode(vq.encode(images))
    assert pictures.dtype == torch.float32 and pictures.shape == images.shape


def test_the_tokenizer_refuses_wrong_shapes():
    vq = VQTokenizer(VQConfig(codebook_size=64))
    with pytest.raises(BadInputError, match="N, 3, 32, 32"):
        vq.encode(torch.zeros(2, 32, 32, 3))
    with pytest.raises(BadInputError, match="0..63"):
        vq.decode(torch.full((1, 8, 8), 64))


@pytest.fixture(scope="module")
def small_gpt():
    torch.manual_seed(0)
    config = TokenGPTConfig(n_embd=32, n_layer=2, n_head=2)
    return TokenGPT(config, text_vocab=50, pad_id=0, codebook_size=16).eval()


def test_the_model_predicts_image_codes_from_the_caption_and_earlier_codes(small_gpt):
    captions = torch.randint(1, 50, (3, 16))
    images = torch.randint(0, 16, (3, IMAGE_TOKENS))
    logits = small_gpt.image_logits(captions, images)
    assert logits.shape == (3, IMAGE_TOKENS, 16)
    # causal: changing code 10 changes no prediction of codes 0..10
    changed = images.clone()
    changed[:, 10] = (changed[:, 10] + 1) % 16
    again = small_gpt.image_logits(captions, changed)
    torch.testing.assert_close(again[:, :11], logits[:, :11])
    assert not torch.allclose(again[:, 11:], logits[:, 11:])


def test_model_bits_are_the_images_negative_log2_likelihood(small_gpt):
    captions = torch.randint(1, 50, (4, 16))
    images = torch.randint(0, 16, (4, IMAGE_TOKENS))
    bits = model_bits(small_gpt, captions, images)
    log_p = small_gpt.image_logits(captions, images).log_softmax(-1)
    by_hand = -log_p.gather(-1, images[..., None]).sum((1, 2)) / math.log(2)
    torch.testing.assert_close(bits, by_hand)
    # an untrained model is close to uniform: about log2 K bits per token
    assert abs(bits.mean().item() - IMAGE_TOKENS * math.log2(16)) < 0.1 * IMAGE_TOKENS * 4


def test_kv_cached_sampling_equals_uncached_sampling_token_for_token(small_gpt):
    captions = torch.randint(1, 50, (2, 16))
    for guidance in (1.0, 2.0):
        cached = sample_tokens(small_gpt, captions, n=3, seed=4, guidance=guidance)
        uncached = sample_tokens(small_gpt, captions, n=3, seed=4, guidance=guidance,
                                 use_cache=False)
        assert torch.equal(cached, uncached)
        assert cached.shape == (6, IMAGE_TOKENS) and 0 <= cached.min() <= cached.max() < 16


def test_guidance_at_scale_one_is_conditional_sampling(small_gpt):
    cond, uncond = torch.randn(4, 16), torch.randn(4, 16)
    torch.testing.assert_close(guided_logits(cond, uncond, 1.0), cond)  # up to rounding
    assert torch.equal(guided_logits(cond, uncond, 0.0), uncond)
    captions = torch.randint(1, 50, (2, 16))
    uniform = torch.rand(2, IMAGE_TOKENS, generator=torch.Generator().manual_seed(1))
    guided = _sample_batch(small_gpt, captions, uniform, 1.0, None, 1.0, True)
    plain = _sample_batch(small_gpt, captions, uniform, 1.0, None, None, True)
    assert torch.equal(guided, plain)


def test_pick_is_greedy_at_temperature_zero_and_follows_the_cdf_otherwise():
    logits = torch.log(torch.tensor([[0.1, 0.6, 0.3]]))
    assert pick(logits, torch.tensor([0.99]), 0, None).item() == 1
    assert [pick(logits, torch.tensor([u]), 1.0, None).item() for u in (0.05, 0.5, 0.95)] == [
        0, 1, 2]
    assert pick(logits, torch.tensor([0.05]), 1.0, 1).item() == 1  # top-1 keeps only the best


def test_same_seed_same_tokens_and_each_image_independent_of_the_other_prompts(small_gpt):
    captions = torch.randint(1, 50, (3, 16))
    both = sample_tokens(small_gpt, captions, n=2, seed=7)
    assert torch.equal(both, sample_tokens(small_gpt, captions, n=2, seed=7))
    assert torch.equal(sample_tokens(small_gpt, captions[1:2], n=2, seed=7), both[2:4])


def test_captions_are_left_padded_and_a_long_one_is_refused():
    from tutorial_lib.text.tokenizer import caption_tokenizer

    tokenizer = caption_tokenizer()
    ids = caption_ids(tokenizer, ["a red circle", "左上角有一个小的红色圆形"], 16)
    assert ids.shape == (2, 16) and ids[0, 0] == tokenizer.pad_token_id != ids[0, -1]
    with pytest.raises(BadInputError, match="at most 16"):
        caption_ids(tokenizer, ["a very " * 10 + "red circle"], 16)


def test_generate_draws_in_prompt_order_and_repeats_with_the_seed(fast_models):
    prompts = ["a small red circle at the top left", "右下角有一个大的蓝色正方形"]
    images = pipeline.generate(prompts, n=3, seed=2)
    assert images.dtype == np.uint8 and images.shape == (6, 32, 32, 3)
    np.testing.assert_array_equal(pipeline.generate(prompts[1:], n=3, seed=2), images[3:])
    assert not np.array_equal(pipeline.generate(prompts, n=3, seed=3), images)


@pytest.mark.parametrize("bad, message", [
    ({"prompts": ""}, "empty"), ({"n": 0}, "n must"), ({"seed": -1}, "seed must"),
    ({"temperature": -1.0}, "temperature"), ({"top_k": 0}, "top_k"),
    ({"guidance": "3"}, "guidance"),
    ({"prompts": "a " * 40 + "circle"}, "at most")])
def test_generate_refuses_bad_input_before_training(bad, message):
    arguments = {"prompts": ["a red circle"], **bad}
    with pytest.raises(BadInputError, match=message):
        pipeline.generate(**arguments)
    assert not list(cache_dir().glob("tokens_*"))


def test_a_corrupt_cached_gpt_is_reported_and_retrained(monkeypatch):
    monkeypatch.setenv("TUTORIAL_FAST", "1")
    first = pipeline.pretrained_token_model(progress=False)
    path = cache_dir() / pipeline.GPT_FILE
    path.write_bytes(b"not a safetensors file")
    with pytest.warns(CacheWarning, match="tokens_gpt"):
        again = pipeline.pretrained_token_model(progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cached = pipeline.pretrained_token_model(progress=False)  # the new file loads cleanly
    assert again.gpt_history.steps == first.gpt_history.steps == cached.gpt_history.steps
    assert math.isfinite(cached.train_seconds)
