"""Public pages (no login): current public notices with the objection form; certificate check."""

from fastapi import APIRouter

router = APIRouter()
