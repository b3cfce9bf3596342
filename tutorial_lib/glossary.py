"""The glossary as data, and the check that the Chinese edition uses the glossary's terms.

`book/glossary.md` is a table: an English term, its Chinese, a meaning, the chapter. A term's
other names follow it in brackets. In Chinese every bracketed form counts ("束搜索（集束搜索）").
In English only an acronym of the term's words counts, or the words an acronym stands for
("Large language model (LLM)", "GAN (generative adversarial network)"); any other English
bracket names a sense ("Negative (contrastive)", "Value function (GAN)"), and such a term is
checked only in messages that also name its sense, since "negative" is an ordinary word too.
A cell that lists several terms ("Judge network, judged accuracy") pairs them with the Chinese
cell's list in order.

The rule checked (issue 18, "the term the glossary gives is the term the text uses"): where an
English message uses a glossary term, its translation uses one of the term's Chinese forms,
or keeps the English term itself (GAN, DDIM and CLIP stay in Latin script). Where several
terms match the same words, the longest wins ("negative log-likelihood", not "negative").
Quotations ("…") are left out: a quoted heading of the guide keeps the guide's own words.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from tutorial_lib.editions import translated_messages
from tutorial_lib.translation import plain_prose

GLOSSARY = "book/glossary.md"


@dataclass(frozen=True)
class Term:
    english: tuple[str, ...]  # the term and its acronym, if any
    chinese: tuple[str, ...]  # every Chinese form the text may use
    sense: str = ""  # the sense a bracket gives the term, if not an acronym

    def pattern(self) -> re.Pattern:
        """The English forms as whole words, plural allowed, case ignored except in acronyms."""
        forms = "|".join(re.escape(form) if form.isupper() else f"(?i:{re.escape(form)})"
                         for form in sorted(self.english, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{forms})(?:e?s)?(?![\w-])")


_BRACKET = re.compile(r"\s*[（(]([^（）()]*)[)）]$")


def _names(cell: str, chinese: bool) -> list[list[str]]:
    """The terms of a cell, each with its other names, in the cell's order."""
    separator = r"、" if chinese else r",\s*"
    terms = [[part.strip()] for part in re.split(separator, _BRACKET.sub("", cell.strip()))]
    if inner := _BRACKET.search(cell.strip()):
        terms[0] += [name.strip() for name in re.split(r"[、，,]", inner[1])]
    return terms


def _english_term(names: list[str]) -> tuple[tuple[str, ...], str]:
    """An English term's forms (it and its acronym) and the sense its bracket names, if any."""
    term, *bracket = names
    acronyms = [name for name in bracket
                if _initials(term) == name.replace("-", "") or _initials(name) == term]
    return (term, *acronyms), ", ".join(name for name in bracket if name not in acronyms)


def _initials(words: str) -> str:
    return "".join(word[0] for word in re.split(r"[\s-]+", words)).upper()


def glossary_terms(root: str | Path = ".") -> list[Term]:
    """Every term of the glossary's table, in the table's order."""
    terms = []
    for line in (Path(root) / GLOSSARY).read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or cells[0] in ("Term", "---") or len(cells) < 2:
            continue
        english, chinese = _names(cells[0], False), _names(cells[1], True)
        if len(english) != len(chinese):
            raise ValueError(f"{GLOSSARY}: {cells[0]!r} lists {len(english)} terms but "
                             f"{cells[1]!r} lists {len(chinese)}")
        for en, zh in zip(english, chinese, strict=True):
            forms, sense = _english_term(en)
            terms.append(Term(forms, tuple(zh), sense))
    return terms


_QUOTATION = re.compile(r'"[^"\n]*"|“[^”]*”')


def terms_used(text: str, terms: list[Term]) -> list[Term]:
    """The glossary terms an English text uses; where matches overlap, the longest counts."""
    text = _QUOTATION.sub(" ", plain_prose(text))
    matches = sorted(((m.start(), m.end(), term) for term in terms
                      if term.sense.lower() in text.lower()
                      for m in term.pattern().finditer(text)),
                     key=lambda match: match[0] - match[1])
    taken, used = [], []
    for start, end, term in matches:
        if all(end <= other_start or start >= other_end for other_start, other_end in taken):
            taken.append((start, end))
            used += [term] if term not in used else []
    return used


def uses_term(translation: str, term: Term) -> bool:
    """Whether a Chinese text uses one of the term's Chinese forms or keeps the English."""
    text = plain_prose(translation).lower()
    english = (form.lower().removesuffix("s") for form in term.english)
    return any(form.lower() in text for form in (*term.chinese, *english))


def term_mismatches(root: str | Path = ".") -> dict[str, list[str]]:
    """'docname: message start' -> the glossary terms its translation does not use."""
    terms = glossary_terms(root)
    found = {}
    for docname, source, translation in translated_messages(root):
        if missed := [f"{term.english[0]} -> {' / '.join(term.chinese)}"
                      for term in terms_used(source, terms) if not uses_term(translation, term)]:
            found[f"{docname}: {source[:60]!r}"] = missed
    return found
