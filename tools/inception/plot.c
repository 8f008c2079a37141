/* A loss/accuracy chart as a PNG, drawn here: no plotting library, no zlib (stored deflate
 * blocks). Curves: training loss (red), validation loss (orange), both scaled to the
 * largest loss; validation top-1 (blue) on [0, 1]; grid lines at quarters. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot.h"

#define W 640
#define H 400
#define M 30 /* margin */

static uint32_t crc_table[256];

static uint32_t crc(uint32_t c, const uint8_t *p, size_t n) {
    if (!crc_table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t v = i;
            for (int k = 0; k < 8; k++) v = v & 1 ? 0xEDB88320u ^ (v >> 1) : v >> 1;
            crc_table[i] = v;
        }
    c = ~c;
    while (n--) c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static int chunk(FILE *f, const char *type, const uint8_t *data, uint32_t n) {
    uint8_t b[8];
    put32(b, n);
    memcpy(b + 4, type, 4);
    uint32_t c = crc(crc(0, b + 4, 4), data, n);
    uint8_t cb[4];
    put32(cb, c);
    return fwrite(b, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) && fwrite(cb, 1, 4, f) == 4;
}

static void pixel(uint8_t *img, int x, int y, const uint8_t rgb[3]) {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    memcpy(img + ((size_t)y * W + x) * 3, rgb, 3);
}

static void line(uint8_t *img, int x0, int y0, int x1, int y1, const uint8_t rgb[3]) {
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int e = dx + dy;
    for (;;) { /* Bresenham, 2 pixels thick */
        pixel(img, x0, y0, rgb);
        pixel(img, x0, y0 + 1, rgb);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += sx;
        if (e2 <= dx) e += dx, y0 += sy;
    }
}

static void curve(uint8_t *img, const double *v, int n, double top, const uint8_t rgb[3]) {
    for (int i = 0; i < n; i++) {
        if (v[i] < 0) continue; /* missing */
        int x = M + (n > 1 ? i * (W - 2 * M) / (n - 1) : (W - 2 * M) / 2);
        int y = H - M - (int)(v[i] / top * (H - 2 * M));
        if (i > 0 && v[i - 1] >= 0) {
            int px = M + (i - 1) * (W - 2 * M) / (n - 1);
            int py = H - M - (int)(v[i - 1] / top * (H - 2 * M));
            line(img, px, py, x, y, rgb);
        }
        for (int d = -2; d <= 2; d++) line(img, x - 2, y + d, x + 2, y + d, rgb);
    }
}

int plot_write_png(const char *path, const double *train_loss, const double *val_loss,
                   const double *val_top1, int n) {
    uint8_t *img = malloc((size_t)W * H * 3);
    if (!img) return 0;
    memset(img, 255, (size_t)W * H * 3);
    static const uint8_t grid[3] = {220, 220, 220}, axis[3] = {0, 0, 0};
    static const uint8_t red[3] = {200, 30, 30}, orange[3] = {240, 150, 20}, blue[3] = {30, 80, 200};
    for (int q = 1; q < 4; q++) line(img, M, M + q * (H - 2 * M) / 4, W - M, M + q * (H - 2 * M) / 4, grid);
    line(img, M, M, M, H - M, axis);
    line(img, M, H - M, W - M, H - M, axis);
    double top = 0;
    for (int i = 0; i < n; i++) {
        if (train_loss[i] > top) top = train_loss[i];
        if (val_loss[i] > top) top = val_loss[i];
    }
    if (top <= 0) top = 1;
    curve(img, train_loss, n, top * 1.05, red);
    curve(img, val_loss, n, top * 1.05, orange);
    curve(img, val_top1, n, 1.0, blue);
    /* raw rows with filter byte 0, then zlib with stored blocks (<= 65535 bytes each) */
    size_t raw_n = (size_t)H * (1 + W * 3);
    uint8_t *raw = malloc(raw_n);
    size_t blocks = (raw_n + 65534) / 65535;
    uint8_t *z = malloc(raw_n + blocks * 5 + 6);
    int ok = raw && z;
    if (ok) {
        for (int y = 0; y < H; y++) {
            raw[(size_t)y * (1 + W * 3)] = 0;
            memcpy(raw + (size_t)y * (1 + W * 3) + 1, img + (size_t)y * W * 3, (size_t)W * 3);
        }
        size_t o = 0;
        z[o++] = 0x78, z[o++] = 0x01;
        for (size_t at = 0; at < raw_n; at += 65535) {
            size_t len = raw_n - at < 65535 ? raw_n - at : 65535;
            z[o++] = at + len == raw_n;
            z[o++] = (uint8_t)len, z[o++] = (uint8_t)(len >> 8);
            z[o++] = (uint8_t)~len, z[o++] = (uint8_t)(~len >> 8);
            memcpy(z + o, raw + at, len);
            o += len;
        }
        uint32_t a = 1, b = 0; /* Adler-32 */
        for (size_t i = 0; i < raw_n; i++) a = (a + raw[i]) % 65521, b = (b + a) % 65521;
        put32(z + o, b << 16 | a);
        o += 4;
        FILE *f = fopen(path, "wb");
        uint8_t ihdr[13];
        put32(ihdr, W);
        put32(ihdr + 4, H);
        ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = ihdr[11] = ihdr[12] = 0;
        ok = f && fwrite("\x89PNG\r\n\x1a\n", 1, 8, f) == 8 && chunk(f, "IHDR", ihdr, 13) &&
             chunk(f, "IDAT", z, (uint32_t)o) && chunk(f, "IEND", NULL, 0);
        if (f && fclose(f) != 0) ok = 0;
    }
    free(img);
    free(raw);
    free(z);
    return ok;
}
