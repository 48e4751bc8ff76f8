"""Invented words for the demo: people's names, streets, buildings and what notes say.

Every name here is made up for Harbourside; none is taken from a real council's data.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aisha", "Alfie", "Amara", "Arthur", "Beatrice", "Callum", "Chloe", "Connor", "Daisy",
    "Darius", "Eleanor", "Elliot", "Erin", "Ewan", "Farah", "Finley", "Freya", "Gareth",
    "Grace", "Hamza", "Harriet", "Harvey", "Imogen", "Isaac", "Jasmine", "Jude", "Kamal",
    "Keira", "Leon", "Lily", "Lucas", "Maisie", "Malik", "Maya", "Mohammed", "Nadia", "Niamh",
    "Noah", "Olive", "Oscar", "Poppy", "Priya", "Rhys", "Rosie", "Rowan", "Sana", "Seren",
    "Stanley", "Tariq", "Tegan", "Theo", "Umar", "Violet", "Wesley", "Yasmin", "Zach",
    "Zainab", "Bronwen", "Declan", "Iris",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Ahmed", "Ashworth", "Bailey", "Barker", "Begum", "Bevan", "Brennan", "Carver",
    "Chaudhry", "Clarke", "Collins", "Dawson", "Doyle", "Edwards", "Ellis", "Fairbairn",
    "Fletcher", "Gallagher", "Gill", "Goodwin", "Hale", "Hartley", "Hussain", "Iqbal",
    "Jenkins", "Joshi", "Kaur", "Kelly", "Lane", "Lowe", "Macdonald", "Malik", "Marsh",
    "Mensah", "Morgan", "Nash", "Nowak", "Okafor", "Osei", "Parry", "Pearce", "Quinn",
    "Rahman", "Reid", "Rowe", "Sandhu", "Shah", "Sharpe", "Thorne", "Turner", "Vaughan",
    "Walsh", "Webb", "Whitfield", "Yates", "Young", "Zielinski", "Fenwick", "Lister",
)  # fmt: skip

STREET_WORDS = (
    "Anchor", "Bellfounders", "Brewers", "Chandlers", "Cooper", "Dockside", "Eastgate",
    "Ferry", "Foundry", "Gasworks", "Glassmakers", "Harbour", "Kiln", "Lamplighters",
    "Malthouse", "Mariners", "Mill", "Netmakers", "Orchard", "Pilot", "Quarry", "Rope",
    "Sailmakers", "Salt", "Shipyard", "Slipway", "Smithy", "Tannery", "Tide", "Tollhouse",
    "Victualling", "Warehouse", "Watergate", "Weavers", "Wharf", "Windlass", "Barley",
    "Chestnut", "Hawthorn", "Larch", "Linden", "Rowan", "Sycamore", "Willow", "Cobbler",
)  # fmt: skip

STREET_KINDS = (
    "Street", "Road", "Lane", "Avenue", "Close", "Way", "Terrace", "Hill", "Row", "Walk",
    "Crescent", "Place", "Gardens", "Parade", "Quay",
)  # fmt: skip

# Council buildings, as staff name them in ICT tickets.
BUILDINGS = (
    "Civic Centre", "Harbour House", "Quayside Library", "Ropewalk Depot", "Lockgate Library",
    "Furnace Vale Family Centre", "Shipwrights Customer Service Point", "Saltmarsh Depot",
    "Kingsweir Register Office", "Orchard Heath Museum",
)  # fmt: skip

TEAMS = (
    "Revenues", "Benefits", "Adult social care", "Children's services", "Housing options",
    "Planning", "Highways", "Waste", "Democratic services", "Finance", "HR", "Customer services",
    "Libraries", "Environmental health", "Legal", "Parking",
)  # fmt: skip

# The council's own domain for staff email addresses in ICT tickets; .example never resolves.
STAFF_DOMAIN = "harbourside.example"
RESIDENT_DOMAINS = ("example.org", "example.com", "example.net")

ACK_NOTES = (
    "Thanks for your report. We have passed it to our crew and will update you.",
    "Report received and checked. It is on our list for the area.",
    "Thank you. An inspector will look at this.",
)

PUBLIC_PROGRESS_NOTES = (
    "An inspector has visited and booked a repair.",
    "Work is booked in for the next available crew.",
    "We have ordered the part needed and will fit it when it arrives.",
    "The crew attended but could not finish; they will return to complete the job.",
)

INTERNAL_NOTES = (
    "Checked the asset register: this one is ours.",
    "Spoke to the site; access is by the side gate.",
    "Logged against the weekly inspection route.",
    "Needs a two-person crew; scheduled accordingly.",
    "Similar report last month at the same place; see history.",
    "Customer called to chase; explained the timescale.",
)

ICT_PROGRESS_NOTES = (
    "Remote session held with the user; gathering logs.",
    "Replacement ordered from stock; engineer to deliver.",
    "Escalated to second line for a configuration change.",
    "Change scheduled in tonight's maintenance window.",
)

WAIT_RESIDENT_REASONS = (
    "We need a photo to find the exact spot.",
    "Please tell us the nearest house number or landmark.",
    "We need access to the rear of the property.",
)

WAIT_STAFF_REASONS = (
    "Waiting for the user to be available for a remote session.",
    "Waiting for the user to confirm which device is affected.",
    "Waiting for the manager's approval of the request.",
)

WAIT_THIRD_PARTY_REASONS = (
    "Waiting for the utility company to make their apparatus safe.",
    "Waiting for a road space permit.",
    "Waiting for a part from the manufacturer.",
    "Waiting for the software vendor to supply a fix.",
    "Waiting for Openreach to attend the site.",
)

RESOLUTION_NOTES = {
    "fixed": (
        "Repaired. Thank you for letting us know.",
        "The fault has been fixed and tested.",
        "Work completed today.",
    ),
    "fulfilled": (
        "Delivered as requested.",
        "Your request has been completed.",
    ),
    "workaround": ("A temporary repair is in place; a permanent one is planned.",),
    "no_fault_found": ("We inspected and found nothing that needs action at present.",),
    "not_councils_responsibility": (
        "This is on private land; we have written to the owner.",
        "This belongs to a utility company; we have passed your report to them.",
    ),
    "no_further_action": ("We looked into this and no further action is needed.",),
}

REOPEN_REASONS = (
    "The problem has come back.",
    "The repair has not lasted.",
    "It was not fixed: the fault is still there.",
)

CANCEL_REASONS = (
    "Reported in error.",
    "Resolved itself before anyone attended.",
    "The reporter withdrew the request.",
)

HANDBACK_REASONS = {
    "area": "The location is on the other contractor's side of the boundary road.",
    "wrong_team": "Not a device fault: the site's network is down.",
    "private": "On private land: not covered by our contract.",
}

SATISFACTION_COMMENTS = (
    "",
    "",
    "Quick and tidy job.",
    "Took longer than I expected.",
    "Thank you for the updates.",
    "Had to chase twice.",
)
