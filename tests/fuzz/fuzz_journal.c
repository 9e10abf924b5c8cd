/* fuzz_journal.c — the journal's record codec (journal.h): any line either
 * fails to decode or decodes to a result whose encoding decodes again to
 * the same encoding (the codec round-trips what it accepts). */
#include "fuzz.h"
#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t index, again_index, len, len2;
    os_trial_result r, again;
    memset(&r, 0, sizeof r);
    memset(&again, 0, sizeof again);
    /* a record is one line, without its '\n' */
    const char *nl = memchr(data, '\n', size);
    size_t line = nl ? (size_t)(nl - (const char *)data) : size;
    if (os_record_decode((const char *)data, line, &index, &r))
        return 0;
    char *enc = os_record_encode(index, &r, &len);
    if (!enc) {
        os_trial_result_free(&r);
        return 0;
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
    return 0;
}
