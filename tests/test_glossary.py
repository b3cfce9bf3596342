"""The glossary read as data, and the Chinese edition held to its terms."""

from tutorial_lib.glossary import Term, glossary_terms, term_mismatches, terms_used, uses_term


def _term(english: str) -> Term:
    return next(term for term in glossary_terms() if term.english[0] == english)


def test_a_term_has_its_other_names_and_a_bracket_that_is_no_name_is_a_sense():
    assert _term("Beam search").chinese == ("束搜索", "集束搜索")
    assert _term("Large language model").english == ("Large language model", "LLM")
    assert _term("GAN").english == ("GAN", "generative adversarial network")
    assert _term("Negative").sense == "contrastive" and _term("Value function").sense == "GAN"
    # one cell, two terms: paired with the Chinese cell's list in order
    assert _term("judged accuracy").chinese == ("评判准确率",)


def test_the_longest_overlapping_term_counts_and_a_sense_must_be_named():
    terms = glossary_terms()
    names = [t.english[0] for t in terms_used("the negative log-likelihood of a caption", terms)]
    assert names == ["Negative log-likelihood", "Caption"]
    assert terms_used("a negative slope", terms) == []
    assert [t.english[0] for t in terms_used("contrastive negatives", terms)] == ["Negative"]
    assert [t.english[0] for t in terms_used("LLMs and a conditional GAN", terms)] == [
        "Conditional GAN", "Large language model"]
    assert terms_used('the guide\'s heading "LLMs for image description"', terms) == []


def test_a_translation_uses_a_chinese_form_or_keeps_the_english():
    caption = _term("Caption")
    assert uses_term("一条图像描述", caption) and uses_term("这条描述", caption)
    assert not uses_term("一条字幕", caption)
    assert uses_term("每个 logit", _term("Logits"))


def test_the_chinese_edition_uses_the_glossarys_terms():
    assert term_mismatches() == {}


def test_a_translation_that_strays_from_the_glossary_is_caught(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "book/glossary.md").write_text(
        "| Term | 中文 | Meaning | Where |\n|---|---|---|---|\n"
        "| Caption | 图像描述（描述） | A sentence. | ch. 0 |\n", encoding="utf-8")
    terms = glossary_terms(tmp_path)
    source = "Each image has a caption."
    assert [t.english[0] for t in terms_used(source, terms)] == ["Caption"]
    assert not uses_term("每张图像都有一个字幕。", terms[0])


def test_the_glossary_is_in_english_alphabetical_order():
    rows = [term.english[0].casefold() for term in glossary_terms()]  # a row's first term
    assert rows == sorted(rows)
