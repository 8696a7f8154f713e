"""退回补正 finished in the console: staff open the application as submitted, change it as
the alliance's written correction says, and send it back to the district."""

from __future__ import annotations

import html
import re

from domain.procedure import Stage
from tests.support.temporal import sample_application
from tests.web.conftest import post_action
from tests.web.test_registry_pages import registered


def _form_fields(page: str) -> dict[str, str]:
    """The form's text fields, textareas and chosen options as the browser would send them."""
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input name="([^"]+)"[^>]*?value="([^"]*)"', page)
    }
    fields |= {
        name: html.unescape(value)
        for name, value in re.findall(r'<textarea name="([^"]+)">(.*?)</textarea>', page, re.S)
    }
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        fields[name] = chosen.group(1) if chosen else ""
    fields |= {
        name: "on" for name in re.findall(r'<input type="checkbox" name="([^"]+)" checked', page)
    }
    fields |= dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    return fields


async def test_staff_enter_the_corrected_application_and_it_goes_back_to_the_district(
    bureau, as_user
):
    app = sample_application()
    code = await bureau.submit(app)
    await bureau.wait_for_state(code, lambda s: s.clock is not None)
    reviewer = await as_user("gaoxin")
    returned = await post_action(
        reviewer, code, "district_review", {"outcome": "return", "reasons": "补充经费管理制度"}
    )
    assert returned.status_code == 303
    await registered(bureau, code, "correction")

    staff = await as_user("staff")
    alliance = await staff.get(f"/alliances/{code}")
    assert f'href="/alliances/{code}/resubmit"' in alliance.text
    page = await staff.get(f"/alliances/{code}/resubmit")
    assert page.status_code == 200 and "录入补正后的申请" in page.text
    form = _form_fields(page.text)
    assert form["alliance_name"] == app.alliance_name
    assert form["member_0_name"] == app.members[0].name

    blank = await staff.post(f"/alliances/{code}/resubmit", data={**form, "alliance_name": ""})
    assert blank.status_code == 400 and "alliance_name" in blank.text
    assert (await bureau.state(code)).stage == Stage.CORRECTION  # nothing sent

    corrected = {
        **form,
        "management_rule": "《联盟经费管理办法》（2026年修订），专款专用，年度审计",
        "note": "已补充经费管理制度",
    }
    sent = await staff.post(f"/alliances/{code}/resubmit", data=corrected)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith(f"/alliances/{code}?done=resubmit")
    state = await bureau.state(code)
    assert state.stage == Stage.DISTRICT_REVIEW and state.application_version == 2
    assert state.application.funding.management_rule.startswith("《联盟经费管理办法》")
    assert state.decisions[-1].reasons == "已补充经费管理制度"


async def test_the_correction_page_is_only_for_an_alliance_returned_for_correction(bureau, as_user):
    code = await bureau.submit(sample_application())
    await registered(bureau, code, "district_review")
    staff = await as_user("staff")
    assert (await staff.get(f"/alliances/{code}/resubmit")).status_code == 403
