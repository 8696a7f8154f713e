"""What every PDF of the bureau shares: an embedded CJK font and honest metadata.

ReportLab embeds a subset of a TrueType font (glyf outlines) only; OpenType fonts with
PostScript (CFF) outlines, such as Debian's Noto CJK, cannot be embedded by it. Debian's
`fonts-wqy-zenhei` is TrueType and is the default; `ALLIANCE_CJK_FONT_PATH` may name any
other TrueType CJK font (.ttf, or .ttc whose first face is used).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from domain.shanghai_time import SHANGHAI

# Debian packages whose font ReportLab can embed, the first found wins.
KNOWN_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # fonts-wqy-zenhei
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),  # fonts-wqy-microhei
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),  # fonts-arphic-uming
)
FONT_PACKAGE = "fonts-wqy-zenhei"
CREATOR = "鞍山市产业技术创新战略联盟管理系统"
LANGUAGE = "zh-CN"
SEAL_DIAMETER = 42 * mm  # a government body's round seal (公章)


class FontMissing(RuntimeError):
    """No CJK font that can be embedded; the message says what the operator should do."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} ({en})")
        self.zh = zh
        self.en = en


@lru_cache
def cjk_font(configured: str = "") -> str:
    """Register the CJK font once per process and return its name for `setFont`.

    `configured`: the `cjk_font_path` setting; empty means the first font of KNOWN_FONTS,
    then any TrueType font fontconfig lists for Chinese.
    """
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise FontMissing(
                f"ALLIANCE_CJK_FONT_PATH 指定的字体文件 {path} 不存在",
                f"the font file ALLIANCE_CJK_FONT_PATH names, {path}, does not exist",
            )
        try:
            return _register(path)
        except TTFError as error:
            raise FontMissing(
                f"ALLIANCE_CJK_FONT_PATH 指定的 {path} 不是可嵌入的 TrueType 字体：{error}",
                f"{path} (ALLIANCE_CJK_FONT_PATH) is not an embeddable TrueType font: {error}",
            ) from error
    for path in (*KNOWN_FONTS, *_fontconfig_chinese()):
        if path.is_file():
            try:
                return _register(path)
            except TTFError:
                continue  # PostScript outlines: the next one may do
    raise FontMissing(
        f"没有可嵌入 PDF 的中文字体：请安装 Debian 软件包 {FONT_PACKAGE}"
        f"（apt-get install {FONT_PACKAGE}），"
        "或以 ALLIANCE_CJK_FONT_PATH 指定 TrueType 中文字体文件",
        f"no CJK font to embed in PDFs: install the Debian package {FONT_PACKAGE} "
        f"(apt-get install {FONT_PACKAGE}) or set ALLIANCE_CJK_FONT_PATH to a TrueType CJK font",
    )


def _register(path: Path) -> str:
    name = f"CJK-{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    return name


def _fontconfig_chinese() -> list[Path]:
    """Font files fontconfig knows for Chinese, TrueType ones only."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    listed = subprocess.run(
        [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
    ).stdout
    files = {Path(line.strip().rstrip(":")) for line in listed.splitlines() if line.strip()}
    return sorted(f for f in files if f.suffix.lower() in (".ttf", ".ttc"))


@dataclass(frozen=True)
class DocumentInfo:
    """The PDF's document information: a viewer shows it under File › Properties."""

    title: str
    author: str  # the bureau
    subject: str
    created: datetime  # aware; written in Beijing time

    def apply(self, canvas: Canvas) -> None:
        canvas.setTitle(self.title)
        canvas.setAuthor(self.author)
        canvas.setSubject(self.subject)
        canvas.setCreator(CREATOR)
        canvas.setKeywords(["鞍科发〔2016〕21号", self.author])
        stamp = pdf_date(self.created)
        canvas.setDateFormatter(lambda *_: stamp)


def pdf_date(moment: datetime) -> str:
    """A PDF date string (ISO 32000 7.9.4) in Beijing time: D:20261201093000+08'00'."""
    return moment.astimezone(SHANGHAI).strftime("D:%Y%m%d%H%M%S+08'00'")
