"""Patients one at a time: a cohort's list and the timeline a clinician reads,
within a project."""

from entrepot.patients._listing import PatientSort, age_band, cohort_patients
from entrepot.patients._timeline import patient_note, timeline

__all__ = ["PatientSort", "age_band", "cohort_patients", "patient_note", "timeline"]
