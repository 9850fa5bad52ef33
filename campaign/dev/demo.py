"""The demo campaign, I AM HAZARA, with real places in real time zones."""

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from campaign.accounts.service import create_organiser, find_by_email
from campaign.campaigns.service import CampaignDetails, create_campaign
from campaign.events.service import (
    EventDetails,
    create_event,
    publish_event,
    submit_for_review,
)
from campaign.extensions import db
from campaign.groups.service import Volunteer, join_group, start_group
from campaign.models import Campaign, Message, SloganKind, VenueType, utcnow
from campaign.slogans.service import SloganDetails, add_slogan

SLUG = "i-am-hazara"
ADMIN_EMAIL = "admin@i-am-hazara.example"
ORGANISER_EMAIL = "organiser@i-am-hazara.example"

PLEDGE = """\
I stay calm and peaceful. I do not react to cursing, insults or even spitting.
I never go alone: I stand in a group of at least three people.
I hold my sign and let it speak. I do not argue and I block nobody's way.
You need not be Hazara to stand: anyone can say I AM HAZARA.
I follow my group leader and the law, and we leave together and check in home safe."""

DESCRIPTION = """\
Hazaras are killed for who they are, and receive death threats by phone and by letter. \
All over the planet, small peaceful groups stand up wherever there is a crowd and a camera: \
parliaments, demonstrations, churches, mosques, temples, synagogues, stadiums. \
Each group holds signs that read as one message: I AM HAZARA. WHY DO YOU WANT TO KILL ME? \
ANSWER PLEASE."""

#: The description and pledge in the campaign's other languages (Dari and Urdu).
TRANSLATIONS = {
    "fa": {
        "description": (
            "هزاره‌ها به خاطر هویت‌شان کشته می‌شوند و با تیلفون و نامه تهدید به مرگ می‌شوند. "
            "در سراسر جهان، گروه‌های کوچک و آرام هر جا که جمعیت و کمره هست می‌ایستند: "
            "پارلمان‌ها، تظاهرات، کلیساها، مسجدها، معبدها، کنیسه‌ها، ورزشگاه‌ها. "
            "لوحه‌های هر گروه با هم یک پیام را می‌خوانند: من هزاره هستم. "
            "چرا می‌خواهید مرا بکشید؟ لطفاً جواب دهید."
        ),
        "pledge": (
            "آرام و صلح‌آمیز می‌مانم. به دشنام، توهین و حتی تف واکنش نشان نمی‌دهم.\n"
            "هرگز تنها نمی‌روم: در گروهی دست‌کم سه‌نفره می‌ایستم.\n"
            "لوحه‌ام را بالا می‌گیرم و می‌گذارم خودش حرف بزند. بحث نمی‌کنم و راه کسی را "
            "نمی‌بندم.\n"
            "لازم نیست هزاره باشید: هر کسی می‌تواند بگوید من هزاره هستم.\n"
            "از رهبر گروه و قانون پیروی می‌کنم، با هم برمی‌گردیم و رسیدن سالم به خانه را "
            "اعلام می‌کنیم."
        ),
    },
    "ur": {
        "description": (
            "ہزارہ برادری کے لوگ اپنی شناخت کی وجہ سے قتل کیے جاتے ہیں اور انہیں فون اور خط "
            "کے ذریعے جان سے مارنے کی دھمکیاں ملتی ہیں۔ دنیا بھر میں چھوٹے پُرامن گروپ وہاں "
            "کھڑے ہوتے ہیں جہاں ہجوم اور کیمرا ہو: پارلیمان، مظاہرے، گرجا گھر، مسجدیں، مندر، "
            "عبادت خانے، اسٹیڈیم۔ ہر گروپ کے بینر مل کر ایک پیغام بنتے ہیں: میں ہزارہ ہوں۔ "
            "آپ مجھے کیوں قتل کرنا چاہتے ہیں؟ براہ کرم جواب دیں۔"
        ),
        "pledge": (
            "میں پرسکون اور پُرامن رہوں گا۔ گالی، توہین یا تھوکنے پر بھی ردِعمل نہیں دوں گا۔\n"
            "میں کبھی اکیلا نہیں جاؤں گا: کم از کم تین لوگوں کے گروپ میں کھڑا ہوں گا۔\n"
            "میں اپنا بینر اٹھاؤں گا اور اسے بولنے دوں گا۔ بحث نہیں کروں گا، کسی کا راستہ "
            "نہیں روکوں گا۔\n"
            "کھڑے ہونے کے لیے ہزارہ ہونا ضروری نہیں: کوئی بھی کہہ سکتا ہے میں ہزارہ ہوں۔\n"
            "میں اپنے گروپ لیڈر اور قانون کی پیروی کروں گا، ہم ساتھ واپس جائیں گے اور "
            "گھر بحفاظت پہنچنے کی اطلاع دیں گے۔"
        ),
    },
}

