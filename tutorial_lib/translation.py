"""The Chinese edition's translations: messages cut from the book's MyST, kept in .po catalogues.

One source of truth: the English pages and notebooks. Their prose is cut into *messages* (a
paragraph, a heading, a list item, a table row, a directive's title), and a gettext catalogue per
page (`book/locales/zh_CN/LC_MESSAGES/<docname>.po`) maps each message to its Chinese. Everything
else — code, maths blocks, directive fences and options, targets — is copied verbatim, so a
translated notebook's code cells are byte-identical to the English ones.

A changed English paragraph is a new message: its old translation no longer applies, and the
update step (`python -m tutorial_lib.editions update`) keeps it only as a *fuzzy* suggestion,
which `missing` reports until someone has checked it. `problems` checks what a translation must
keep of its source, mechanically: every role (glue keys, citations, cross-reference targets),
maths span, inline code span, link target and HTML tag, and the block's Markdown marker.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from tutorial_lib.myst_markdown import (
    BOXES,
    CODE_OPEN,
    EXPLICIT_TITLE,
    FENCE_OPEN,
    OPTION,
    ROLE,
    TARGET,
    closes,
)

LANGUAGE = "zh_CN"
LOCALE_DIR = Path("book/locales") / LANGUAGE / "LC_MESSAGES"
# directives whose body is prose, and those of them whose argument is a title to translate
PROSE_DIRECTIVES = {*BOXES, "exercise", "prf:theorem", "prf:proof", "prf:definition",
                    "prf:lemma"}
TITLED_DIRECTIVES = PROSE_DIRECTIVES - {"prf:proof"}

_TITLED_ROLES = {"doc", "ref", "numref", "term"}  # roles whose "title <target>" shows a title
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_MATH = re.compile(r"\$\$.+?\$\$|\$[^$]+?\$", re.DOTALL)  # inline maths may wrap a line
_LINK_TARGET = re.compile(r"\]\(([^)\s]+)[^)]*\)")
_URL = re.compile(r"<?https?://[^\s)>]+>?")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_MARKER = re.compile(r"^\s*(#{1,6} |[-*+] |\d+[.)] |\| |> )?")
_LIST_ITEM = re.compile(r"^\s*([-*+]|\d+[.)]) ")
_WORD = re.compile(r"[A-Za-z]{2,}")
_EMPHASIS_RUN = re.compile(r"\*+")


@dataclass(frozen=True)
class Segment:
    """A piece of a Markdown text: a message to translate, or text copied as it is."""

    text: str
    translatable: bool


def _message_or_verbatim(text: str) -> list[Segment]:
    """A block as one message (its trailing newline kept verbatim), or verbatim when nothing in
    it is words: a line of maths, a glued number alone, a table's separator row."""
    body = text.rstrip("\n")
    tail = text[len(body):]
    has_words = _WORD.search(plain_prose(body))
    pieces = [Segment(body, True)] if has_words else [Segment(body, False)]
    return pieces + ([Segment(tail, False)] if tail else [])


def _block_end(lines: list[str], start: int) -> int:
    """Where the block starting at `start` (an ordinary block: paragraph, heading, list item,
    table row) ends: the index of its first line that is not part of it."""
    first = lines[start]
    if first.lstrip().startswith(("#", "|")):
        return start + 1  # a heading, a table row: one line each
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if (not line.strip() or _LIST_ITEM.match(line) or _starts_construct(line)
                or line.lstrip().startswith(("#", "|"))):
            break
        end += 1
    return end


def _starts_construct(line: str) -> bool:
    stripped = line.strip()
    return bool(FENCE_OPEN.match(stripped) or CODE_OPEN.match(stripped)
                or stripped.startswith(("$$", "\\begin{")) or TARGET.match(stripped))


def _closing(lines: list[str], start: int, test) -> int:
    """The index of the first line after `start` for which test(line) holds (else the last)."""
    return next((j for j in range(start + 1, len(lines)) if test(lines[j])), len(lines) - 1)


