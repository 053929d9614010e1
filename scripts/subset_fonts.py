"""Make static/fonts/IECQSans-Regular.ttf: DejaVu Sans cut down to the scripts names and addresses are written in.

Run once when the fonts or the ranges change (`.venv/bin/python scripts/subset_fonts.py`); the output is committed.

Why: WeasyPrint subsets every font a PDF uses, on every render, and the time goes with the size of the font: the full
DejaVu Sans has 6,253 glyphs, this cut 2,277 (docs/performance.md, fifth pass, has the gain).
Nothing is lost: the PDF stylesheets name the full DejaVu Sans next, and Pango takes each character the cut lacks
(Armenian, Hebrew, Arabic, Georgian…) from it, then from the system's fonts (CJK).

DejaVu's licence (static/fonts/DejaVu-LICENSE, the Bitstream Vera terms) allows modified copies under a name
without "Bitstream" or "Vera": these are named "IECQ Sans".
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"

RANGES = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x024F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x0250, 0x02FF),  # IPA extensions, spacing modifier letters
    (0x0300, 0x036F),  # combining diacritical marks (text entered decomposed)
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and its supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese, Welsh…)
    (0x2000, 0x206F),  # general punctuation (dashes, quotes, bullets)
    (0x2070, 0x209F),  # superscripts and subscripts
    (0x20A0, 0x20CF),  # currency symbols
    (0x2100, 0x214F),  # letterlike symbols (№, ™, Ω, ℃)
    (0x2150, 0x218F),  # number forms
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators (≤, ≥, the minus sign) in specifications
    (0xFFFD, 0xFFFD),  # replacement character
]

# One face: the certificate has no bold (a second font costs every render its subsetting and embedding).
FACES = {"DejaVuSans.ttf": ("IECQSans-Regular.ttf", "Regular")}


def main() -> None:
    unicodes = [c for first, last in RANGES for c in range(first, last + 1)]
    for source, (target, style) in FACES.items():
        font = TTFont(FONTS / source)
        options = subset.Options()
        options.layout_features = ["*"]  # kerning, ligatures and mark positioning as in the full font
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        names = {1: "IECQ Sans", 16: "IECQ Sans", 4: "IECQ Sans", 6: f"IECQSans-{style}", 3: f"IECQ Sans {style}"}
        for record in font["name"].names:
            if record.nameID in names:
                record.string = names[record.nameID]
        font.save(FONTS / target)
        print(f"{target}: {len(font.getGlyphOrder())} glyphs, {(FONTS / target).stat().st_size} bytes")


if __name__ == "__main__":
    main()