# (title, venue type, venue, address, city, country, zone, lat, lon, days ahead, local hour)
DEMO_EVENTS = [
    (
        "I AM HAZARA at Parliament Square",
        VenueType.GOVERNMENT_ASSEMBLY,
        "Parliament Square",
        "Parliament Square, Westminster",
        "London",
        "GB",
        "Europe/London",
        51.5008,
        -0.1262,
        5,
        12,
    ),
    (
        "I AM HAZARA at Wembley",
        VenueType.SPORTING_EVENT,
        "Wembley Stadium",
        "Wembley Park",
        "London",
        "GB",
        "Europe/London",
        51.5560,
        -0.2796,
        12,
        14,
    ),
    (
        "I AM HAZARA at the Brandenburg Gate",
        VenueType.DEMONSTRATION,
        "Pariser Platz",
        "Pariser Platz",
        "Berlin",
        "DE",
        "Europe/Berlin",
        52.5163,
        13.3777,
        6,
        13,
    ),
    (
        "I AM HAZARA at the New Synagogue",
        VenueType.SYNAGOGUE,
        "Neue Synagoge Berlin",
        "Oranienburger Straße 28-30",
        "Berlin",
        "DE",
        "Europe/Berlin",
        52.5248,
        13.3945,
        9,
        11,
    ),
    (
        "I AM HAZARA at Union Square",
        VenueType.DEMONSTRATION,
        "Union Square",
        "Union Square, Manhattan",
        "New York",
        "US",
        "America/New_York",
        40.7359,
        -73.9911,
        7,
        12,
    ),
    (
        "I AM HAZARA at Riverside Church",
        VenueType.CHURCH,
        "The Riverside Church",
        "490 Riverside Drive",
        "New York",
        "US",
        "America/New_York",
        40.8120,
        -73.9632,
        10,
        10,
    ),
    (
        "I AM HAZARA at Queen's Park",
        VenueType.GOVERNMENT_ASSEMBLY,
        "Ontario Legislative Building",
        "111 Wellesley St W",
        "Toronto",
        "CA",
        "America/Toronto",
        43.6625,
        -79.3916,
        8,
        12,
    ),
    (
        "I AM HAZARA at the Lakemba Mosque",
        VenueType.MOSQUE,
        "Lakemba Mosque",
        "65-67 Wangee Road, Lakemba",
        "Sydney",
        "AU",
        "Australia/Sydney",
        -33.9210,
        151.0760,
        11,
        13,
    ),
    (
        "I AM HAZARA at Martin Place",
        VenueType.OTHER,
        "Martin Place",
        "Martin Place",
        "Sydney",
        "AU",
        "Australia/Sydney",
        -33.8675,
        151.2094,
        4,
        12,
    ),
    (
        "I AM HAZARA at the MCG",
        VenueType.SPORTING_EVENT,
        "Melbourne Cricket Ground",
        "Brunton Avenue, Richmond",
        "Melbourne",
        "AU",
        "Australia/Melbourne",
        -37.8200,
        144.9834,
        13,
        15,
    ),
    (
        "I AM HAZARA at the Shiva Vishnu Temple",
        VenueType.TEMPLE,
        "Sri Shiva Vishnu Temple",
        "52 Boundary Road, Carrum Downs",
        "Melbourne",
        "AU",
        "Australia/Melbourne",
        -38.0870,
        145.1745,
        15,
        11,
    ),
    (
        "I AM HAZARA at the Quetta Press Club",
        VenueType.DEMONSTRATION,
        "Quetta Press Club",
        "Jinnah Road",
        "Quetta",
        "PK",
        "Asia/Karachi",
        30.1945,
        67.0138,
        6,
        11,
    ),
    (
        "I AM HAZARA at Parliament House",
        VenueType.GOVERNMENT_ASSEMBLY,
        "Parliament House",
        "Constitution Avenue",
        "Islamabad",
        "PK",
        "Asia/Karachi",
        33.7295,
        73.0931,
        14,
        11,
    ),
    (
        "I AM HAZARA at Federation Square",
        VenueType.OTHER,
        "Federation Square",
        "Swanston St & Flinders St",
        "Melbourne",
        "AU",
        "Australia/Melbourne",
        -37.8180,
        144.9691,
        20,
        12,
    ),
]


