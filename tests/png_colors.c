/*
 * png_colors.c — what a rendered plot shows, for tests/plots.sh: prints a
 * PNG's size, then for each colour given (#rrggbb) how many opaque pixels
 * have its hue.  Lines drawn translucent or anti-aliased are lighter than
 * their colour but keep its hue, so a saturated colour matches pixels within
 * 8 degrees of its hue and with a saturation over 0.25; black and greys
 * (saturation under 0.25 in the colour given) match pixels darker than 60.
 * Reads the 8-bit RGB and RGBA, non-interlaced PNGs that rsvg-convert
 * writes; anything else is refused.
 *
 *   png_colors plot.png '#1f77b4' '#000000'
 *   760x460
 *   #1f77b4 5123
 *   #000000 310
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Hue in degrees and saturation (HSV) of an RGB colour. */
static void hue_sat(int r, int g, int b, double *hue, double *sat)
{
    int max = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int min = r < g ? (r < b ? r : b) : (g < b ? g : b);
    double d = max - min;
    *sat = max ? d / max : 0;
    if (d == 0) {
        *hue = 0;
        return;
    }
    double h = max == r ? (g - b) / d : max == g ? 2 + (b - r) / d : 4 + (r - g) / d;
    *hue = h < 0 ? 60 * h + 360 : 60 * h;
}

static int fail(const char *why)
{
    fprintf(stderr, "png_colors: %s\n", why);
    return 2;
}

/* Undoes the rows' filters of raw into img; -1 on an unknown filter. */
static int unfilter(const unsigned char *raw, unsigned char *img, uint32_t height,
                    size_t stride, int channels)
{
    for (uint32_t y = 0; y < height; y++) {
        const unsigned char *in = raw + y * (stride + 1) + 1;
        unsigned char *row = img + y * stride, *up = y ? row - stride : NULL;
        int filter = in[-1];
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)channels ? row[i - channels] : 0, b = up ? up[i] : 0;
            int c = up && i >= (size_t)channels ? up[i - channels] : 0;
            int pred = filter == 0 ? 0 : filter == 1 ? a : filter == 2 ? b
                     : filter == 3 ? (a + b) / 2 : filter == 4 ? paeth(a, b, c) : -1;
            if (pred < 0)
                return -1;
            row[i] = (unsigned char)(in[i] + pred);
        }
    }
    return 0;
}

/* The opaque pixels of img with the hue of (r, g, b); dark ones for a grey. */
static size_t count_colour(const unsigned char *img, size_t pixels, int channels, unsigned r,
                           unsigned g, unsigned b)
{
    double want_hue, want_sat;
    hue_sat((int)r, (int)g, (int)b, &want_hue, &want_sat);
    size_t count = 0;
    for (size_t p = 0; p < pixels; p++) {
        const unsigned char *px = img + p * channels;
        if (channels == 4 && px[3] < 200)
            continue;
        double hue, sat;
        hue_sat(px[0], px[1], px[2], &hue, &sat);
        double dh = fabs(hue - want_hue);
        if (dh > 180)
            dh = 360 - dh;
        if (want_sat < 0.25)
            count += px[0] < 60 && px[1] < 60 && px[2] < 60;
        else
            count += sat > 0.25 && dh <= 8;
    }
    return count;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return fail("usage: png_colors FILE.png [#rrggbb...]");
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return fail("cannot open the file");
    static unsigned char file[1 << 24];
    size_t size = fread(file, 1, sizeof file, f);
    fclose(f);
    if (size < 8 || memcmp(file, "\x89PNG\r\n\x1a\n", 8))
        return fail("not a PNG");
    uint32_t width = 0, height = 0;
    int channels = 0;
    unsigned char *idat = malloc(size);
    size_t n_idat = 0;
    for (size_t at = 8; idat && at + 12 <= size;) {
        uint32_t len = be32(file + at);
        const unsigned char *type = file + at + 4, *data = file + at + 8;
        if (at + 12 + len > size)
            return fail("truncated chunk");
        if (!memcmp(type, "IHDR", 4)) {
            width = be32(data);
            height = be32(data + 4);
            if (data[8] != 8 || (data[9] != 6 && data[9] != 2) || data[12] != 0)
                return fail("not an 8-bit RGB(A) non-interlaced PNG");
            channels = data[9] == 6 ? 4 : 3;
        } else if (!memcmp(type, "IDAT", 4)) {
            memcpy(idat + n_idat, data, len);
            n_idat += len;
        }
        at += 12 + len;
    }
    if (!width || !height || width > 10000 || height > 10000)
        return fail("no usable IHDR");
    size_t stride = (size_t)width * channels;
    uLongf raw_size = (uLongf)(height * (stride + 1));
    unsigned char *raw = malloc(raw_size), *img = malloc(height * stride);
    if (!raw || !img || uncompress(raw, &raw_size, idat, n_idat) != Z_OK ||
        raw_size != height * (stride + 1))
        return fail("bad image data");
    if (unfilter(raw, img, height, stride, channels))
        return fail("bad row filter");
    printf("%ux%u\n", width, height);
    for (int k = 2; k < argc; k++) {
        unsigned r, g, b;
        if (sscanf(argv[k], "#%2x%2x%2x", &r, &g, &b) != 3)
            return fail("colours are #rrggbb");
        printf("%s %zu\n", argv[k], count_colour(img, (size_t)width * height, channels, r, g, b));
    }
    free(idat);
    free(raw);
    free(img);
    return 0;
}
