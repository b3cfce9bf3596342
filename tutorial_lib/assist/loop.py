"""The assisted-generation loop: request -> canonical caption -> images -> caption -> check.

Each stage is one of the course's models: a rewrite route (SmolLM2 or the attribute reader,
`rewrite.py`), chapter 4's text-to-image generator, chapter 5's captioner. The captioner closes
the loop: it describes each drawn image, the dataset's parser reads that description, and the
loop *agrees* when every attribute the request specified is the one it asked for. Attributes the
request left open are not scored.
"""

from dataclasses import dataclass

import numpy as np

from tutorial_lib.assist.requests import Request
from tutorial_lib.assist.rewrite import canonical_captions
from tutorial_lib.data.captions import parse_caption


@dataclass
class LoopResult:
    """One request through the loop: its canonical caption (None if the route gave none), the
    images drawn for it, the captioner's description of each and whether each agrees."""

    request: str
    caption: str | None
    images: np.ndarray
    captions_back: list[str]
    agrees: list[bool]


def agrees(parsed: dict | None, wanted: dict) -> bool:
    """True when a parsed caption names every wanted attribute as wanted (None never agrees)."""
    return parsed is not None and all(parsed[key] == value for key, value in wanted.items())


def assist(requests, n: int = 1, seed: int = 0, route: str = "reader",
           wanted: list[dict] | None = None) -> list[LoopResult]:
    """Run requests through the loop, n images each. `wanted` (one dict per request) is what
    each request asked for; without it, the loop checks the canonical caption's attributes."""
    from tutorial_lib.caption.pipeline import caption_images
    from tutorial_lib.t2i.pipeline import generate

    texts = [requests] if isinstance(requests, str) else list(requests)
    rewritten = canonical_captions(texts, route)
    results = []
    for index, (text, caption) in enumerate(zip(texts, rewritten, strict=True)):
        if caption is None:
            results.append(LoopResult(text, None, np.zeros((0, 32, 32, 3), np.uint8), [], []))
            continue
        images = generate([caption], n=n, seed=seed)
        back = caption_images(images, lang="en")
        target = wanted[index] if wanted is not None else parse_caption(caption)
        results.append(LoopResult(text, caption, images, back,
                                  [agrees(parse_caption(c), target) for c in back]))
    return results


def loop_agreement(requests: list[Request], route: str = "reader", seed: int = 0) -> dict:
    """Scores of one route on requests with known wishes, one image per request:
    `rewrite` — the canonical caption names every wanted attribute;
    `loop` — the captioner's description of the drawn image does (assist_loop_agreement);
    `drawn_given_rewrite` — the loop agrees among requests whose rewrite was right, which
    isolates the generator and the captioner from the language model."""
    results = assist([r.text for r in requests], n=1, seed=seed, route=route,
                     wanted=[r.wanted for r in requests])
    rewrite_ok = [agrees(parse_caption(res.caption) if res.caption else None, r.wanted)
                  for res, r in zip(results, requests, strict=True)]
    loop_ok = [bool(res.agrees and res.agrees[0]) for res in results]
    right = [ok for ok, good in zip(loop_ok, rewrite_ok, strict=True) if good]
    return {"rewrite": float(np.mean(rewrite_ok)), "loop": float(np.mean(loop_ok)),
            "drawn_given_rewrite": float(np.mean(right)) if right else float("nan"),
            "results": results}
