from tests.support.smtp_fixture import smtp_server  # noqa: F401
