"""统一社会信用代码 (GB 32100-2015): 18 characters, the last one a check character."""

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    if len(code) != 18 or any(c not in CHARSET for c in code):
        return False
    if not code[2:8].isdigit():  # 登记管理机关行政区划码
        return False
    return check_character(code[:17]) == code[17]


def complete_code(first17: str) -> str:
    """A valid code from its first 17 characters (used for samples and tests)."""
    return first17 + check_character(first17)
