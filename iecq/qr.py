"""QR codes: the certificate PDF's link to its verification page, and the key of two-factor sign-in.

Drawn by zxing-cpp (a compiled library) with error correction level M and the data mask chosen by the penalty rules
of ISO/IEC 18004, as every encoder must. The mask choice in pure Python (segno, before) took 5 of the 7 ms a
certificate's code cost, a sixth of rendering the whole PDF. The same library reads codes back, so the tests scan
what was drawn instead of trusting it.
"""

from __future__ import annotations

import base64
import io

import zxingcpp
from PIL import Image

ERROR_CORRECTION = "M"  # about 15 % of the symbol may be damaged or covered and it still reads


def png(text: str) -> bytes:
    """A PNG of one pixel per module with the standard quiet zone of four modules; scale it without smoothing
    (`image-rendering: pixelated`), which a PDF viewer and a browser both do."""
    symbol = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=ERROR_CORRECTION)
    modules = memoryview(symbol.to_image(scale=1, add_quiet_zones=True))
    height, width = modules.shape
    out = io.BytesIO()
    Image.frombuffer("L", (width, height), modules.tobytes(), "raw", "L", 0, 1).convert("1").save(out, "PNG")
    return out.getvalue()


def png_data_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(png(text)).decode()


def read(image: bytes, *, scale: int = 4) -> str | None:
    """The text of the QR code in a PNG, as a scanner reads it (enlarged first: a reader wants a few pixels per
    module), or None when none reads."""
    picture = Image.open(io.BytesIO(image)).convert("L")
    picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    found = zxingcpp.read_barcode(picture, formats=zxingcpp.BarcodeFormat.QRCode)
    return found.text if found is not None and found.valid else None
