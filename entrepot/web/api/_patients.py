"""API: patients (to be written)."""

from fastapi import APIRouter

router = APIRouter(tags=["patients"])
