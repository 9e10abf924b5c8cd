/*
 * heap.h — a binary min-heap of (key, index) pairs, ordered by key (NaN
 * last) and then by index: the schedulers' "best so far" and "next to
 * run" in O(log n) a change, where a scan would cost O(n) per completed
 * trial at cluster scale.
 */
#ifndef OS_HEAP_H
#define OS_HEAP_H

#include <math.h>
#include <stddef.h>
#include <stdlib.h>

typedef struct os_heap_item {
    double key;
    size_t index;
} os_heap_item;

typedef struct os_heap {
    os_heap_item *v;
    size_t        n, cap;
} os_heap;

static inline int os_heap_less(os_heap_item a, os_heap_item b)
{
    int na = isnan(a.key), nb = isnan(b.key);
    if (na != nb)
        return nb;
    if (!na && a.key != b.key)
        return a.key < b.key;
    return a.index < b.index;
}

/* 0, or -1 out of memory (the heap is unchanged). */
static inline int os_heap_push(os_heap *h, double key, size_t index)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        os_heap_item *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    os_heap_item it = { key, index };
    size_t i = h->n++;
    while (i && os_heap_less(it, h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = it;
    return 0;
}

/* The least item, removed; h must not be empty. */
static inline os_heap_item os_heap_pop(os_heap *h)
{
    os_heap_item top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && os_heap_less(h->v[c + 1], h->v[c]))
            c++;
        if (!os_heap_less(h->v[c], last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

static inline void os_heap_free(os_heap *h)
{
    free(h->v);
    *h = (os_heap){ 0 };
}

#endif
