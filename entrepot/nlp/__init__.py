"""Clinical text: mentions of diseases, drugs and lab tests in French reports,
with their qualifiers (negation, hypothesis, family, history), into note_nlp.

>>> from entrepot.nlp import Pipeline                 # doctest: +SKIP
>>> doc = Pipeline()("Pas de sclérodermie.")           # doctest: +SKIP
>>> doc.entities[0].negation                          # doctest: +SKIP
True
"""

from entrepot.nlp._changes import note_fingerprints, pending, read_notes
from entrepot.nlp._context import Context, Section, sections
from entrepot.nlp._evaluate import (
    Gold,
    evaluate,
    parse_marked,
    read_marked,
    score,
    warehouse_gold,
)
from entrepot.nlp._extract import extract_lines, read_lines
from entrepot.nlp._patterns import title_pattern
from entrepot.nlp._pipeline import VERSION, Document, Entity, Pipeline
from entrepot.nlp._run import run_nlp, snippet
from entrepot.nlp._terms import build_matcher, bundled_matcher, cache_dir
from entrepot.nlp._text import fold, sentences

__all__ = [
    "VERSION",
    "Context",
    "Document",
    "Entity",
    "Gold",
    "Pipeline",
    "Section",
    "build_matcher",
    "bundled_matcher",
    "cache_dir",
    "evaluate",
    "extract_lines",
    "note_fingerprints",
    "pending",
    "fold",
    "parse_marked",
    "read_lines",
    "read_marked",
    "read_notes",
    "run_nlp",
    "score",
    "snippet",
    "sections",
    "sentences",
    "title_pattern",
    "warehouse_gold",
]
