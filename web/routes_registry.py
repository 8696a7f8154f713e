"""Staff views over the registry: dashboard, alliance list and Excel export, holiday years."""

from fastapi import APIRouter

router = APIRouter()
