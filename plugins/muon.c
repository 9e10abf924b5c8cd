/*
 * muon — Muon, MomentUm Orthogonalized by Newton-Schulz (Jordan et al.,
 * 2024, https://kellerjordan.github.io/posts/muon/), as the author's
 * SingleDeviceMuonWithAuxAdam computes it (KellerJordan/Muon muon.py):
 * Muon for every matrix of the layout, AdamW for the other tensors.
 *
 * Matrices [rows x cols]:
 *     M  = lerp(M, g, 1 - momentum)
 *     U  = nesterov ? lerp(g, M, momentum) : M
 *     X  = U / (||U||_F + 1e-7), transposed so that rows <= cols
 *     5 times:  A = X X^T;  B = b A + c A A;  X = a X + B X   (a, b, c = 3.4445, -4.7750, 2.0315)
 *     p *= 1 - lr * weight_decay;  p -= lr * sqrt(max(1, rows / cols)) * X
 * Other tensors (AdamW, at lr * adam_lr_ratio):
 *     m = lerp(m, g, 1 - adam_beta1);  v = lerp(v, g^2, 1 - adam_beta2)
 *     p *= 1 - lr' * weight_decay;  p -= lr' * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + adam_eps)
 *
 * The author iterates in bfloat16 on GPUs; this plugin iterates in float32
 * through CBLAS.  The reference's defaults: lr 0.02 for Muon and 3e-4 for the
 * AdamW groups, hence adam_lr_ratio = 0.015.
 */
#include <math.h>
#include <string.h>
#include <cblas.h>
#include "plugin_util.h"

enum { HP_MOMENTUM, HP_NESTEROV, HP_NS_STEPS, HP_WEIGHT_DECAY, HP_ADAM_LR_RATIO,
       HP_ADAM_BETA1, HP_ADAM_BETA2, HP_ADAM_EPS, HP_COUNT };

static const os_hparam muon_hparams[HP_COUNT] = {
    [HP_MOMENTUM]      = { "momentum", 0.95, 0.0, 0.9999999, OS_HP_TUNABLE,
                           "momentum of the matrix updates" },
    [HP_NESTEROV]      = { "nesterov", 1.0, 0.0, 1.0, OS_HP_BOOL | OS_HP_TUNABLE,
                           "orthogonalise the Nesterov blend rather than the momentum" },
    [HP_NS_STEPS]      = { "ns_steps", 5.0, 1.0, 20.0, OS_HP_INT,
                           "Newton-Schulz iterations" },
    [HP_WEIGHT_DECAY]  = { "weight_decay", 0.0, 0.0, 1.0, OS_HP_TUNABLE,
                           "decoupled weight decay for every tensor" },
    [HP_ADAM_LR_RATIO] = { "adam_lr_ratio", 0.015, 1e-6, 100.0, OS_HP_LOG | OS_HP_TUNABLE,
                           "learning rate of the AdamW tensors, as a multiple of lr" },
    [HP_ADAM_BETA1]    = { "adam_beta1", 0.9, 0.0, 0.9999999, 0,
                           "AdamW first-moment decay for non-matrix tensors" },
    [HP_ADAM_BETA2]    = { "adam_beta2", 0.95, 0.0, 0.9999999, 0,
                           "AdamW second-moment decay for non-matrix tensors" },
    [HP_ADAM_EPS]      = { "adam_eps", 1e-10, 0.0, 1.0, 0,
                           "AdamW epsilon for non-matrix tensors" },
};

static const float NS_A = 3.4445f, NS_B = -4.7750f, NS_C = 2.0315f;

static int is_matrix(const os_tensor *t, size_t *rows, size_t *cols)
{
    if (t->ndim < 2)
        return 0;
    *rows = t->shape[0];
    *cols = t->size / *rows; /* conv filters fold into rows x the rest */
    return 1;
}

/* Scratch for the largest matrix: X and its next iterate (rows x cols),
 * A and B (short side squared). */
static size_t scratch_floats(const os_layout *layout)
{
    size_t best = 0, rows, cols;
    for (size_t k = 0; k < layout->n_tensors; k++)
        if (is_matrix(&layout->tensors[k], &rows, &cols)) {
            size_t s = rows < cols ? rows : cols;
            size_t need = 2 * rows * cols + 2 * s * s;
            best = need > best ? need : best;
        }
    return best;
}

/* Slot 0: momentum (matrices) or m (others); slot 1: v (others; unused for
 * matrices); then the scratch.  The scratch is overwritten every step and
 * holds nothing between steps. */
static size_t muon_state_bytes(const os_env *env)
{
    return (2 * env->layout->n + scratch_floats(env->layout)) * sizeof(float);
}

OS_ZERO_INIT(muon)

/* torch.lerp: a + w (b - a) for w < 0.5, else b - (b - a)(1 - w). */
static inline float lerp(float a, float b, float w)
{
    return w < 0.5f ? a + w * (b - a) : b - (b - a) * (1.0f - w);
}

