"""API: vocabulary (to be written)."""

from fastapi import APIRouter

router = APIRouter(tags=["vocabulary"])
