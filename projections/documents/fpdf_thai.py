"""Two adjustments to fpdf2 (pinned to 2.8.x in pyproject.toml) so that the text a reader
copies out of a shaped Thai PDF is the text written.

- HarfBuzz decomposes Sara Am (ำ) into two glyphs; fpdf2 maps the first to the character and
  leaves the second out of the ToUnicode CMap, so readers invent a character from its code.
  ``EmptyClusterMaps`` maps such glyphs to nothing.
- fpdf2 places a mark HarfBuzz shifts left (the tone mark of ปั้น) with a jump back and
  forth of the text position, which readers take for a space between words ("ปั้ น").
  ``ThaiFont`` gives such a mark an advance as wide as its shift, so no gap is seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fpdf.fonts import Glyph, TTFFont
from fpdf.output import OutputProducer

__all__ = ["EmptyClusterMaps", "ThaiFont"]


class EmptyClusterMaps(OutputProducer):
    """fpdf2's producer, with the glyphs HarfBuzz adds inside a cluster (the second glyph
    of a decomposed Sara Am) mapped to no character in the ToUnicode CMap instead of being
    left out of it (where readers then invent a character from the glyph's code)."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> Any:
        objects = super()._add_fonts(*args, **kwargs)
        for font in self.fpdf.fonts.values():
            if isinstance(font, TTFFont) and font.i in objects:
                _map_to_nothing(font, objects[font.i])
        return objects


def _map_to_nothing(font: TTFFont, font_object: Any) -> None:
    codes = sorted(code for glyph, code in font.subset.items()
                   if glyph is not None and isinstance(glyph.unicode, tuple)
                   and not glyph.unicode)
    stream = getattr(font_object, "to_unicode", None)
    if not codes or stream is None:
        return
    block = "".join(f"{len(chunk)} beginbfchar\n" + "".join(f"<{c:04X}> <>\n" for c in chunk)
                    + "endbfchar\n" for chunk in (codes[i:i + 100]
                                                  for i in range(0, len(codes), 100)))
    contents = stream.content_stream().replace(b"endcmap\n", block.encode() + b"endcmap\n", 1)
    stream._contents = contents
    stream.length = len(contents)


class ThaiFont(TTFFont):
    """fpdf2's TrueType font, with each mark that HarfBuzz shifts left drawn by a glyph code
    whose advance (the PDF's /W width) equals the shift. fpdf2 moves the text position back
    to the pen right after the mark, so the drawing is unchanged; a reader following the
    text position sees the pen come back to where the mark's advance left it, not a gap."""

    __slots__ = ()  # TTFFont has slots: the same layout lets an added font take this class

    def shape_text(self, text: str, font_size_pt: float,
                   text_shaping_params: dict[str, Any] | None) -> Sequence[dict[str, Any]]:
        shaped = super().shape_text(text, font_size_pt, text_shaping_params)
        if not any(info["x_offset"] < 0 and info["x_advance"] == 0 for info in shaped):
            return shaped
        glyphs = {code: glyph for glyph, code in self.subset.items() if glyph is not None}
        for info in shaped:
            glyph = glyphs.get(info["mapped_char"])
            shift = -round(info["x_offset"] * self.scale)
            if glyph is not None and info["x_advance"] == 0 and shift > glyph.glyph_width:
                wide = Glyph(glyph.glyph_id, glyph.unicode, glyph.glyph_name, shift)
                info["mapped_char"] = self.subset.pick_glyph(wide)
                info["force_positioning"] = True
        return shaped
