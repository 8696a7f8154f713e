"""`alliance-admin payload-key ID` prints a new key line that the settings accept and that
encrypts and decrypts; a bad id is refused."""

from __future__ import annotations

import base64

from typer.testing import CliRunner

from admin import cli
from client.payload_codec import payload_keys
from domain.settings import Settings


def test_a_new_key_line_is_a_usable_key_and_a_bad_id_is_refused(tmp_path):
    made = CliRunner().invoke(cli.app, ["payload-key", "2027-01"])
    assert made.exit_code == 0, made.output
    line = made.output.strip()
    key_id, key = line.split("=", 1)
    assert key_id == "2027-01" and len(base64.b64decode(key)) == 32
    again = CliRunner().invoke(cli.app, ["payload-key", "2027-01"]).output.strip()
    assert again != line  # random each time
    keys = payload_keys(
        Settings(data_dir=tmp_path, payload_keys=f"{line},{again.replace('2027-01', 'old')}")
    )
    assert list(keys) == ["2027-01", "old"]

    refused = CliRunner().invoke(cli.app, ["payload-key", "bad id!"])
    assert refused.exit_code == 1 and "key id" in refused.output
