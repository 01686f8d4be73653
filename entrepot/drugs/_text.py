"""Text normalisation shared by the thesaurus, the ATC mapping and recognition."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)?")
#: Words that do not tell two drug names apart ("bicarbonate de sodium").
STOPWORDS = frozenset({"de", "d", "du", "des", "l", "la", "le", "les", "et", "a"})


def fold(text: str) -> str:
    """Lower case, no accents, œ as oe, single spaces: how names are compared."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("’", "'")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"(\w)- (\w)", r"\1-\2", text)  # "bêta- bloquants" (PDF line breaks)
    return _SPACES.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The words of a folded text; decimals keep their comma or point."""
    return _WORDS.findall(fold(text))


def name_key(text: str) -> str:
    """A drug name as a key: its words, without punctuation ("acide valproïque")."""
    return " ".join(words(text))


def spelling_key(text: str) -> str:
    """A name key blind to the spellings French and English names of one
    substance differ by: "azithromycine", "azitromycine" and "azithromycin"
    meet as "azitromycin", "dapagliflozine" and "dapagliflozin" too."""
    return " ".join(_unspelled(w) for w in words(text))


def _unspelled(word: str) -> str:
    word = word.replace("th", "t")
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def bag_key(text: str) -> str:
    """A name's words in any order, without stop words: "acetylsalicylique acide"
    and "acide acétylsalicylique" meet here."""
    return " ".join(sorted(w for w in words(text) if w not in STOPWORDS))
