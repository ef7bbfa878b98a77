"""Deterministic corpora for the reliability tests, generated at test time.

Every builder writes files under a root folder and returns the Cases it made: the path
(relative to the root, as imgshard stores it in /paths), the status imgshard must give it,
a piece of the reason expected in /errors, and for good images the channels expected in
/orig_shape. Pixel references are not stored here: the tests compute them with cv2.imread,
which is what the spec promises to match.

Nothing here is random at run time: pixels come from fixed formulas and a seeded generator,
and the encoders are the ones shipped with Debian (cv2, PIL) or the small ones below (PNG with
every colour type, bit depth and interlacing; TIFF and BMP variants that cv2 and PIL do not
write), so the same bytes come out on every run.
"""
import dataclasses
import io
import os
import struct
import zlib

import cv2
import numpy as np
from PIL import Image

# /status codes (README.md, "Status codes").
OK, UNREADABLE, EMPTY, UNKNOWN, CORRUPT, TRUNCATED, WARNING, TOO_LARGE = 0, 1, 2, 3, 4, 5, 6, 7
DEFAULT_MAX_PIXELS = 178_956_970


@dataclasses.dataclass
class Case:
    rel: str                 # path relative to the corpus root, as /paths holds it
    status: int = OK         # the /status expected under the default --fail-on warning
    reason: str = ""         # a substring expected in /errors (failures)
    channels: int = 0        # /orig_shape's channels expected (good images; 0: not checked)
    tolerance: int = 0       # max difference to the cv2 reference (good images)
    note: str = ""           # what the case is, for messages


