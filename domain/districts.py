"""县（市）区、开发区 whose science and technology bureaus review applications (article 9.2)."""

from enum import StrEnum


class District(StrEnum):
    TIEDONG = "tiedong"
    TIEXI = "tiexi"
    LISHAN = "lishan"
    QIANSHAN = "qianshan"
    HAICHENG = "haicheng"
    TAIAN = "taian"
    XIUYAN = "xiuyan"
    HIGH_TECH_ZONE = "high_tech_zone"
    ECONOMIC_ZONE = "economic_zone"


DISTRICT_ZH = {
    District.TIEDONG: "铁东区",
    District.TIEXI: "铁西区",
    District.LISHAN: "立山区",
    District.QIANSHAN: "千山区",
    District.HAICHENG: "海城市",
    District.TAIAN: "台安县",
    District.XIUYAN: "岫岩满族自治县",
    District.HIGH_TECH_ZONE: "鞍山高新技术产业开发区",
    District.ECONOMIC_ZONE: "鞍山经济开发区",
}


def district_zh(value: str) -> str:
    """The Chinese name of a stored district value."""
    try:
        return DISTRICT_ZH[District(value)]
    except ValueError:
        return value