#: Group sizes for the first demo events: forming, ready and full groups side by side.
DEMO_GROUP_SIZES = [[2, 3, 8], [1, 4], [5, 2], [3]]
DEMO_NAMES = [
    "Zahra",
    "Ali",
    "Maryam",
    "Hussain",
    "Sakina",
    "Reza",
    "Nargis",
    "Javad",
    "Amina",
    "Karim",
    "Shirin",
    "Daud",
    "Fatima",
    "Mahdi",
    "Laila",
    "Yusuf",
    "Parwin",
    "Sam",
    "Hannah",
    "Tom",
    "Grace",
    "Noor",
    "Elias",
    "Mina",
    "Omid",
    "Sara",
    "Ben",
    "Lucia",
]


@dataclass
class DemoResult:
    created: bool
    #: Passwords of the accounts this run created: shown once, stored nowhere in clear.
    passwords: dict[str, str] = field(default_factory=dict)
    events: int = 0
    volunteers: int = 0


def _account(email: str, name: str, *, is_admin: bool, result: DemoResult):
    organiser = find_by_email(email)
    if organiser is None:
        password = secrets.token_urlsafe(15)
        organiser = create_organiser(email, password, name, is_admin=is_admin)
        result.passwords[email] = password
    return organiser


def load_demo(today: date | None = None) -> DemoResult:
    """Load the demo campaign unless it exists already. The caller commits."""
    if db.session.scalar(select(Campaign).where(Campaign.slug == SLUG)) is not None:
        return DemoResult(created=False)
    result = DemoResult(created=True)
    admin = _account(ADMIN_EMAIL, "Campaign admin", is_admin=True, result=result)
    organiser = _account(ORGANISER_EMAIL, "Demo organiser", is_admin=False, result=result)
    campaign = create_campaign(
        admin,
        CampaignDetails(
            name="I AM HAZARA",
            slug=SLUG,
            description=DESCRIPTION,
            pledge=PLEDGE,
            languages=["en", "fa", "ur"],
            translations=TRANSLATIONS,
        ),
    )
    _add_demo_slogans(campaign, admin)
    today = today or utcnow().date()
    events = []
    for (
        title,
        venue_type,
        venue,
        address,
        city,
        country,
        zone_name,
        lat,
        lon,
        days,
        hour,
    ) in DEMO_EVENTS:
        day = today + timedelta(days=days)
        start = datetime.combine(day, time(hour))
        event = create_event(
            campaign,
            organiser,
            EventDetails(
                title=title,
                venue_type=venue_type,
                venue_name=venue,
                address=address,
                city=city,
                country=country,
                timezone=ZoneInfo(zone_name).key,
                latitude=lat,
                longitude=lon,
                local_start=start,
                local_end=start + timedelta(hours=2),
                local_signup_deadline=start - timedelta(hours=12),
                min_group_size=3,
                max_group_size=8,
                description=(
                    "Stand with us for an hour, in groups of at least three, holding signs. "
                    "Join a group below; your group meets nearby before it walks in together."
                ),
            ),
        )
        submit_for_review(event, organiser)
        publish_event(event, admin)
        events.append(event)
    result.events = len(events)
    result.volunteers = _add_demo_groups(events)
    return result


