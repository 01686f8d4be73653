"""Every error entrepot raises on purpose. The CLI turns them into one line and exit 2."""

from __future__ import annotations


class EntrepotError(Exception):
    """Root of entrepot's errors: a user-facing problem, never a bug."""


class WarehouseNotFoundError(EntrepotError, FileNotFoundError):
    """The warehouse URI points at nothing."""


class WarehouseBusyError(EntrepotError, RuntimeError):
    """Another process keeps the warehouse file (DuckDB has one writer): it is named."""


class WarehouseRevisionError(EntrepotError, RuntimeError):
    """The warehouse's schema revision is not this entrepot's: an older one is
    written only once `entrepot upgrade` migrated it, a newer one not at all."""


class BackupError(EntrepotError, RuntimeError):
    """A backup cannot be taken or restored; nothing was changed."""


class WarehouseURIError(EntrepotError, ValueError):
    """The warehouse URI cannot be understood."""


class NotFoundError(EntrepotError, KeyError):
    """Something asked for by name or id does not exist (HTTP 404)."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0]) if self.args else ""


class UnknownTableError(NotFoundError):
    """A table that is neither in the OMOP CDM nor in the warehouse."""


class ConflictError(EntrepotError, ValueError):
    """What is to be created exists already (HTTP 409)."""


class InputFileError(EntrepotError, ValueError):
    """An input file cannot be read: wrong name, format, or content."""


class ParameterError(EntrepotError, ValueError):
    """A parameter cannot be used: a reversed period, a file where a folder is needed."""


class LoadError(EntrepotError, RuntimeError):
    """A load failed; the warehouse was left as it was."""


class MissingDependencyError(EntrepotError, ImportError):
    """An optional dependency (such as PySpark) is needed but not installed."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message: engines' messages run long."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ModuleFileError(EntrepotError, ValueError):
    """A disease module file of the synthetic hospital is not valid."""


class CohortDefinitionError(EntrepotError, ValueError):
    """A cohort definition file is not valid: the message names the file and field."""


class UnsupportedCirceFeatureError(CohortDefinitionError):
    """A Circe (ATLAS) cohort uses a feature entrepot does not run yet: named, never dropped."""


class UnknownCodeError(CohortDefinitionError):
    """Codes of a concept set are not in the warehouse's vocabulary: all of them listed."""


class CohortNotFoundError(NotFoundError):
    """No cohort with that id in the results schema."""


class CohortRunError(EntrepotError, RuntimeError):
    """A cohort could not be generated; the results schema was left as it was."""


class FeatureSpecError(EntrepotError, ValueError):
    """A feature spec (patient subgroups) is not valid: the message names the file and field."""


class QualityConfigError(EntrepotError, ValueError):
    """A data quality configuration file (thresholds, extra checks) is not valid."""


class OutputPathError(EntrepotError, ValueError):
    """A file cannot be written at the path given: no such folder, or a folder."""


class ThesaurusError(EntrepotError, ValueError):
    """A drug interaction thesaurus file cannot be read or converted."""


class DrugInputError(EntrepotError, ValueError):
    """Prescription lines or scan dates that cannot be analysed."""


class PrivacyError(EntrepotError, ValueError):
    """A rule about identity refused an action (entrepot.privacy)."""


class KeyFileError(PrivacyError):
    """The pseudonymisation key is missing, too short or readable by others.

    Its message never contains the key.
    """


class AccessDeniedError(PrivacyError, PermissionError):
    """A user may not see or do this (role or project perimeter)."""


class DisclosureError(PrivacyError):
    """A count cannot be shown: it would reveal a small group of persons."""


class AuthenticationError(AccessDeniedError):
    """Unknown user or wrong password (the message never says which)."""


class LoginThrottledError(AuthenticationError):
    """Too many failed logins: the next attempt must wait `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TerminologyError(EntrepotError, ValueError):
    """A user terminology file (YAML `{label: [terms]}`) cannot be read."""


class NlpInputError(EntrepotError, ValueError):
    """Documents given to the text pipeline cannot be read (not JSON lines)."""


class SearchQueryError(EntrepotError, ValueError):
    """A search query cannot be parsed, or its filters are not valid."""


class SearchIndexError(EntrepotError, RuntimeError):
    """The search index is missing or does not belong to this warehouse."""


class ExtractionSchemaError(EntrepotError, ValueError):
    """An extraction schema is not valid: the message names the file and field."""


class ExtractionError(EntrepotError, RuntimeError):
    """An extraction could not run (a model server down or answering badly); nothing was written."""


class StudyError(EntrepotError, ValueError):
    """A study file that cannot be read or a study that cannot run: a network
    study (its YAML file, or as a node received it), a prediction study (no
    persons, one class only, covariates the model does not know); the message
    names the file and field."""


class NetworkError(EntrepotError, RuntimeError):
    """The hub or a node of a network cannot do what was asked (no such node,
    a study not accepted, a state folder that cannot be used)."""


class DatathonError(EntrepotError, ValueError):
    """A datathon task file, folder, submission or team that cannot be used."""


class CourseError(EntrepotError, ValueError):
    """A course folder, exercise or answer file that cannot be used."""


class CirceExportError(CohortDefinitionError):
    """A definition uses what OHDSI Circe cannot express: named, never dropped."""
