"""Patients one at a time: the timeline a clinician reads, within a project."""

from entrepot.patients._timeline import patient_note, timeline

__all__ = ["patient_note", "timeline"]