def write(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


# ---------------------------------------------------------------------------------------------
# Pixels

def photo(h, w, seed=0):
    """A smooth colour gradient with mild noise: what photos look like to a codec, and
    asymmetric on both axes, so that any flip or transpose shows."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255 * x / max(w - 1, 1)
    g = 255 * y / max(h - 1, 1)
    b = 127 + 100 * np.sin(x / 5.0 + y / 9.0)
    noise = np.random.default_rng(seed).integers(-12, 13, (h, w, 3))
    return np.clip(np.stack([b, g, r], -1) + noise, 0, 255).astype(np.uint8)  # BGR, for cv2


def encode_cv(ext, bgr, params=()):
    ok, data = cv2.imencode(ext, bgr, list(params))
    assert ok, ext
    return data.tobytes()


def encode_pil(image, fmt, **kw):
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


def pil_rgb(h, w, seed=0):
    return Image.fromarray(cv2.cvtColor(photo(h, w, seed), cv2.COLOR_BGR2RGB))


# ---------------------------------------------------------------------------------------------
# PNG: a small encoder for what cv2 and PIL cannot write (bit depths 1/2/4, interlacing, tRNS)

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _pack_row(row, depth):
    """One row of samples (1-D) to bytes at `depth` bits, most significant bits first."""
    if depth == 16:
        return row.astype(">u2").tobytes()
    if depth == 8:
        return row.astype(np.uint8).tobytes()
    per_byte = 8 // depth
    padded = np.zeros(-(-len(row) // per_byte) * per_byte, np.uint8)
    padded[: len(row)] = row
    padded = padded.reshape(-1, per_byte)
    out = np.zeros(len(padded), np.uint8)
    for k in range(per_byte):
        out |= padded[:, k] << (8 - depth * (k + 1))
    return out.tobytes()


def _filter_rows(rows, bpp):
    """Filters each row with a type cycling 0..4, so every libpng unfilter path is used."""
    out = []
    prior = np.zeros(len(rows[0]), np.int32) if rows else None
    for i, raw in enumerate(rows):
        cur = np.frombuffer(raw, np.uint8).astype(np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]]) if len(cur) > bpp else np.zeros_like(cur)
        upleft = np.concatenate([np.zeros(bpp, np.int32), prior[:-bpp]]) if len(cur) > bpp else np.zeros_like(cur)
        kind = i % 5
        if kind == 0:
            pred = np.zeros_like(cur)
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = prior
        elif kind == 3:
            pred = (left + prior) // 2
        else:
            p = left + prior - upleft
            pa, pb, pc = np.abs(p - left), np.abs(p - prior), np.abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prior, upleft))
        out.append(bytes([kind]) + ((cur - pred) & 0xFF).astype(np.uint8).tobytes())
        prior = cur
    return b"".join(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def png_encode(samples, color_type, depth, palette=None, trns=None, interlace=False, before_idat=()):
    """samples: (h, w) or (h, w, c) raw sample values at `depth` bits (indices for palette)."""
    h, w = samples.shape[:2]
    c = PNG_CHANNELS[color_type]
    s = samples.reshape(h, w, c)
    bpp = max(1, c * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b""
    for x0, y0, dx, dy in passes:
        sub = s[y0::dy, x0::dx]
        if sub.size == 0:
            continue  # an empty pass has no rows at all, not even filter bytes
        raw += _filter_rows([_pack_row(r.reshape(-1), depth) for r in sub], bpp)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        out += png_chunk(b"PLTE", np.asarray(palette, np.uint8).tobytes())
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    for chunk in before_idat:
        out += chunk
    return out + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")


def png_variant(color_type, depth, interlace, h=23, w=29):
    """A PNG of the given type and depth with content that uses its whole range."""
    maxv = (1 << depth) - 1
    y, x = np.mgrid[0:h, 0:w]
    ramp = lambda a, b: ((a * 7 + b * 3) % (maxv + 1)) if depth < 8 else (a * maxv // max(h - 1, 1) + b * 13) % (maxv + 1)
    palette = trns = None
    if color_type == 0:
        samples = ramp(x, y)
    elif color_type == 3:
        n = 1 << depth
        samples = (x + 2 * y) % n
        palette = [((i * 67) % 256, (i * 151) % 256, (255 - i * 29) % 256) for i in range(n)]
    else:
        planes = [ramp(x, y), ramp(y, x), ramp(x + y, 3)]
        if color_type == 4:
            planes = [planes[0], ramp(y, 2 * x)]
        if color_type == 6:
            planes.append(ramp(2 * y, x))
        samples = np.stack(planes, -1)
    return png_encode(samples, color_type, depth, palette, trns, interlace)


def png_with_trns(color_type, h=19, w=21):
    y, x = np.mgrid[0:h, 0:w]
    if color_type == 0:
        return png_encode((x * 11 + y) % 256, 0, 8, trns=struct.pack(">H", 22))
    if color_type == 2:
        rgb = np.stack([(x * 11) % 256, (y * 13) % 256, (x + y) % 256], -1)
        return png_encode(rgb, 2, 8, trns=struct.pack(">HHH", 22, 0, 22))
    palette = [(i * 16, 255 - i * 16, (i * 40) % 256) for i in range(16)]
    return png_encode((x + y) % 16, 3, 8, palette=palette, trns=bytes(range(0, 256, 16)))


# ---------------------------------------------------------------------------------------------
# JPEG: segment surgery for the corrupt variants

def jpeg_segments(data):
    """(start, end, marker) of each marker segment; a scan's `end` includes its entropy data."""
    assert data[:2] == b"\xff\xd8"
    segs = [(0, 2, 0xD8)]
    pos = 2
    while pos < len(data):
        assert data[pos] == 0xFF, pos
        while data[pos + 1] == 0xFF:
            pos += 1
        marker = data[pos + 1]
        if marker == 0xD9:
            segs.append((pos, pos + 2, marker))
            break
        end = pos + 2 + struct.unpack(">H", data[pos + 2: pos + 4])[0]
        if marker == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
                end += 1
        segs.append((pos, end, marker))
        pos = end
    return segs


def jpeg_scans(data):
    return [(s, e) for s, e, m in jpeg_segments(data) if m == 0xDA]


def jpeg_patch_size(data, width, height):
    """The same JPEG with its frame header (SOFn) declaring another size."""
    for s, _, m in jpeg_segments(data):
        if m in (0xC0, 0xC1, 0xC2):
            return data[: s + 5] + struct.pack(">HH", height, width) + data[s + 9:]
    raise ValueError("no SOF")


def jpeg_bad_huffman(data):
    """Ones where the entropy-coded data should be: all-ones is no valid Huffman code."""
    s, e = jpeg_scans(data)[0]
    mid = (s + e) // 2
    return data[:mid] + b"\xff\x00" * 6 + data[mid + 12:]


def jpeg_extraneous_bytes(data):
    """Garbage between two header markers (libjpeg skips it and warns)."""
    segs = jpeg_segments(data)
    dqt = next(s for s, _, m in segs if m == 0xDB)
    return data[:dqt] + b"\x00\x11\x22" + data[dqt:]


def jpeg_premature_end_of_segment(data):
    """A scan cut short in the middle, the file still ending with EOI."""
    s, e = jpeg_scans(data)[-1]
    return data[: (s + e) // 2] + b"\xff\xd9"


def jpeg_duplicate_first_scan(data):
    """A progressive JPEG whose first (DC) scan comes twice: an inconsistent progression."""
    s, e = jpeg_scans(data)[0]
    return data[:e] + data[s:e] + data[e:]


def jpeg_bad_restart(data):
    """A restart marker replaced by another: libjpeg must resynchronise."""
    s, e = jpeg_scans(data)[0]
    at = data.index(b"\xff\xd2", s)
    return data[:at] + b"\xff\xd6" + data[at + 2:]


def jpeg_many_scans(data, copies):
    """A progressive JPEG with its last scan repeated: a scan bomb (decoding cost per scan)."""
    s, e = jpeg_scans(data)[-1]
    return data[:e] + data[s:e] * copies + data[e:]


def jpeg_with_exif_orientation(h, w, orientation, seed=0):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode_pil(pil_rgb(h, w, seed), "JPEG", quality=92, exif=exif.tobytes())


# ---------------------------------------------------------------------------------------------
# TIFF and BMP writers (headers cv2 and PIL do not produce: big-endian, LONG sizes, top-down, RLE)

def tiff_encode(rgb, big_endian=False, long_sizes=False, declared=None, compression=1, bits=8, bigtiff=False):
    """An uncompressed, one-strip RGB TIFF (or BigTIFF); `declared` (w, h) overrides the header's size."""
    h, w = rgb.shape[:2]
    dw, dh = declared or (w, h)
    e = ">" if big_endian else "<"
    pixels = rgb.astype(np.uint8).tobytes()
    size_type = 4 if long_sizes else 3  # LONG or SHORT
    offset_type = 16 if bigtiff else 4  # LONG8 or LONG
    entries = [  # (tag, type, value); BitsPerSample with count 1 (8) is read as 8,8,8 by libtiff
        (256, size_type, dw), (257, size_type, dh), (258, 3, bits), (259, 3, compression), (262, 3, 2),
        (273, offset_type, None), (277, 3, 3), (278, size_type, dh), (279, offset_type, len(pixels)), (284, 3, 1)]
    # Classic: 2-byte count, 12-byte entries, 4-byte values; BigTIFF: 8, 20 and 8.
    count_fmt, entry_fmt, value_size, head_size = ("Q", "HHQ", 8, 16) if bigtiff else ("H", "HHI", 4, 8)
    ifd_at = head_size
    data_at = ifd_at + struct.calcsize(count_fmt) + (4 + struct.calcsize(entry_fmt[2]) + value_size) * len(entries) + value_size
    ifd = struct.pack(e + count_fmt, len(entries))
    for tag, typ, value in entries:
        value = data_at if value is None else value
        packed = struct.pack(e + {3: "H", 4: "I", 16: "Q"}[typ], value)
        ifd += struct.pack(e + entry_fmt, tag, typ, 1) + packed + b"\0" * (value_size - len(packed))
    ifd += b"\0" * value_size
    if bigtiff:
        head = (b"MM\0+" if big_endian else b"II+\0") + struct.pack(e + "HHQ", 8, 0, ifd_at)
    else:
        head = (b"MM\0*" if big_endian else b"II*\0") + struct.pack(e + "I", ifd_at)
    return head + ifd + pixels


def tiff_tile_bomb(width=16, height=16, tile=16384):
    """A small TIFF stored in one huge deflate tile: libtiff inflates whole tiles, so the tile's
    size is what a decoder allocates (1.2 GB for this one's, real data or not)."""
    data = zlib.compress(bytes(64))
    entries = [(256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 8), (262, 3, 2), (277, 3, 3), (284, 3, 1),
               (322, 4, tile), (323, 4, tile), (324, 4, None), (325, 4, len(data))]
    data_at = 8 + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, typ, value in entries:
        value = data_at if value is None else value
        ifd += struct.pack("<HHI", tag, typ, 1) + (struct.pack("<H", value) + b"\0\0" if typ == 3 else struct.pack("<I", value))
    return b"II*\0" + struct.pack("<I", 8) + ifd + b"\0\0\0\0" + data


def bmp_encode(bgr, top_down=False, rle8=False, declared=None):
    """A 24-bit BMP (or an 8-bit RLE8 one of a grey image); `declared` (w, h) overrides the size."""
    h, w = bgr.shape[:2]
    if rle8:
        grey = bgr if bgr.ndim == 2 else cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
        body = b""
        for row in grey[::-1]:
            x = 0
            while x < w:
                run = 1
                while x + run < w and run < 255 and row[x + run] == row[x]:
                    run += 1
                body += bytes([run, int(row[x])])
                x += run
            body += b"\x00\x00"
        body += b"\x00\x01"
        bpp, compression = 8, 1
    else:
        palette = b""
        stride = (w * 3 + 3) & ~3
        rows = bgr if top_down else bgr[::-1]
        body = b"".join(r.tobytes() + b"\0" * (stride - w * 3) for r in rows)
        bpp, compression = 24, 0
    dw, dh = declared or (w, h)
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, dw, -dh if top_down else dh, 1, bpp, compression, len(body), 2835, 2835,
                       256 if rle8 else 0, 0)
    return b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset) + info + palette + body


