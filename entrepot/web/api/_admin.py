"""API: admin (to be written)."""

from fastapi import APIRouter

router = APIRouter(tags=["admin"])
