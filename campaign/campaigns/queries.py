from sqlalchemy import select

from campaign.extensions import db
from campaign.models import Campaign, Organiser, campaign_admin


def campaign_by_slug(slug: str) -> Campaign | None:
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug.lower()))


def all_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.name)))


def administered_campaigns(organiser: Organiser) -> list[Campaign]:
    query = select(Campaign).order_by(Campaign.name)
    if not organiser.is_admin:
        query = query.join(campaign_admin).where(campaign_admin.c.organiser_id == organiser.id)
    return list(db.session.scalars(query))
