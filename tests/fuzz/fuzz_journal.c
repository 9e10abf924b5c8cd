/* fuzz_journal.c — the journal's record codec (journal.h): any line either
 * fails to decode or decodes to a result whose encoding decodes again to
 * the same encoding (the codec round-trips what it accepts).
 *
 * Each input's first line is decoded twice: as it is, and with its
 * checksum made right (the text before its last tab, or all of it, then a
 * tab and that text's CRC-32).  A mutated record almost never keeps a
 * matching checksum, so without the second the fuzzer would only ever
 * reach the checksum test, never the fields behind it. */
#include <zlib.h>
#include "fuzz.h"
#include "journal.h"

static void round_trip(const char *data, size_t line)
{
    size_t index, again_index, len, len2;
    os_trial_result r, again;
    memset(&r, 0, sizeof r);
    memset(&again, 0, sizeof again);
    if (os_record_decode(data, line, &index, &r))
        return;
    char *enc = os_record_encode(index, &r, &len);
    if (!enc) {
        os_trial_result_free(&r);
        return;
    }
    if (os_record_decode(enc, len - 1, &again_index, &again) || again_index != index)
        abort(); /* what it wrote, it must read */
    char *enc2 = os_record_encode(again_index, &again, &len2);
    if (enc2 && (len2 != len || memcmp(enc, enc2, len)))
        abort(); /* and read it as written */
    free(enc2);
    free(enc);
    os_trial_result_free(&again);
    os_trial_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a record is one line, without its '\n' */
    const char *text = (const char *)data, *nl = memchr(text, '\n', size);
    size_t line = nl ? (size_t)(nl - text) : size;
    round_trip(text, line);

    const char *tab = line ? memrchr(text, '\t', line) : NULL;
    size_t body = tab ? (size_t)(tab - text) : line;
    char *fixed = malloc(body + 10);
    if (!fixed)
        return 0;
    memcpy(fixed, text, body);
    uint32_t sum = (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)text, (uInt)body);
    snprintf(fixed + body, 10, "\t%08x", (unsigned)sum);
    round_trip(fixed, body + 9);
    free(fixed);
    return 0;
}