def segments(markdown: str) -> list[Segment]:
    """`markdown` cut into messages and verbatim pieces; joined, the pieces are `markdown`."""
    lines, out, i = markdown.splitlines(keepends=True), [], 0
    if lines and lines[0].rstrip() == "---":  # a page's YAML front matter (jupytext, kernel)
        i = _closing(lines, 0, lambda x: x.rstrip() == "---") + 1
        out.append(Segment("".join(lines[:i]), False))
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        if not stripped or TARGET.match(stripped):
            out.append(Segment(line, False))
            i += 1
        elif opening := FENCE_OPEN.match(line.rstrip("\n")):
            end = _closing(lines, i, lambda x, f=opening["fence"]: closes(x.rstrip("\n"), f))
            out.extend(_directive(lines[i:end + 1], opening))
            i = end + 1
        elif code := CODE_OPEN.match(stripped):
            end = _closing(lines, i, lambda x, f=code["fence"]: closes(x.strip(), f))
            out.append(Segment("".join(lines[i:end + 1]), False))
            i = end + 1
        elif stripped.startswith("$$") or stripped.startswith("\\begin{"):
            if stripped.startswith("$$"):
                one_line = stripped.count("$$") >= 2
                end = i if one_line else _closing(lines, i, lambda x: "$$" in x)
            else:
                end = _closing(lines, i, lambda x: x.strip().startswith("\\end{"))
            out.append(Segment("".join(lines[i:end + 1]), False))
            i = end + 1
        else:
            end = _block_end(lines, i)
            out.extend(_message_or_verbatim("".join(lines[i:end])))
            i = end
    return out


def _directive(lines: list[str], opening: re.Match) -> list[Segment]:
    """A directive fence: prose directives keep their fence and options verbatim, with their
    title and body translated; any other directive (code, bibliography, a solution marker) is
    copied whole."""
    name = opening["name"]
    if name not in PROSE_DIRECTIVES:
        return [Segment("".join(lines), False)]
    first = lines[0]
    argument = opening["argument"].rstrip()
    if name in TITLED_DIRECTIVES and argument:
        at = opening.start("argument")
        out = [Segment(first[:at], False), Segment(argument, True),
               Segment(first[at + len(argument):], False)]
    else:
        out = [Segment(first, False)]
    body = 1
    while body < len(lines) - 1 and OPTION.match(lines[body].rstrip("\n")):
        out.append(Segment(lines[body], False))
        body += 1
    out.extend(segments("".join(lines[body:-1])))
    return out + [Segment(lines[-1], False)]


def messages(markdown: str) -> list[str]:
    """The messages of a Markdown text, in order, each once."""
    return list(dict.fromkeys(s.text for s in segments(markdown) if s.translatable))


def translate(markdown: str, translations: dict[str, str]) -> str:
    """`markdown` with every message replaced by its translation (KeyError names a missing one)."""
    out = []
    for segment in segments(markdown):
        if segment.translatable and segment.text not in translations:
            raise KeyError(f"no translation of {segment.text[:70]!r}")
        out.append(translations[segment.text] if segment.translatable else segment.text)
    return "".join(out)


def plain_prose(text: str, placeholder: str = " ") -> str:
    """`text` with roles, code, maths, URLs and HTML tags replaced by `placeholder`."""
    for pattern in (ROLE, _CODE_SPAN, _MATH, _URL, _HTML_TAG):
        text = pattern.sub(placeholder, text)
    return _LINK_TARGET.sub("]", text)


def _role_keys(text: str, source_keys: frozenset[str] | None = None) -> Counter:
    """What of each role a translation must keep: a titled cross-reference's target, a glue
    key, otherwise the whole role. In a translation (given its source's glue keys), a key's
    Chinese form `key_zh` counts as the key itself."""
    keys = Counter()
    for match in ROLE.finditer(text):
        name, content = match["name"], match["content"]
        if name in _TITLED_ROLES and (titled := EXPLICIT_TITLE.match(content)):
            keys[f"{{{name}}} -> {titled['target']}"] += 1
        elif name.startswith("glue"):
            key, _, spec = content.partition(":")
            if source_keys is not None and key not in source_keys:
                key = key.removesuffix("_zh")
            keys[f"{{{name}}}`{key}:{spec}`"] += 1
        else:
            keys[match.group(0)] += 1
    return keys


def _glue_keys(text: str) -> frozenset[str]:
    return frozenset(m["content"].partition(":")[0] for m in ROLE.finditer(text)
                     if m["name"].startswith("glue"))


