"""API: search (to be written)."""

from fastapi import APIRouter

router = APIRouter(tags=["search"])
