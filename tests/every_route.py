"""A real URL for every rule in ``app.url_map``, naming real objects, for tests that must
hold on every route (odd hosts, file parts in forms, caching of private pages).

A new rule is covered as soon as it exists: its arguments are filled from ``Site``'s
objects by name, and a rule with an argument nobody knows fails ``url_for_rule`` loudly.
"""

from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import AnyConverter, Rule

from campaign.extensions import db
from campaign.groups import service as groups
from campaign.groups.messages import unsubscribe_token
from campaign.models import Campaign, Event, Organiser, SloganKind
from campaign.slogans.service import SloganDetails, add_slogan
from tests.factories import volunteer


@dataclass
class Site:
    """One of everything a URL can name: the organiser runs the campaign and its event."""

    organiser: Organiser
    campaign: Campaign
    event: Event
    leader: groups.Joined
    member: groups.Joined
    slogan_id: int

    @classmethod
    def build(cls, make_organiser, make_campaign, make_event) -> "Site":
        organiser = make_organiser(is_admin=True)
        campaign = make_campaign(admin=organiser)
        event = make_event(campaign=campaign, organiser=organiser)
        leader = groups.start_group(event, volunteer())
        db.session.commit()
        member = groups.join_group(leader.membership.group, volunteer())
        db.session.commit()
        slogan = add_slogan(
            campaign, organiser, SloganDetails("I AM HAZARA", "en", SloganKind.IDENTITY)
        )
        db.session.commit()
        return cls(organiser, campaign, event, leader, member, slogan.id)

    def values(self, rule: Rule) -> dict:
        known = {
            "slug": self.campaign.slug,
            "ref": self.event.ref,
            "token": self.leader.token,
            "member_id": self.member.membership.id,
            "slogan_id": self.slogan_id,
            "filename": "css/app.css",
            "image_format": "svg",
            "action": "approve",  # slogans.review; events.change_status takes its any()
            "code": "en" if rule.endpoint == "i18n.choose_language" else self.join_code,
            "signed": unsubscribe_token(self.member.membership),
        }
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            elif name in known:
                values[name] = known[name]
            else:
                raise AssertionError(f"{rule.rule}: no example value for <{name}>")
        return values

    @property
    def join_code(self) -> str:
        return self.leader.membership.group.join_code


def routes(app: Flask) -> list[tuple[Rule, str]]:
    """(rule, method) for every way in, HEAD and OPTIONS left out."""
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


def url_for_rule(app: Flask, rule: Rule, site: Site) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, site.values(rule), force_external=False)


def route_id(route: tuple[Rule, str]) -> str:
    rule, method = route
    return f"{method} {rule.rule}"