def _kept(text: str, source_keys: frozenset[str] | None = None) -> dict[str, Counter]:
    without_roles = ROLE.sub(" ", text)
    return {"roles": _role_keys(text, source_keys),
            "inline code": Counter(m.group(0) for m in _CODE_SPAN.finditer(without_roles)),
            "maths": Counter(" ".join(span.split())  # a line break in maths is a space
                             for span in _MATH.findall(_CODE_SPAN.sub(" ", without_roles))),
            "link targets": Counter(_LINK_TARGET.findall(without_roles)),
            "URLs": Counter(u.strip("<>") for u in _URL.findall(_LINK_TARGET.sub("]", text))),
            "HTML tags": Counter(_HTML_TAG.findall(_CODE_SPAN.sub(" ", without_roles))),
            "Markdown marker": Counter([_MARKER.match(text).group(1) or ""])}


def problems(source: str, translation: str) -> list[str]:
    """What `translation` fails to keep of `source` (empty if nothing): roles, maths, code
    spans, link targets, URLs, HTML tags and the block's marker, each as a multiset."""
    if not translation.strip():
        return ["empty translation"]
    want, got = _kept(source), _kept(translation, _glue_keys(source))
    found = []
    for kind in want:
        if want[kind] != got[kind]:
            lost = sorted((want[kind] - got[kind]).elements())
            added = sorted((got[kind] - want[kind]).elements())
            found.append(f"{kind}: " + "; ".join(
                part for part in (f"lost {lost}" if lost else "",
                                  f"added {added}" if added else "") if part))
    if stranded := stranded_emphasis(translation):
        found.append(f"emphasis that Markdown will not render (move the punctuation outside "
                     f"the asterisks): {stranded}")
    return found


def _kind(char: str) -> str:
    if not char or char.isspace():
        return "space"
    return "punctuation" if unicodedata.category(char)[0] in "PS" else "letter"


def stranded_emphasis(text: str) -> list[str]:
    """Asterisk runs CommonMark cannot use as the opener or closer they are meant to be.

    Chinese has no spaces, so "**说明。**然后" puts a closing run between punctuation and a
    letter, where CommonMark only closes after a letter or before a space or punctuation. Runs
    of each length alternate opener, closer (the book does not nest emphasis of one kind)."""
    text = re.sub(r"(?m)^\s*[*+-] ", "", plain_prose(text, "`"))  # not bullets
    bad, opened = [], {}
    for match in _EMPHASIS_RUN.finditer(text):
        run = match.group(0)
        before = _kind(text[match.start() - 1] if match.start() else "")
        after = _kind(text[match.end()] if match.end() < len(text) else "")
        opening = not opened.get(run, False)
        if opening:
            ok = after != "space" and (after != "punctuation" or before != "letter")
        else:
            ok = before != "space" and (before != "punctuation" or after != "letter")
        if not ok:
            bad.append(text[max(match.start() - 1, 0):match.end() + 1])
        opened[run] = opening
    return bad


def catalogue_path(docname: str, root: str | Path = ".") -> Path:
    return Path(root) / LOCALE_DIR / f"{docname}.po"


def read_catalogue(path: str | Path) -> Catalog:
    """A .po catalogue, or an empty one if the file does not exist yet."""
    path = Path(path)
    if not path.is_file():
        return Catalog(locale=LANGUAGE)
    with path.open("rb") as handle:
        return read_po(handle, locale=LANGUAGE)


def write_catalogue(catalog: Catalog, path: str | Path) -> None:
    """Write atomically, unwrapped (one source line per line), sorted by source order."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".po.partial")
    with partial.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=True, include_previous=True)
    partial.replace(path)


def translations(catalog: Catalog) -> dict[str, str]:
    """The checked translations of a catalogue: neither empty nor fuzzy."""
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def update_catalogue(docname: str, sources: list[str], root: str | Path = ".") -> Catalog:
    """Bring a page's catalogue up to its current messages: new ones empty (or, when an old
    message is close, that translation marked fuzzy), gone ones dropped as obsolete."""
    path = catalogue_path(docname, root)
    catalog = read_catalogue(path)
    template = Catalog(locale=LANGUAGE)
    for source in sources:
        template.add(source)
    catalog.update(template)
    catalog.obsolete.clear()
    write_catalogue(catalog, path)
    return catalog


def missing(sources: list[str], catalog: Catalog) -> list[str]:
    """Messages without a checked translation: absent, empty or fuzzy (a stale suggestion)."""
    done = translations(catalog)
    return [source for source in sources if source not in done]