/* Orthogonalises U [rows x cols] in place; scratch as scratch_floats. */
static void newton_schulz(float *u, size_t rows, size_t cols, unsigned steps, float *scratch)
{
    const int tall = rows > cols;
    const size_t r = tall ? cols : rows, c = tall ? rows : cols;
    float *x = scratch, *next = x + r * c, *a = next + r * c, *b = a + r * r;
    if (tall) {
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                x[j * rows + i] = u[i * cols + j];
    } else {
        memcpy(x, u, rows * cols * sizeof *x);
    }
    const float scale = 1.0f / (os_norm(x, r * c) + 1e-7f);
    for (size_t i = 0; i < r * c; i++)
        x[i] = x[i] * scale;
    for (unsigned s = 0; s < steps; s++) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)r, (int)r, (int)c, 1.0f, x,
                    (int)c, x, (int)c, 0.0f, a, (int)r);                        /* A = X X^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)r, (int)r, NS_C, a,
                    (int)r, a, (int)r, 0.0f, b, (int)r);                        /* B = c A A */
        for (size_t i = 0; i < r * r; i++)
            b[i] = NS_B * a[i] + b[i];                                          /* B += b A  */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, (int)c, (int)r, 1.0f, b,
                    (int)r, x, (int)c, 0.0f, next, (int)c);                     /* B X       */
        for (size_t i = 0; i < r * c; i++)
            next[i] = NS_A * x[i] + next[i];    /* then a X + (B X), the reference's order */
        float *tmp = x;
        x = next;
        next = tmp;
    }
    if (tall) {
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++)
                u[i * cols + j] = x[j * rows + i];
    } else {
        memcpy(u, x, rows * cols * sizeof *u);
    }
}

static int muon_step(const os_env *env, void *state, float *p, const float *grad,
                     double lr, uint64_t t)
{
    const double *hp = env->hparams;
    const os_layout *layout = env->layout;
    const size_t n = layout->n;
    const float mom = (float)hp[HP_MOMENTUM];
    const int nesterov = hp[HP_NESTEROV] != 0.0;
    const unsigned ns_steps = (unsigned)hp[HP_NS_STEPS];
    const double adam_lr = lr * hp[HP_ADAM_LR_RATIO];
    const double ab1 = hp[HP_ADAM_BETA1], ab2 = hp[HP_ADAM_BETA2];
    const float bc1 = (float)(1.0 - pow(ab1, (double)t)), bc2 = (float)(1.0 - pow(ab2, (double)t));
    const float w1 = (float)(1.0 - ab1), w2 = (float)(1.0 - ab2), eps = (float)hp[HP_ADAM_EPS];
    float *buf = os_slot(state, n, 0), *v = os_slot(state, n, 1);
    float *scratch = os_slot(state, n, 2);

    for (size_t k = 0; k < layout->n_tensors; k++) {
        const os_tensor *tn = &layout->tensors[k];
        const size_t off = tn->offset, len = tn->size;
        const double wd = OS_TENSOR_DECAYS(env, k) ? hp[HP_WEIGHT_DECAY] : 0.0;
        size_t rows, cols;
        if (!is_matrix(tn, &rows, &cols)) {
            const float shrink = (float)(1.0 - adam_lr * wd);
            const float neg_lr = (float)-adam_lr;
            for (size_t i = off; i < off + len; i++) {
                buf[i] = lerp(buf[i], grad[i], w1);
                v[i] = lerp(v[i], grad[i] * grad[i], w2);
                float update = (buf[i] / bc1) / (sqrtf(v[i] / bc2) + eps);
                p[i] = p[i] * shrink;
                p[i] = p[i] + neg_lr * update;
            }
            continue;
        }
        /* The update is built in v's slot, which matrices do not otherwise use. */
        float *u = v + off;
        for (size_t i = 0; i < len; i++) {
            buf[off + i] = lerp(buf[off + i], grad[off + i], 1.0f - mom);
            u[i] = nesterov ? lerp(grad[off + i], buf[off + i], mom) : buf[off + i];
        }
        newton_schulz(u, rows, cols, ns_steps, scratch);
        const float gain = (float)sqrt(fmax(1.0, (double)rows / (double)cols));
        const float shrink = (float)(1.0 - lr * wd);
        const float neg_lr = (float)-lr;
        for (size_t i = 0; i < len; i++) {
            p[off + i] = p[off + i] * shrink;
            p[off + i] = p[off + i] + neg_lr * (u[i] * gain);
        }
    }
    return OS_OK;
}

static const os_optimizer muon = {
    OS_OPTIMIZER_HEADER, .version = 1,
    .label = "muon",
    .summary = "Muon, orthogonalised momentum for matrices, AdamW for the rest (Jordan et al. 2024)",
    .default_lr = 0.02,
    .n_hparams = HP_COUNT,
    .hparams = muon_hparams,
    .state_bytes = muon_state_bytes,
    .init = muon_init,
    .step = muon_step,
};

OS_EXPORT_OPTIMIZERS(&muon)
