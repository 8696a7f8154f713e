"""Run by the installed venv's Python (copied outside the repository first): prints, as one
JSON line, what the named probe finds in the installed package."""

from __future__ import annotations

import json
import sys
from datetime import date


def where() -> dict:
    import domain
    import registry.database
    import web
    import worker
    from notifications.render import TEMPLATES_DIR
    from web.app import STATIC

    return {
        "modules": [domain.__file__, web.__file__, worker.__file__],
        "resources": [str(TEMPLATES_DIR), str(registry.database.MIGRATIONS), STATIC],
        "sys_path": sys.path,
        "finders": [type(finder).__module__ for finder in sys.meta_path],
    }


def email() -> dict:
    from domain.holiday_years import holiday_year_notice
    from notifications.render import render

    notice = holiday_year_notice(2031, date(2030, 11, 1), ["admin@example.org"], "https://x")
    rendered = render(notice.purpose, "zh-CN", notice.context)
    return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}


def pages() -> dict:
    from fastapi.testclient import TestClient

    from web.app import create_app

    browser = TestClient(create_app())
    answers = {path: browser.get(path) for path in ("/healthz", "/login", "/static/app.css")}
    return {path: [answer.status_code, answer.text] for path, answer in answers.items()}


def workflows() -> dict:
    from worker import WORKFLOWS, build_worker

    return {"workflows": [w.__name__ for w in WORKFLOWS], "build": build_worker.__name__}


def requirements() -> dict:
    from importlib.metadata import requires

    return {"requires": requires("anshan-alliance")}


if __name__ == "__main__":
    print(json.dumps(globals()[sys.argv[1]](), ensure_ascii=False))
