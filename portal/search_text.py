"""Words out of Chinese and English text, for the portal's search (``portal.search``).

Chinese is written without spaces, so the text is segmented into words by jieba (MIT,
https://github.com/fxsjy/jieba, pinned in requirements.txt) before PostgreSQL indexes it:
the index holds the words space-joined and parsed with the ``simple`` configuration (no
stemming, no stop words), so a word is found as it was written. Indexed text is cut in
jieba's search mode (``cut_for_search``: a long word and its shorter words, 趋势性 and 趋势)
and a query in its precise mode, so 水位下降 (水位 / 下降) finds "九江台水位呈趋势性下降".

jieba's own dictionary lacks the work's words and many place names, so a *domain dictionary*
is loaded on top: the discipline terms of DOMAIN.md (``data/search_terms.txt``) and the files
other apps register with :func:`register_dictionary` (the gazetteer's place names, from
``reports``). Runs of Latin letters and digits are not given to jieba: they are lowercased
words and numbers (``M7.4`` → ``m``, ``7.4``), so "玛多 7.4" and "Maduo M7.4" both work.
An English word is indexed with its Snowball stem beside it (``decreasing`` and ``decreas``)
and a query word matches as written or by its stem, so "water levels decrease" finds "water
level decreasing"; the ``simple`` configuration stays (PostgreSQL's ``english`` one would also
drop stop words and cannot be mixed with the Chinese words in one parse).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

TERMS_FILE = Path(__file__).resolve().parent / "data" / "search_terms.txt"

# Han ideographs (CJK unified, extension A, compatibility) are jieba's; the rest is split here.
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"\d+(?:\.\d+)?|[^\W\d_]+", re.UNICODE)

_ENGLISH_WORD = re.compile(r"[a-z]{3,}")  # shorter ones (m, ml, km) are units, kept as they are

_dictionaries: list[Path] = [TERMS_FILE]
_lock = threading.Lock()
_tokenizer = None


def register_dictionary(path: Path) -> None:
    """Add a jieba user dictionary (one word a line, ``word [freq] [tag]``) read at the first
    segmentation; idempotent. Registered from ``AppConfig.ready()``."""
    if path not in _dictionaries:
        _dictionaries.append(path)


def _jieba():  # type: ignore[no-untyped-def]
    """jieba's tokenizer with the domain dictionary, built once per process (about a second)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for path in _dictionaries:
                    if path.exists():
                        _load(tokenizer, path)
                _tokenizer = tokenizer
    return _tokenizer


def warm_in_background() -> None:
    """Load the segmenter in a thread now, so the first save a server process indexes (on
    commit, before that commit's other callbacks: the live broadcasts among them) does not
    wait the second jieba takes to build its dictionary."""
    threading.Thread(target=_jieba, name="jieba-warm", daemon=True).start()


def _load(tokenizer, path: Path) -> None:  # type: ignore[no-untyped-def]
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            word = parts[0]
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            if freq is not None and tokenizer.FREQ.get(word, 0) >= freq:
                continue  # jieba knows it as more common already: keep its weight
            tokenizer.add_word(word, freq)


@functools.cache
def _english_stemmer():  # type: ignore[no-untyped-def]
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def stem(word: str) -> str:
    """The English stem of a lowercased Latin word (the word itself for anything else)."""
    return _english_stemmer().stemWord(word) if _ENGLISH_WORD.fullmatch(word) else word


def _pieces(text: str, *, for_search: bool) -> Iterator[str]:
    position = 0
    for run in _HAN_RUN.finditer(text):
        yield from (m.group(0).lower() for m in _LATIN.finditer(text[position : run.start()]))
        cut = _jieba().cut_for_search if for_search else _jieba().cut
        yield from (word for word in cut(run.group(0), HMM=True) if word.strip())
        position = run.end()
    yield from (m.group(0).lower() for m in _LATIN.finditer(text[position:]))


def index_words(text: str) -> list[str]:
    """The words of a document's text, longer words followed by their shorter ones, and an
    English word by its stem where that differs."""
    words = []
    for word in _pieces(text or "", for_search=True):
        words.append(word)
        stemmed = stem(word)
        if stemmed != word:
            words.append(stemmed)
    return words


def query_words(text: str) -> list[str]:
    """The words of what someone typed, each once, in order."""
    seen: dict[str, None] = {}
    for word in _pieces(text or "", for_search=False):
        seen.setdefault(word, None)
    return list(seen)


def joined(words: list[str]) -> str:
    """Words as the text PostgreSQL's ``simple`` parser reads back as the same words."""
    return " ".join(words)


def _quoted(word: str) -> str:
    # words are runs of letters, digits or Han (no quote, backslash or operator in them); the
    # replace is a second guard
    return "'" + word.replace("\\", "").replace("'", "") + "'"


def query_expression(words: list[str]) -> str:
    """A ``to_tsquery('simple', …)`` expression: every word must occur; a compound Chinese word
    (江西省, 趋势性下降) may also be matched by its shorter words together (江西; 趋势性 & 下降),
    as a document segmented differently around it may hold only those."""
    terms = []
    for word in words:
        shorter = (
            [w for w in _jieba().cut_for_search(word) if w != word and len(w) >= 2]
            if _HAN_RUN.fullmatch(word) and len(word) >= 3
            else []
        )
        stemmed = stem(word)
        if shorter:
            terms.append(
                "(" + _quoted(word) + " | " + " & ".join(_quoted(w) for w in dict.fromkeys(shorter)) + ")"
            )
        elif stemmed != word:
            # as written, or by the stem every indexed English word carries beside it
            terms.append("(" + _quoted(word) + " | " + _quoted(stemmed) + ")")
        else:
            terms.append(_quoted(word))
    return " & ".join(terms)
