"""The Fellegi–Sunter model linking death records to patients, with splink.

Both sides are put in one shape (`records`): folded names, first names as a
list, birth date in parts (null where unknown), sex, birthplace code and its
department. A patient with a birth name besides the name in use appears once
under each, so that a death record under either name compares as a match.
splink runs the same model on DuckDB and on Spark: u by random sampling, m
by EM over two blockings that people sharing a patient's name and birth
date rarely enter (birth date and birthplace; surname and first name), then
the pairs of the prediction blocking rules, which keep 1,000,000 records ×
100,000 patients to a few million pairs.
String distances are Levenshtein's, native to both engines (Jaro-Winkler
needs a jar on Spark's class path), so that both find the same links.
"""

from __future__ import annotations

import logging
import math
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import MissingDependencyError

#: Columns both sides bring to the model.
COLUMNS = (
    "unique_id",
    "surname",
    "first_name",
    "first_names",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_date",
    "birthplace_code",
    "birthplace_dept",
)
SEED = 25


def _fold(text: str | None) -> str | None:
    """Upper case letters and single spaces only: 'Lefèvre-D'Arc' → 'LEFEVRE D ARC'."""
    if text is None:
        return None
    plain = unicodedata.normalize("NFKD", text.upper())
    letters = "".join(
        c if c.isalpha() else " " for c in plain if not unicodedata.combining(c)
    )
    return " ".join(letters.split()) or None


def fold(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`_fold` over a column, each distinct value once."""
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    folded = pa.array([_fold(v) for v in encoded.dictionary.to_pylist()], pa.string())
    return pc.take(folded, encoded.indices)


def records(
    ids: pa.Array,
    surname: pa.Array,
    first_names: pa.Array,
    sex: pa.Array,
    year: pa.Array,
    month: pa.Array,
    day: pa.Array,
    birthplace: pa.Array,
) -> pa.Table:
    """One side of the linkage in the model's shape (month, day: null if unknown)."""
    given = fold(first_names)  # null when no letter: no name, not an empty one
    names = pc.split_pattern(given, " ")
    year, month, day = (pc.cast(c, pa.int64()) for c in (year, month, day))
    known = pc.and_(pc.is_valid(month), pc.is_valid(day))
    iso = pc.binary_join_element_wise(
        pc.cast(year, pa.string()),
        pc.utf8_lpad(pc.cast(month, pa.string()), 2, "0"),
        pc.utf8_lpad(pc.cast(day, pa.string()), 2, "0"),
        "-",
    )
    place = pc.if_else(pc.equal(pc.utf8_length(birthplace), 5), birthplace, None)
    return pa.table(
        {
            "unique_id": pc.cast(ids, pa.int64()),
            "surname": fold(surname),
            "first_name": pc.list_element(names, 0).cast(pa.string()),
            "first_names": names,
            "sex": sex,
            "birth_year": year,
            "birth_month": month,
            "birth_day": day,
            "birth_date": pc.if_else(known, iso, None),
            "birthplace_code": place,
            "birthplace_dept": pc.utf8_slice_codeunits(place, 0, 2),
        }
    ).replace_schema_metadata(None)


def require_splink() -> None:
    """Refuse in one line when the `linkage` extra is not installed."""
    try:
        import splink  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError(
            "linkage needs splink: pip install 'entrepot[linkage]'"
        ) from e


def _date_levels():
    import splink.comparison_level_library as cll

    y = "birth_year_l = birth_year_r"

    def part(p: str) -> str:
        return (
            f"(birth_{p}_l IS NULL OR birth_{p}_r IS NULL OR birth_{p}_l = birth_{p}_r)"
        )

    return [
        cll.NullLevel("birth_year"),
        cll.CustomLevel(
            f"{y} AND birth_month_l = birth_month_r AND birth_day_l = birth_day_r",
            "exact birth date",
            base_dialect_str="duckdb",
        ),
        cll.CustomLevel(
            f"{y} AND birth_month_l = birth_day_r AND birth_day_l = birth_month_r",
            "day and month transposed",
            base_dialect_str="duckdb",
        ),
        cll.CustomLevel(
            f"{y} AND {part('month')} AND {part('day')}",
            "same year, other parts unknown",
            base_dialect_str="duckdb",
        ),
        cll.CustomLevel(
            "(birth_year_l = birth_year_r AND birth_month_l = birth_month_r)"
            " OR (birth_year_l = birth_year_r AND birth_day_l = birth_day_r)"
            " OR (birth_month_l = birth_month_r AND birth_day_l = birth_day_r)",
            "one part differs",
            base_dialect_str="duckdb",
        ),
        cll.ElseLevel(),
    ]


def settings():
    """The model: comparisons and the blocking rules of prediction."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.CustomComparison(
                [
                    cll.NullLevel("surname"),
                    cll.ExactMatchLevel("surname"),
                    cll.LevenshteinLevel("surname", 1),
                    cll.LevenshteinLevel("surname", 2),
                    cll.ElseLevel(),
                ],
                output_column_name="surname",
            ),
            cl.CustomComparison(
                [
                    cll.NullLevel("first_name"),
                    cll.ExactMatchLevel("first_name"),
                    cll.ArrayIntersectLevel("first_names", 1),
                    cll.LevenshteinLevel("first_name", 1),
                    cll.ElseLevel(),
                ],
                output_column_name="first_names",
            ),
            cl.CustomComparison(_date_levels(), output_column_name="birth_date"),
            cl.ExactMatch("sex"),
            cl.CustomComparison(
                [
                    cll.NullLevel("birthplace_code"),
                    cll.ExactMatchLevel("birthplace_code"),
                    cll.ExactMatchLevel("birthplace_dept"),
                    cll.ElseLevel(),
                ],
                output_column_name="birthplace",
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("birth_date"),
            block_on("surname", "birth_year"),
            block_on("first_name", "birth_year", "birthplace_dept"),
            block_on("surname", "first_name"),
        ],
        retain_matching_columns=False,
    )


def predict(api, deaths: pa.Table, patients: pa.Table, floor: float):
    """Train the model on these two sides and score their candidate pairs.

    Returns (pairs: unique_id_l, unique_id_r, match_probability; weights:
    each comparison level's m, u and match weight)."""
    from splink import Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    left = api.register(deaths, table_name="insee_deaths")
    right = api.register(patients, table_name="vault_patients")
    linker = Linker([left, right], settings(), log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("surname", "first_name", "birth_date")], recall=0.7
    )
    pairs = len(deaths) * len(patients)  # a tenth of them, 100,000 to 2,000,000
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(2e6, max(1e5, pairs / 10)), seed=SEED
    )
    for rule in (
        block_on("birth_date", "birthplace_code"),
        block_on("surname", "first_name"),
    ):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    scored = linker.inference.predict(
        threshold_match_probability=floor, warning_mode="never"
    )
    table = scored.as_pyarrow_table().select(
        ["unique_id_l", "unique_id_r", "match_probability"]
    )
    return table, _weights(linker)


def _weights(linker) -> list[dict]:
    """m, u and the match weight (log2 m/u) of each level of each comparison."""
    model = linker.misc.save_model_to_json()
    out = []
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else None
            out.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts"),
                    "m": None if m is None else round(m, 6),
                    "u": None if u is None else round(u, 8),
                    "weight": None if weight is None else round(weight, 3),
                }
            )
    return out
