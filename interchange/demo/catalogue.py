"""The demo catalogue: about forty services with their questions, groups, targets and the
desk's OLA, and what the history generator needs to know of each (volume, season, wording)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.db import models, transaction

from interchange.catalogue.models import (
    DeskTarget,
    Question,
    QuestionChoice,
    Service,
    ServiceGroup,
    ServiceTarget,
)
from interchange.core.audit import record_change, snapshot
from interchange.core.models import BusinessCalendar
from interchange.core.priorities import Priority

Datatype = Question.Datatype
INCIDENT, REQUEST = "incident", "request"


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    label: str
    datatype: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    description: str = ""


@dataclass(frozen=True)
class ServiceSpec:
    """A service and how its tickets behave in the seeded history."""

    code: str
    name: str
    kind: str
    groups: tuple[str, ...]
    keywords: tuple[str, ...]
    owner_team: str
    description: str
    type: str
    titles: tuple[str, ...]
    descriptions: tuple[str, ...]
    questions: tuple[QuestionSpec, ...] = ()
    # Tickets a day in an average week, before seasons, the storm and the weekday pattern.
    volume: float = 1.0
    season: str = "flat"
    storm: float = 1.0
    # Impact × urgency weights, as (high-high, high-medium, medium-medium, low-low…) profile.
    levels: str = "routine"
    monitoring: bool = False
    notice: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @cached_property
    def resident(self) -> bool:
        # Cached: the seeder asks about a dozen times a ticket.
        return self.kind == Service.Kind.RESIDENT


GROUPS: tuple[tuple[str, str], ...] = (
    ("roads", "Roads and pavements"),
    ("lighting", "Street lights and signals"),
    ("bins", "Bins and recycling"),
    ("cleaning", "Street cleaning"),
    ("environment", "Environmental health"),
    ("vehicles", "Parking and vehicles"),
    ("drains", "Drains and flooding"),
    ("parks", "Parks and trees"),
    ("devices", "Laptops and devices"),
    ("collaboration", "Email and collaboration"),
    ("network", "Network and Wi-Fi"),
    ("telephony", "Telephony"),
    ("hosting", "Hosting and data"),
    ("applications", "Business applications"),
    ("digital", "Website and digital"),
    ("access", "Accounts and access"),
)

R, ICT = Service.Kind.RESIDENT, Service.Kind.ICT
YES_NO = (("yes", "Yes"), ("no", "No"))
BIN_TYPES = (
    ("general", "General waste (black bin)"),
    ("recycling", "Recycling (green box)"),
    ("garden", "Garden waste (brown bin)"),
    ("food", "Food waste caddy"),
)
SITES = tuple((b.lower().replace(" ", "-").replace("'", ""), b) for b in (
    "Civic Centre", "Harbour House", "Ropewalk Depot", "Quayside Library", "Lockgate Library",
    "Saltmarsh Depot", "Kingsweir Register Office",
))  # fmt: skip

SERVICES: tuple[ServiceSpec, ...] = (
    # --- Roads and pavements -------------------------------------------------------------
    ServiceSpec(
        "pothole",
        "Pothole",
        R,
        ("roads",),
        ("pothole", "hole in road", "road surface"),
        "Highways",
        "A hole or sunken area in a road or cycle lane.",
        INCIDENT,
        (
            "Pothole on {street}",
            "Deep pothole outside {number} {street}",
            "Potholes along {street}",
        ),
        (
            "Large pothole in the nearside lane; cars swerve round it.",
            "Hole has got bigger after the rain, near the junction.",
            "Cyclists are riding into the traffic to avoid it.",
        ),
        (
            QuestionSpec(
                "depth",
                "How deep is it?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("under-40mm", "Less than 40mm (a thumb's length)"),
                    ("40-100mm", "40mm to 100mm"),
                    ("over-100mm", "More than 100mm"),
                ),
            ),
            QuestionSpec(
                "position",
                "Where on the road is it?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("carriageway", "In the road"),
                    ("cycle-lane", "In a cycle lane"),
                    ("junction", "At a junction or crossing"),
                ),
            ),
            QuestionSpec("width_cm", "About how wide is it, in centimetres?", Datatype.NUMBER),
        ),
        volume=18,
        season="potholes",
        levels="roads",
    ),
    ServiceSpec(
        "damaged-pavement",
        "Damaged pavement",
        R,
        ("roads",),
        ("pavement", "footway", "trip hazard", "paving slab"),
        "Highways",
        "Broken or lifted paving, kerbs or footway surfaces.",
        INCIDENT,
        ("Loose paving slab on {street}", "Trip hazard outside {number} {street}"),
        (
            "A slab is rocking and an older neighbour nearly fell.",
            "Tree roots have lifted the pavement.",
        ),
        (
            QuestionSpec(
                "lip",
                "How high is the lip or edge?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("under-20mm", "Less than 20mm"),
                    ("20-40mm", "20mm to 40mm"),
                    ("over-40mm", "More than 40mm"),
                ),
            ),
        ),
        volume=6,
        season="potholes",
        levels="roads",
    ),
    ServiceSpec(
        "road-sign",
        "Damaged or missing road sign",
        R,
        ("roads",),
        ("road sign", "sign", "bollard"),
        "Highways",
        "Road signs, bollards and street name plates that are damaged, dirty or missing.",
        INCIDENT,
        ("Sign knocked down on {street}", "Street name plate missing: {street}"),
        ("The sign is lying on the verge.", "Bollard hit by a vehicle and leaning over."),
        (
            QuestionSpec(
                "sign_kind",
                "What kind of sign?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("traffic", "Traffic sign"),
                    ("street-name", "Street name plate"),
                    ("bollard", "Bollard"),
                ),
            ),
        ),
        volume=2.5,
        storm=3,
        levels="routine",
    ),
    ServiceSpec(
        "gritting",
        "Gritting and icy roads",
        R,
        ("roads",),
        ("grit", "ice", "snow", "salt bin"),
        "Highways",
        "Icy roads and pavements on the gritting routes, and empty grit bins.",
        REQUEST,
        ("Icy pavement on {street}", "Grit bin empty on {street}"),
        ("The hill is like glass this morning.", "The grit bin at the corner is empty."),
        (
            QuestionSpec(
                "grit_bin", "Is this about a grit bin?", Datatype.SINGLE_CHOICE, True, YES_NO
            ),
        ),
        volume=2,
        season="winter_only",
        levels="roads",
    ),
    # --- Street lights and signals ---------------------------------------------------------
    ServiceSpec(
        "street-light",
        "Street light not working",
        R,
        ("lighting",),
        ("street light", "lamp post", "light out"),
        "Street lighting",
        "Street lights that are out, on in the day, flickering or damaged.",
        INCIDENT,
        (
            "Street light out on {street}",
            "Lamp flickering outside {number} {street}",
            "Lights out along {street}",
        ),
        ("The whole stretch is dark at night.", "Light is on all day and off at night."),
        (
            QuestionSpec(
                "column",
                "Lamp column number",
                Datatype.STRING,
                True,
                description="The number on the plate on the column, like HL-0421.",
            ),
            QuestionSpec(
                "fault",
                "What is wrong?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("out", "Not working"),
                    ("day-burning", "On during the day"),
                    ("flickering", "Flickering"),
                    ("damaged", "Column damaged"),
                ),
            ),
        ),
        volume=9,
        season="dark",
        storm=6,
        levels="lighting",
    ),
    ServiceSpec(
        "traffic-signals",
        "Traffic lights not working",
        R,
        ("lighting",),
        ("traffic lights", "signals", "pedestrian crossing"),
        "Traffic management",
        "Traffic lights and pedestrian crossings that are out, stuck or damaged.",
        INCIDENT,
        ("Traffic lights out at {street} junction", "Crossing stuck on red on {street}"),
        (
            "All lights are dark; drivers are treating it as a give way.",
            "The green man never comes on.",
        ),
        (QuestionSpec("all_out", "Are all the lights out?", Datatype.SINGLE_CHOICE, True, YES_NO),),
        volume=1.2,
        storm=3,
        levels="urgent",
    ),
    # --- Bins and recycling ------------------------------------------------------------------
    ServiceSpec(
        "missed-bin",
        "Missed bin collection",
        R,
        ("bins",),
        ("missed bin", "bin not emptied", "collection"),
        "Waste",
        "A bin or box that was out on time but not emptied.",
        INCIDENT,
        ("Missed collection at {number} {street}", "Bins not emptied on {street}"),
        ("Bin was out by 7am and the lorry went past.", "The whole street was missed."),
        (
            QuestionSpec("bin", "Which bin was missed?", Datatype.SINGLE_CHOICE, True, BIN_TYPES),
            QuestionSpec(
                "out_by_7",
                "Was it out by 7am on collection day?",
                Datatype.SINGLE_CHOICE,
                True,
                YES_NO,
            ),
        ),
        volume=22,
        season="christmas_bins",
        levels="routine",
    ),
    ServiceSpec(
        "bulky-waste",
        "Bulky waste collection",
        R,
        ("bins",),
        ("bulky", "sofa", "fridge", "mattress"),
        "Waste",
        "Book a collection of large household items.",
        REQUEST,
        ("Bulky collection: {number} {street}",),
        ("Two armchairs and a mattress.", "An old fridge freezer."),
        (
            QuestionSpec("items", "How many items?", Datatype.NUMBER, True),
            QuestionSpec(
                "white_goods",
                "Are any of them fridges or freezers?",
                Datatype.SINGLE_CHOICE,
                True,
                YES_NO,
            ),
        ),
        volume=5,
        season="spring_clear",
        levels="low",
    ),
    ServiceSpec(
        "new-bin",
        "New or replacement bin",
        R,
        ("bins",),
        ("new bin", "broken bin", "stolen bin"),
        "Waste",
        "Order a new, larger or replacement bin or box.",
        REQUEST,
        ("Replacement bin for {number} {street}", "New recycling box: {number} {street}"),
        ("Lid snapped off in the wind.", "Moved in and there are no bins."),
        (QuestionSpec("bin", "Which bin?", Datatype.SINGLE_CHOICE, True, BIN_TYPES),),
        volume=6,
        season="flat",
        storm=1.5,
        levels="low",
    ),
    # --- Street cleaning ---------------------------------------------------------------------
    ServiceSpec(
        "fly-tipping",
        "Fly-tipping",
        R,
        ("cleaning",),
        ("fly tipping", "dumped rubbish"),
        "Street scene",
        "Rubbish dumped on a street, verge or other public land.",
        INCIDENT,
        ("Fly-tipping on {street}", "Rubbish dumped behind {street}"),
        (
            "Someone has dumped a pile of rubble and a mattress.",
            "Black bags dumped by the recycling point.",
        ),
        (
            QuestionSpec(
                "what",
                "What has been dumped?",
                Datatype.MULTIPLE_CHOICE,
                True,
                (
                    ("household", "Household rubbish"),
                    ("furniture", "Furniture"),
                    ("rubble", "Building rubble"),
                    ("tyres", "Tyres"),
                    ("white-goods", "Fridges or washing machines"),
                    ("asbestos", "Possible asbestos"),
                ),
            ),
            QuestionSpec(
                "size",
                "How much is there?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("bag", "A bin bag or less"),
                    ("car-boot", "A car boot load"),
                    ("van", "A small van load"),
                    ("lorry", "A lorry load or more"),
                ),
            ),
        ),
        volume=12,
        season="summer_up",
        levels="routine",
    ),
    ServiceSpec(
        "graffiti",
        "Graffiti",
        R,
        ("cleaning",),
        ("graffiti", "tagging", "vandalism"),
        "Street scene",
        "Graffiti on public buildings, walls and street furniture.",
        INCIDENT,
        ("Graffiti on {street}", "Offensive graffiti by {street}"),
        ("Tags all along the underpass wall.", "Spray paint on the bus shelter."),
        (
            QuestionSpec("offensive", "Is it offensive?", Datatype.SINGLE_CHOICE, True, YES_NO),
            QuestionSpec(
                "surface",
                "What is it on?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("wall", "A wall"),
                    ("shelter", "A bus shelter"),
                    ("street-furniture", "A bench, bin or sign"),
                    ("private", "Private property"),
                ),
            ),
        ),
        volume=4,
        levels="low",
    ),
    ServiceSpec(
        "street-cleaning",
        "Litter and street cleaning",
        R,
        ("cleaning",),
        ("litter", "dirty street", "broken glass", "overflowing bin"),
        "Street scene",
        "Litter, broken glass, spills and overflowing litter bins.",
        INCIDENT,
        ("Litter on {street}", "Broken glass on {street}", "Litter bin overflowing on {street}"),
        ("Broken glass by the school gate.", "The bin has not been emptied for a week."),
        volume=7,
        season="summer_up",
        levels="routine",
    ),
    ServiceSpec(
        "dog-fouling",
        "Dog fouling",
        R,
        ("cleaning",),
        ("dog mess", "dog poo"),
        "Street scene",
        "Dog mess on pavements, paths and parks.",
        INCIDENT,
        ("Dog fouling on {street}",),
        ("Every morning on the path to the school.",),
        volume=3,
        levels="low",
    ),
    ServiceSpec(
        "dead-animal",
        "Dead animal",
        R,
        ("cleaning",),
        ("dead animal", "fox", "badger"),
        "Street scene",
        "Dead animals on the road or pavement.",
        REQUEST,
        ("Dead fox on {street}", "Dead animal on {street}"),
        ("On the pavement near the bus stop.",),
        volume=1.5,
        levels="routine",
    ),
    # --- Environmental health, vehicles ------------------------------------------------------
    ServiceSpec(
        "noise",
        "Noise nuisance",
        R,
        ("environment",),
        ("noise", "loud music", "barking"),
        "Environmental health",
        "Noise from homes, businesses, alarms and building sites.",
        INCIDENT,
        ("Noise from {number} {street}", "Loud music at night on {street}"),
        ("Music every night until 3am.", "Alarm ringing for hours."),
        (
            QuestionSpec(
                "source",
                "What is the noise?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("music", "Music or a party"),
                    ("dog", "Dog barking"),
                    ("alarm", "An alarm"),
                    ("building", "Building work"),
                    ("business", "A pub, club or shop"),
                ),
            ),
            QuestionSpec(
                "when",
                "When does it happen?",
                Datatype.SINGLE_CHOICE,
                True,
                (("day", "In the day"), ("evening", "In the evening"), ("night", "At night")),
            ),
        ),
        volume=5,
        season="summer_up",
        levels="low",
    ),
    ServiceSpec(
        "abandoned-vehicle",
        "Abandoned vehicle",
        R,
        ("vehicles",),
        ("abandoned car", "untaxed", "dumped vehicle"),
        "Parking",
        "Vehicles that seem abandoned on a street or council land.",
        INCIDENT,
        ("Abandoned car on {street}", "Untaxed van parked on {street} for weeks"),
        ("Flat tyres and it has not moved for a month.",),
        (
            QuestionSpec("registration", "Registration number", Datatype.STRING, True),
            QuestionSpec(
                "how_long",
                "How long has it been there?",
                Datatype.SINGLE_CHOICE,
                True,
                (("week", "About a week"), ("weeks", "A few weeks"), ("months", "Months")),
            ),
        ),
        volume=2.5,
        levels="low",
    ),
    # --- Drains, parks and trees -------------------------------------------------------------
    ServiceSpec(
        "blocked-drain",
        "Blocked drain or gully",
        R,
        ("drains",),
        ("blocked drain", "gully", "flooding", "standing water"),
        "Highways",
        "Road gullies and drains that are blocked, and water standing on the road.",
        INCIDENT,
        (
            "Blocked drain on {street}",
            "Flooding on {street}",
            "Gully blocked outside {number} {street}",
        ),
        ("Water right across the road after rain.", "Drain is full of leaves."),
        (
            QuestionSpec(
                "flooding",
                "Is there flooding?",
                Datatype.SINGLE_CHOICE,
                True,
                (("none", "No"), ("road", "On the road"), ("property", "Into a property")),
            ),
        ),
        volume=4,
        season="autumn_leaves",
        storm=8,
        levels="drains",
    ),
    ServiceSpec(
        "fallen-tree",
        "Fallen or dangerous tree",
        R,
        ("parks",),
        ("tree", "fallen branch", "dangerous tree"),
        "Parks",
        "Trees and branches that have fallen or look dangerous.",
        INCIDENT,
        ("Tree down on {street}", "Large branch hanging over {street}"),
        ("Branch is blocking half the road.", "Tree is leaning after the wind."),
        (
            QuestionSpec(
                "blocking",
                "What is it blocking?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("road", "The road"),
                    ("footway", "The pavement"),
                    ("property", "A property"),
                    ("nothing", "Nothing yet"),
                ),
            ),
        ),
        volume=1.5,
        season="autumn_leaves",
        storm=12,
        levels="trees",
    ),
    ServiceSpec(
        "overgrown-vegetation",
        "Overgrown hedges and verges",
        R,
        ("parks",),
        ("overgrown", "hedge", "verge", "weeds"),
        "Parks",
        "Hedges, trees and verges blocking paths, signs or sight lines.",
        INCIDENT,
        ("Overgrown hedge on {street}", "Verge grass blocking the view at {street}"),
        ("Have to walk in the road with a pushchair.",),
        volume=3,
        season="growing",
        levels="low",
    ),
    ServiceSpec(
        "play-area",
        "Damaged play equipment",
        R,
        ("parks",),
        ("playground", "swing", "play area"),
        "Parks",
        "Broken or unsafe equipment in council play areas.",
        INCIDENT,
        ("Broken swing in {ward} play area", "Sharp edge on slide at {ward} park"),
        ("The chain has snapped.",),
        volume=0.8,
        season="summer_up",
        levels="routine",
    ),
    # --- ICT: devices ------------------------------------------------------------------------
    ServiceSpec(
        "device-fault",
        "Laptop or desktop fault",
        ICT,
        ("devices",),
        ("laptop", "desktop", "screen", "keyboard", "won't start"),
        "ICT end-user services",
        "Council laptops, desktops, monitors and docks that are faulty.",
        INCIDENT,
        (
            "Laptop will not start",
            "Screen flickering on laptop",
            "Docking station not working",
            "Laptop very slow after update",
        ),
        ("Started after this morning's update.", "Tried a restart; no change."),
        (
            QuestionSpec(
                "asset",
                "Asset tag",
                Datatype.STRING,
                True,
                description="On the sticker underneath, like HCC-LT-04821.",
            ),
            QuestionSpec(
                "device",
                "What kind of device?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("laptop", "Laptop"),
                    ("desktop", "Desktop"),
                    ("dock", "Docking station"),
                    ("monitor", "Monitor"),
                ),
            ),
        ),
        volume=16,
        season="ict",
        levels="ict",
    ),
    ServiceSpec(
        "new-starter",
        "New starter equipment",
        ICT,
        ("devices",),
        ("new starter", "new laptop", "joiner"),
        "ICT end-user services",
        "A laptop, phone and accounts for someone joining the council.",
        REQUEST,
        ("New starter in {team}", "Equipment for new {team} officer"),
        ("Starts on Monday; needs a laptop and phone.",),
        (
            QuestionSpec(
                "profile",
                "Which kit?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("office", "Office worker"),
                    ("mobile", "Mobile worker"),
                    ("field", "Field worker with rugged device"),
                    ("developer", "Developer"),
                ),
            ),
        ),
        volume=4,
        season="new_starters",
        levels="request",
    ),
    ServiceSpec(
        "mobile-phone",
        "Mobile phone",
        ICT,
        ("devices",),
        ("mobile", "phone", "sim"),
        "ICT end-user services",
        "Council mobile phones: faults, replacements and SIMs.",
        INCIDENT,
        ("Work mobile screen cracked", "No signal on work phone", "Replacement SIM"),
        ("Dropped it on a site visit.",),
        volume=4,
        season="ict",
        levels="ict",
    ),
    ServiceSpec(
        "printing",
        "Printing and scanning",
        ICT,
        ("devices",),
        ("printer", "scanner", "toner"),
        "ICT end-user services",
        "Multi-function printers in council buildings.",
        INCIDENT,
        ("Printer jammed at {building}", "Cannot scan to email at {building}"),
        ("Paper jam error that will not clear.",),
        (QuestionSpec("site", "Which building?", Datatype.SINGLE_CHOICE, True, SITES),),
        volume=5,
        season="ict",
        levels="ict_low",
    ),
    ServiceSpec(
        "software-request",
        "Software request",
        ICT,
        ("devices",),
        ("software", "install", "application"),
        "ICT end-user services",
        "Installing approved software on a council device.",
        REQUEST,
        ("Install mapping viewer", "Install PDF editor", "Request for statistics package"),
        ("Needed for a project starting next week.",),
        volume=3,
        season="ict",
        levels="request",
    ),
    # --- ICT: collaboration ------------------------------------------------------------------
    ServiceSpec(
        "email",
        "Email and calendar",
        ICT,
        ("collaboration",),
        ("email", "outlook", "calendar"),
        "ICT collaboration",
        "Council email, shared mailboxes and calendars.",
        INCIDENT,
        ("Cannot open shared mailbox", "Emails stuck in outbox", "Calendar not syncing"),
        ("Affecting the whole team.",),
        (QuestionSpec("mailbox", "Mailbox address", Datatype.STRING),),
        volume=6,
        season="ict",
        levels="ict",
    ),
    ServiceSpec(
        "teams",
        "Teams and video calls",
        ICT,
        ("collaboration",),
        ("teams", "video call", "chat"),
        "ICT collaboration",
        "Chat, video calls and meeting rooms.",
        INCIDENT,
        ("Camera not working in Teams", "Meeting room screen will not connect"),
        ("Council meeting at 2pm.",),
        volume=4,
        season="ict",
        levels="ict",
    ),
    ServiceSpec(
        "file-storage",
        "Shared drives and documents",
        ICT,
        ("collaboration",),
        ("shared drive", "files", "permissions"),
        "ICT collaboration",
        "Shared drives, document libraries and their permissions.",
        REQUEST,
        ("Access to {team} shared drive", "Restore deleted folder"),
        ("Folder deleted by mistake yesterday.",),
        volume=3,
        season="ict",
        levels="request",
    ),
    # --- ICT: network and telephony ----------------------------------------------------------
    ServiceSpec(
        "wifi",
        "Wi-Fi in council buildings",
        ICT,
        ("network",),
        ("wifi", "wireless", "internet"),
        "ICT network",
        "Staff and public Wi-Fi in council buildings.",
        INCIDENT,
        ("No Wi-Fi on second floor of {building}", "Public Wi-Fi down at {building}"),
        ("Nobody on the floor can connect.",),
        (QuestionSpec("site", "Which building?", Datatype.SINGLE_CHOICE, True, SITES),),
        volume=3,
        season="ict",
        levels="network",
        monitoring=True,
    ),
    ServiceSpec(
        "site-network",
        "Network connection at a site",
        ICT,
        ("network",),
        ("network down", "site offline", "connection"),
        "ICT network",
        "The wired network and links to council sites.",
        INCIDENT,
        ("{building} offline", "Slow network at {building}"),
        ("All PCs in the building lost their connection.",),
        (QuestionSpec("site", "Which building?", Datatype.SINGLE_CHOICE, True, SITES),),
        volume=1.5,
        season="ict",
        storm=2,
        levels="network",
        monitoring=True,
    ),
    ServiceSpec(
        "remote-access",
        "Remote access (VPN)",
        ICT,
        ("network",),
        ("vpn", "remote", "home working"),
        "ICT network",
        "Connecting to council systems from home or on the move.",
        INCIDENT,
        ("VPN will not connect", "Remote access very slow"),
        ("Error 809 when connecting.",),
        volume=3,
        season="ict",
        levels="ict",
    ),
    ServiceSpec(
        "desk-phone",
        "Desk phones",
        ICT,
        ("telephony",),
        ("phone", "extension", "voicemail"),
        "ICT telephony",
        "Desk phones, extensions and voicemail.",
        INCIDENT,
        ("Extension not ringing", "Voicemail PIN reset"),
        ("Since the office move.",),
        volume=2,
        season="ict",
        levels="ict_low",
    ),
    ServiceSpec(
        "contact-centre-telephony",
        "Contact centre telephony",
        ICT,
        ("telephony",),
        ("contact centre", "call queue", "ivr"),
        "ICT telephony",
        "Call queues, recorded messages and agent phones in the contact centre.",
        INCIDENT,
        ("Calls not reaching the queue", "Recorded message out of date"),
        ("Residents are getting an engaged tone.",),
        volume=1,
        season="ict",
        levels="network",
        monitoring=True,
    ),
    # --- ICT: hosting ------------------------------------------------------------------------
    ServiceSpec(
        "hosting",
        "Servers and hosting",
        ICT,
        ("hosting",),
        ("server", "hosting", "cloud"),
        "ICT hosting",
        "Council servers, databases and cloud hosting.",
        INCIDENT,
        ("Server disk nearly full", "Database server not responding", "Certificate expiring"),
        ("Monitoring alert raised overnight.",),
        (QuestionSpec("system", "Which system or server?", Datatype.STRING, True),),
        volume=2,
        season="ict",
        levels="network",
        monitoring=True,
    ),
    ServiceSpec(
        "backup-restore",
        "Backup and restore",
        ICT,
        ("hosting",),
        ("backup", "restore", "recovery"),
        "ICT hosting",
        "Restoring files, mailboxes and databases from backup.",
        REQUEST,
        ("Restore {team} folder from backup", "Restore deleted mailbox"),
        ("Deleted last Thursday.",),
        volume=1,
        season="ict",
        levels="request",
    ),
    # --- ICT: business applications ----------------------------------------------------------
    ServiceSpec(
        "revenues-benefits",
        "Revenues and benefits system",
        ICT,
        ("applications",),
        ("council tax", "benefits", "business rates"),
        "Revenues and benefits",
        "The council tax, business rates and housing benefit system.",
        INCIDENT,
        ("Council tax bills not printing", "Benefit calculation error", "Direct debit file failed"),
        ("Affects the whole team; residents waiting.",),
        (
            QuestionSpec(
                "module",
                "Which part?",
                Datatype.SINGLE_CHOICE,
                True,
                (
                    ("council-tax", "Council tax"),
                    ("business-rates", "Business rates"),
                    ("benefits", "Housing benefit"),
                    ("payments", "Payments"),
                ),
            ),
        ),
        volume=3,
        season="ict_annual_billing",
        levels="applications",
    ),
    ServiceSpec(
        "social-care-case",
        "Social care case system",
        ICT,
        ("applications",),
        ("social care", "case management", "care record"),
        "Adult and children's social care",
        "The case management system for adult and children's social care.",
        INCIDENT,
        ("Cannot save case notes", "Care package form error", "Case system slow"),
        ("Social workers cannot record visits.",),
        (
            QuestionSpec(
                "area",
                "Which service?",
                Datatype.SINGLE_CHOICE,
                True,
                (("adults", "Adult social care"), ("children", "Children's services")),
            ),
        ),
        volume=3,
        season="ict",
        levels="applications",
    ),
    ServiceSpec(
        "website",
        "Council website",
        ICT,
        ("digital",),
        ("website", "web page", "broken link"),
        "Digital",
        "The council's public website and its content.",
        INCIDENT,
        ("Broken link on the bins page", "Page showing old opening times"),
        ("Residents are phoning because of it.",),
        (QuestionSpec("page", "Page address", Datatype.STRING, True),),
        volume=2,
        season="ict",
        levels="ict_low",
    ),
    ServiceSpec(
        "online-forms",
        "Online forms and payments",
        ICT,
        ("digital",),
        ("online form", "payment", "my account"),
        "Digital",
        "Online forms, resident accounts and card payments.",
        INCIDENT,
        ("Parking permit form not submitting", "Card payments failing"),
        ("Several residents have reported it today.",),
        volume=2,
        season="ict",
        levels="applications",
        monitoring=True,
    ),
    ServiceSpec(
        "mapping",
        "Mapping (GIS)",
        ICT,
        ("applications",),
        ("map", "gis", "layers"),
        "Digital",
        "The council's mapping system and its data layers.",
        REQUEST,
        ("New layer for {team}", "Map viewer not loading"),
        ("Needed for a planning report.",),
        volume=1,
        season="ict",
        levels="request",
    ),
    # --- ICT: accounts (the integrator desk's own) -------------------------------------------
    ServiceSpec(
        "password-reset",
        "Password reset and account lockout",
        ICT,
        ("access",),
        ("password", "locked out", "account"),
        "ICT service desk",
        "Forgotten passwords and locked accounts.",
        REQUEST,
        ("Locked out of account", "Password expired"),
        ("Cannot sign in this morning.",),
        volume=10,
        season="ict",
        levels="request",
    ),
    ServiceSpec(
        "system-access",
        "Access to a system",
        ICT,
        ("access",),
        ("access", "permissions", "new account"),
        "ICT service desk",
        "New or changed access to a council system.",
        REQUEST,
        ("Access to case system for {team}", "Finance system access"),
        ("Manager has approved.",),
        volume=4,
        season="ict",
        levels="request",
    ),
)

SERVICE_BY_CODE = {spec.code: spec for spec in SERVICES}

# End-to-end targets (the council's promise), per priority: response and resolution in
# hours, and the calendar they count in. P1 counts around the clock.
Target = tuple[float, float, str]
RESIDENT_TARGETS: dict[int, Target] = {
    1: (1, 8, "24x7"),
    2: (4, 20, "office-hours"),
    3: (10, 100, "office-hours"),
    4: (20, 200, "office-hours"),
}
ICT_TARGETS: dict[int, Target] = {
    1: (0.5, 4, "24x7"),
    2: (1, 10, "office-hours"),
    3: (4, 30, "office-hours"),
    4: (10, 60, "office-hours"),
}
DESK_TARGETS: dict[int, Target] = {
    1: (0.25, 1, "24x7"),
    2: (0.5, 2, "office-hours"),
    3: (1, 4, "office-hours"),
    4: (2, 10, "office-hours"),
}

# Service owners by username (see people.py) and the services they own.
OWNERS = {
    "owner.streets": ("pothole", "damaged-pavement", "street-light", "blocked-drain", "gritting"),
    "owner.ict": ("device-fault", "new-starter", "email", "wifi", "site-network"),
}


def _hours(value: float) -> timedelta:
    return timedelta(minutes=round(value * 60))


def _create(instance: models.Model, *, at: datetime) -> None:
    """Save a checked new row and record its creation, as the audited admin would."""
    instance.full_clean()
    instance.save()
    record_change(instance, actor=None, before=None, after=snapshot(instance), at=at)


@transaction.atomic
def load(*, at: datetime) -> dict[str, Service]:
    """Create the groups, services, questions, targets and the desk OLA (once); recorded in
    each one's history as created at `at`. Returns the services by code."""
    calendars = {c.code: c for c in BusinessCalendar.objects.all()}
    groups = {g.code: g for g in ServiceGroup.objects.all()}
    for order, (code, name) in enumerate(GROUPS):
        if code not in groups:
            group = ServiceGroup(code=code, name=name, order=order)
            _create(group, at=at)
            groups[code] = group
    existing = {s.code: s for s in Service.objects.all()}
    for spec in SERVICES:
        if spec.code in existing:
            continue
        service = Service(
            code=spec.code,
            name=spec.name,
            description=spec.description,
            kind=spec.kind,
            keywords=list(spec.keywords),
            owner_team=spec.owner_team,
            open311_exposed=spec.resident,
            notice=spec.notice,
        )
        _create(service, at=at)
        service.groups.set([groups[g] for g in spec.groups])
        _questions(service, spec, at=at)
        table = RESIDENT_TARGETS if spec.resident else ICT_TARGETS
        for priority, (response, resolution, calendar) in table.items():
            _create(
                ServiceTarget(
                    service=service,
                    priority=priority,
                    response=_hours(response),
                    resolution=_hours(resolution),
                    calendar=calendars[calendar],
                ),
                at=at,
            )
        existing[spec.code] = service
    if not DeskTarget.objects.exists():
        for priority, (response, resolution, calendar) in DESK_TARGETS.items():
            _create(
                DeskTarget(
                    priority=Priority(priority),
                    response=_hours(response),
                    resolution=_hours(resolution),
                    calendar=calendars[calendar],
                ),
                at=at,
            )
    return existing


def _questions(service: Service, spec: ServiceSpec, *, at: datetime) -> None:
    for order, q in enumerate(spec.questions):
        question = Question(
            service=service,
            code=q.code,
            label=q.label,
            description=q.description,
            datatype=q.datatype,
            required=q.required,
            order=order,
        )
        _create(question, at=at)
        for position, (key, name) in enumerate(q.choices):
            _create(QuestionChoice(question=question, key=key, name=name, order=position), at=at)
