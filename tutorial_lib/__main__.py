"""The course's command line: `python -m tutorial_lib SUBCOMMAND ...` (see --help).

Each user-facing job is one subcommand with its own small function below. Errors the course
expects (bad arguments, a missing offline package, a corrupt cache) print one line and exit 2.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from tutorial_lib.errors import BadInputError, CourseError


def cmd_info(args: argparse.Namespace) -> None:
    """Print versions, device, fast mode, cache folder and which offline assets are installed."""
    from tutorial_lib.envcheck import environment_report, format_report

    print(format_report(environment_report()))


def cmd_shapes(args: argparse.Namespace) -> None:
    """Sample shapes-world images; print one caption per line; save the images with --out."""
    from tutorial_lib.data import shapes

    images, _, captions = shapes.sample(args.n, seed=args.seed, split=args.split, lang=args.lang)
    if args.out:
        np.save(_npy_path(args.out), images)
    print("\n".join(captions))


def _npy_path(out: str) -> Path:
    """The --out file, which must be a .npy in an existing folder."""
    path = Path(out)
    if path.suffix != ".npy":
        raise BadInputError(f"--out must name a .npy file, got {path}")
    if not path.parent.is_dir():
        raise BadInputError(f"--out: folder {path.parent} does not exist")
    return path


def cmd_generate_digits(args: argparse.Namespace) -> None:
    """Draw digits with the course's conditional GAN; save uint8 (N, 28, 28) to --out."""
    from tutorial_lib.gan.digits import generate_digits

    out = _npy_path(args.out)
    if not args.digits.isdigit():
        raise BadInputError(f"--digits must be a string of digits 0-9 such as 0123456789, got "
                            f"{args.digits!r}")
    images = generate_digits([int(d) for d in args.digits], args.per_digit, args.seed)
    np.save(out, images)
    print(f"wrote {len(images)} digits {tuple(images.shape)} to {out}")


GENERATORS = ("gan", "diffusion", "tokens")


def _generate_function(generator: str, encoder: str):
    """The `generate(prompts, n, seed)` of a generator family, or one BadInputError."""
    if generator not in GENERATORS:
        raise BadInputError(f"unknown generator {generator!r}; choose one of "
                            f"{', '.join(GENERATORS)}")
    if generator == "tokens":
        if encoder != "bilingual":
            raise BadInputError("--encoder chooses the sentence encoder of the gan and diffusion "
                                "generators; the tokens generator reads the prompt's own tokens")
        from tutorial_lib.tokens.pipeline import generate

        return generate
    if generator == "diffusion":
        from tutorial_lib.diffusion.pipeline import generate
    else:
        from tutorial_lib.t2i.pipeline import generate
    return lambda prompts, n, seed: generate(prompts, n=n, seed=seed, encoder=encoder)


def cmd_generate(args: argparse.Namespace) -> None:
    """Draw images for prompts with one of the course's text-to-image models (the GAN by
    default); save uint8 (N, 32, 32, 3)."""
    generate = _generate_function(args.generator, args.encoder)
    out = _npy_path(args.out)
    if args.prompts_file:
        path = Path(args.prompts_file)
        if not path.is_file():
            raise BadInputError(f"--prompts-file: no such file {path}")
        prompts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if not prompts:
            raise BadInputError(f"--prompts-file {path} has no prompts (one per line)")
    else:
        prompts = [args.prompt]
    images = generate(prompts, n=args.n, seed=args.seed)
    np.save(out, images)
    print(f"wrote {len(images)} images {tuple(images.shape)} for {len(prompts)} prompt(s) to "
          f"{out}")


def _load_images(path: str) -> np.ndarray:
    """The --images file: a .npy array, read without pickles (the callee checks its shape)."""
    file = Path(path)
    if not file.is_file():
        raise BadInputError(f"--images: no such file {file}")
    try:
        return np.load(file, allow_pickle=False)
    except ValueError as err:
        raise BadInputError(f"--images {file} is not a .npy array of images: {err}") from err


def cmd_caption(args: argparse.Namespace) -> None:
    """Describe images with the course's captioner; print one caption per line."""
    from tutorial_lib.caption.pipeline import caption_images

    print("\n".join(caption_images(_load_images(args.images), lang=args.lang,
                                   num_beams=args.beams)))


def cmd_search(args: argparse.Namespace) -> None:
    """Rank gallery images for a text query; print the top-k indices, best first."""
    from tutorial_lib.retrieval.pipeline import search

    print("\n".join(str(i) for i in search(args.query, _load_images(args.images), args.k)))


def cmd_assist(args: argparse.Namespace) -> None:
    """Rewrite a free-form request into a canonical caption; draw it with --out."""
    from tutorial_lib.assist.rewrite import canonical_captions
    from tutorial_lib.t2i.pipeline import generate

    caption = canonical_captions([args.request], args.route)[0]
    if caption is None:
        raise BadInputError(f"the {args.route} route gave no caption of the grammar for "
                            f"{args.request!r}; try --route reader")
    print(caption)
    if args.out:
        out = _npy_path(args.out)
        np.save(out, generate([caption], n=args.n, seed=args.seed))


