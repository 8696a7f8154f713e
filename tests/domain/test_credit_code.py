"""统一社会信用代码 (GB 32100-2015): the check character and the character set."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.credit_code import CHARSET, complete_code, is_valid_credit_code

VALID = "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        pytest.param(VALID, True, id="published-example"),
        pytest.param("91210300PUEWHWT8W1", True, id="anshan-enterprise"),
        pytest.param("12210000FXF3944A6B", True, id="public-institution"),
        pytest.param("122103002PLH78KUT0", True, id="check-character-zero"),
        pytest.param("91350100M000100Y44", False, id="wrong-check-character"),
        pytest.param("91350100M000100Y4", False, id="seventeen-characters"),
        pytest.param("91350100M000100Y430", False, id="nineteen-characters"),
        pytest.param("", False, id="empty"),
        pytest.param("91350100I000100Y43", False, id="forbidden-I"),
        pytest.param("91350100O000100Y43", False, id="forbidden-O"),
        pytest.param("91350100S000100Y43", False, id="forbidden-S"),
        pytest.param("91350100V000100Y43", False, id="forbidden-V"),
        pytest.param("91350100Z000100Y43", False, id="forbidden-Z"),
        pytest.param("91350100m000100y43", False, id="lowercase"),
        pytest.param(" 91350100M000100Y4", False, id="leading-space"),
        pytest.param(complete_code("91A50100M000100Y4"), False, id="letter-in-region-code"),
    ],
)
def test_credit_code_validity(code, valid):
    assert is_valid_credit_code(code) is valid


charset_chars = st.sampled_from(CHARSET)
first17 = st.builds(
    lambda head, region, rest: "".join(head) + "".join(region) + "".join(rest),
    st.lists(charset_chars, min_size=2, max_size=2),
    st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6),
    st.lists(charset_chars, min_size=9, max_size=9),
)


@given(first17)
def test_completed_code_is_always_valid(first):
    assert is_valid_credit_code(complete_code(first))


@given(first17, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_one_character_invalidates_a_code(first, position, data):
    code = complete_code(first)
    replacement = data.draw(charset_chars.filter(lambda c: c != code[position]))
    altered = code[:position] + replacement + code[position + 1 :]
    assert not is_valid_credit_code(altered)
