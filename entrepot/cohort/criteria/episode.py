"""Episodes (CDM 5.4): a disease's phases or treatment's cycles, above the
events they gather, with their number and the concept they are about."""

from entrepot.cohort.criteria._domain import Domain, column

DOMAIN = Domain(
    name="episode",
    table="episode",
    id="episode_id",
    start="episode_start_date",
    end=column("episode_end_date"),
    concept="episode_concept_id",
    source_concept="episode_source_concept_id",
    type_concept="episode_type_concept_id",
    has_visit=False,
    attributes={
        "episode_number": column("episode_number"),
        "object_concept": column("episode_object_concept_id"),
    },
)