def cmd_complete(args: argparse.Namespace) -> None:
    """Continue a prompt with SmolLM2 (pretrained) or the course's tiny caption GPT."""
    from tutorial_lib.text.complete import complete

    print(complete(args.prompt, model=args.model, max_new_tokens=args.max_new_tokens,
                   top_p=args.top_p, seed=args.seed))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m tutorial_lib",
        description="From Words to Pixels: command-line jobs of the course library.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    info = commands.add_parser("info", help="check the environment and the offline assets")
    info.set_defaults(run=cmd_info)

    shapes = commands.add_parser("shapes", help="sample captioned images from the shapes world")
    shapes.add_argument("--n", type=int, default=8, help="number of images (default 8)")
    shapes.add_argument("--seed", type=int, default=0)
    shapes.add_argument("--split", default="train", help="train, test or heldout")
    shapes.add_argument("--lang", default="en", help="en, zh or both")
    shapes.add_argument("--out", help="save the images as uint8 (N, 32, 32, 3) to this .npy")
    shapes.set_defaults(run=cmd_shapes)

    generate = commands.add_parser("generate", help="draw images for a text prompt with one of "
                                   "the course's text-to-image models (trains it on first use)")
    source = generate.add_mutually_exclusive_group(required=True)
    source.add_argument("--prompt", help="one prompt, English or Chinese")
    source.add_argument("--prompts-file", help="a UTF-8 text file with one prompt per line")
    generate.add_argument("--n", type=int, default=8, help="images per prompt (default 8)")
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--generator", default="gan",
                          help="gan (default: chapter 4), diffusion (chapter 8) or tokens (the "
                          "GPT that writes image tokens)")
    generate.add_argument("--encoder", default="bilingual",
                          help="bilingual (default), minilm or onehot (gan and diffusion)")
    generate.add_argument("--out", required=True, help="save uint8 (N, 32, 32, 3) to this .npy")
    generate.set_defaults(run=cmd_generate)

    caption = commands.add_parser("caption", help="describe images with the course's captioner "
                                  "(trains it on first use)")
    caption.add_argument("--images", required=True, help="uint8 (N, 32, 32, 3) images in a .npy")
    caption.add_argument("--lang", default="en", help="en (default) or zh")
    caption.add_argument("--beams", type=int, default=1, help="beam width (default 1: greedy)")
    caption.set_defaults(run=cmd_caption)

    search = commands.add_parser("search", help="find the gallery images that match a text "
                                 "query (trains the dual encoder on first use)")
    search.add_argument("--query", required=True, help="the text to search for, English or "
                        "Chinese")
    search.add_argument("--images", required=True, help="the gallery: uint8 (N, 32, 32, 3) .npy")
    search.add_argument("--k", type=int, default=5, help="how many to return (default 5)")
    search.set_defaults(run=cmd_search)

    assist = commands.add_parser("assist", help="turn a free-form request into a canonical "
                                 "caption (and images with --out)")
    assist.add_argument("request", help="what to draw, in your own words (English or Chinese)")
    assist.add_argument("--route", default="reader",
                        help="reader (default: the course's attribute reader), llm (SmolLM2, "
                        "constrained to the grammar) or llm_free (SmolLM2, free text)")
    assist.add_argument("--n", type=int, default=8, help="images to draw with --out (default 8)")
    assist.add_argument("--seed", type=int, default=0)
    assist.add_argument("--out", help="save uint8 (N, 32, 32, 3) images of the caption here")
    assist.set_defaults(run=cmd_assist)

    complete = commands.add_parser("complete", help="continue a prompt with a language model")
    complete.add_argument("prompt", help="the text to continue")
    complete.add_argument("--model", default="smollm2", help="smollm2 (default) or tiny")
    complete.add_argument("--max-new-tokens", type=int, default=40)
    complete.add_argument("--top-p", type=float, help="sample from the top-p nucleus "
                          "(default: greedy)")
    complete.add_argument("--seed", type=int, default=0)
    complete.set_defaults(run=cmd_complete)

    digits = commands.add_parser("generate-digits", help="draw handwritten digits with the "
                                 "course's conditional GAN (trains it on first use)")
    digits.add_argument("--digits", default="0123456789",
                        help="which digits to draw, in order (default 0123456789)")
    digits.add_argument("--per-digit", type=int, default=8,
                        help="images of each digit (default 8)")
    digits.add_argument("--seed", type=int, default=0)
    digits.add_argument("--out", required=True, help="save uint8 (N, 28, 28) to this .npy")
    digits.set_defaults(run=cmd_generate_digits)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; course errors become a one-line message and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
