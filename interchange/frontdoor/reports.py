"""What every resident report starts with, whichever way it comes in (web or Open311).

Resident reports all start at medium impact and medium urgency, which the priority table
makes P3. Nobody reporting a pothole can judge how it ranks against the rest of the
council's work; the desk triages it (up for a danger, down for a nuisance).
"""

from interchange.core.priorities import Level

RESIDENT_IMPACT = Level.MEDIUM
RESIDENT_URGENCY = Level.MEDIUM
