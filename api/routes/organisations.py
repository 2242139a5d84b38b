"""Organisations and their API keys: the admin's routes."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import AdminDep, SessionDep, key_hash
from api.models import ApiKey, Organisation, is_id
from api.problems import not_found
from api.routes.paging import Limit, Offset
from api.schemas import KeyCreated, OrganisationCreate, OrganisationCreated, OrganisationPublic, Page

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])


def new_key(session: Session, organisation_id: str) -> tuple[ApiKey, str]:
    """A fresh key: the caller sees it once, the database keeps only its hash."""
    key = "cap_" + secrets.token_urlsafe(32)
    row = ApiKey(organisation_id=organisation_id, key_hash=key_hash(key), hint=key[:10])
    session.add(row)
    session.flush()
    return row, key


@router.post("", status_code=201, response_model=OrganisationCreated)
def create_organisation(
    body: OrganisationCreate, session: SessionDep, _admin: AdminDep
) -> OrganisationCreated:
    """Create an organisation and its first API key (admin key required)."""
    organisation = Organisation(name=body.name)
    session.add(organisation)
    session.flush()
    _, key = new_key(session, organisation.id)
    session.commit()
    return OrganisationCreated(
        id=organisation.id, name=organisation.name, created_at=organisation.created_at, api_key=key
    )


@router.get("", response_model=Page[OrganisationPublic])
def list_organisations(session: SessionDep, _admin: AdminDep, limit: Limit = 50, offset: Offset = 0) -> Page:
    """Every organisation, newest first (admin key required)."""
    total = session.scalar(select(func.count()).select_from(Organisation)) or 0
    rows = session.scalars(
        select(Organisation)
        .order_by(Organisation.created_at.desc(), Organisation.id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [OrganisationPublic(id=o.id, name=o.name, created_at=o.created_at) for o in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/{organisation_id}/keys", status_code=201, response_model=KeyCreated)
def create_key(organisation_id: str, session: SessionDep, _admin: AdminDep) -> KeyCreated:
    """Another API key for an organisation, e.g. to rotate keys (admin key required)."""
    if not is_id(organisation_id) or session.get(Organisation, organisation_id) is None:
        raise not_found("organisation", organisation_id)
    row, key = new_key(session, organisation_id)
    session.commit()
    return KeyCreated(id=row.id, organisation_id=organisation_id, api_key=key, created_at=row.created_at)
