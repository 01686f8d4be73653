"""The built-in check families, one folder each, registered like any other."""

from entrepot.quality.checks import (  # noqa: F401  (each registers its family)
    after_death,
    age_over_120,
    before_birth,
    concept_domain,
    duplicate_event,
    end_before_start,
    extra,
    field_type,
    foreign_key,
    future_date,
    lab_value_range,
    missing_value,
    observation_period_coverage,
    outside_observation,
    primary_key,
    required_field,
    sex_specific,
    standard_concept,
    unmapped_source,
    value_format,
)
