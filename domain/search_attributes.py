"""The search attributes every alliance workflow carries: their names and Temporal types.

The workflows set them (`workflows.common` makes the typed keys from these names); the
console and the metrics read them from Temporal's visibility listing; the dev server, the
compose stack's job and the tests register them with these types.
"""

from __future__ import annotations

STATUS = "AllianceStatus"  # the registry status: a procedure stage or the term's status
DISTRICT = "AllianceDistrict"
LEAD_UNIT = "AllianceLeadUnit"  # the lead unit's credit code
NEXT_DEADLINE = "AllianceNextDeadline"  # the end of the current step's time limit
TERM_END = "AllianceTermEnd"
OPEN_INCIDENTS = "AllianceOpenIncidents"  # effects that wait for staff (故障)

TYPES = {
    STATUS: "Keyword",
    DISTRICT: "Keyword",
    LEAD_UNIT: "Keyword",
    NEXT_DEADLINE: "Datetime",
    TERM_END: "Datetime",
    OPEN_INCIDENTS: "Int",
}

# The visibility query for the running workflows with incidents: the incidents page, the
# operator's list and the web app's alliance_open_incidents metric.
WITH_OPEN_INCIDENTS = f'{OPEN_INCIDENTS} > 0 AND ExecutionStatus = "Running"'
