/*
 * loss.h — losses over a batch of model outputs.  Both return the mean loss
 * over the batch (as torch's default reduction does) and, when dout is not
 * NULL, its gradient with respect to the outputs.
 */
#ifndef OS_LOSS_H
#define OS_LOSS_H

#include <stddef.h>

typedef enum os_loss_kind {
    OS_LOSS_CROSS_ENTROPY, /* softmax over k outputs, target = class index  */
    OS_LOSS_MSE,           /* one output, target = real value               */
    OS_LOSS_BINARY_CE      /* one logit through a sigmoid, target 0 or 1    */
} os_loss_kind;

const char *os_loss_name(os_loss_kind kind);
int os_loss_from_name(const char *name);

/* out: [batch × k] logits or predictions; target: class index stored as a
 * float (cross-entropy) or value (MSE).  *correct (may be NULL) receives the
 * number of rows whose arg-max equals the class (cross-entropy only). */
double os_loss(os_loss_kind kind, const float *out, const float *target, size_t batch,
               size_t k, float *dout, size_t *correct);

#endif
