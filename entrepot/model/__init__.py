"""Patient-level prediction: a study in one file (target and outcome cohorts,
time-at-risk, covariates from the CDM, learners, split), trained and
evaluated as the reporting guidelines ask (discrimination with intervals,
calibration, decision curve, subgroups), and validated on another warehouse."""

from entrepot.model._covariates import CovariateMatrix, covariate_matrix
from entrepot.model._evaluate import RESULTS_SCHEMA, calibration, evaluate
from entrepot.model._explain import explain, explain_person
from entrepot.model._population import Population, study_population
from entrepot.model._report import Report, model_report, project_model
from entrepot.model._run import StudyRun, study_data, train_study, validate_model
from entrepot.model._study import LoadedStudy, Study, load_study, shipped_studies
from entrepot.model._train import FittedModel, load_model

__all__ = [
    "RESULTS_SCHEMA",
    "CovariateMatrix",
    "FittedModel",
    "LoadedStudy",
    "Population",
    "Report",
    "Study",
    "StudyRun",
    "calibration",
    "covariate_matrix",
    "evaluate",
    "explain",
    "explain_person",
    "load_model",
    "load_study",
    "model_report",
    "project_model",
    "shipped_studies",
    "study_data",
    "study_population",
    "train_study",
    "validate_model",
]
