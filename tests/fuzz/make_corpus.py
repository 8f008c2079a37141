#!/usr/bin/python3
# Needs Debian's Python (/usr/bin/python3) with numpy and PIL. Writes the seed corpora
# under tests/fuzz/corpus/<target>/: small valid and near-valid inputs for each fuzz
# target. Run once; the outputs are committed and replayed by `meson test`.
#   /usr/bin/python3 tests/fuzz/make_corpus.py [path/to/model.safetensors]
# The optional model (e.g. from inception-make-model) contributes its real header with
# the data section cut off.
import io, json, os, struct, sys, zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def out(target, name, data):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def st_file(tensors, meta=None, pad=True):
    """tensors: list of (name, dtype, shape, raw bytes). Offsets follow the list order."""
    header, data, off = {}, b'', 0
    if meta is not None:
        header['__metadata__'] = meta
    for name, dtype, shape, raw in tensors:
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [off, off + len(raw)]}
        data += raw
        off += len(raw)
    h = json.dumps(header, separators=(',', ':')).encode()
    if pad:
        h += b' ' * (-len(h) % 8)
    return struct.pack('<Q', len(h)) + h + data


def f32(a):
    return np.asarray(a, dtype='<f4').tobytes()


def f16(a):
    return np.asarray(a, dtype='<f2').tobytes()


def bf16(a):
    return (np.asarray(a, dtype='<f4').view('<u4') >> 16).astype('<u2').tobytes()


def safetensors_seeds():
    rng = np.random.default_rng(1)
    s = {}
    s['tiny_valid'] = st_file([('a', 'F32', [2], f32([1.0, 2.0]))])
    s['empty_header'] = struct.pack('<Q', 2) + b'{}'
    s['meta_only'] = st_file([], {'format': 'pt'})
    s['zero_size'] = st_file([('z', 'F32', [0, 3], b''), ('a', 'U8', [3], b'abc')])
    s['header_beyond_file'] = struct.pack('<Q', 4096) + b'{"a":1}'
    s['unicode'] = st_file([('caf\u00e9', 'I64', [1], struct.pack('<q', 7))],
                           {'inception.name': 'caf\u00e9 \U0001F600 "q" \\ \t'})
    s['nested'] = struct.pack('<Q', 64) + (b'{"a":' + b'[' * 20 + b']' * 20 + b'}').ljust(64)
    fc = rng.standard_normal((1, 2048)).astype('<f4')
    fcb = f32([0.5])
    data_crc = zlib.crc32(bf16(fc) + fcb) & 0xffffffff
    meta = {'inception.classes': '1', 'inception.label_offset': '0',
            'inception.labels': 'only class\n', 'inception.mean': '0.485, 0.456,0.406',
            'inception.std': '0.229,0.224,0.225', 'inception.preset': 'tf',
            'inception.input_size': '80,96', 'inception.pool_include_pad': 'false',
            'inception.bn_gamma': 'true', 'inception.format_version': '1',
            'inception.crc32': '%08x' % data_crc, 'inception.name': 'seed'}
    s['fc_bf16_meta'] = st_file([('fc.weight', 'BF16', [1, 2048], bf16(fc)),
                                 ('fc.bias', 'F32', [1], fcb)], meta)
    w = rng.standard_normal((2, 3, 3, 3)) * 0.1
    conv = [('Conv2d_1a_3x3.conv.weight', 'F32', [2, 3, 3, 3], f32(w)),
            ('Conv2d_1a_3x3.bn.weight', 'F16', [2], f16([1.0, 0.5])),
            ('Conv2d_1a_3x3.bn.bias', 'F16', [2], f16([0.0, 0.1])),
            ('Conv2d_1a_3x3.bn.running_mean', 'F32', [2], f32([0.1, -0.2])),
            ('Conv2d_1a_3x3.bn.running_var', 'BF16', [2], bf16([1.0, 2.0])),
            ('fc.weight', 'F16', [2, 2048], f16(rng.standard_normal((2, 2048)))),
            ('fc.bias', 'F16', [2], f16([0.0, 1.0]))]
    s['conv_fc_mixed'] = st_file(conv, {'inception.labels': 'cat\r\ndog'})
    s['conv_nonfinite'] = st_file([(n, d, sh, raw if 'running_var' not in n else f32([np.nan, 1.0]))
                                   if 'running_var' not in n else (n, 'F32', sh, f32([np.inf, -1.0]))
                                   for n, d, sh, raw in conv])
    s['overlap'] = (lambda h: struct.pack('<Q', len(h)) + h + b'\0' * 16)(
        b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
        b'"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}')
    return s


