/* Hashing, maps, interned strings and growable arrays: plain C, no counting. */

/* ---------------------------------------------------------------- tables */

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL + (a << 6) + (a >> 2));
    x ^= x >> 31; x *= 0xBF58476D1CE4E5B9ULL; x ^= x >> 29;
    return x;
}

/* (a, b) → uint32, open addressing. A slot's key and value lie side by side: a lookup in a large map (cells,
 * connections) touches one cache line, not three. */
typedef struct { uint64_t a, b; uint32_t v; } Slot;
typedef struct { Slot *slots; size_t cap, len; } Map;

static int map_init(Map *m, size_t cap) {
    m->cap = cap; m->len = 0;
    m->slots = malloc(cap * sizeof *m->slots);
    if (!m->slots) return -1;
    for (size_t i = 0; i < cap; i++) m->slots[i].v = NONE;
    return 0;
}
static void map_free(Map *m) { free(m->slots); m->slots = NULL; }

static uint32_t *map_slot(Map *m, uint64_t a, uint64_t b) {
    size_t mask = m->cap - 1, i = mix(a, b) & mask;
    Slot *slots = m->slots;
    while (slots[i].v != NONE && (slots[i].a != a || slots[i].b != b)) i = (i + 1) & mask;
    slots[i].a = a; slots[i].b = b;
    return &slots[i].v;
}
static uint32_t map_get(const Map *m, uint64_t a, uint64_t b) {
    size_t mask = m->cap - 1, i = mix(a, b) & mask;
    const Slot *slots = m->slots;
    while (slots[i].v != NONE) {
        if (slots[i].a == a && slots[i].b == b) return slots[i].v;
        i = (i + 1) & mask;
    }
    return NONE;
}
static int map_put(Map *m, uint64_t a, uint64_t b, uint32_t v) {
    if ((m->len + 1) * 2 > m->cap) {
        Map grown;
        if (map_init(&grown, m->cap * 2) < 0) { map_free(&grown); return -1; }
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].v != NONE) *map_slot(&grown, m->slots[i].a, m->slots[i].b) = m->slots[i].v;
        grown.len = m->len;
        map_free(m);
        *m = grown;
    }
    uint32_t *slot = map_slot(m, a, b);
    if (*slot == NONE) m->len++;
    *slot = v;
    return 0;
}

/* A full map, refitted before it grows: only the entries `keep` keeps (1; 0 drops one, -1 is an error, after which
 * the rest are kept), in a map a quarter full at most and an eighth at least (4096 slots or more). A map of what is
 * live (recent cells, connections a line may still join) so stays the size of what is live, not of all there was. */
static int map_refit(Map *m, int (*keep)(void *context, const Slot *slot), void *context) {
    size_t kept = 0;
    int error = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].v == NONE) continue;
        int k = error ? 1 : keep(context, &m->slots[i]);
        if (k < 0) error = 1;
        if (k) kept++;
        else m->slots[i].v = NONE;
    }
    size_t cap = m->cap;
    if ((kept + 1) * 4 > cap) cap *= 2;
    else while (cap > (1 << 12) && (kept + 1) * 8 <= cap) cap /= 2;
    Map fit;
    if (map_init(&fit, cap) < 0) { map_free(&fit); return -1; }
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].v != NONE) *map_slot(&fit, m->slots[i].a, m->slots[i].b) = m->slots[i].v;
    fit.len = kept;
    map_free(m);
    *m = fit;
    return error ? -1 : 0;
}

/* Interned byte strings: id ↔ bytes. */
typedef struct {
    char *bytes; size_t used, size;
    size_t *start; uint32_t *length; uint64_t *hash; uint32_t count, room;
    uint32_t *table; size_t cap;
} Strings;

