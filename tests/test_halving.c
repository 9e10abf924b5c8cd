/* Successive halving's pieces: the budgets, and promotion on synthetic
 * scores (ties, NaN, keeping more than there are). */
#include <string.h>
#include "tap.h"
#include "halving.h"

static int budgets_are(uint64_t steps, uint64_t min, uint64_t eta, const uint64_t *want,
                       size_t n_want)
{
    uint64_t got[OS_MAX_BUDGETS];
    size_t n = os_halving_budgets(steps, min, eta, got);
    if (n != n_want)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            return 0;
    return 1;
}

static int promoted_are(const double *score, const size_t *alive, size_t n, size_t keep,
                        const size_t *want, size_t n_want)
{
    size_t out[16];
    size_t got = os_halving_promote(score, alive, n, keep, out);
    if (got != n_want)
        return 0;
    for (size_t i = 0; i < got; i++)
        if (out[i] != want[i])
            return 0;
    return 1;
}

/* The budgets of successive halving. */
static void budgets(void)
{
    ok(budgets_are(300, 0, 3, (uint64_t[]){ 33, 100, 300 }, 3),
       "300 steps, eta 3: budgets 33, 100, 300 (three by default)");
    ok(budgets_are(81, 1, 3, (uint64_t[]){ 1, 3, 9, 27, 81 }, 5),
       "81 steps from 1, eta 3: 1, 3, 9, 27, 81");
    ok(budgets_are(100, 50, 2, (uint64_t[]){ 50, 100 }, 2), "100 from 50, eta 2: 50, 100");
    ok(budgets_are(1000, 100, 4, (uint64_t[]){ 250, 1000 }, 2),
       "1000 from 100, eta 4: 250 is the last budget not under 100");
    ok(budgets_are(10, 20, 3, (uint64_t[]){ 10 }, 1), "a first budget over the total: one budget");
    ok(budgets_are(2, 0, 3, (uint64_t[]){ 1, 2 }, 2), "2 steps: 1 then 2, no repeats");
}

/* [search] rungs: fractions of steps, rounded, the last exactly steps, no
 * repeats; a grid has steps alone. */
static void rungs(void)
{
    os_plan p = { .steps = 446, .strategy = OS_STRATEGY_HALVING, .eta = 4,
                  .rungs = { { 0.125, 0.5, 1 }, 3 } };
    uint64_t b[OS_MAX_BUDGETS];
    size_t n = os_plan_rungs(&p, b);
    ok(n == 3 && b[0] == 56 && b[1] == 223 && b[2] == 446,
       "rungs 1/8, 1/2, 1 of 446 steps: 56, 223, 446");
    p.steps = 3;
    n = os_plan_rungs(&p, b);
    ok(n == 2 && b[0] == 2 && b[1] == 3, "of 3 steps: 2 and 3 (an eighth rounds to 0 and goes)");
    p.rungs.n = 0;
    p.steps = 300;
    p.eta = 3;
    n = os_plan_rungs(&p, b);
    ok(n == 3 && b[0] == 33 && b[1] == 100 && b[2] == 300, "no rungs: the ladder (33, 100, 300)");
    p.strategy = OS_STRATEGY_GRID;
    ok(os_plan_rungs(&p, b) == 1 && b[0] == 300, "a grid: steps alone");
}

/* synthetic curves: candidate g's validation loss at some budget */
static const double score[] = { 0.5, 0.2, NAN, 0.2, 0.9, INFINITY, 0.1 };
static const size_t all[] = { 0, 1, 2, 3, 4, 5, 6 };