# ---------------------------------------------------------------------------------------------
# Bombs

def png_bomb(width, height, real_data=True):
    """A PNG declaring width x height RGB pixels. With real_data, its IDAT is a valid zlib stream
    of every (zero) row, about 1/1000 of the pixel bytes: what a decoder without a size guard
    would inflate and allocate in full."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    total = height * (width * 3 + 1)
    if not real_data:
        return b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IDAT", zlib.compress(bytes(64))) + png_chunk(b"IEND", b"")
    # Identical full-flush segments of 1 MiB of zeros, concatenated: no need to deflate GBs.
    block = 1 << 20
    c = zlib.compressobj(9)
    first = c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(bytes(block)) + c.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(total, block)
    tail_c = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate for the remainder, final block
    tail = tail_c.compress(bytes(rest)) + tail_c.flush(zlib.Z_FINISH)
    adler = 1
    zeros = bytes(block)
    for _ in range(count):
        adler = zlib.adler32(zeros, adler)
    adler = zlib.adler32(bytes(rest), adler)
    stream = first + again * (count - 1) + tail + struct.pack(">I", adler)
    idat = b"".join(png_chunk(b"IDAT", stream[i: i + (1 << 20)]) for i in range(0, len(stream), 1 << 20))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + png_chunk(b"IEND", b"")


def webp_vp8x_bomb(width, height):
    """A WebP whose extended header (VP8X) declares a canvas of width x height."""
    small = encode_cv(".webp", photo(16, 16), [cv2.IMWRITE_WEBP_QUALITY, 80])
    frame = small[12:]  # the VP8 chunk
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = b"WEBP" + vp8x + frame
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_vp8_bomb(width, height):
    """A lossy WebP whose VP8 frame header declares width x height (14 bits each)."""
    data = bytearray(encode_cv(".webp", photo(16, 16), [cv2.IMWRITE_WEBP_QUALITY, 80]))
    assert data[12:16] == b"VP8 "
    data[26:28] = struct.pack("<H", width & 0x3FFF)
    data[28:30] = struct.pack("<H", height & 0x3FFF)
    return bytes(data)


# ---------------------------------------------------------------------------------------------
# Corpora

def bad_corpus(root):
    """Bad input of every kind, each with the status and reason imgshard must give it.
    A FIFO, a dangling link, a link loop and a directory named dir.jpg are among them."""
    cases = []
    jpg = encode_cv(".jpg", photo(48, 64), [cv2.IMWRITE_JPEG_QUALITY, 90])
    png = encode_cv(".png", photo(40, 50))

    def add(rel, data, status, reason, note):
        if data is not None:
            write(root, rel, data)
        cases.append(Case(rel, status, reason, note=note))

    add("empty.jpg", b"", EMPTY, "empty file", "zero bytes")
    add("random.jpg", np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes(), UNKNOWN,
        "not an image", "random bytes")
    add("text.png", b"This is a text file, not a PNG.\n" * 20, UNKNOWN, "not an image", "a text file named .png")
    add("text_bm.bmp", b"BMW and BMX are not bitmaps, whatever this file is named.\n", UNKNOWN, "not an image",
        "text that starts with BMP's magic")
    add("text_p5.pgm", b"P5 is a film, and this is a text file named .pgm\n", UNKNOWN, "not an image",
        "text that starts with PNM's magic")
    add("gif.png", bytes.fromhex("474946383961010001000000002c00000000010001000002024401003b"), UNKNOWN,
        "GIF is not supported", "a GIF named .png")
    os.makedirs(os.path.join(root, "dir.jpg"))  # a directory named like an image: walked, not read
    os.symlink("nowhere/missing.jpg", os.path.join(root, "dangling.jpg"))
    add("dangling.jpg", None, UNREADABLE, "no such file", "a dangling symlink")
    os.symlink("loop.png", os.path.join(root, "loop.png"))
    add("loop.png", None, UNREADABLE, "symbolic links", "a symlink to itself")
    os.mkfifo(os.path.join(root, "fifo.jpg"))
    add("fifo.jpg", None, UNREADABLE, "not a regular file", "a FIFO named .jpg (must not hang)")

    add("truncated.jpg", jpg[: len(jpg) // 2], TRUNCATED, "Premature end of JPEG file", "JPEG cut in half")
    add("truncated_header.jpg", jpg[:300], TRUNCATED, "Premature end of JPEG file", "JPEG cut in its headers")
    prog = encode_cv(".jpg", photo(48, 64, 1), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    s, e = jpeg_scans(prog)[len(jpeg_scans(prog)) // 2]  # in scan data: cut in a table, it does not decode
    add("truncated_progressive.jpg", prog[: (s + e) // 2], TRUNCATED, "Premature end of JPEG file",
        "progressive JPEG cut after some scans")
    add("no_eoi.jpg", jpg[:-2], TRUNCATED, "Premature end of JPEG file", "JPEG without its EOI marker")
    add("bad_huffman.jpg", jpeg_bad_huffman(jpg), WARNING, "bad Huffman code", "corrupt entropy data")
    add("extraneous.jpg", jpeg_extraneous_bytes(jpg), WARNING, "extraneous bytes before marker",
        "garbage between markers")
    add("premature_segment.jpg", jpeg_premature_end_of_segment(jpg), WARNING, "premature end of data segment",
        "scan data cut, EOI present")
    add("bad_progression.jpg", jpeg_duplicate_first_scan(prog), WARNING, "Inconsistent progression sequence",
        "progressive JPEG with a scan twice")
    rst = encode_cv(".jpg", photo(64, 64, 2), [cv2.IMWRITE_JPEG_RST_INTERVAL, 2])
    add("bad_restart.jpg", jpeg_bad_restart(rst), WARNING, "instead of RST", "a wrong restart marker")
    add("jpeg_bad_sof.jpg", b"\xff\xd8\xff\xc0\x00\x02" + bytes(200), CORRUPT, "corrupt JPEG",
        "JPEG with a frame header of impossible length")
    add("jpeg_no_sof.jpg", jpg[:2] + b"\xff\xd9", CORRUPT, "corrupt JPEG", "SOI then EOI, no frame")

    idat = png.index(b"IDAT")
    length = struct.unpack(">I", png[idat - 4: idat])[0]
    add("truncated.png", png[: len(png) // 2], TRUNCATED, "truncated PNG", "PNG cut in half")
    add("no_iend.png", png[:-12], TRUNCATED, "truncated PNG", "PNG without IEND")
    bad_crc = bytearray(png)
    bad_crc[idat + 4 + length] ^= 0xFF
    add("bad_crc.png", bytes(bad_crc), CORRUPT, "CRC", "IDAT with a wrong CRC")
    damaged = bytearray(png)
    damaged[idat + 4 + length // 2] ^= 0x55  # then fix the CRC, so that only zlib can tell
    damaged[idat + 4 + length: idat + 8 + length] = struct.pack(">I", zlib.crc32(bytes(damaged[idat: idat + 4 + length])))
    add("damaged_idat.png", bytes(damaged), CORRUPT, "corrupt PNG", "damaged IDAT data, right CRC")
    bad_ihdr = bytearray(png)
    bad_ihdr[24] = 7  # bit depth 7: no such thing
    bad_ihdr[29:33] = struct.pack(">I", zlib.crc32(bytes(bad_ihdr[12:29])))
    add("bad_ihdr.png", bytes(bad_ihdr), CORRUPT, "corrupt PNG", "IHDR with bit depth 7")
    text = b"tEXt" + b"Comment\x00hello"
    add("bad_text_crc.png", png[:33] + struct.pack(">I", len(text) - 4) + text + struct.pack(">I", zlib.crc32(text) ^ 1) + png[33:],
        WARNING, "tEXt", "an ancillary chunk with a wrong CRC (libpng only warns)")
    add("png_header_only.png", png[:20], TRUNCATED, "truncated PNG", "PNG magic, half an IHDR")

    webp = encode_cv(".webp", photo(40, 50), [cv2.IMWRITE_WEBP_QUALITY, 90])
    add("truncated.webp", webp[: len(webp) // 2], TRUNCATED, "truncated WebP", "WebP cut in half")
    lossless = bytearray(encode_cv(".webp", photo(40, 50), [cv2.IMWRITE_WEBP_QUALITY, 101]))
    for k in range(30, len(lossless), 13):
        lossless[k] ^= 0xA5  # lossy data decodes to noise whatever is damaged; lossless data does not
    add("damaged.webp", bytes(lossless), CORRUPT, "corrupt WebP", "lossless WebP with damaged data")
    tif = encode_cv(".tif", photo(40, 50), [cv2.IMWRITE_TIFF_COMPRESSION, 1])
    add("truncated.tif", tif[: len(tif) // 2], TRUNCATED, "truncated TIFF", "TIFF cut in half")
    bad = bytearray(tif)
    struct.pack_into("<I", bad, 4, len(bad) + 1000)
    add("ifd_past_end.tif", bytes(bad), TRUNCATED, "truncated TIFF", "TIFF whose IFD lies past the end")
    add("bad_bits.tif", tiff_encode(cv2.cvtColor(photo(20, 20), cv2.COLOR_BGR2RGB), bits=13),
        CORRUPT, "corrupt TIFF", "TIFF with 13 bits per sample")
    bmp = encode_cv(".bmp", photo(40, 50))
    add("truncated.bmp", bmp[: len(bmp) // 2], TRUNCATED, "truncated BMP", "BMP cut in half")
    bad = bytearray(bmp)
    struct.pack_into("<H", bad, 28, 13)  # 13 bits per pixel
    add("bad_bpp.bmp", bytes(bad), CORRUPT, "corrupt BMP", "BMP with 13 bits per pixel")
    ppm = encode_cv(".ppm", photo(40, 50))
    add("truncated.ppm", ppm[: len(ppm) // 2], TRUNCATED, "truncated PNM", "PPM cut in half")
    add("bad_maxval.pgm", b"P5\n4 4\n0\n" + bytes(16), CORRUPT, "corrupt PNM", "PGM with maxval 0")
    return cases


def odd_corpus(root):
    """Valid but unusual images, each of which must decode as cv2.imread does."""
    cases = []

    def add(rel, data, channels, tolerance=0, note=""):
        write(root, rel, data)
        cases.append(Case(rel, OK, channels=channels, tolerance=tolerance, note=note))

    # JPEG: our own libjpeg path, so within 1 grey level of OpenCV's (in practice equal).
    add("jpeg/baseline.jpg", encode_cv(".jpg", photo(48, 64)), 3, 1, "baseline 4:2:0")
    add("jpeg/grey.jpg", encode_cv(".jpg", cv2.cvtColor(photo(48, 64), cv2.COLOR_BGR2GRAY)), 1, 1, "greyscale JPEG")
    add("jpeg/progressive.jpg", encode_cv(".jpg", photo(48, 64), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]), 3, 1,
        "progressive")
    add("jpeg/grey_progressive.jpg", encode_cv(".jpg", cv2.cvtColor(photo(37, 41), cv2.COLOR_BGR2GRAY),
                                               [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]), 1, 1, "progressive greyscale")
    add("jpeg/restart.jpg", encode_cv(".jpg", photo(64, 80), [cv2.IMWRITE_JPEG_RST_INTERVAL, 3]), 3, 1,
        "restart markers")
    add("jpeg/optimized.jpg", encode_cv(".jpg", photo(48, 64), [cv2.IMWRITE_JPEG_OPTIMIZE, 1]), 3, 1,
        "optimised Huffman tables")
    for sub in (0, 1, 2):
        add(f"jpeg/subsampling_{sub}.jpg", encode_pil(pil_rgb(45, 61), "JPEG", quality=88, subsampling=sub), 3, 1,
            f"PIL subsampling={sub}")
    cmyk = pil_rgb(40, 52).convert("CMYK")
    add("jpeg/cmyk.jpg", encode_pil(cmyk, "JPEG", quality=92), 4, 1, "CMYK (Adobe)")
    add("jpeg/cmyk_progressive.jpg", encode_pil(cmyk, "JPEG", quality=92, progressive=True), 4, 1,
        "progressive CMYK")
    for o in range(1, 9):
        add(f"exif/orientation_{o}.jpg", jpeg_with_exif_orientation(40, 24, o, seed=o), 3, 1,
            f"EXIF orientation {o}")
    add("exif/orientation_6_grey.jpg",
        encode_pil(pil_rgb(40, 24).convert("L"), "JPEG", exif=_exif(6)), 1, 1, "EXIF 6 on a grey JPEG")
    add("exif/trailing_garbage.jpg", encode_cv(".jpg", photo(30, 30)) + b"garbage after EOI", 3, 1,
        "bytes after EOI (ignored by libjpeg)")

    # PNG: every colour type and bit depth, plain and interlaced.
    for color_type, depths in ((0, (1, 2, 4, 8, 16)), (2, (8, 16)), (3, (1, 2, 4, 8)), (4, (8, 16)), (6, (8, 16))):
        for depth in depths:
            for interlace in (False, True):
                name = f"png/type{color_type}_{depth}bit{'_adam7' if interlace else ''}.png"
                channels = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}[color_type]
                add(name, png_variant(color_type, depth, interlace), channels, 0,
                    f"PNG colour type {color_type}, {depth}-bit{', interlaced' if interlace else ''}")
    add("png/grey_trns.png", png_with_trns(0), 2, 0, "grey PNG with tRNS")
    add("png/rgb_trns.png", png_with_trns(2), 4, 0, "RGB PNG with tRNS")
    add("png/palette_trns.png", png_with_trns(3), 4, 0, "palette PNG with tRNS")
    add("png/cv2_16bit.png", encode_cv(".png", (photo(30, 40).astype(np.uint16) * 257 + 99)), 3, 0,
        "16-bit RGB PNG (cv2)")
    rgba = np.dstack([photo(30, 40), np.arange(30 * 40, dtype=np.uint8).reshape(30, 40)])
    add("png/cv2_rgba.png", encode_cv(".png", rgba), 4, 0, "RGBA PNG (cv2)")
    add("png/pil_palette.png", encode_pil(pil_rgb(30, 40).quantize(64), "PNG"), 3, 0, "palette PNG (PIL)")
    add("png/pil_la.png", encode_pil(pil_rgb(30, 40).convert("LA"), "PNG"), 2, 0, "grey+alpha PNG (PIL)")
    add("png/trailing_garbage.png", encode_cv(".png", photo(20, 20)) + b"\0" * 100, 3, 0, "bytes after IEND")

    # Other formats, all through cv::imdecode: equal to cv2.imread.
    add("other/lossy.webp", encode_cv(".webp", photo(40, 50), [cv2.IMWRITE_WEBP_QUALITY, 80]), 3, 0, "lossy WebP")
    add("other/lossless.webp", encode_cv(".webp", photo(40, 50), [cv2.IMWRITE_WEBP_QUALITY, 101]), 3, 0,
        "lossless WebP")
    add("other/rgba.webp", encode_cv(".webp", rgba, [cv2.IMWRITE_WEBP_QUALITY, 101]), 4, 0, "lossless WebP, alpha")
    add("other/lossy_alpha.webp", encode_pil(Image.fromarray(rgba[..., [2, 1, 0, 3]]), "WEBP", quality=80), 4, 0,
        "lossy WebP with alpha (VP8X)")
    add("other/lzw.tif", encode_cv(".tif", photo(40, 50)), 3, 0, "TIFF, LZW (cv2)")
    add("other/raw.tiff", encode_cv(".tif", photo(40, 50), [cv2.IMWRITE_TIFF_COMPRESSION, 1]), 3, 0,
        "TIFF, uncompressed")
    add("other/grey16.tif", encode_cv(".tif", (photo(30, 40)[..., 0].astype(np.uint16) * 257)), 1, 0,
        "16-bit grey TIFF")
    add("other/rgba.tif", encode_cv(".tif", rgba), 4, 0, "RGBA TIFF")
    add("other/deflate.tif", encode_pil(pil_rgb(30, 40), "TIFF", compression="tiff_adobe_deflate"), 3, 0,
        "TIFF, deflate (PIL)")
    add("other/palette.tif", encode_pil(pil_rgb(30, 40).quantize(32), "TIFF"), 3, 0, "palette TIFF (PIL)")
    add("other/big_endian.tif", tiff_encode(cv2.cvtColor(photo(30, 40), cv2.COLOR_BGR2RGB), big_endian=True), 3, 0,
        "big-endian TIFF")
    rgb = cv2.cvtColor(photo(30, 40), cv2.COLOR_BGR2RGB)
    add("other/bigtiff.tif", tiff_encode(rgb, bigtiff=True), 3, 0, "BigTIFF")
    add("other/bigtiff_be.tif", tiff_encode(rgb, bigtiff=True, big_endian=True), 3, 0, "big-endian BigTIFF")
    add("other/rgb24.bmp", encode_cv(".bmp", photo(30, 41)), 3, 0, "24-bit BMP")
    add("other/grey8.bmp", encode_cv(".bmp", photo(30, 41)[..., 1]), 1, 0, "8-bit grey BMP")
    add("other/bgra32.bmp", encode_cv(".bmp", rgba), 4, 0, "32-bit BMP")
    add("other/palette.bmp", encode_pil(pil_rgb(30, 41).quantize(16), "BMP"), 3, 0, "8-bit palette BMP (PIL)")
    add("other/mono.bmp", encode_pil(pil_rgb(30, 41).convert("1"), "BMP"), 1, 0, "1-bit BMP (PIL)")
    add("other/top_down.bmp", bmp_encode(photo(30, 41), top_down=True), 3, 0, "top-down BMP")
    add("other/rle8.bmp", bmp_encode(photo(30, 41), rle8=True), 1, 0, "RLE8 BMP")
    add("other/binary.pgm", encode_cv(".pgm", photo(30, 41)[..., 2]), 1, 0, "binary PGM")
    add("other/binary.ppm", encode_cv(".ppm", photo(30, 41)), 3, 0, "binary PPM")
    add("other/ascii.pgm", encode_cv(".pgm", photo(30, 41)[..., 2], [cv2.IMWRITE_PXM_BINARY, 0]), 1, 0, "ASCII PGM")
    add("other/ascii.ppm", encode_cv(".ppm", photo(30, 41), [cv2.IMWRITE_PXM_BINARY, 0]), 3, 0, "ASCII PPM")
    add("other/grey16.pgm", encode_cv(".pgm", photo(30, 41)[..., 0].astype(np.uint16) * 200), 1, 0, "16-bit PGM")
    add("other/comment.ppm", b"P6\n# a comment\n3 2\n# another\n255\n" + photo(2, 3).tobytes(), 3, 0,
        "PPM with comments in its header")
    add("other/pam.ppm", b"P7\nWIDTH 5\nHEIGHT 4\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n" + photo(4, 5).tobytes(), 3,
        0, "PAM (P7) named .ppm")

    # Formats by content, not by name.
    add("content/png_named.jpg", encode_cv(".png", photo(30, 40)), 3, 0, "a PNG named .jpg")
    add("content/jpeg_named.png", encode_cv(".jpg", photo(30, 40)), 3, 1, "a JPEG named .png")
    add("content/webp_named.bmp", encode_cv(".webp", photo(30, 40)), 3, 0, "a WebP named .bmp")
    add("content/bmp_named.tif", encode_cv(".bmp", photo(30, 40)), 3, 0, "a BMP named .tif")

    # Sizes.
    for ext, tol in ((".jpg", 1), (".png", 0), (".webp", 0), (".bmp", 0), (".tif", 0), (".ppm", 0)):
        add(f"sizes/1x1{ext}", encode_cv(ext, photo(1, 1)), 3, tol, f"1x1 {ext}")
    add("sizes/6000x3.jpg", encode_cv(".jpg", photo(3, 6000)), 3, 1, "6000 wide, 3 high JPEG")
    add("sizes/3x6000.jpg", encode_cv(".jpg", photo(6000, 3)), 3, 1, "3 wide, 6000 high JPEG")
    add("sizes/6000x3.png", encode_cv(".png", photo(3, 6000)), 3, 0, "6000x3 PNG")
    add("sizes/3x6000.png", encode_cv(".png", photo(6000, 3)), 3, 0, "3x6000 PNG")
    for n in range(1, 34):
        add(f"sizes/square_{n:02d}.jpg", encode_cv(".jpg", photo(n, n, n)), 3, 1, f"{n}x{n} JPEG")
        add(f"sizes/oblong_{n:02d}.jpg", encode_pil(pil_rgb(n, 34 - n, n), "JPEG", subsampling=1), 3, 1,
            f"{34 - n}x{n} JPEG 4:2:2")
    for n in (1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33):
        add(f"sizes/square_{n:02d}.png", encode_cv(".png", photo(n, n, n)), 3, 0, f"{n}x{n} PNG")

    # Names.
    add("names/UPPER.JPG", encode_cv(".jpg", photo(20, 30)), 3, 1, "upper-case .JPG")
    add("names/Mixed.JpEg", encode_cv(".jpg", photo(21, 30)), 3, 1, "mixed-case .JpEg")
    add("names/UPPER.PNG", encode_cv(".png", photo(22, 30)), 3, 0, "upper-case .PNG")
    add("names/UPPER.TIFF", encode_cv(".tif", photo(23, 30)), 3, 0, "upper-case .TIFF")
    add("names/café.jpg", encode_cv(".jpg", photo(24, 30)), 3, 1, "non-ASCII name (Latin)")
    add("names/日本語の名前.png", encode_cv(".png", photo(25, 30)), 3, 0, "non-ASCII name (CJK)")
    add("names/with space 🙂.webp", encode_cv(".webp", photo(26, 30)), 3, 0, "spaces and an emoji")
    target = write(os.path.join(root, os.pardir), "outside-target.png", encode_cv(".png", photo(27, 30)))
    os.symlink(os.path.abspath(target), os.path.join(root, "names", "link_abs.png"))
    cases.append(Case("names/link_abs.png", OK, channels=3, note="symlink to a file outside the folder"))
    os.symlink("UPPER.JPG", os.path.join(root, "names", "link_rel.jpg"))
    cases.append(Case("names/link_rel.jpg", OK, channels=3, tolerance=1, note="relative symlink"))
    return cases


def _exif(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif.tobytes()


def bomb_corpus(root):
    """Headers that declare more than the default --max-pixels, in every format."""
    cases = []

    def add(rel, data, w, h, fmt):
        write(root, rel, data)
        cases.append(Case(rel, TOO_LARGE, f"{fmt} declares {w}x{h} = {w * h} pixels", note=f"{fmt} {w}x{h}"))

    add("png_30000.png", png_bomb(30000, 30000), 30000, 30000, "PNG")
    add("png_header_only.png", png_bomb(20000, 20000, real_data=False), 20000, 20000, "PNG")
    add("png_max.png", png_bomb(0x7FFFFFFF, 0x7FFFFFFF, real_data=False), 0x7FFFFFFF, 0x7FFFFFFF, "PNG")
    base = encode_cv(".jpg", photo(16, 16))
    add("jpeg_30000.jpg", jpeg_patch_size(base, 30000, 30000), 30000, 30000, "JPEG")
    prog = encode_cv(".jpg", photo(16, 16), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    add("jpeg_progressive_20000.jpg", jpeg_patch_size(prog, 20000, 20000), 20000, 20000, "JPEG")
    add("jpeg_65500.jpg", jpeg_patch_size(base, 65500, 65500), 65500, 65500, "JPEG")
    # A bomb's header, then 1000 MB (sparse, under --max-file-bytes): refused from its header
    # before the rest is read, so the run's peak RSS stays small (test_peak_rss_stays_small).
    add("jpeg_30000_then_1000mb.jpg", jpeg_patch_size(base, 30000, 30000), 30000, 30000, "JPEG")
    os.truncate(os.path.join(root, "jpeg_30000_then_1000mb.jpg"), 1000 << 20)
    add("webp_vp8x.webp", webp_vp8x_bomb(16384, 16384), 16384, 16384, "WebP")
    add("webp_vp8.webp", webp_vp8_bomb(16383, 16383), 16383, 16383, "WebP")
    small = cv2.cvtColor(photo(4, 4), cv2.COLOR_BGR2RGB)
    add("tiff_le.tif", tiff_encode(small, declared=(30000, 30000)), 30000, 30000, "TIFF")
    add("tiff_be_long.tif", tiff_encode(small, big_endian=True, long_sizes=True, declared=(100000, 100000)),
        100000, 100000, "TIFF")
    add("bigtiff.tif", tiff_encode(small, bigtiff=True, long_sizes=True, declared=(30000, 30000)), 30000, 30000, "TIFF")
    write(root, "tiff_tile.tif", tiff_tile_bomb())
    cases.append(Case("tiff_tile.tif", TOO_LARGE, "TIFF declares 16x16 pixels, but decoding needs 268435456 pixels at once",
                      note="TIFF 16x16 in a 16384x16384 tile"))
    add("bmp.bmp", bmp_encode(photo(4, 4), declared=(30000, 30000)), 30000, 30000, "BMP")
    add("bmp_top_down.bmp", bmp_encode(photo(4, 4), top_down=True, declared=(30000, 30000)), 30000, 30000, "BMP")
    add("pgm.pgm", b"P5\n30000 30000\n255\n" + bytes(64), 30000, 30000, "PNM")
    add("ppm_comment.ppm", b"P6\n# big\n30000\n# really\n30000\n255\n" + bytes(64), 30000, 30000, "PNM")
    # Found by the fuzzer: OpenCV consumes the byte that ends a number, so this '#' starts no
    # comment and the height is 9999 (a reader that takes '#' as a comment sees 99999x2).
    add("ppm_hash_ends_number.ppm", b"P6 99999#9999\v2\n2\n2\t\xb7\xb5\xb5", 99999, 9999, "PNM")
    add("ppm_vtab_formfeed.ppm", b"P6\v20000\f20000\v255\n" + bytes(64), 20000, 20000, "PNM")
    add("pam.ppm", b"P7\nWIDTH 30000\nHEIGHT 30000\nDEPTH 3\nMAXVAL 255\nTUPLTYPE RGB\nENDHDR\n" + bytes(64),
        30000, 30000, "PNM")
    return cases