def add_model_header(s, path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        h = f.read(n)
    s['real_header_no_data'] = struct.pack('<Q', n) + h


def jpeg(img, **kw):
    b = io.BytesIO()
    img.save(b, 'JPEG', **kw)
    return b.getvalue()


def png(img, **kw):
    b = io.BytesIO()
    img.save(b, 'PNG', **kw)
    return b.getvalue()


def gradient(w, h):
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 3 % 256], -1)
    return Image.fromarray(a.astype(np.uint8), 'RGB')


def image_seeds():
    j, p = {}, {}
    g = gradient(100, 80)
    j['rgb420_100x80.jpg'] = jpeg(g, quality=40)
    j['rgb444_16x16.jpg'] = jpeg(gradient(16, 16), quality=60, subsampling=0)
    j['gray_8x8.jpg'] = jpeg(gradient(8, 8).convert('L'), quality=60)
    j['progressive_24x16.jpg'] = jpeg(gradient(24, 16), quality=50, progressive=True)
    j['cmyk_8x8.jpg'] = jpeg(gradient(8, 8).convert('CMYK'), quality=60)
    ex = Image.Exif()
    ex[0x0112] = 6
    j['exif6_20x12.jpg'] = jpeg(gradient(20, 12), quality=50, exif=ex.tobytes())
    full = j['rgb420_100x80.jpg']
    j['truncated.jpg'] = full[:len(full) // 2]
    sof = bytearray(j['gray_8x8.jpg'])
    i = sof.find(b'\xff\xc0')
    sof[i + 5:i + 9] = struct.pack('>HH', 40000, 40000)
    j['huge_sof.jpg'] = bytes(sof)
    p['rgb_100x80.png'] = png(g)
    p['rgb_1x1.png'] = png(gradient(1, 1))
    p['palette_8x8.png'] = png(gradient(8, 8).convert('P'))
    pt = gradient(8, 8).convert('P')
    pt.info['transparency'] = 0
    p['palette_trns_8x8.png'] = png(pt, transparency=0)
    p['gray16_6x5.png'] = png(Image.fromarray((np.arange(30).reshape(5, 6) * 2000).astype(np.uint16)))
    p['rgba_7x9.png'] = png(gradient(7, 9).convert('RGBA'))
    p['gray_alpha_5x5.png'] = png(gradient(5, 5).convert('LA'))
    p['bilevel_9x9.png'] = png(gradient(9, 9).convert('1'))
    full = p['rgb_100x80.png']
    p['truncated.png'] = full[:len(full) // 2]
    ihdr = bytearray(p['rgb_1x1.png'])
    ihdr[16:24] = struct.pack('>II', 50000, 50000)
    ihdr[29:33] = struct.pack('>I', zlib.crc32(bytes(ihdr[12:29])) & 0xffffffff)
    p['huge_ihdr.png'] = bytes(ihdr)
    badcrc = bytearray(p['palette_8x8.png'])
    badcrc[29] ^= 0xff
    p['bad_crc.png'] = bytes(badcrc)
    # PIL writes neither restart markers nor interlaced PNGs: take the image suite's
    # small samples of those when they are present
    v = os.path.join(HERE, '..', 'image', 'data', 'variants')
    for src, dst, d in [('restart.jpg', 'restart.jpg', j), ('interlaced_3x5.png', 'interlaced_3x5.png', p),
                        ('interlaced_rgba16.png', 'interlaced_rgba16.png', p)]:
        f = os.path.join(v, src)
        if os.path.exists(f) and os.path.getsize(f) < 8192:
            d[dst] = open(f, 'rb').read()
    return j, p


def main():
    s = safetensors_seeds()
    if len(sys.argv) > 1:
        add_model_header(s, sys.argv[1])
    for k, v in s.items():
        # the 58 KB real header goes to the loader's corpus only
        if k != 'real_header_no_data':
            out('safetensors', k, v)
        out('model_load', k, v)
    j, p = image_seeds()
    for k, v in j.items():
        out('jpeg', k, v)
    for k, v in p.items():
        out('png', k, v)
    for k in ['rgb420_100x80.jpg', 'gray_8x8.jpg', 'exif6_20x12.jpg', 'truncated.jpg',
              'cmyk_8x8.jpg']:
        out('classify', k, j[k])
    for k in ['rgb_100x80.png', 'rgb_1x1.png', 'palette_trns_8x8.png', 'truncated.png']:
        out('classify', k, p[k])


if __name__ == '__main__':
    main()
