"""Render a pyte screen to a PNG (DejaVu Sans Mono), with the colours the program drew."""

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"

# A common dark terminal palette (xterm-like, softened).
PALETTE = {
    "black": (30, 30, 30), "red": (205, 49, 49), "green": (13, 188, 121),
    "brown": (229, 229, 16), "yellow": (229, 229, 16), "blue": (36, 114, 200),
    "magenta": (188, 63, 188), "cyan": (17, 168, 205), "white": (229, 229, 229),
    "brightblack": (102, 102, 102), "brightred": (241, 76, 76), "brightgreen": (35, 209, 139),
    "brightbrown": (245, 245, 67), "brightyellow": (245, 245, 67),
    "brightblue": (59, 142, 234), "brightmagenta": (214, 112, 214),
    "brightcyan": (41, 184, 219), "brightwhite": (255, 255, 255),
}
DEFAULT_FG = (204, 204, 204)
DEFAULT_BG = (24, 24, 27)


def colour(name, default):
    if name in ("default", None, ""):
        return default
    if name in PALETTE:
        return PALETTE[name]
    if len(name) == 6:
        try:
            return tuple(int(name[i:i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            pass
    return default


def render(screen, path, size=14):
    font = ImageFont.truetype(FONT, size)
    bold = ImageFont.truetype(FONT_BOLD, size)
    cw = round(font.getlength("M"))
    ch = size + 4
    img = Image.new("RGB", (cw * screen.columns + 16, ch * screen.lines + 16), DEFAULT_BG)
    d = ImageDraw.Draw(img)
    for y in range(screen.lines):
        row = screen.buffer[y]
        for x in range(screen.columns):
            c = row[x]
            fg, bg = colour(c.fg, DEFAULT_FG), colour(c.bg, DEFAULT_BG)
            if c.bold and c.fg in PALETTE and not c.fg.startswith("bright"):
                fg = PALETTE.get("bright" + c.fg, fg)
            if c.reverse:
                fg, bg = bg, fg
            px, py = 8 + x * cw, 8 + y * ch
            if bg != DEFAULT_BG:
                d.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if c.data.strip():
                d.text((px, py + 1), c.data, font=bold if c.bold else font, fill=fg)
            if c.underscore:
                d.line([px, py + ch - 2, px + cw - 1, py + ch - 2], fill=fg)
    img.save(path)
