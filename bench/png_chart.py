"""A horizontal bar chart as a PNG, with nothing but zlib and struct (bench/run.py).

bar_chart(path, title, bars): bars are (label, value, goal or None). Each bar is drawn to scale
against the largest value (or goal), with a thin line at 1.0 and a mark at the goal; the value
is printed after the bar. Text uses a built-in 5x7 pixel font (upper case, digits, a little
punctuation; lower case letters are drawn as upper case).
"""
import struct
import zlib

# 5x7 glyphs: 7 rows, each 5 bits, most significant bit on the left
FONT = {
    "A": "0E 11 11 1F 11 11 11", "B": "1E 11 11 1E 11 11 1E", "C": "0E 11 10 10 10 11 0E",
    "D": "1E 11 11 11 11 11 1E", "E": "1F 10 10 1E 10 10 1F", "F": "1F 10 10 1E 10 10 10",
    "G": "0E 11 10 17 11 11 0F", "H": "11 11 11 1F 11 11 11", "I": "0E 04 04 04 04 04 0E",
    "J": "07 02 02 02 02 12 0C", "K": "11 12 14 18 14 12 11", "L": "10 10 10 10 10 10 1F",
    "M": "11 1B 15 15 11 11 11", "N": "11 11 19 15 13 11 11", "O": "0E 11 11 11 11 11 0E",
    "P": "1E 11 11 1E 10 10 10", "Q": "0E 11 11 11 15 12 0D", "R": "1E 11 11 1E 14 12 11",
    "S": "0F 10 10 0E 01 01 1E", "T": "1F 04 04 04 04 04 04", "U": "11 11 11 11 11 11 0E",
    "V": "11 11 11 11 11 0A 04", "W": "11 11 11 15 15 15 0A", "X": "11 11 0A 04 0A 11 11",
    "Y": "11 11 0A 04 04 04 04", "Z": "1F 01 02 04 08 10 1F",
    "0": "0E 11 13 15 19 11 0E", "1": "04 0C 04 04 04 04 0E", "2": "0E 11 01 02 04 08 1F",
    "3": "1F 02 04 02 01 11 0E", "4": "02 06 0A 12 1F 02 02", "5": "1F 10 1E 01 01 11 0E",
    "6": "06 08 10 1E 11 11 0E", "7": "1F 01 02 04 08 08 08", "8": "0E 11 11 0E 11 11 0E",
    "9": "0E 11 11 0F 01 02 0C", " ": "00 00 00 00 00 00 00", ".": "00 00 00 00 00 0C 0C",
    ",": "00 00 00 00 0C 04 08", ":": "00 0C 0C 00 0C 0C 00", "/": "01 01 02 04 08 10 10",
    "-": "00 00 00 1F 00 00 00", "_": "00 00 00 00 00 00 1F", "(": "02 04 08 08 08 04 02",
    ")": "08 04 02 02 02 04 08", "|": "04 04 04 04 04 04 04", "=": "00 00 1F 00 1F 00 00",
    ">": "08 04 02 01 02 04 08", "<": "02 04 08 10 08 04 02", "%": "18 19 02 04 08 13 03",
    "+": "00 04 04 1F 04 04 00", ";": "00 0C 0C 00 0C 04 08", "?": "0E 11 01 02 04 00 04",
}
GLYPH = {c: [int(x, 16) for x in rows.split()] for c, rows in FONT.items()}

WHITE, BLACK, GREY = (255, 255, 255), (30, 30, 30), (200, 200, 200)
BLUE, GREEN, RED = (70, 110, 190), (40, 150, 70), (200, 60, 50)


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(WHITE * (w * h))

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        row = bytes(color) * max(0, x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def text(self, x, y, s, color=BLACK, scale=2):
        for ch in s:
            g = GLYPH.get(ch.upper(), GLYPH["?"])
            for r, bits in enumerate(g):
                for c in range(5):
                    if bits & (0x10 >> c):
                        self.rect(x + c * scale, y + r * scale, x + (c + 1) * scale, y + (r + 1) * scale, color)
            x += 6 * scale
        return x

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3]) for y in range(self.h))

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def bar_chart(path, title, bars):
    scale = 2
    label_w = max([len(b[0]) for b in bars] + [10]) * 6 * scale + 20
    plot_w, bar_h, gap = 560, 22, 12
    w = label_w + plot_w + 120
    h = 60 + len(bars) * (bar_h + gap) + 20
    cv = Canvas(w, h)
    cv.text(10, 12, title, BLACK, scale)
    vmax = max([max(v, g or 0) for _, v, g in bars] + [1.0]) * 1.05
    x0 = label_w
    y = 50
    one = x0 + plot_w * 1.0 / vmax
    for label, v, g in bars:
        cv.text(10, y + 4, label, BLACK, scale)
        color = GREEN if g is None or v >= g else RED
        if g is None:
            color = BLUE
        cv.rect(x0, y, x0 + max(1, plot_w * v / vmax), y + bar_h, color)
        if g:
            gx = x0 + plot_w * g / vmax
            cv.rect(gx - 1, y - 3, gx + 2, y + bar_h + 3, BLACK)
        tx = max(x0 + plot_w * v / vmax, x0 + plot_w * (g or 0) / vmax + 2)
        cv.text(tx + 8, y + 4, ("%.2f" % v) + ("" if label.startswith("CONVERT") else "x"), BLACK, scale)
        y += bar_h + gap
    cv.rect(one, 44, one + 1, y, GREY)
    with open(path, "wb") as f:
        f.write(cv.png())


if __name__ == "__main__":
    bar_chart("/tmp/chart-test.png", "test chart", [("CPU upstream/ours logs/pb", 3.4, 3.0),
                                                   ("RSS upstream/ours", 1.5, 2.0), ("REC/S ours/upstream", 2.2, None)])
