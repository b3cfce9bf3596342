"""Chapter 10's measurements of the guide's challenges: data scarcity (`scarcity`),
memorisation (`memorization`) and compute (`compute`); the prompt filter is `tutorial_lib.safety`.
`bench_challenges()` gathers the headline numbers for `make bench`."""


def bench_challenges() -> dict[str, float]:
    """The scarcity curve's points, the memorisation check of the default and the over-fit
    digit GAN, and the prompt filter's rates on its labelled test set."""
    from tutorial_lib.analysis.memorization import memorization_numbers
    from tutorial_lib.analysis.scarcity import scarcity_curve
    from tutorial_lib.safety import default_filter, evaluate_filter

    results = {}
    for point in scarcity_curve(progress=False):
        pct = round(100 * point.fraction)
        results[f"scarcity_{pct}_seen_all_correct"] = point.seen
        results[f"scarcity_{pct}_heldout_pairs_all_correct"] = point.heldout_pairs
        results[f"scarcity_{pct}_distinct_scenes"] = point.scenes
    for model, report in memorization_numbers().items():
        results[f"memorization_median_ratio_{model}"] = report.median_ratio
        results[f"memorization_copies_{model}"] = report.copies
    rates = evaluate_filter(default_filter())
    results["prompt_filter_catch_rate"] = rates["catch_rate"]
    results["prompt_filter_false_positive_rate"] = rates["false_positive_rate"]
    return results
