from sqlalchemy import select

from campaign.access import administered_by
from campaign.extensions import db
from campaign.lookup import campaign_by_slug as campaign_by_slug
from campaign.models import Campaign, Organiser


def all_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.name)))


def administered_campaigns(organiser: Organiser) -> list[Campaign]:
    query = administered_by(select(Campaign), organiser, Campaign.id)
    return list(db.session.scalars(query.order_by(Campaign.name)))