#: The campaign's own words (from the text it grew from), with Persian (Dari) and Urdu
#: translations paired by theme. The translations want a native speaker's review before a
#: real day of action. Urdu as read in Pakistan: «ہزارہ» alone can be the Hazara region
#: of Khyber Pakhtunkhwa, so the people are «ہزارہ برادری» (but "I am Hazara" stays: a
#: person's identity); «مارنا» is also "to beat", so killing is «قتل کرنا».
DEMO_SLOGANS = [
    ("i-am-hazara", "identity", "I AM HAZARA", "من هزاره هستم", "میں ہزارہ ہوں"),
    (
        "city-stands",
        "identity",
        "{city} STANDS WITH THE HAZARAS",
        "{city} در کنار هزاره‌ها ایستاده است",
        "{city} ہزارہ برادری کے ساتھ کھڑا ہے",
    ),
    (
        "kill-me",
        "question",
        "WHY DO YOU WANT TO KILL ME?",
        "چرا می‌خواهید مرا بکشید؟",
        "آپ مجھے کیوں قتل کرنا چاہتے ہیں؟",
    ),
    (
        "kill-us",
        "question",
        "WHY DO YOU WANT TO KILL US?",
        "چرا می‌خواهید ما را بکشید؟",
        "آپ ہمیں کیوں قتل کرنا چاہتے ہیں؟",
    ),
    (
        "wiping-us-off",
        "question",
        "WHY ARE YOU WIPING US OFF THE FACE OF THIS EARTH?",
        "چرا ما را از روی زمین محو می‌کنید؟",
        "آپ ہمیں اس زمین سے کیوں مٹا رہے ہیں؟",
    ),
    (
        "our-children",
        "question",
        "WHY ARE YOU KILLING EVEN OUR LITTLE CHILDREN?",
        "چرا حتی کودکان کوچک ما را می‌کشید؟",
        "آپ ہمارے چھوٹے بچوں کو بھی کیوں قتل کر رہے ہیں؟",
    ),
    ("answer-please", "call", "ANSWER PLEASE", "لطفاً جواب دهید", "براہ کرم جواب دیں"),
    (
        "tell-the-world",
        "call",
        "PLEASE TELL THE WORLD WHY WE CANNOT LIVE",
        "لطفاً به جهان بگویید چرا ما نمی‌توانیم زندگی کنیم",
        "براہ کرم دنیا کو بتائیں کہ ہم کیوں زندہ نہیں رہ سکتے",
    ),
]


def _add_demo_slogans(campaign, admin) -> None:
    for theme, kind, english, persian, urdu in DEMO_SLOGANS:
        for language, text in (("en", english), ("fa", persian), ("ur", urdu)):
            add_slogan(campaign, admin, SloganDetails(text, language, SloganKind(kind), theme))


def _as_if_verified(membership, *, leads: bool) -> None:
    """Demo volunteers have example.org addresses that can receive no code: they count as
    verified (without the messages a real verification sends), so the demo shows groups
    in every state while the campaign verifies everyone who joins for real."""
    membership.verified_at = utcnow()
    membership.is_leader = leads
    db.session.execute(delete(Message).where(Message.membership_id == membership.id))
    db.session.flush()


def _add_demo_groups(events) -> int:
    """Pseudonymous volunteers with example.org addresses (a reserved domain: no real inbox)."""
    n = 0
    for event, sizes in zip(events, DEMO_GROUP_SIZES, strict=False):
        for size in sizes:
            group = None
            for _ in range(size):
                volunteer = Volunteer(
                    display_name=DEMO_NAMES[n % len(DEMO_NAMES)],
                    contact=f"volunteer{n + 1}@example.org",
                    pledge_accepted=True,
                    share_contact=n % 3 == 0,
                )
                joined = (
                    start_group(event, volunteer) if group is None else join_group(group, volunteer)
                )
                _as_if_verified(joined.membership, leads=group is None)
                group = joined.membership.group
                n += 1
    return n