/* Which candidates go on, and which are certain to before all are measured. */
static void promotion(void)
{
    ok(promoted_are(score, all, 7, 3, (size_t[]){ 1, 3, 6 }, 3),
       "keep 3 of 7: the three lowest, in index order");
    ok(promoted_are(score, all, 7, 2, (size_t[]){ 1, 6 }, 2),
       "a tie at the cut (0.2, 0.2) goes to the lower index");
    ok(promoted_are(score, all, 7, 6, (size_t[]){ 0, 1, 3, 4, 5, 6 }, 6),
       "NaN ranks after +inf (a diverged candidate)");
    ok(promoted_are(score, (size_t[]){ 4, 2 }, 2, 5, (size_t[]){ 2, 4 }, 2),
       "keeping more than are alive keeps them all");
    ok(promoted_are(score, (size_t[]){ 5, 2 }, 2, 1, (size_t[]){ 5 }, 1),
       "among stopped candidates only, +inf beats NaN");

    /* Early promotion: a candidate certain to be kept, whatever the
     * unmeasured ones score, may go on before they are measured. */
    unsigned char measured[7] = { 1, 1, 0, 0, 1, 1, 1 }, sure[7];
    /* measured: 0.5, 0.2, 0.9, inf, 0.1; unmeasured: 2 and 3; keep 3 */
    size_t n_sure = os_halving_sure(score, measured, all, 7, 3, sure);
    ok(n_sure == 1 && sure[6] && !sure[1] && !sure[0],
       "keep 3, two unmeasured: only the best measured (0.1) is certain (%zu sure)", n_sure);
    n_sure = os_halving_sure(score, measured, all, 7, 4, sure);
    ok(n_sure == 2 && sure[6] && sure[1] && !sure[0] && !sure[2] && !sure[3],
       "keep 4: 0.1 and 0.2 are; unmeasured ones never are");
    memset(measured, 1, sizeof measured);
    n_sure = os_halving_sure(score, measured, all, 7, 3, sure);
    ok(n_sure == 3 && sure[1] && sure[3] && sure[6],
       "every one measured: the certain ones are exactly the promoted (ties to the lower index)");
}

/* Property, on synthetic scores: whatever the unmeasured come to, the
 * certain ones are promoted.  Random scores (with ties and NaN), random
 * measured subsets, random completions. */
static void certain_are_promoted(void)
{
    uint32_t state = 7;
    int held = 1, some = 0;
    for (int round = 0; round < 2000 && held; round++) {
        double sc[12], full[12];
        unsigned char m[12], su[12];
        size_t al[12], n = 2 + (size_t)(round % 11), keep = 1 + (size_t)(round / 11) % n;
        for (size_t g = 0; g < n; g++) {
            state = state * 1664525u + 1013904223u;
            al[g] = g;
            m[g] = (state >> 9) % 3 != 0;
            double v = (double)((state >> 13) % 6) / 5.0; /* ties are common */
            sc[g] = (state >> 20) % 17 == 0 ? NAN : v;
        }
        os_halving_sure(sc, m, al, n, keep, su);
        for (int completion = 0; completion < 20 && held; completion++) {
            for (size_t g = 0; g < n; g++) {
                state = state * 1664525u + 1013904223u;
                full[g] = m[g] ? sc[g] : (state >> 20) % 9 == 0 ? NAN
                                                                 : (double)((state >> 13) % 6) / 5.0;
            }
            size_t out[12], got = os_halving_promote(full, al, n, keep, out);
            for (size_t g = 0; g < n; g++) {
                int in = 0;
                for (size_t q = 0; q < got; q++)
                    in |= out[q] == g;
                if (su[g] && !in)
                    held = 0;
                some += su[g];
            }
        }
    }
    ok(held && some > 0, "2000 random rungs x 20 completions: every certain candidate is "
       "promoted (%d certain seen)", some);
}

/* Hyperband's brackets: Li et al.'s Table 1 (R = 81, eta = 3) has
 * 81, 34, 15, 8 and 5 configurations in its five brackets */
static void brackets(void)
{
    size_t sizes[OS_MAX_BUDGETS];
    size_t nbr = os_hyperband_plan(81, 5, 3, sizes);
    ok(nbr == 5 && sizes[0] == 81 && sizes[1] == 34 && sizes[2] == 15 && sizes[3] == 8 &&
       sizes[4] == 5, "hyperband, 81 candidates over 5 budgets: brackets of 81, 34, 15, 8, 5 "
       "(got %zu, %zu, %zu, %zu, %zu)", sizes[0], sizes[1], sizes[2], sizes[3], sizes[4]);
    os_hyperband_plan(28, 3, 3, sizes);
    ok(sizes[0] == 28 && sizes[1] == 14 && sizes[2] == 10,
       "28 candidates over 3 budgets: every one in the first bracket, then 14 and 10 "
       "(got %zu, %zu, %zu)", sizes[0], sizes[1], sizes[2]);
    os_hyperband_plan(2, 4, 3, sizes);
    ok(sizes[0] == 2 && sizes[1] == 1 && sizes[3] == 1,
       "2 candidates: never more than there are, never an empty bracket");
    ok(os_hyperband_plan(9, 1, 3, sizes) == 1 && sizes[0] == 9,
       "one budget: one bracket of everything, a grid");
}

int main(void)
{
    budgets();
    rungs();
    promotion();
    certain_are_promoted();
    brackets();
    return done_testing();
}
