"""The alliance list pages through a long registry and sorts by any column; the filters and
the order stay as the clerk moves between pages, and the Excel export keeps every row."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from io import BytesIO

from openpyxl import load_workbook

from registry.database import session_scope
from registry.tables import Alliance
from web.registry_queries import PAGE_SIZE

DISTRICTS = ["tiedong", "tiexi", "lishan"]


def _register(url: str, count: int) -> None:
    """`count` alliances as the registry holds them, changed one minute apart."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    with session_scope(url) as session:
        for n in range(1, count + 1):
            session.add(
                Alliance(
                    code=f"2026-{n:04d}",
                    name=f"鞍山市第{n:03d}号产业技术创新战略联盟",
                    district=DISTRICTS[n % 3],
                    status="active" if n % 2 else "district_review",
                    term_end=date(2031, 1, 1) + timedelta(days=n) if n % 2 else None,
                    created_at=start,
                    updated_at=start + timedelta(minutes=n),
                )
            )


def _codes(html: str) -> list[str]:
    table = html.split('id="alliances"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-code="([^"]+)">', table)


async def test_the_list_pages_and_sorts_and_the_export_keeps_every_row(bureau, as_user):
    _register(bureau.settings.registry_url(), 120)
    staff = await as_user("staff")

    first = await staff.get("/alliances")
    assert first.status_code == 200
    assert 'id="row-count">120<' in first.text
    assert _codes(first.text)[:2] == ["2026-0120", "2026-0119"]  # most recently changed
    assert len(_codes(first.text)) == PAGE_SIZE
    assert "第 1 / 3 页" in first.text

    last = await staff.get("/alliances?page=3")
    assert _codes(last.text) == [f"2026-{n:04d}" for n in range(20, 0, -1)]
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text

    by_name = await staff.get("/alliances?sort=name")
    assert _codes(by_name.text)[:3] == ["2026-0001", "2026-0002", "2026-0003"]
    assert "sort=-name" in by_name.text  # the header now offers the other direction

    active_by_end = await staff.get("/alliances?status=active&sort=-term_end&page=2")
    codes = _codes(active_by_end.text)
    assert codes == [f"2026-{n:04d}" for n in range(19, 0, -2)]  # the 10 earliest ends
    next_page = re.search(r'href="\?([^"]*)" rel="prev"', active_by_end.text)
    assert next_page and "status=active" in next_page.group(1)
    assert "sort=-term_end" in next_page.group(1)

    refused = await staff.get("/alliances?sort=password")
    assert refused.status_code == 400 and "不能按" in refused.text

    export = await staff.get("/alliances.xlsx?status=active")
    rows = list(load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) - 1 == 60  # every filtered row, not one page