static uint64_t hash_bytes(const char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = mix(h, word);
    }
    uint64_t last = 0;  /* the last bytes, without a copy of a length known only now */
    if (n >= 4) {
        uint32_t low, high;
        memcpy(&low, p, 4);
        memcpy(&high, p + n - 4, 4);
        last = (uint64_t)low | (uint64_t)high << 32;
    } else if (n) {
        last = (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 | (uint64_t)(unsigned char)p[n - 1] << 16;
    }
    return mix(h, last);
}

static int strings_init(Strings *s) {
    memset(s, 0, sizeof *s);
    s->size = 1 << 16; s->bytes = malloc(s->size);
    s->room = 1024;
    s->start = malloc(s->room * sizeof *s->start); s->length = malloc(s->room * sizeof *s->length);
    s->hash = malloc(s->room * sizeof *s->hash);
    s->cap = 2048; s->table = malloc(s->cap * sizeof *s->table);
    if (!s->bytes || !s->start || !s->length || !s->hash || !s->table) return -1;
    memset(s->table, 0xff, s->cap * sizeof *s->table);
    return 0;
}
static void strings_free(Strings *s) { free(s->bytes); free(s->start); free(s->length); free(s->hash); free(s->table); }

static uint32_t intern(Strings *s, const char *p, size_t n) {
    uint64_t h = hash_bytes(p, n);
    size_t mask = s->cap - 1, i = h & mask;
    while (s->table[i] != NONE) {
        uint32_t id = s->table[i];
        if (s->hash[id] == h && s->length[id] == n && memcmp(s->bytes + s->start[id], p, n) == 0) return id;
        i = (i + 1) & mask;
    }
    if (s->used + n > s->size) {
        size_t size = s->size;
        while (s->used + n > size) size *= 2;
        char *bytes = realloc(s->bytes, size);
        if (!bytes) return NONE;
        s->bytes = bytes; s->size = size;
    }
    if (s->count == s->room) {
        uint32_t room = s->room * 2;
        size_t *start = realloc(s->start, room * sizeof *start);
        if (start) s->start = start;
        uint32_t *length = realloc(s->length, room * sizeof *length);
        if (length) s->length = length;
        uint64_t *hash = realloc(s->hash, room * sizeof *hash);
        if (hash) s->hash = hash;
        if (!start || !length || !hash) return NONE;
        s->room = room;
    }
    uint32_t id = s->count++;
    memcpy(s->bytes + s->used, p, n);
    s->start[id] = s->used; s->length[id] = (uint32_t)n; s->hash[id] = h;
    s->used += n;
    s->table[i] = id;
    if (s->count * 2 > s->cap) {
        size_t cap = s->cap * 2;
        uint32_t *table = malloc(cap * sizeof *table);
        if (!table) return NONE;
        memset(table, 0xff, cap * sizeof *table);
        for (uint32_t k = 0; k < s->count; k++) {
            size_t j = s->hash[k] & (cap - 1);
            while (table[j] != NONE) j = (j + 1) & (cap - 1);
            table[j] = k;
        }
        free(s->table); s->table = table; s->cap = cap;
    }
    return id;
}

/* A growable array of fixed-size records. */
typedef struct { char *items; size_t len, room, size; } Array;

static void *array_push(Array *a) {
    if (a->len == a->room) {
        size_t room = a->room ? a->room * 2 : 256;
        char *items = realloc(a->items, room * a->size);
        if (!items) return NULL;
        a->items = items; a->room = room;
    }
    void *item = a->items + a->len * a->size;
    memset(item, 0, a->size);
    a->len++;
    return item;
}
#define AT(array, type, index) (((type *)(array).items)[index])

/* Keep the first len items and give the memory of the rest back. */
static void array_truncate(Array *a, size_t len) {
    if (len >= a->len) return;
    a->len = len;
    char *items = realloc(a->items, (len ? len : 1) * a->size);
    if (items) { a->items = items; a->room = len ? len : 1; }
}

/* The item at index, the array grown with zeroed items to hold it; NULL when memory runs out. */
static void *array_reach(Array *a, size_t index) {
    while (a->len <= index)
        if (!array_push(a)) return NULL;
    return a->items + index * a->size;
}
