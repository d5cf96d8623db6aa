"""What openapi.json states in words and JSON Schema cannot: Schemathesis hooks
(tests/openapi/check.sh loads them with SCHEMATHESIS_HOOKS=hooks).

Each hook mends only what spans several values, the rules the document's descriptions
state: a range's ends (`to` after `from`, at most 1,000 periods in a trend chart), a
point's first day (it starts a period of its granularity), points and dimension names
that are the same once trimmed, and an Idempotency-Key, which names one request. A value
the hook touches stays within its schema, and Schemathesis validates every case again
after the hooks, so a case it generated to break the schema is still sent broken and
must still be refused. CSV bodies are the exception: JSON Schema cannot describe a CSV
file, so a CSV body is always a valid file (the rest of its request is generated).
"""

import datetime
import itertools
import re

import schemathesis

DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2999, 12, 31)
GRANULARITIES = {"DAY": 1, "WEEK": 7, "MONTH": 28, "QUARTER": 90, "YEAR": 365}
MAX_PERIODS = 1000
KPI_KEY = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
IDEMPOTENCY_KEY = re.compile(r"^[!-~]*[!#-~][!-~]*$")

PUSH_CSV = "kpi,granularity,period_start,value,source\nmqls,DAY,2024-03-01,12,crm\n"
STRUCTURE_CSV = (
    "id,unit,function,sourcing,solid_superior,dotted_superiors,head_position,head_role\n"
    ",Marketing center,MARKETING,IN_HOUSE,,,Chief Marketing Officer,CMO\n"
)

_keys = itertools.count(1)


def _date(value):
    if not isinstance(value, str) or not DATE.match(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _storable(day):
    return day is not None and MIN_DATE <= day <= MAX_DATE


def _period_start(granularity, day):
    if granularity == "WEEK":
        return day - datetime.timedelta(days=day.weekday())
    if granularity == "MONTH":
        return day.replace(day=1)
    if granularity == "QUARTER":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if granularity == "YEAR":
        return day.replace(month=1, day=1)
    return day


def _ordered_range(query, longest_days=None):
    """Makes `from` < `to` (and the range at most `longest_days` long) when both are
    storable dates; a missing end defaults as the server's does."""
    start, end = _date(query.get("from")), _date(query.get("to"))
    if "from" in query and not _storable(start):
        return
    if "to" in query and not _storable(end):
        return
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    if end is None and "to" not in query:
        end = tomorrow
    if start is None and "from" not in query:
        # The server's default start lies before `to`, from 1900-01-01 on.
        if end <= MIN_DATE:
            query["to"] = (MIN_DATE + datetime.timedelta(days=1)).isoformat()
        return
    if end <= start:
        if start >= MAX_DATE:
            start = MAX_DATE - datetime.timedelta(days=1)
            query["from"] = start.isoformat()
        end = start + datetime.timedelta(days=1)
    if longest_days is not None and (end - start).days > longest_days:
        end = start + datetime.timedelta(days=longest_days)
    if "to" in query or end != tomorrow:
        query["to"] = end.isoformat()


def _trend_query(query):
    granularity = query.get("granularity", "MONTH")
    if not isinstance(granularity, str) or granularity.upper() not in GRANULARITIES:
        return
    _ordered_range(query, longest_days=(MAX_PERIODS + 1) * GRANULARITIES[granularity.upper()] - 1)


def _points(body):
    if not isinstance(body, dict) or not isinstance(body.get("points"), list):
        return
    seen = set()
    points = []
    for point in body["points"]:
        if not isinstance(point, dict):
            points.append(point)
            continue
        granularity = point.get("granularity")
        day = _date(point.get("periodStart"))
        if isinstance(granularity, str) and granularity in GRANULARITIES and _storable(day):
            point["periodStart"] = _period_start(granularity, day).isoformat()
        if isinstance(point.get("kpi"), str) and KPI_KEY.match(point["kpi"]):
            # Which KPIs an organization has is data, not schema: an unknown key is a
            # 400 on points[i].kpi. `mqls` is in the built-in catalog.
            point["kpi"] = "mqls"
        value = point.get("value")
        if isinstance(value, float):
            point["value"] = round(value, 6)
        dimensions = point.get("dimensions")
        if isinstance(dimensions, dict):
            names = set()
            for name in list(dimensions):
                if name.strip() in names:
                    del dimensions[name]
                names.add(name.strip())
        key = repr(
            (
                str(point.get("kpi", "")).strip(),
                granularity,
                point.get("periodStart"),
                str(point.get("source", "")).strip(),
                point.get("unitId"),
                sorted((str(k).strip(), str(v).strip()) for k, v in (dimensions or {}).items())
                if isinstance(dimensions, dict)
                else dimensions,
            )
        )
        if key in seen:
            continue
        seen.add(key)
        points.append(point)
    body["points"] = points


@schemathesis.hook
def map_case(context, case):
    path = case.operation.path
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and IDEMPOTENCY_KEY.match(key) and len(key) <= 255:
        # A key names one request: the same key with another body is a 422.
        case.headers["Idempotency-Key"] = f"schemathesis-{next(_keys)}"
    if case.query is not None:
        if path.endswith("/structure-changes.csv"):
            if "from" in case.query and "to" in case.query:
                _ordered_range(case.query)
        elif path.endswith("/kpis/{key}/chart.svg"):
            _trend_query(case.query)
    if case.media_type == "text/csv" and isinstance(case.body, str):
        case.body = PUSH_CSV if path.endswith("/kpi-measurements") else STRUCTURE_CSV
    elif case.media_type == "application/json":
        _points(case.body)
    return case
