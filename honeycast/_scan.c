/* The counting loop of honeycast in C: lines in, a tally out.
 *
 * honeycast/sshd.py is the reference. This scanner reads the common shapes itself (classic and
 * RFC 3339 syslog headers; the families that fill a brute-force log) and asks sshd.py, through
 * callbacks, about every line it is not certain of. Whoever reads a line, the same C code keeps
 * the per-connection state and the counts, so the two readings can never drift apart on those.
 *
 * The rule for the fast path: accept a line only where the reference's regular expressions can
 * match in exactly one way. Messages must be printable ASCII (so \s is a space and \S any other
 * character), user names must hold no space (so a lazy `.*?` has one place to stop), addresses
 * must be canonical IPv4 or IPv6 (what ipaddress would print back). Anything else goes to Python.
 *
 * The line loop runs without the GIL (see hold/let_go), so ranges of a file are read on threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EventKind, in the order honeycast/events.py declares it (checked at import). */
enum {
    K_FAILED, K_INVALID_USER, K_ACCEPTED, K_NOT_ALLOWED, K_ROOT_REFUSED, K_PAM_FAILURE, K_PAM_MORE,
    K_MAX_ATTEMPTS, K_TOO_MANY_FAILURES, K_ACCOUNT_LOCKED, K_DISCONNECTED, K_RECEIVED_DISCONNECT,
    K_NO_IDENTIFICATION, K_BAD_PROTOCOL, K_NEGOTIATION_FAILED, K_TIMEOUT, K_REVERSE_MAPPING,
    K_REFUSED_CONNECT, K_CONNECTION, K_LOGOUT, K_DROPPED, K_UNKNOWN, N_KINDS
};
static const char *KIND_NAMES[N_KINDS] = {
    "failed", "invalid_user", "accepted", "not_allowed", "root_refused", "pam_failure", "pam_more",
    "max_attempts", "too_many_failures", "account_locked", "disconnected", "received_disconnect",
    "no_identification", "bad_protocol", "negotiation_failed", "timeout", "reverse_mapping",
    "refused_connect", "connection", "logout", "dropped", "unknown"};

/* What a line does: the bits of rules.Action (checked at import). Which kind does what, and every limit
 * connections are kept in, the scanner is handed at __init__ (rules.RULES): it keeps no rule of its own. */
enum {
    A_TRIES = 1, A_ATTEMPT = 2, A_WAITS = 4, A_KEEPS_OWN = 8, A_SETTLES = 16, A_SESSION = 32, A_ENDS = 64,
    A_NOTES_INVALID = 128, A_LOGIN = 256, N_ACTIONS = 9
};
static const char *ACTION_NAMES[N_ACTIONS] = {"TRIES", "ATTEMPT", "WAITS", "KEEPS_OWN", "SETTLES", "SESSION",
                                              "ENDS", "NOTES_INVALID", "LOGIN"};

#define INTERFACE 12 /* bump when Scanner's arguments or results change: native.py checks it */
#define NONE UINT32_MAX
#define MAX_LINE (64 * 1024)
#define MAX_CARRY (4 * MAX_LINE + 8)  /* a longer line has more than MAX_LINE characters however it decodes */
#define LOCAL INT32_MIN          /* a time in the reader's own zone, not a fixed offset */
#define US 1000000LL
#define DAY_US (86400LL * US)
#define ZONE_BUCKET_US (900LL * US)  /* the build zone's offset is asked once per quarter hour of UTC */
#define RECENT 16  /* a slice counted in since the last this many slices began keeps its cells findable */

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
    uint64_t last = 0;
    memcpy(&last, p, n);
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

/* ---------------------------------------------------------------- records */

typedef struct { int64_t wall; int32_t offset; uint8_t fold; } Time;  /* wall clock, µs since 0001-01-01 */


/* PAM failures of one line that no Failed line has echoed yet (sshd.py's _Pending). */
typedef struct { Time time; uint32_t user; int64_t times; } Pending;

/* One client connection: an sshd process serving one client address and port (sshd.py's _Connection). */
typedef struct {
    uint64_t host, pid, seq;
    uint32_t source;
    int64_t port;                 /* -1 until a line names it */
    uint8_t tried, closed, waiting;
    int64_t settled;
    Pending *pending; uint32_t pending_first, pending_len, pending_room;  /* a queue: [first, len) */
} Connection;

typedef struct { uint32_t slice, source, host; int64_t attempts, probes; } Cell;
typedef struct { uint32_t slice, user; int64_t attempts; } UserCell;
/* start: local wall clock in the build's zone; used: how many slices there were when one was last counted in. */
typedef struct { int64_t start; uint32_t used; uint8_t fold; } SliceKey;
typedef struct { Time at; uint32_t user; uint8_t invalid; } Named;  /* timeline.Named */
typedef struct {
    Time first, last; int64_t total; uint8_t failed, is_host, counted;  /* counted: a line of it was */
    uint8_t names; Named name[];  /* earliest first: room for the rule book's attack_names */
} SourceInfo;
typedef struct { Time time; uint32_t source, user; int64_t before; } Login;
/* A source's record: its size is the scanner's, with room for the rule book's attack_names first names. */
#define INFO(s, index) (*(SourceInfo *)((s)->source_info.items + (size_t)(index) * (s)->source_info.size))
/* A span of time a host's lines were already counted in (by an earlier build): its events are read but not
 * counted. Bounds as Python compares them with a stamp (Tally.covers): a local stamp by wall clock, one with
 * an offset by instant. */
typedef struct { int64_t first_wall, first_instant, last_wall, last_instant, last_lines, seen; } Covered;
typedef struct { uint8_t known; uint32_t first, count; } HostCover;  /* a host's spans in Scanner.covered */
typedef struct { Time first, last; int64_t at_last; uint8_t seen; } HostSpan;  /* a host's first and last line */

/* A line's header as the reference reader (sshd.py) reads it, for a line the fast path cannot read. The bytes
 * stay valid until the next question of the same kind. */
typedef struct {
    int yearless;  /* a classic stamp: month to micro, the year placed here; else a dated one */
    int year, month, day, hour, minute, second, micro, fold;
    int32_t offset;  /* LOCAL: the build zone's */
    const char *host; size_t host_length;
    int has_pid; uint64_t pid;
    const char *message; size_t message_length; int message_ascii;
} ReadHeader;
enum { NO_SSHD_LINE, HEADER_READ, OVERLONG };

/* A message's fields as the reference reader reads them (sshd.read_message). */
typedef struct {
    int64_t count; int kind;
    const char *address; size_t address_length; int address_is_host;  /* address NULL: none */
    int64_t port;  /* -1: none */
    const char *user; size_t user_length;  /* NULL: none */
    int two_ways;
    int64_t process;  /* the sshd process the line is about, or -1 */
} ReadFields;

/* What counting asks of the Python side, the one way it does: the build zone's offsets, the spans an earlier
 * build counted of a host's lines (appended to spans as Covered records), and the reference reader's reading of
 * a line the fast path cannot read (its header; a message's fields, raw: the line's own bytes, else text the
 * header gave). Each returns 0 (read_header: what it found), or -1 with a Python error set; the glue takes the
 * GIL for each and lets it go again (with_python). */
typedef struct {
    int (*local_offset)(void *scanner, int64_t wall, uint8_t fold, int64_t *seconds);
    int (*to_local)(void *scanner, int64_t instant, int32_t *offset, uint8_t *fold);
    int (*covered)(void *scanner, const char *host, size_t length, Array *spans);
    int (*read_header)(void *scanner, const char *line, size_t length, ReadHeader *header);
    int (*read_fields)(void *scanner, const char *message, size_t length, int raw, ReadFields *fields);
} Hooks;

/* Everything a scanner reads and counts with, in plain C. */
typedef struct {
    Hooks hooks;
    int no_memory;  /* an allocation failed: the glue raises MemoryError */
    int has_covers;  /* spans an earlier build counted may be asked for (hooks.covered) */
    int64_t slice_us;
    int year, first_year, last_month, ref_year, ref_month, ref_day;
    int32_t zone_offset;  /* the build zone's fixed UTC offset, or LOCAL where it has rules */
    int64_t zone_bucket; int32_t zone_bucket_offset; uint8_t zone_bucket_fold;
    char *carry; size_t carry_len, carry_room;
    int skipping;  /* inside a line longer than MAX_CARRY: its bytes are dropped until its end */
    /* interned strings */
    Strings hosts, sources, users;
    Array source_info;  /* SourceInfo per source id */
    /* connections */
    Array connections; Map connection_index, endpoint_index, session_index; uint64_t next_seq;
    Array waiting;  /* seq of connections that may hold pending PAM failures */
    int has_swept; Time swept;
    /* tally */
    int64_t kinds[N_KINDS];
    uint8_t kind_seen[N_KINDS];
    Array slices; Map slice_index;
    Array cells; Map cell_index;
    Array user_cells; Map user_cell_index;
    Array logins;
    Array covered, host_cover, host_spans;
    Time last_time; uint32_t last_slice;
    uint32_t last_host; char last_host_text[256]; size_t last_host_len;
    /* what was read */
    int64_t lines, sshd_lines, two_ways, overlong, backwards, backwards_line, backwards_step;
    int has_latest; Time latest;
    int state;  /* NEW, READING, FINISHED, SLICED, TAKEN or BROKEN: which methods may be called */
    /* the rule book (rules.RuleBook) */
    uint16_t actions[N_KINDS];
    int64_t idle_us, sweep_us, backwards_us;
    size_t max_pending, max_connections;
    uint8_t attack_names;
    int busy;   /* a method is running: another thread, or a callback, must not enter */
} ScanState;

/* Allocation failed: plain code says so and returns -1; the glue raises MemoryError (raised). */
static int nomem(ScanState *s) {
    s->no_memory = 1;
    return -1;
}

/* ---------------------------------------------------------------- dates */

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
static int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}
static int64_t ordinal(int y, int m, int d) {  /* days since 0001-01-01 */
    static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t y1 = y - 1;
    return y1 * 365 + y1 / 4 - y1 / 100 + y1 / 400 + before[m - 1] + (m > 2 && leap(y)) + d - 1;
}
/* Return 0 and the time, or -1 where datetime() would refuse these fields. */
static int make_time(Time *t, int y, int mo, int d, int h, int mi, int s, int us, int32_t offset, int fold) {
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || s < 0 || s > 59 || us < 0 || us > 999999)
        return -1;
    t->wall = ordinal(y, mo, d) * DAY_US + ((int64_t)h * 3600 + mi * 60 + s) * US + us;
    t->offset = offset; t->fold = (uint8_t)fold;
    return 0;
}

static int month_number(const char *p) {
#define MONTH(a, b, c) ((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
    switch (MONTH((unsigned char)p[0], (unsigned char)p[1], (unsigned char)p[2])) {
    case MONTH('J', 'a', 'n'): return 1;
    case MONTH('F', 'e', 'b'): return 2;
    case MONTH('M', 'a', 'r'): return 3;
    case MONTH('A', 'p', 'r'): return 4;
    case MONTH('M', 'a', 'y'): return 5;
    case MONTH('J', 'u', 'n'): return 6;
    case MONTH('J', 'u', 'l'): return 7;
    case MONTH('A', 'u', 'g'): return 8;
    case MONTH('S', 'e', 'p'): return 9;
    case MONTH('O', 'c', 't'): return 10;
    case MONTH('N', 'o', 'v'): return 11;
    case MONTH('D', 'e', 'c'): return 12;
    default: return 0;
    }
#undef MONTH
}

/* SshdParser._classic_time: the year of a yearless stamp, and New Year. -1: no valid time. */
static int classic_time(ScanState *s, Time *t, int month, int day, int h, int mi, int sec, int us) {
    if (s->year == 0) {
        s->year = (month < s->ref_month || (month == s->ref_month && day <= s->ref_day)) ? s->ref_year : s->ref_year - 1;
    } else if (month < s->last_month - 6) {
        s->year += 1;
    }
    if (!s->first_year) s->first_year = s->year;
    s->last_month = month;
    return make_time(t, s->year, month, day, h, mi, sec, us, LOCAL, 0);
}

/* ---------------------------------------------------------------- reading a line */

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int starts_n(const char *p, const char *end, const char *text, size_t n) {
    return (size_t)(end - p) >= n && memcmp(p, text, n) == 0;
}
#define starts(p, end, literal) starts_n((p), (end), "" literal, sizeof(literal) - 1)
static const char *token_end(const char *p, const char *end) {
    while (p < end && *p != ' ') p++;
    return p;
}
static int graphic(const char *p, const char *end) {
    if (p == end) return 0;
    for (; p < end; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) return 0;
    return 1;
}
/* Digits at p (at most 9); returns the end, or NULL. */
static const char *number(const char *p, const char *end, int64_t *value) {
    const char *q = p;
    int64_t v = 0;
    while (q < end && is_digit(*q) && q - p < 10) v = v * 10 + (*q++ - '0');
    if (q == p || q - p > 9 || (q < end && is_digit(*q))) return NULL;
    if (value) *value = v;
    return q;
}
/* A whole token that is an IPv4 address written as ipaddress writes it. */
static int canonical_ipv4(const char *p, const char *end) {
    int parts = 0;
    while (parts < 4) {
        const char *q = p;
        int v = 0;
        while (q < end && is_digit(*q) && q - p < 4) v = v * 10 + (*q++ - '0');
        if (q == p || q - p > 3 || v > 255 || (q - p > 1 && *p == '0')) return 0;
        parts++;
        p = q;
        if (parts < 4) {
            if (p == end || *p != '.') return 0;
            p++;
        }
    }
    return p == end;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
/* A whole token that is an IPv6 address as ipaddress prints it (RFC 5952: lower case, no leading
 * zeros, the first longest run of two or more zero groups as ::). IPv4-mapped addresses are not:
 * ipaddress turns them into IPv4. */
static int canonical_ipv6(const char *p, const char *end) {
    if (end - p < 2 || end - p > 39) return 0;
    unsigned groups[8];
    int count = 0, gap = -1;
    const char *q = p;
    if (q[0] == ':') {
        if (q[1] != ':') return 0;
        gap = 0;
        q += 2;
    }
    while (q < end) {
        if (count == 8) return 0;
        unsigned v = 0;
        const char *g = q;
        while (q < end && hex_value(*q) >= 0 && q - g < 5) v = v * 16 + hex_value(*q++);
        if (q == g || q - g > 4) return 0;
        groups[count++] = v;
        if (q == end) break;
        if (*q != ':') return 0;
        q++;
        if (q < end && *q == ':') {
            if (gap >= 0) return 0;
            gap = count;
            q++;
        } else if (q == end) {
            return 0;
        }
    }
    if (gap < 0 ? count != 8 : count > 7) return 0;
    unsigned full[8] = {0};
    int tail = gap < 0 ? 0 : count - gap;
    for (int i = 0; i < count - tail; i++) full[i] = groups[i];
    for (int i = 0; i < tail; i++) full[8 - tail + i] = groups[gap + i];
    if (!full[0] && !full[1] && !full[2] && !full[3] && !full[4] && full[5] == 0xffff) return 0;
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && full[j] == 0) j++;
        if (j - i > best_len) { best = i; best_len = j - i; }
        i = j > i ? j : i + 1;
    }
    static const char hex[] = "0123456789abcdef";
    char text[48];
    int n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            if (i == 0) text[n++] = ':';
            text[n++] = ':';
            i += best_len - 1;
            continue;
        }
        int shift = 12;
        while (shift > 0 && !(full[i] >> shift)) shift -= 4;
        for (; shift >= 0; shift -= 4) text[n++] = hex[(full[i] >> shift) & 15];
        if (i < 7) text[n++] = ':';
    }
    return n == end - p && memcmp(text, p, n) == 0;
}
static int canonical_ip(const char *p, const char *end) { return canonical_ipv4(p, end) || canonical_ipv6(p, end); }

typedef struct {
    Time time;
    uint32_t host;
    int has_pid;
    uint64_t pid;
    const char *message; ptrdiff_t message_len;
} Header;

/* The headers of classic and RFC 3339 syslog. 1: read, 0: not certain, -1: no valid time (skip). */
static int fast_header(ScanState *s, const char *p, ptrdiff_t n, Header *h) {
    const char *end = p + n, *q;
    int iso = 0;
    if (n >= 16 && p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'a' && p[1] <= 'z' && p[2] >= 'a' && p[2] <= 'z' &&
        p[3] == ' ' && (p[4] == ' ' || is_digit(p[4])) && is_digit(p[5]) && p[6] == ' ' && is_digit(p[7]) && is_digit(p[8]) &&
        p[9] == ':' && is_digit(p[10]) && is_digit(p[11]) && p[12] == ':' && is_digit(p[13]) && is_digit(p[14]) && p[15] == ' ') {
        q = p + 16;
    } else if (n >= 20 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) && p[4] == '-' && is_digit(p[5]) &&
               is_digit(p[6]) && p[7] == '-' && is_digit(p[8]) && is_digit(p[9]) && p[10] == 'T' && is_digit(p[11]) &&
               is_digit(p[12]) && p[13] == ':' && is_digit(p[14]) && is_digit(p[15]) && p[16] == ':' && is_digit(p[17]) &&
               is_digit(p[18])) {
        iso = 1;
        q = p + 19;
    } else {
        return 0;
    }
    int us = 0;
    int32_t offset = LOCAL;
    if (iso) {
        if (q < end && *q == '.') {
            const char *f = ++q;
            while (q < end && is_digit(*q)) q++;
            if (q == f || q - f > 6) return 0;
            for (const char *c = f; c < f + 6; c++) us = us * 10 + (c < q ? *c - '0' : 0);
        }
        if (q < end && *q == 'Z') {
            offset = 0; q++;
        } else if (q < end && (*q == '+' || *q == '-')) {
            int sign = *q == '-' ? -1 : 1;
            const char *o = q + 1;
            if (end - o < 4 || !is_digit(o[0]) || !is_digit(o[1])) return 0;
            int hh = (o[0] - '0') * 10 + (o[1] - '0');
            o += 2;
            if (*o == ':') o++;
            if (end - o < 2 || !is_digit(o[0]) || !is_digit(o[1])) return 0;
            int mm = (o[0] - '0') * 10 + (o[1] - '0');
            if (hh > 23 || mm > 59) return 0;
            offset = sign * (hh * 3600 + mm * 60);
            q = o + 2;
        }
        if (q >= end || *q != ' ') return 0;
        q++;
    }
    /* host, program, pid */
    const char *host = q, *host_end = token_end(q, end);
    if (!graphic(host, host_end) || host_end == end) return 0;
    q = host_end + 1;
    if (starts(q, end, "sshd[")) q += 5;
    else if (starts(q, end, "sshd-session[")) q += 13;
    else return 0;
    int64_t pid = 0;
    const char *pid_start = q;
    while (q < end && is_digit(*q) && q - pid_start < 18) pid = pid * 10 + (*q++ - '0');
    if (q == pid_start || (q < end && is_digit(*q)) || !starts(q, end, "]: ")) return 0;  /* over 18 digits: no pid */
    h->message = q + 3; h->message_len = end - (q + 3);
    h->has_pid = 1; h->pid = (uint64_t)pid;
    size_t host_len = host_end - host;
    if (s->last_host != NONE && host_len == s->last_host_len && memcmp(host, s->last_host_text, host_len) == 0) {
        h->host = s->last_host;
    } else {
        h->host = intern(&s->hosts, host, host_len);
        if (h->host == NONE) return -2;
        if (host_len <= sizeof s->last_host_text) {
            memcpy(s->last_host_text, host, host_len);
            s->last_host_len = host_len;
            s->last_host = h->host;
        }
    }
    if (iso) {
        int y = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        int mo = (p[5] - '0') * 10 + (p[6] - '0'), d = (p[8] - '0') * 10 + (p[9] - '0');
        int hh = (p[11] - '0') * 10 + (p[12] - '0'), mi = (p[14] - '0') * 10 + (p[15] - '0');
        int sec = (p[17] - '0') * 10 + (p[18] - '0');
        return make_time(&h->time, y, mo, d, hh, mi, sec, us, offset, 0) == 0 ? 1 : -1;
    }
    int month = month_number(p);
    if (month == 0) return -1;
    int day = (p[4] == ' ' ? 0 : (p[4] - '0') * 10) + (p[5] - '0');
    return classic_time(s, &h->time, month, day, (p[7] - '0') * 10 + (p[8] - '0'),
                        (p[10] - '0') * 10 + (p[11] - '0'), (p[13] - '0') * 10 + (p[14] - '0'), 0) == 0 ? 1 : -1;
}

/* ---------------------------------------------------------------- sshd messages */

typedef struct {
    int kind;
    const char *ip, *ip_end;      /* NULL: the message names no address */
    const char *user, *user_end;  /* NULL: no user */
    int64_t port;                 /* -1: none */
} Fields;

/* Whether every byte is printable ASCII (0x20 to 0x7e), eight at a time. */
static int printable(const char *p, const char *end) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    for (; end - p >= 8; p += 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        if (((x - ones * 0x20) & ~x & highs) | ((x | (x + ones)) & highs)) return 0;
    }
    for (; p < end; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) return 0;
    return 1;
}

/* Whether a method is one auth.c writes key information after (`ssh2: TYPE FINGERPRINT`) for. */
static int key_method(const char *p, const char *end) {
    size_t n = end - p;
    return (n == 9 && memcmp(p, "publickey", 9) == 0) || (n == 9 && memcmp(p, "hostbased", 9) == 0) ||
           (n == 15 && memcmp(p, "gssapi-with-mic", 15) == 0) || (n == 12 && memcmp(p, "gssapi-keyex", 12) == 0) ||
           (n == 6 && memcmp(p, "gssapi", 6) == 0);
}
/* After `port N` in Failed/Accepted lines: ` ssh2` and the end, or for key methods ` ssh2: TYPE FP` and the
 * end (TYPE in [A-Z0-9-], starting with no dash). Any other tail is left to the reference. */
static int info_tail(const char *p, const char *end, int with_key) {
    if (!starts(p, end, " ssh2")) return 0;
    p += 5;
    if (p == end) return 1;
    if (!with_key || !starts(p, end, ": ")) return 0;
    p += 2;
    const char *type = p;
    while (p < end && ((*p >= 'A' && *p <= 'Z') || is_digit(*p) || (*p == '-' && p > type))) p++;
    if (p == type || !starts(p, end, " ")) return 0;
    const char *fp = p + 1, *fp_end = token_end(fp, end);
    return fp_end > fp && fp_end == end;
}
/* [ [preauth]] then spaces to the end. */
static int preauth_tail(const char *p, const char *end) {
    if (starts(p, end, " [preauth]")) p += 10;
    while (p < end && *p == ' ') p++;
    return p == end;
}
/* ` port N` (required). Returns the end or NULL. */
static const char *port(const char *p, const char *end, Fields *f) {
    if (!starts(p, end, " port ")) return NULL;
    return number(p + 6, end, &f->port);
}
/* An address token at p; sets the field and returns its end, or NULL. */
static const char *address(const char *p, const char *end, Fields *f) {
    const char *e = token_end(p, end);
    if (!canonical_ip(p, e)) return NULL;
    f->ip = p; f->ip_end = e;
    return e;
}

/* `USER from IP port N`: returns the end of the port, or NULL. */
static const char *user_address(const char *u, const char *end, Fields *f) {
    const char *ue = token_end(u, end);
    if (!starts(ue, end, " from ")) return NULL;
    const char *q = address(ue + 6, end, f);
    q = q ? port(q, end, f) : NULL;
    if (q) { f->user = u; f->user_end = ue; }
    return q;
}

/* `[invalid user ]USER from IP port N`, as the Failed and maximum-attempts families write it. Without
 * the group the name would be "invalid", never followed by " from ": so trying both is exact. */
static const char *user_from(const char *p, const char *end, Fields *f) {
    if (starts(p, end, "invalid user ")) {
        const char *q = user_address(p + 13, end, f);
        if (q) return q;
    }
    return user_address(p, end, f);
}

/* `[(invalid|authenticating) user USER] IP` after "by"/"from": the client part of closing lines. */
static const char *client(const char *p, const char *end, Fields *f) {
    const char *u = NULL;
    if (starts(p, end, " invalid user ")) u = p + 14;
    else if (starts(p, end, " authenticating user ")) u = p + 21;
    if (u) {
        const char *ue = token_end(u, end);
        if (ue == end) return NULL;
        f->user = u; f->user_end = ue;
        p = ue;
    }
    if (p >= end || *p != ' ') return NULL;
    return address(p + 1, end, f);
}

/* `...;.*?\bruser=\S*\s+rhost=IP(\s+user=USER)?( [preauth])?\s*$` of pam_unix lines. */
static int pam_tail(const char *p, const char *end, Fields *f) {
    for (const char *r = p; (r = memchr(r, 'r', end - r)) != NULL; r++) {
        if (!starts(r, end, "ruser=")) continue;
        char before = r[-1];
        if ((before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') || is_digit(before) || before == '_')
            continue;
        const char *ruser = r + 6, *ruser_end = token_end(ruser, end), *q = ruser_end;
        if (q == end || *q != ' ') continue;
        while (q < end && *q == ' ') q++;
        if (!starts(q, end, "rhost=")) continue;
        q += 6;
        const char *ip = q, *ip_end = token_end(q, end);
        if (ip == ip_end) continue;
        q = ip_end;
        const char *after = q;
        while (q < end && *q == ' ') q++;
        if (q > after && starts(q, end, "user=")) {
            const char *u = q + 5, *ue = token_end(u, end);
            if (!preauth_tail(ue, end)) return 0;  /* a name with spaces: the reference decides */
            f->user = u; f->user_end = ue;
        } else if (preauth_tail(after, end)) {
            if (ruser_end > ruser) { f->user = ruser; f->user_end = ruser_end; }
        } else {
            continue;
        }
        if (!canonical_ip(ip, ip_end)) return 0;
        f->ip = ip; f->ip_end = ip_end;
        return 1;
    }
    return 0;
}

/* Return 1 with the fields of an sshd message, or 0 where only the reference can tell. */
static int fast_fields(const char *m, const char *end, Fields *f) {
    if (!printable(m, end)) return 0;
    for (int i = 0; i < 4; i++) {
        if (starts(m, end, "error: ") || starts(m, end, "fatal: ")) m += 7;
        else if (starts(m, end, "PAM: ")) m += 5;
        else break;
    }
    f->ip = f->user = NULL;
    f->port = -1;
    if (m >= end) return 0;  /* nothing after its prefixes (`error: ` alone): never read past the line */
    const char *q;
    switch (*m) {
    case 'F':
        if (!starts(m, end, "Failed ")) return 0;
        q = token_end(m + 7, end);
        if (q == m + 7 || !starts(q, end, " for ")) return 0;
        {
            int with_key = key_method(m + 7, q);
            q = user_from(q + 5, end, f);
            f->kind = K_FAILED;
            return q && info_tail(q, end, with_key);
        }
    case 'A':
        if (!starts(m, end, "Accepted ")) return 0;
        q = token_end(m + 9, end);
        if (q == m + 9 || !starts(q, end, " for ")) return 0;
        {
            int with_key = key_method(m + 9, q);
            q = user_address(q + 5, end, f);
            f->kind = K_ACCEPTED;
            return q && info_tail(q, end, with_key);
        }
    case 'I': case 'i':
        if (!(starts(m, end, "Invalid user ") || starts(m, end, "Illegal user ") || starts(m, end, "invalid user ") ||
              starts(m, end, "illegal user ")))
            return 0;
        q = user_address(m + 13, end, f);
        f->kind = K_INVALID_USER;
        return q && preauth_tail(q, end);
    case 'p':
        if (!starts(m, end, "pam_unix(sshd:auth): ")) return 0;
        q = m + 21;
        while (q < end && *q == ' ') q++;
        if (!starts(q, end, "authentication failure;")) return 0;
        f->kind = K_PAM_FAILURE;
        return pam_tail(q + 23, end, f);
    case 'P':
        if (!starts(m, end, "PAM ")) return 0;
        q = number(m + 4, end, NULL);
        if (!q || !starts(q, end, " more authentication failure")) return 0;
        q += 28;
        if (q < end && *q == 's') q++;
        if (q >= end || *q != ';') return 0;
        f->kind = K_PAM_MORE;
        return pam_tail(q + 1, end, f);
    case 'R':
        if (!starts(m, end, "Received disconnect from ")) return 0;
        q = m + 25;
        {
            /* [^\s]+? then ( port N)?: an IPv4 address ends at the first ':' or ' ', an IPv6 one
             * only where " port " follows (a shorter prefix of it can be followed by ":N: "). */
            const char *e = q;
            while (e < end && (is_digit(*e) || *e == '.')) e++;
            if (!canonical_ipv4(q, e)) {
                e = token_end(q, end);
                if (!canonical_ipv6(q, e) || !starts(e, end, " port ")) return 0;
            }
            f->ip = q; f->ip_end = e;
            q = e;
        }
        if (starts(q, end, " port ")) q = number(q + 6, end, &f->port);
        if (!q || q >= end || *q != ':') return 0;
        q++;
        while (q < end && *q == ' ') q++;
        q = number(q, end, NULL);
        f->kind = K_RECEIVED_DISCONNECT;
        return q && starts(q, end, ": ");
    case 'D':
        if (starts(m, end, "Disconnected ")) {
            q = m + 13;
        } else if (starts(m, end, "Disconnecting: Too many authentication failures")) {
            q = m + 47;
            f->kind = K_TOO_MANY_FAILURES;
            if (!starts(q, end, " for ")) return preauth_tail(q, end);
            q += 5;
            for (int group = 1; group >= 0; group--) {
                const char *u = q;
                if (group) {
                    if (!starts(q, end, "invalid user ")) continue;
                    u = q + 13;
                }
                const char *ue = token_end(u, end);
                if (preauth_tail(ue, end)) { f->user = u; f->user_end = ue; return 1; }
            }
            return 0;
        } else if (starts(m, end, "Disconnecting ")) {
            q = m + 13;
            if (starts(q, end, " from ")) q += 5;
            q = client(q, end, f);
            q = q ? port(q, end, f) : NULL;
            if (!q || !starts(q, end, ": ")) return 0;
            q += 2;
            /* A reason that names another `port N` (a user name quoted in it) may give the line a second
             * reading: the reference decides. */
            if (memmem(q, end - q, " port ", 6)) return 0;
            if (starts(q, end, "Too many authentication failures") && preauth_tail(q + 32, end)) {
                f->kind = K_TOO_MANY_FAILURES;
                return 1;
            }
            /* The reference tries the too-many rule first, with every longer user name: where that
             * rule's words appear at all, a longer name might still match it. */
            if (memmem(m, end - m, ": Too many authentication failures", 34)) return 0;
            f->kind = K_DISCONNECTED;
            return 1;
        } else if (starts(m, end, "Did not receive identification string from ")) {
            q = address(m + 43, end, f);
            q = q ? port(q, end, f) : NULL;
            f->kind = K_NO_IDENTIFICATION;
            if (!q) return 0;
            while (q < end && *q == ' ') q++;
            return q == end;
        } else {
            return 0;
        }
        break;
    case 'C':
        if (starts(m, end, "Connection from ")) {
            q = address(m + 16, end, f);
            q = q ? port(q, end, f) : NULL;
            if (!q) return 0;
            if (starts(q, end, " on ")) {
                if (q + 4 == end || q[4] == ' ') return 0;  /* `on` names a local address: never an empty one */
                q = token_end(q + 4, end);
                if (starts(q, end, " port ")) q = number(q + 6, end, NULL);
                if (!q) return 0;
            }
            while (q < end && *q == ' ') q++;
            f->kind = K_CONNECTION;
            return q == end;
        }
        if (starts(m, end, "Connection closed ") || starts(m, end, "Connection reset ")) {
            q = m + (m[11] == 'c' ? 18 : 17);
            break;
        }
        return 0;
    case 'm':
        if (!starts(m, end, "maximum authentication attempts exceeded for ")) return 0;
        q = user_from(m + 45, end, f);
        if (!q) return 0;
        if (starts(q, end, " ssh")) {
            q += 4;
            while (q < end && is_digit(*q)) q++;
        }
        f->kind = K_MAX_ATTEMPTS;
        return preauth_tail(q, end);
    default:
        return 0;
    }
    /* Connection closed/reset, Disconnected: (by|from) [client] IP [port N] [[preauth]] */
    if (starts(q, end, "by")) q += 2;
    else if (starts(q, end, "from")) q += 4;
    else return 0;
    q = client(q, end, f);
    if (!q) return 0;
    if (starts(q, end, " port ")) {
        q = number(q + 6, end, &f->port);
        if (!q) return 0;
    }
    f->kind = K_DISCONNECTED;
    return preauth_tail(q, end);
}

/* `message repeated N times: [ MESSAGE ]`: the inner message and N, or 0. */
static int repeated(const char **m, const char **end, int64_t *count) {
    const char *p = *m, *e = *end;
    if (!starts(p, e, "message repeated ")) return 0;
    p = number(p + 17, e, count);
    if (!p || *count < 1 || !starts(p, e, " times: [") || e[-1] != ']') return 0;
    p += 9;
    if (p < e - 1 && *p == ' ') p++;
    const char *inner_end = e - 1;
    if (inner_end > p && inner_end[-1] == ' ') inner_end--;
    if (inner_end < p) return 0;
    *m = p; *end = inner_end;
    return 1;
}

/* ---------------------------------------------------------------- counting */

/* A user name or address from a line, interned only once something keeps it. */
typedef struct { const char *p; size_t n; uint32_t id; } Name;
#define NO_NAME ((Name){NULL, 0, NONE})

static int named(const Name *name) { return name->p != NULL || name->id != NONE; }
static int resolve(ScanState *s, Strings *strings, Name *name) {
    if (name->id == NONE && name->p) {
        name->id = intern(strings, name->p, name->n);
        if (name->id == NONE) return nomem(s);
    }
    return 0;
}

static uint64_t endpoint_key(uint32_t source, int64_t port) { return ((uint64_t)source << 32) | (uint64_t)port; }

/* a - b in µs, as Python subtracts aware datetimes: by wall clock when both are in the reader's
 * zone (the same tzinfo), else by UTC instant — which for a local time needs the zone's offset
 * at that time, asked of Python (only logs that mix local and UTC-offset stamps get here). */
static int time_diff_zoned(ScanState *s, Time a, Time b, int64_t *diff);

/* a - b in µs: by wall clock where both are local stamps (nearly always: inline), else by instant. */
static inline int time_diff(ScanState *s, const Time *a, const Time *b, int64_t *diff) {
    if (a->offset == LOCAL && b->offset == LOCAL) {
        *diff = a->wall - b->wall;
        return 0;
    }
    return time_diff_zoned(s, *a, *b, diff);
}

static int time_diff_zoned(ScanState *s, Time a, Time b, int64_t *diff) {
    int64_t instants[2];
    Time both[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (both[i].offset != LOCAL) {
            instants[i] = both[i].wall - (int64_t)both[i].offset * US;
            continue;
        }
        int64_t seconds;
        if (s->hooks.local_offset(s, both[i].wall, both[i].fold, &seconds) < 0) return -1;
        instants[i] = both[i].wall - seconds * US;
    }
    *diff = instants[0] - instants[1];
    return 0;
}

/* The local wall clock and fold of a time in the build's zone (datetime.astimezone). A time with a
 * UTC offset is converted: directly for a fixed zone, else with the zone's offset asked of Python
 * once per quarter hour of UTC (the zone changes its offset on such boundaries). */
static int local_time(ScanState *s, Time t, int64_t *wall, uint8_t *fold) {
    if (t.offset == LOCAL) {
        *wall = t.wall; *fold = t.fold;
        return 0;
    }
    int64_t instant = t.wall - (int64_t)t.offset * US;
    if (s->zone_offset != LOCAL) {
        *wall = instant + (int64_t)s->zone_offset * US; *fold = 0;
        return 0;
    }
    int64_t bucket = instant >= 0 ? instant / ZONE_BUCKET_US : -1;
    if (bucket != s->zone_bucket) {
        int32_t offset;
        uint8_t folded;
        if (s->hooks.to_local(s, instant, &offset, &folded) < 0) return -1;
        s->zone_bucket = bucket; s->zone_bucket_offset = offset; s->zone_bucket_fold = folded;
    }
    *wall = instant + (int64_t)s->zone_bucket_offset * US; *fold = s->zone_bucket_fold;
    return 0;
}

/* The slice holding a time: its start on the build zone's local clock, aligned to local midnight (Tally.add). */
static uint32_t slice_of(ScanState *s, Time t, int *failed) {
    if (s->last_slice != NONE && t.wall == s->last_time.wall && t.offset == s->last_time.offset &&
        t.fold == s->last_time.fold)
        return s->last_slice;
    int64_t wall;
    uint8_t fold;
    if (local_time(s, t, &wall, &fold) < 0) { *failed = 1; return NONE; }
    int64_t day = wall / DAY_US, since = wall % DAY_US;
    int64_t start = day * DAY_US + since / s->slice_us * s->slice_us;
    uint32_t id = map_get(&s->slice_index, (uint64_t)start, fold);
    if (id == NONE) {
        SliceKey *key = array_push(&s->slices);
        if (!key) { *failed = 1; nomem(s); return NONE; }
        key->start = start; key->fold = fold;
        id = (uint32_t)(s->slices.len - 1);
        if (map_put(&s->slice_index, (uint64_t)start, fold, id) < 0) { *failed = 1; nomem(s); return NONE; }
    }
    s->last_time = t; s->last_slice = id;
    return id;
}

/* Ask once for the spans an earlier build counted of a host's lines. */
static int ask_cover(ScanState *s, uint32_t host, HostCover *cover) {
    cover->first = (uint32_t)s->covered.len;
    if (s->hooks.covered(s, s->hosts.bytes + s->hosts.start[host], s->hosts.length[host], &s->covered) < 0) return -1;
    cover->count = (uint32_t)s->covered.len - cover->first;
    cover->known = 1;
    return 0;
}

/* Whether a host's line at t lies in a span an earlier build counted (Tally.covers): 1, 0, or -1 on error.
 * A line at the very instant a span ends is covered only up to the number of lines read at that instant
 * then: the log may have gone on within that second after it was read. Asked once per line, in order. */
static int is_covered(ScanState *s, uint32_t host, Time t) {
    if (!s->has_covers) return 0;
    HostCover *cover = array_reach(&s->host_cover, host);
    if (!cover) return nomem(s);
    if (!cover->known && ask_cover(s, host, cover) < 0) return -1;
    for (uint32_t i = cover->first; i < cover->first + cover->count; i++) {
        Covered *c = &AT(s->covered, Covered, i);
        int64_t at = t.wall, first = c->first_wall, last = c->last_wall;
        if (t.offset != LOCAL) { at = t.wall - (int64_t)t.offset * US; first = c->first_instant; last = c->last_instant; }
        if (at < first || at > last) continue;
        if (at < last) return 1;
        return ++c->seen <= c->last_lines;
    }
    return 0;
}

/* Note a user name a source tried, or that sshd called invalid, among its first (timeline.noted). */
static int note_name(ScanState *s, SourceInfo *info, Named name) {
    int64_t step;
    uint8_t at = info->names;
    for (uint8_t i = 0; i < info->names; i++) {
        Named *known = &info->name[i];
        if (known->user != name.user) continue;
        if (time_diff(s, &name.at, &known->at, &step) < 0) return -1;
        if (step >= 0 && (known->invalid || !name.invalid)) return 0;
        if (step >= 0) name.at = known->at;
        name.invalid |= known->invalid;
        memmove(known, known + 1, (size_t)(info->names - i - 1) * sizeof *known);
        at = --info->names;
        break;
    }
    if (at == s->attack_names) {
        if (time_diff(s, &name.at, &info->name[s->attack_names - 1].at, &step) < 0) return -1;
        if (step >= 0) return 0;
        info->names--;  /* the latest of the kept names gives way */
    }
    uint8_t place = info->names;
    while (place > 0) {
        if (time_diff(s, &name.at, &info->name[place - 1].at, &step) < 0) return -1;
        if (step >= 0) break;
        info->name[place] = info->name[place - 1];
        place--;
    }
    info->name[place] = name;
    info->names++;
    return 0;
}

/* Put a cell's index in a map keyed by (slice, …). The map only finds the cells of recent slices: where it is
 * full, those of slices counted in no longer are forgotten before it grows, so it stays the size of what a log
 * counts at once, not of all it counted. A forgotten cell that is counted again gets a second record, which
 * Scanner_cells adds to the first. */
static int cell_put(ScanState *s, Map *m, uint64_t slice, uint64_t key, uint32_t index) {
    if ((m->len + 1) * 2 > m->cap) {
        uint32_t now = (uint32_t)s->slices.len;
        size_t recent = 0;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].v != NONE && AT(s->slices, SliceKey, m->slots[i].a).used + RECENT >= now) recent++;
        if (recent < m->len) {
            /* A quarter full at most and an eighth at least: a quarter of the room is filled before the next look. */
            Map kept;
            size_t cap = m->cap;
            if ((recent + 1) * 4 > cap) cap *= 2;
            else while (cap > (1 << 12) && (recent + 1) * 8 <= cap) cap /= 2;
            if (map_init(&kept, cap) < 0) { map_free(&kept); return -1; }
            for (size_t i = 0; i < m->cap; i++) {
                Slot slot = m->slots[i];
                if (slot.v != NONE && AT(s->slices, SliceKey, slot.a).used + RECENT >= now) {
                    *map_slot(&kept, slot.a, slot.b) = slot.v;
                    kept.len++;
                }
            }
            map_free(m);
            *m = kept;
        }
    }
    return map_put(m, slice, key, index);
}

/* Add attempts and a probe of one source to the tally (Tally.add). user: a Name, or NO_NAME. */
static int tally(ScanState *s, Time t, uint32_t host, uint32_t origin, Name *user, int64_t attempts, int probe) {
    INFO(s, origin).counted = 1;
    int failed = 0;
    uint32_t slice = slice_of(s, t, &failed);
    if (failed) return -1;
    AT(s->slices, SliceKey, slice).used = (uint32_t)s->slices.len;
    if (attempts || probe) {
        uint64_t key = (uint64_t)host << 32 | origin;
        uint32_t index = map_get(&s->cell_index, slice, key);
        if (index == NONE) {
            Cell *cell = array_push(&s->cells);
            if (!cell) return nomem(s);
            cell->slice = slice; cell->source = origin; cell->host = host;
            index = (uint32_t)(s->cells.len - 1);
            if (cell_put(s, &s->cell_index, slice, key, index) < 0) return nomem(s);
        }
        Cell *cell = &AT(s->cells, Cell, index);
        cell->attempts += attempts;
        cell->probes += probe;
    }
    if (attempts) {
        if (named(user)) {
            if (resolve(s, &s->users, user) < 0) return -1;
            uint32_t index = map_get(&s->user_cell_index, slice, user->id);
            if (index == NONE) {
                UserCell *cell = array_push(&s->user_cells);
                if (!cell) return nomem(s);
                cell->slice = slice; cell->user = user->id;
                index = (uint32_t)(s->user_cells.len - 1);
                if (cell_put(s, &s->user_cell_index, slice, user->id, index) < 0) return nomem(s);
            }
            AT(s->user_cells, UserCell, index).attempts += attempts;
        }
        SourceInfo *info = &INFO(s, origin);
        int64_t before = -1, after = 1;
        if (info->failed && (time_diff(s, &t, &info->first, &before) < 0 || time_diff(s, &t, &info->last, &after) < 0))
            return -1;
        if (before < 0) info->first = t;
        if (after > 0) info->last = t;
        info->failed = 1;
        info->total += attempts;
        if (named(user) && note_name(s, info, (Named){t, user->id, 0}) < 0) return -1;
    }
    return 0;
}

/* Count a connection's pending PAM failures, each at its own time (SshdParser._settle). */
static int settle(ScanState *s, Connection *c) {
    for (uint32_t i = c->pending_first; i < c->pending_len; i++) {
        Pending *p = &c->pending[i];
        Name user = {NULL, 0, p->user};
        if (tally(s, p->time, (uint32_t)c->host, c->source, &user, p->times, 0) < 0) return -1;
        c->settled += p->times;
    }
    c->pending_first = c->pending_len = 0;
    return 0;
}

/* A map whose values are connection indices, without those below `dropped` and the rest moved down. */
static int map_shift(Map *m, uint32_t dropped) {
    Map kept;
    if (map_init(&kept, m->cap) < 0) { map_free(&kept); return -1; }
    for (size_t i = 0; i < m->cap; i++) {
        Slot slot = m->slots[i];
        if (slot.v != NONE && slot.v >= dropped && map_put(&kept, slot.a, slot.b, slot.v - dropped) < 0) {
            map_free(&kept);
            return -1;
        }
    }
    map_free(m);
    *m = kept;
    return 0;
}

/* Forget the older half of the connections (those that never logged their end), settling them. */
static int forget_older_half(ScanState *s) {
    size_t total = s->connections.len, half = s->max_connections / 2;
    for (size_t i = 0; i < half; i++) {
        Connection *c = &AT(s->connections, Connection, i);
        if (settle(s, c) < 0) return -1;
        free(c->pending);
    }
    memmove(s->connections.items, &AT(s->connections, Connection, half), (total - half) * sizeof(Connection));
    s->connections.len = total - half;
    if (map_shift(&s->connection_index, (uint32_t)half) < 0 || map_shift(&s->endpoint_index, (uint32_t)half) < 0 ||
        map_shift(&s->session_index, (uint32_t)half) < 0)
        return nomem(s);
    uint64_t first = s->connections.len ? AT(s->connections, Connection, 0).seq : s->next_seq;
    size_t keep = 0;
    for (size_t i = 0; i < s->waiting.len; i++) {
        uint64_t seq = AT(s->waiting, uint64_t, i);
        if (seq >= first) AT(s->waiting, uint64_t, keep++) = seq;
    }
    s->waiting.len = keep;
    return 0;
}

/* The connection a line belongs to, made if new (SshdParser._connection); NULL for none. */
static Connection *connection(ScanState *s, uint64_t host, uint64_t pid, uint32_t source, int64_t port, int *failed) {
    if (source != NONE && port >= 0) {
        uint32_t index = map_get(&s->endpoint_index, host, endpoint_key(source, port));
        if (index != NONE && !AT(s->connections, Connection, index).closed) {
            if (map_put(&s->connection_index, host, pid, index) < 0) { *failed = 1; nomem(s); return NULL; }
            return &AT(s->connections, Connection, index);
        }
    }
    uint32_t index = map_get(&s->connection_index, host, pid);
    Connection *known = index == NONE ? NULL : &AT(s->connections, Connection, index);
    if (source == NONE) return known;
    if (!known && port < 0) {
        /* A session's end written without the port by its own process ends the open login from there. */
        uint32_t session = map_get(&s->session_index, host, source);
        if (session != NONE && !AT(s->connections, Connection, session).closed) {
            if (map_put(&s->connection_index, host, pid, session) < 0) { *failed = 1; nomem(s); return NULL; }
            return &AT(s->connections, Connection, session);
        }
    }
    if (known && INFO(s, known->source).is_host != INFO(s, source).is_host) {
        /* A host name and an address for one process are one client (PAM's rhost with UseDNS): the
         * address names it from then on. */
        if (!INFO(s, source).is_host) known->source = source;
        source = known->source;
    }
    if (known && known->source == source && (known->port < 0 || port < 0 || known->port == port)) {
        if (port >= 0 && known->port < 0) {
            known->port = port;
            if (map_put(&s->endpoint_index, host, endpoint_key(source, port), index) < 0) {
                *failed = 1; nomem(s); return NULL;
            }
        }
        return known;
    }
    if (known && settle(s, known) < 0) { *failed = 1; return NULL; }  /* the pid serves another client now */
    if (s->connections.len >= s->max_connections && forget_older_half(s) < 0) { *failed = 1; return NULL; }
    Connection *fresh = array_push(&s->connections);
    if (!fresh) { *failed = 1; nomem(s); return NULL; }
    fresh->seq = s->next_seq++;
    fresh->host = host; fresh->pid = pid; fresh->source = source; fresh->port = port;
    index = (uint32_t)(s->connections.len - 1);
    if (map_put(&s->connection_index, host, pid, index) < 0 ||
        (port >= 0 && map_put(&s->endpoint_index, host, endpoint_key(source, port), index) < 0)) {
        *failed = 1; nomem(s); return NULL;
    }
    return fresh;
}

static Connection *by_seq(ScanState *s, uint64_t seq) {
    if (!s->connections.len) return NULL;
    uint64_t first = AT(s->connections, Connection, 0).seq;
    return seq >= first && seq - first < s->connections.len ? &AT(s->connections, Connection, seq - first) : NULL;
}

/* Settle connections whose last PAM failure is over IDLE old, every SWEEP of log time (SshdParser._sweep). */
static int sweep(ScanState *s, Time t) {
    if (!s->has_swept) { s->swept = t; s->has_swept = 1; return 0; }
    int64_t since;
    if (time_diff(s, &t, &s->swept, &since) < 0) return -1;
    if (since < s->sweep_us) return 0;
    s->swept = t;
    size_t keep = 0;
    for (size_t i = 0; i < s->waiting.len; i++) {
        uint64_t seq = AT(s->waiting, uint64_t, i);
        Connection *c = by_seq(s, seq);
        if (!c) continue;
        if (c->pending_first < c->pending_len) {
            int64_t idle;
            if (time_diff(s, &t, &c->pending[c->pending_len - 1].time, &idle) < 0) return -1;
            if (idle <= s->idle_us) { AT(s->waiting, uint64_t, keep++) = seq; continue; }
            if (settle(s, c) < 0) return -1;
        }
        c->waiting = 0;
    }
    s->waiting.len = keep;
    return 0;
}

/* The reference's _count: attempts this line adds, and whether it ends a probe. covered: an earlier build
 * counted the line (a PAM failure of it was counted there, so it waits for nothing here). */
static int count_line(ScanState *s, Time t, int kind, int64_t count, Name *user, Connection *c, int covered,
                      int64_t *attempts, int *probe) {
    *attempts = 0; *probe = 0;
    unsigned actions = s->actions[kind];
    if (!c) {
        *attempts = (actions & A_ATTEMPT) ? count : 0;
        *probe = (actions & A_ENDS) && !(actions & A_TRIES);
        return 0;
    }
    /* The actions in rules.Action's order, as SshdParser._count does them. */
    if (actions & A_TRIES) c->tried = 1;
    if (actions & A_ATTEMPT) {
        int64_t echoed = count;
        while (echoed && c->pending_first < c->pending_len) {  /* the PAM failures this line echoes */
            Pending *first = &c->pending[c->pending_first];
            int64_t taken = echoed < first->times ? echoed : first->times;
            echoed -= taken;
            first->times -= taken;
            if (!first->times) c->pending_first++;
        }
        if (c->pending_first == c->pending_len) c->pending_first = c->pending_len = 0;
        int64_t already = echoed < c->settled ? echoed : c->settled;
        c->settled -= already;
        *attempts = count - already;
    }
    if ((actions & A_WAITS) && covered) {
        c->settled += count;  /* counted by an earlier build: a Failed line echoing it adds nothing */
    } else if (actions & A_WAITS) {
        if (resolve(s, &s->users, user) < 0) return -1;
        if (c->pending_len == c->pending_room) {
            uint32_t room = c->pending_room ? c->pending_room * 2 : 4;
            Pending *grown = realloc(c->pending, room * sizeof *grown);
            if (!grown) return nomem(s);
            c->pending = grown; c->pending_room = room;
        }
        c->pending[c->pending_len++] = (Pending){t, user->id, count};
        if (c->pending_len - c->pending_first >= s->max_pending && settle(s, c) < 0) return -1;
        if (!c->waiting) {
            uint64_t *seq = array_push(&s->waiting);
            if (!seq) return nomem(s);
            *seq = c->seq;
            c->waiting = 1;
        }
    }
    if (actions & A_KEEPS_OWN) {
        if (resolve(s, &s->users, user) < 0) return -1;
        uint32_t keep = c->pending_first;
        for (uint32_t i = c->pending_first; i < c->pending_len; i++)
            if (c->pending[i].user != user->id) c->pending[keep++] = c->pending[i];
        c->pending_len = keep;
    }
    if ((actions & A_SETTLES) && settle(s, c) < 0) return -1;
    if (actions & A_SESSION) {
        uint32_t index = (uint32_t)(c - (Connection *)s->connections.items);
        if (map_put(&s->session_index, c->host, c->source, index) < 0) return nomem(s);
    }
    if (actions & A_ENDS) {
        *probe = !c->tried && !c->closed;
        c->closed = 1;
    }
    return 0;
}

/* sshd._FIRST and _LAST: stamps outside are not read, so a day's slice and the next fit in any zone. */
#define FIRST_WALL (3 * DAY_US)                       /* 0001-01-04 */
#define LAST_WALL (3652056LL * DAY_US - 1)            /* 9999-12-28 23:59:59.999999 */

/* One sshd event: connection state, then the tally (Tally.add). source: an interned address or NONE. */
static uint32_t add_source(ScanState *s, const char *p, size_t n, int is_host);

static int event(ScanState *s, Time t, uint32_t host, int has_pid, uint64_t pid, int kind, int64_t count,
                 Name source, int source_is_host, int64_t port, Name user) {
    if (s->has_latest) {
        int64_t step;
        if (time_diff(s, &s->latest, &t, &step) < 0) return -1;
        if (step > s->backwards_us) {
            s->backwards++;
            if (step > s->backwards_step) { s->backwards_step = step; s->backwards_line = s->lines; }
        }
        if (step < 0) s->latest = t;
    } else {
        s->latest = t;
        s->has_latest = 1;
    }

    HostSpan *span = array_reach(&s->host_spans, host);
    if (!span) return nomem(s);
    if (!span->seen) {
        span->first = span->last = t;
        span->at_last = 1;
        span->seen = 1;
    } else {
        int64_t before, after;
        if (time_diff(s, &t, &span->first, &before) < 0 || time_diff(s, &t, &span->last, &after) < 0) return -1;
        if (before < 0) span->first = t;
        if (after > 0) { span->last = t; span->at_last = 1; }
        else if (after == 0) span->at_last++;
    }
    /* A line an earlier build counted is read for its connection, and counted in nothing. */
    int covered = is_covered(s, host, t);
    if (covered < 0) return -1;
    int counted = !covered;
    if (counted) {
        s->sshd_lines++;
        s->kinds[kind] += count;
        s->kind_seen[kind] = 1;
    }
    if (sweep(s, t) < 0) return -1;
    if (source.p && source.id == NONE && has_pid) {
        /* Most lines repeat their connection's address: compare bytes instead of hashing them. */
        uint32_t index = map_get(&s->connection_index, host, pid);
        if (index != NONE) {
            uint32_t known = AT(s->connections, Connection, index).source;
            if (s->sources.length[known] == source.n &&
                memcmp(s->sources.bytes + s->sources.start[known], source.p, source.n) == 0)
                source.id = known;
        }
    }
    if (source.p && source.id == NONE) {
        source.id = add_source(s, source.p, source.n, source_is_host);
        if (source.id == NONE) return nomem(s);
    }
    uint32_t origin = source.id;
    Connection *c = NULL;
    if (has_pid) {
        int failed = 0;
        c = connection(s, host, pid, origin, port, &failed);
        if (failed) return -1;
        if (c && origin == NONE) origin = c->source;
    }
    int64_t attempts;
    int probe;
    if (count_line(s, t, kind, count, &user, c, covered, &attempts, &probe) < 0) return -1;
    if (origin == NONE || !counted) return 0;
    if (tally(s, t, host, origin, &user, attempts, probe) < 0) return -1;
    if ((s->actions[kind] & A_NOTES_INVALID) && !attempts && named(&user)) {
        if (resolve(s, &s->users, &user) < 0) return -1;
        if (note_name(s, &INFO(s, origin), (Named){t, user.id, 1}) < 0) return -1;
    }
    if ((s->actions[kind] & A_LOGIN) && named(&user)) {
        if (resolve(s, &s->users, &user) < 0) return -1;
        Login *login = array_push(&s->logins);
        if (!login) return nomem(s);
        login->time = t; login->source = origin; login->user = user.id;
        login->before = INFO(s, origin).total;
    }
    return 0;
}

static uint32_t add_source(ScanState *s, const char *p, size_t n, int is_host) {
    uint32_t id = intern(&s->sources, p, n);
    if (id == NONE) return NONE;
    while (s->source_info.len <= id) {
        SourceInfo *info = array_push(&s->source_info);
        if (!info) return NONE;
        info->is_host = (uint8_t)is_host;
    }
    return id;
}

/* Count a message by the reference reader's reading of its fields. */
static int reference_fields(ScanState *s, Header *h, const char *m, size_t n, int raw) {
    ReadFields f;
    if (s->hooks.read_fields(s, m, n, raw, &f) < 0) return -1;
    Name source = NO_NAME, user = NO_NAME;
    if (f.address) {
        source.id = add_source(s, f.address, f.address_length, f.address_is_host);
        if (source.id == NONE) return nomem(s);
    }
    if (f.user) {
        user.id = intern(&s->users, f.user, f.user_length);
        if (user.id == NONE) return nomem(s);
    }
    s->two_ways += f.two_ways;
    int has_pid = h->has_pid;
    uint64_t pid = h->pid;
    if (f.process >= 0) { has_pid = 1; pid = (uint64_t)f.process; }
    return event(s, h->time, h->host, has_pid, pid, f.kind, f.count, source, f.address_is_host, f.port, user);
}

/* The message of a header: read here where the fast path can, else by the reference. from_line: its bytes are
 * the line's own (not text the reference's header reading gave); ascii: they are all ASCII. */
static int handle_message(ScanState *s, Header *h, int from_line, int ascii) {
    if (h->time.wall < FIRST_WALL || h->time.wall > LAST_WALL) return 0;  /* as if the line had no valid time */
    const char *m = h->message, *end = h->message + h->message_len;
    if (!from_line && !ascii) return reference_fields(s, h, m, h->message_len, 0);
    int64_t count = 1;
    const char *inner = m, *inner_end = end;
    if (m < end && *m == 'm' && !repeated(&inner, &inner_end, &count)) { inner = m; inner_end = end; count = 1; }
    Fields f = {0};
    if (inner < inner_end && fast_fields(inner, inner_end, &f)) {
        Name source = NO_NAME, user = NO_NAME;
        if (f.ip) source = (Name){f.ip, (size_t)(f.ip_end - f.ip), NONE};
        if (f.user) user = (Name){f.user, (size_t)(f.user_end - f.user), NONE};
        return event(s, h->time, h->host, h->has_pid, h->pid, f.kind, count, source, 0, f.port, user);
    }
    return reference_fields(s, h, m, h->message_len, from_line);
}

/* A line the fast header could not read: the reference reads its header. */
static int reference_line(ScanState *s, const char *p, size_t n) {
    ReadHeader r;
    int found = s->hooks.read_header(s, p, n, &r);
    if (found < 0) return -1;
    if (found == OVERLONG) s->overlong++;
    if (found != HEADER_READ) return 0;
    Header h;
    int ok = r.yearless ? classic_time(s, &h.time, r.month, r.day, r.hour, r.minute, r.second, r.micro) == 0
                        : make_time(&h.time, r.year, r.month, r.day, r.hour, r.minute, r.second, r.micro, r.offset,
                                    r.fold) == 0;
    if (!ok) return 0;
    h.host = intern(&s->hosts, r.host, r.host_length);
    if (h.host == NONE) return nomem(s);
    h.has_pid = r.has_pid;
    h.pid = r.pid;
    h.message = r.message; h.message_len = r.message_length;
    return handle_message(s, &h, 0, r.message_ascii);
}

static int line(ScanState *s, const char *p, ptrdiff_t n) {
    while (n > 0 && p[n - 1] == '\r') n--;
    s->lines++;
    if (n > MAX_LINE) return reference_line(s, p, (size_t)n);
    Header h;
    int read = fast_header(s, p, n, &h);  /* a header it reads names sshd */
    if (read == -2) return nomem(s);
    if (read < 0) return 0;
    if (read == 0) return n >= 4 && memmem(p, n, "sshd", 4) ? reference_line(s, p, (size_t)n) : 0;
    return handle_message(s, &h, 1, 1);
}

/* ---------------------------------------------------------------- the Python type */

/* The Python type: a ScanState, and what the glue keeps of Python for it. */
typedef struct {
    PyObject_HEAD
    ScanState s;
    PyObject *header, *fields, *local_offset, *to_local;
    PyObject *covers;  /* host name -> its covered spans, asked once per host; or None */
    PyObject *held[4];  /* the bytes the last ReadHeader (0, 1) and ReadFields (2, 3) point into */
    PyThreadState *released;  /* the GIL, while feed() reads without it */
    int allow_threads;
} Scanner;
#define SCANNER(state) ((Scanner *)((char *)(state) - offsetof(Scanner, s)))

/* A scanner's life: __init__, feed() any number of times, finish(), result() and then slices() once. */
enum { NEW, READING, FINISHED, SLICED, TAKEN, BROKEN };
static const char *STATE_TEXT[] = {"before __init__", "before finish()", "after finish()", "after slices()",
                                   "after failures() took sources",
                                   "after an error"};
#define ALLOWED(state) (1 << (state))

/* Begin a method: refused while another is running (the GIL is let go while reading) or in the wrong state. */
static int enter(Scanner *self, int allowed, const char *method) {
    ScanState *s = &self->s;
    if (s->busy) {
        PyErr_Format(PyExc_RuntimeError, "Scanner.%s: the scanner is busy in another call", method);
        return -1;
    }
    if (!(allowed & ALLOWED(s->state))) {
        PyErr_Format(PyExc_RuntimeError, "Scanner.%s cannot be called %s", method, STATE_TEXT[s->state]);
        return -1;
    }
    s->busy = 1;
    return 0;
}

/* The fast path runs without the GIL, so ranges of a file can be read on threads side by side;
 * anything that touches Python objects takes it back first. */
static void hold(Scanner *self) {
    if (self->released) {
        PyEval_RestoreThread(self->released);
        self->released = NULL;
    }
}
static void let_go(Scanner *self) {
    if (self->allow_threads && !self->released) self->released = PyEval_SaveThread();
}

/* Return NULL with an exception: the Python error a hook set, or MemoryError where plain code ran out of it. */
static PyObject *raised(Scanner *self) {
    hold(self);
    if (!PyErr_Occurred()) PyErr_NoMemory();
    return NULL;
}

/* Run call(s, args) with the GIL: taken back here if feed() let it go, and let go again once the call succeeds
 * (a failure keeps it, to raise). The one place counting enters Python. */
typedef int (*PythonCall)(Scanner *self, void *args);
static int with_python(Scanner *self, PythonCall call, void *args) {
    int released = self->released != NULL;
    hold(self);
    int r = call(self, args);
    if (r == 0 && released) let_go(self);
    return r;
}


static int Scanner_start(Scanner *self, PyObject *args, PyObject *kwds);

static int Scanner_init(Scanner *self, PyObject *args, PyObject *kwds) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(NEW), "__init__") < 0) return -1;
    int r = Scanner_start(self, args, kwds);
    s->busy = 0;
    if (r == 0) s->state = READING;
    return r;
}

/* The hooks counting calls (Hooks), answered by the callables native.py hands over. */
typedef struct { int64_t wall; uint8_t fold; int64_t *seconds; } OffsetAsk;
static int ask_local_offset(Scanner *self, void *args) {
    OffsetAsk *a = args;
    PyObject *offset = PyObject_CallFunction(self->local_offset, "Li", (long long)a->wall, (int)a->fold);
    long long seconds = offset ? PyLong_AsLongLong(offset) : -1;
    Py_XDECREF(offset);
    if (seconds == -1 && PyErr_Occurred()) return -1;
    *a->seconds = seconds;
    return 0;
}
static int hook_local_offset(void *scanner, int64_t wall, uint8_t fold, int64_t *seconds) {
    return with_python(SCANNER(scanner), ask_local_offset, &(OffsetAsk){wall, fold, seconds});
}

typedef struct { int64_t instant; int32_t *offset; uint8_t *fold; } LocalAsk;
static int ask_to_local(Scanner *self, void *args) {
    LocalAsk *a = args;
    PyObject *answer = PyObject_CallFunction(self->to_local, "L", (long long)a->instant);
    int offset = 0, folded = 0;
    int ok = answer && PyArg_ParseTuple(answer, "ii", &offset, &folded);
    Py_XDECREF(answer);
    if (!ok) return -1;
    *a->offset = offset; *a->fold = (uint8_t)folded;
    return 0;
}
static int hook_to_local(void *scanner, int64_t instant, int32_t *offset, uint8_t *fold) {
    return with_python(SCANNER(scanner), ask_to_local, &(LocalAsk){instant, offset, fold});
}

typedef struct { const char *host; size_t length; Array *spans; } CoverAsk;
static int ask_covered(Scanner *self, void *args) {
    CoverAsk *a = args;
    PyObject *name = PyUnicode_DecodeUTF8(a->host, (Py_ssize_t)a->length, "surrogatepass");
    PyObject *spans = name ? PyObject_CallOneArg(self->covers, name) : NULL;
    Py_XDECREF(name);
    if (!spans) return -1;
    if (!PyTuple_Check(spans)) {
        Py_DECREF(spans);
        PyErr_SetString(PyExc_TypeError, "covered spans must be a tuple");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(spans); i++) {
        long long first_wall, first_instant, last_wall, last_instant, last_lines;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(spans, i), "LLLLL", &first_wall, &first_instant, &last_wall,
                              &last_instant, &last_lines)) {
            Py_DECREF(spans);
            return -1;
        }
        Covered *c = array_push(a->spans);
        if (!c) { Py_DECREF(spans); PyErr_NoMemory(); return -1; }
        *c = (Covered){first_wall, first_instant, last_wall, last_instant, last_lines, 0};
    }
    Py_DECREF(spans);
    return 0;
}
static int hook_covered(void *scanner, const char *host, size_t length, Array *spans) {
    return with_python(SCANNER(scanner), ask_covered, &(CoverAsk){host, length, spans});
}

/* Keep text as UTF-8 bytes (lone surrogates kept) in held[slot]: the reading points into them until the next. */
static const char *held_text(Scanner *self, int slot, PyObject *text, size_t *length) {
    PyObject *bytes = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    if (!bytes) return NULL;
    Py_XSETREF(self->held[slot], bytes);
    *length = (size_t)PyBytes_GET_SIZE(bytes);
    return PyBytes_AS_STRING(bytes);
}

/* The header callable returns None (no sshd event), -1 (a line over the length limit), or (stamp, host, pid,
 * message) where stamp is (month, day, h, m, s, µs) for a yearless stamp or (y, mo, d, h, mi, s, µs, offset or
 * None, fold) for a dated one. */
typedef struct { const char *line; size_t length; ReadHeader *out; int found; } HeaderAsk;
static int ask_header(Scanner *self, void *args) {
    HeaderAsk *a = args;
    PyObject *line = PyBytes_FromStringAndSize(a->line, (Py_ssize_t)a->length);
    if (!line) return -1;
    PyObject *result = PyObject_CallOneArg(self->header, line);
    Py_DECREF(line);
    if (!result) return -1;
    a->found = result == Py_None ? NO_SSHD_LINE : PyLong_Check(result) ? OVERLONG : HEADER_READ;
    if (a->found != HEADER_READ) { Py_DECREF(result); return 0; }
    ReadHeader *r = a->out;
    PyObject *stamp, *host, *pid, *message;
    int ok = PyArg_ParseTuple(result, "OUOU", &stamp, &host, &pid, &message) && PyTuple_Check(stamp);
    if (ok && PyTuple_GET_SIZE(stamp) == 6) {
        r->yearless = 1;
        ok = PyArg_ParseTuple(stamp, "iiiiii", &r->month, &r->day, &r->hour, &r->minute, &r->second, &r->micro);
    } else if (ok) {
        PyObject *offset;
        r->yearless = 0;
        ok = PyArg_ParseTuple(stamp, "iiiiiiiOi", &r->year, &r->month, &r->day, &r->hour, &r->minute, &r->second,
                              &r->micro, &offset, &r->fold);
        r->offset = LOCAL;
        if (ok && offset != Py_None) {
            long value = PyLong_AsLong(offset);
            ok = !(value == -1 && PyErr_Occurred());
            r->offset = (int32_t)value;
        }
    }
    r->has_pid = ok && pid != Py_None;
    r->pid = r->has_pid ? (uint64_t)PyLong_AsUnsignedLongLongMask(pid) : 0;
    ok = ok && !PyErr_Occurred();
    ok = ok && (r->host = held_text(self, 0, host, &r->host_length)) &&
         (r->message = held_text(self, 1, message, &r->message_length));
    if (ok) r->message_ascii = PyUnicode_IS_ASCII(message);
    Py_DECREF(result);
    if (!ok && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "bad header");
    return ok ? 0 : -1;
}
static int hook_read_header(void *scanner, const char *line, size_t length, ReadHeader *header) {
    HeaderAsk ask = {line, length, header, NO_SSHD_LINE};
    if (with_python(SCANNER(scanner), ask_header, &ask) < 0) return -1;
    return ask.found;
}

/* The fields callable returns (count, kind, ip, host name, port or -1, user, read two ways, process or -1). */
typedef struct { const char *message; size_t length; int raw; ReadFields *out; } FieldsAsk;
static int ask_fields(Scanner *self, void *args) {
    FieldsAsk *a = args;
    PyObject *text = PyUnicode_DecodeUTF8(a->message, (Py_ssize_t)a->length, a->raw ? "replace" : "surrogatepass");
    PyObject *result = text ? PyObject_CallOneArg(self->fields, text) : NULL;
    Py_XDECREF(text);
    if (!result) return -1;
    ReadFields *f = a->out;
    long long count, port, process;
    PyObject *ip, *source_host, *user;
    int ok = PyArg_ParseTuple(result, "LiOOLOpL", &count, &f->kind, &ip, &source_host, &port, &user, &f->two_ways,
                              &process) && f->kind >= 0 && f->kind < N_KINDS;
    if (ok) {
        f->count = count; f->port = port; f->process = process;
        PyObject *address = ip != Py_None ? ip : source_host;
        f->address_is_host = ip == Py_None;
        f->address = NULL; f->user = NULL;
        if (address != Py_None) ok = (f->address = held_text(self, 2, address, &f->address_length)) != NULL;
        if (ok && user != Py_None) ok = (f->user = held_text(self, 3, user, &f->user_length)) != NULL;
    }
    Py_DECREF(result);
    if (!ok && !PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "bad fields");
    return ok ? 0 : -1;
}
static int hook_read_fields(void *scanner, const char *message, size_t length, int raw, ReadFields *fields) {
    return with_python(SCANNER(scanner), ask_fields, &(FieldsAsk){message, length, raw, fields});
}

static int Scanner_start(Scanner *self, PyObject *args, PyObject *kwds) {
    ScanState *s = &self->s;
    static char *names[] = {"slice_seconds", "year", "reference", "header", "fields", "local_offset", "to_local",
                            "zone_offset", "covered", "rules", NULL};
    int slice, year, ref_year, ref_month, ref_day, attack_names;
    long long idle, sweep, backwards;
    Py_ssize_t max_pending, max_connections;
    PyObject *header, *fields, *local_offset, *to_local, *zone_offset, *covers, *actions;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ii(iii)OOOOOO(O!LLnniL)", names, &slice, &year, &ref_year,
                                     &ref_month, &ref_day, &header, &fields, &local_offset, &to_local, &zone_offset,
                                     &covers, &PyTuple_Type, &actions, &idle, &sweep, &max_pending,
                                     &max_connections, &attack_names, &backwards))
        return -1;
    if (PyTuple_GET_SIZE(actions) != N_KINDS) {
        PyErr_SetString(PyExc_ValueError, "rules: one action set per kind");
        return -1;
    }
    for (int k = 0; k < N_KINDS; k++) {
        long action = PyLong_AsLong(PyTuple_GET_ITEM(actions, k));
        if (action == -1 && PyErr_Occurred()) return -1;
        if (action < 0 || action >= (1 << N_ACTIONS)) {
            PyErr_SetString(PyExc_ValueError, "rules: an unknown action");
            return -1;
        }
        s->actions[k] = (uint16_t)action;
    }
    if (idle < 0 || sweep < 0 || backwards < 0 || max_pending < 1 || max_connections < 2 || attack_names < 1 ||
        attack_names > UINT8_MAX) {
        PyErr_SetString(PyExc_ValueError, "rules: a limit out of range (attack_names: 1 to 255)");
        return -1;
    }
    s->idle_us = idle; s->sweep_us = sweep; s->backwards_us = backwards;
    s->max_pending = (size_t)max_pending; s->max_connections = (size_t)max_connections;
    s->attack_names = (uint8_t)attack_names;
    if (covers != Py_None && !PyCallable_Check(covers)) {
        PyErr_SetString(PyExc_TypeError, "covered must be None or a callable");
        return -1;
    }
    if (slice <= 0) { PyErr_SetString(PyExc_ValueError, "slice_seconds must be positive"); return -1; }
    if (year < 0 || year > 9999) { PyErr_SetString(PyExc_ValueError, "year must be 1 to 9999, or 0 for none"); return -1; }
    s->zone_offset = LOCAL;
    if (zone_offset != Py_None) {
        long offset = PyLong_AsLong(zone_offset);
        if (offset == -1 && PyErr_Occurred()) return -1;
        if (offset <= -86400 || offset >= 86400) { PyErr_SetString(PyExc_ValueError, "zone_offset"); return -1; }
        s->zone_offset = (int32_t)offset;
    }
    s->zone_bucket = INT64_MIN;
    s->hooks = (Hooks){hook_local_offset, hook_to_local, hook_covered, hook_read_header, hook_read_fields};
    Py_INCREF(to_local); Py_XSETREF(self->to_local, to_local);
    s->slice_us = slice * US;
    s->year = year; s->last_month = 0;
    s->ref_year = ref_year; s->ref_month = ref_month; s->ref_day = ref_day;
    Py_INCREF(header); Py_XSETREF(self->header, header);
    Py_INCREF(fields); Py_XSETREF(self->fields, fields);
    Py_INCREF(local_offset); Py_XSETREF(self->local_offset, local_offset);
    s->last_slice = NONE;
    s->last_host = NONE;
    s->source_info.size = sizeof(SourceInfo) + s->attack_names * sizeof(Named);
    s->connections.size = sizeof(Connection);
    s->waiting.size = sizeof(uint64_t);
    s->slices.size = sizeof(SliceKey);
    s->cells.size = sizeof(Cell);
    s->user_cells.size = sizeof(UserCell);
    s->logins.size = sizeof(Login);
    s->covered.size = sizeof(Covered);
    s->host_cover.size = sizeof(HostCover);
    s->host_spans.size = sizeof(HostSpan);
    if (strings_init(&s->hosts) < 0 || strings_init(&s->sources) < 0 || strings_init(&s->users) < 0 ||
        map_init(&s->connection_index, 1 << 12) < 0 || map_init(&s->endpoint_index, 1 << 12) < 0 ||
        map_init(&s->session_index, 1 << 8) < 0 ||
        map_init(&s->slice_index, 1 << 8) < 0 ||
        map_init(&s->cell_index, 1 << 12) < 0 || map_init(&s->user_cell_index, 1 << 12) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    /* covered(host name) -> ((first wall, first instant, last wall, last instant, lines at last), ...), times in µs
     * (Tally.covers); asked once per host (ask_cover). */
    Py_XSETREF(self->covers, covers == Py_None ? NULL : Py_NewRef(covers));
    s->has_covers = covers != Py_None;
    return 0;
}

static int Scanner_traverse(Scanner *self, visitproc visit, void *arg) {
    Py_VISIT(self->header); Py_VISIT(self->fields); Py_VISIT(self->local_offset); Py_VISIT(self->to_local); Py_VISIT(self->covers);
    return 0;
}

static int Scanner_clear(Scanner *self) {
    Py_CLEAR(self->header); Py_CLEAR(self->fields); Py_CLEAR(self->local_offset); Py_CLEAR(self->to_local); Py_CLEAR(self->covers);
    for (int i = 0; i < 4; i++) Py_CLEAR(self->held[i]);
    return 0;
}

static void Scanner_dealloc(Scanner *self) {
    ScanState *s = &self->s;
    PyObject_GC_UnTrack(self);
    Scanner_clear(self);
    free(s->carry);
    strings_free(&s->hosts); strings_free(&s->sources); strings_free(&s->users);
    for (size_t i = 0; i < s->connections.len; i++) free(AT(s->connections, Connection, i).pending);
    free(s->connections.items); free(s->waiting.items); free(s->source_info.items); free(s->slices.items);
    free(s->cells.items); free(s->user_cells.items); free(s->logins.items);
    free(s->covered.items); free(s->host_cover.items); free(s->host_spans.items);
    map_free(&s->connection_index); map_free(&s->endpoint_index); map_free(&s->session_index); map_free(&s->slice_index);
    map_free(&s->cell_index); map_free(&s->user_cell_index);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The end of a line too long to keep (over MAX_CARRY bytes): one line read, one skipped. */
static void overlong_ended(ScanState *s) {
    s->skipping = 0;
    s->lines++;
    s->overlong++;
}

static int keep_carry(ScanState *s, const char *p, size_t n) {
    if (s->carry_len + n > MAX_CARRY) {  /* overlong however it decodes: drop it, keep memory bounded */
        s->carry_len = 0;
        s->skipping = 1;
        return 0;
    }
    if (s->carry_len + n > s->carry_room) {
        size_t room = (s->carry_len + n) * 2;
        char *grown = realloc(s->carry, room);
        if (!grown) return -1;
        s->carry = grown; s->carry_room = room;
    }
    memcpy(s->carry + s->carry_len, p, n);
    s->carry_len += n;
    return 0;
}

static PyObject *Scanner_read(Scanner *self, PyObject *arg);

static PyObject *Scanner_feed(Scanner *self, PyObject *arg) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(READING), "feed") < 0) return NULL;
    PyObject *r = Scanner_read(self, arg);
    s->busy = 0;
    if (!r) s->state = BROKEN;  /* a line was half counted: nothing more can be trusted */
    return r;
}

static PyObject *Scanner_read(Scanner *self, PyObject *arg) {
    ScanState *s = &self->s;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    const char *p = view.buf, *end = p + view.len;
    int failed = 0;
    self->allow_threads = 1;
    let_go(self);
    if (s->carry_len) {
        const char *nl = memchr(p, '\n', end - p);
        if (keep_carry(s, p, (nl ? nl : end) - p) < 0) {
            failed = nomem(s);
        } else if (s->skipping) {
            /* too long after all: dropped below, up to its end */
        } else if (nl) {
            size_t n = s->carry_len;
            s->carry_len = 0;
            failed = line(s, s->carry, (Py_ssize_t)n) < 0;
            p = nl + 1;
        } else {
            p = end;
        }
    }
    if (!failed && s->skipping) {  /* inside an overlong line: drop its bytes up to its end */
        const char *nl = memchr(p, '\n', end - p);
        if (nl) {
            overlong_ended(s);
            p = nl + 1;
        } else {
            p = end;
        }
    }
    while (!failed && p < end) {
        const char *nl = memchr(p, '\n', end - p);
        if (!nl) {
            if (keep_carry(s, p, end - p) < 0) failed = nomem(s);
            break;
        }
        if (nl - p > MAX_CARRY) {  /* a whole overlong line inside this block */
            overlong_ended(s);
            p = nl + 1;
            continue;
        }
        failed = line(s, p, nl - p) < 0;
        p = nl + 1;
    }
    self->allow_threads = 0;
    hold(self);
    PyBuffer_Release(&view);
    return failed ? raised(self) : Py_NewRef(Py_None);
}

static PyObject *Scanner_end(Scanner *self, int last_line);

static PyObject *Scanner_finish(Scanner *self, PyObject *args) {
    ScanState *s = &self->s;
    int last_line = 1;
    if (!PyArg_ParseTuple(args, "|p", &last_line)) return NULL;
    if (enter(self, ALLOWED(READING) | ALLOWED(FINISHED), "finish") < 0) return NULL;
    PyObject *r = s->state == FINISHED ? Py_NewRef(Py_None) : Scanner_end(self, last_line);
    s->busy = 0;
    s->state = r ? FINISHED : BROKEN;
    return r;
}

/* The input ends: read its last line unless it was cut off (last_line false), and settle every connection. */
static PyObject *Scanner_end(Scanner *self, int last_line) {
    ScanState *s = &self->s;
    if (s->skipping) overlong_ended(s);
    if (!last_line) s->carry_len = 0;
    if (s->carry_len) {
        size_t n = s->carry_len;
        s->carry_len = 0;
        if (line(s, s->carry, (Py_ssize_t)n) < 0) return raised(self);
    }
    /* The end of the input ends every connection: pending PAM failures count (SshdParser.finish). */
    for (size_t i = 0; i < s->waiting.len; i++) {
        Connection *c = by_seq(s, AT(s->waiting, uint64_t, i));
        if (c && settle(s, c) < 0) return raised(self);
    }
    /* Only the counts are needed from here on: free the connections and the lookup tables. */
    for (size_t i = 0; i < s->connections.len; i++) free(AT(s->connections, Connection, i).pending);
    free(s->connections.items); free(s->waiting.items);
    memset(&s->connections, 0, sizeof s->connections);
    memset(&s->waiting, 0, sizeof s->waiting);
    map_free(&s->connection_index); map_free(&s->endpoint_index); map_free(&s->session_index); map_free(&s->slice_index);
    map_free(&s->cell_index); map_free(&s->user_cell_index);
    free(s->carry);
    s->carry = NULL; s->carry_room = 0;
#ifdef __GLIBC__
    malloc_trim(0);  /* the connections' many small blocks lie between longer-lived ones: give their pages back */
#endif
    Py_RETURN_NONE;
}

static PyObject *offset_object(int32_t offset) {
    return offset == LOCAL ? Py_NewRef(Py_None) : PyLong_FromLong(offset);
}

static PyObject *string_list(Strings *strings) {
    PyObject *list = PyList_New(strings->count);
    if (!list) return NULL;
    for (uint32_t i = 0; i < strings->count; i++) {
        PyObject *text = PyUnicode_DecodeUTF8(strings->bytes + strings->start[i], strings->length[i], "surrogatepass");
        if (!text) { Py_DECREF(list); return NULL; }
        PyList_SET_ITEM(list, i, text);
    }
    return list;
}

/* Everything counted, as plain Python values; honeycast/native.py turns it into a Tally. */
/* The records results travel in: named fields, not positions (their names are native.py's to read; the types
 * are made at import, described for type checkers in _scan.pyi). */
static PyStructSequence_Field COUNTS_FIELDS[] = {
    {"lines", "lines read"}, {"overlong", "lines skipped for length"}, {"sshd_lines", "sshd lines counted"},
    {"two_ways", "lines naming an address two ways"}, {"year", "the year the first yearless stamp was placed in, or 0"},
    {"backwards", "times the log stepped back further than the rule book's backwards"},
    {"backwards_line", "the line of the longest step back"}, {"backwards_step", "its length in microseconds"},
    {"kinds", "per kind, lines counted (None: none)"}, {"sources", "every source, by id"},
    {"hosts", "ids of sources that are host names"}, {"users", "every user name, by id"},
    {"slices", "every slice's SliceStart, by id"}, {"logins", "every Login"}, {"host_names", "every host, by id"},
    {"host_spans", "every HostSpan"}, {"uncounted", "ids of sources read only in lines counted before"}, {NULL, NULL}};
static PyStructSequence_Field SLICE_START_FIELDS[] = {
    {"wall", "µs since 0001-01-01 on the build zone's clock"}, {"fold", "1 for the second of a repeated hour"},
    {NULL, NULL}};
static PyStructSequence_Field HOST_SPAN_FIELDS[] = {
    {"host", "host id"}, {"first_wall", NULL}, {"first_offset", "UTC offset in seconds, or None: the build zone"},
    {"first_fold", NULL}, {"last_wall", NULL}, {"last_offset", NULL}, {"last_fold", NULL},
    {"at_last", "lines read at the last instant"}, {NULL, NULL}};
static PyStructSequence_Field LOGIN_FIELDS[] = {
    {"wall", NULL}, {"offset", NULL}, {"fold", NULL}, {"source", "source id"}, {"user", "user id"},
    {"before", "failures from the source counted before it"}, {NULL, NULL}};
static PyStructSequence_Field FAILURE_FIELDS[] = {
    {"source", "source id"}, {"first_wall", NULL}, {"first_offset", NULL}, {"first_fold", NULL},
    {"total", "failed attempts"}, {"last_wall", NULL}, {"last_offset", NULL}, {"last_fold", NULL},
    {"names", "its first FirstNames, earliest first"}, {NULL, NULL}};
static PyStructSequence_Field FIRST_NAME_FIELDS[] = {
    {"user", "user id"}, {"wall", NULL}, {"offset", NULL}, {"fold", NULL}, {"invalid", "sshd called it invalid"},
    {NULL, NULL}};
static PyStructSequence_Field SLICE_COUNTS_FIELDS[] = {
    {"attempts", "per host, attempts by address"}, {"probes", "per host, probes by address"},
    {"users", "attempts by user name"}, {NULL, NULL}};
#define RECORD(name, fields, doc) {name, doc, fields, sizeof(fields) / sizeof(fields[0]) - 1}
static PyStructSequence_Desc RECORDS[] = {
    RECORD("honeycast._scan.Counts", COUNTS_FIELDS, "What a scanner read and counted (result())."),
    RECORD("honeycast._scan.SliceStart", SLICE_START_FIELDS, "Where a slice starts."),
    RECORD("honeycast._scan.HostSpan", HOST_SPAN_FIELDS, "A host's first and last line."),
    RECORD("honeycast._scan.Login", LOGIN_FIELDS, "A successful login."),
    RECORD("honeycast._scan.Failure", FAILURE_FIELDS, "A source's failures and first names (failures())."),
    RECORD("honeycast._scan.FirstName", FIRST_NAME_FIELDS, "A user name a source tried first."),
    RECORD("honeycast._scan.SliceCounts", SLICE_COUNTS_FIELDS, "A slice's counts (slices())."),
};
enum { R_COUNTS, R_SLICE_START, R_HOST_SPAN, R_LOGIN, R_FAILURE, R_FIRST_NAME, R_SLICE_COUNTS, N_RECORDS };
static PyTypeObject *record_types[N_RECORDS];

/* A record of type ``kind`` holding ``values`` (references stolen; NULL among them: NULL with the error set). */
static PyObject *record(int kind, int n, PyObject **values) {
    PyObject *item = NULL;
    for (int i = 0; i < n; i++)
        if (!values[i]) goto fail;
    item = PyStructSequence_New(record_types[kind]);
    if (!item) goto fail;
    for (int i = 0; i < n; i++) PyStructSequence_SET_ITEM(item, i, values[i]);
    return item;
fail:
    for (int i = 0; i < n; i++) Py_XDECREF(values[i]);
    return NULL;
}
#define RECORD_OF(kind, ...) \
    record(kind, (int)(sizeof((PyObject *[]){__VA_ARGS__}) / sizeof(PyObject *)), (PyObject *[]){__VA_ARGS__})
#define LL(value) PyLong_FromLongLong((long long)(value))

static PyObject *Scanner_counts(Scanner *self);

static PyObject *Scanner_result(Scanner *self, PyObject *unused) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED), "result") < 0) return NULL;
    PyObject *r = Scanner_counts(self);
    s->busy = 0;
    return r;
}

static PyObject *Scanner_counts(Scanner *self) {
    ScanState *s = &self->s;
    PyObject *kinds = PyTuple_New(N_KINDS), *sources = NULL, *hosts = NULL, *users = NULL, *slices = NULL,
             *logins = NULL, *host_names = NULL, *spans = NULL, *uncounted = NULL, *result = NULL;
    if (!kinds) return NULL;
    for (int k = 0; k < N_KINDS; k++) {
        PyObject *count = s->kind_seen[k] ? PyLong_FromLongLong(s->kinds[k]) : Py_NewRef(Py_None);
        if (!count) goto done;
        PyTuple_SET_ITEM(kinds, k, count);
    }
    if (!(sources = string_list(&s->sources)) || !(users = string_list(&s->users))) goto done;
    if (!(hosts = PyList_New(0)) || !(uncounted = PyList_New(0))) goto done;
    for (size_t i = 0; i < s->source_info.len; i++) {
        if (!INFO(s, i).counted) {
            PyObject *index = PyLong_FromSize_t(i);
            if (!index || PyList_Append(uncounted, index) < 0) { Py_XDECREF(index); goto done; }
            Py_DECREF(index);
        }
        if (INFO(s, i).is_host) {
            PyObject *index = PyLong_FromSize_t(i);
            if (!index || PyList_Append(hosts, index) < 0) { Py_XDECREF(index); goto done; }
            Py_DECREF(index);
        }
    }
    if (!(slices = PyList_New(s->slices.len))) goto done;
    for (size_t i = 0; i < s->slices.len; i++) {
        SliceKey key = AT(s->slices, SliceKey, i);
        PyObject *item = RECORD_OF(R_SLICE_START, LL(key.start), LL(key.fold));
        if (!item) goto done;
        PyList_SET_ITEM(slices, i, item);
    }
    if (!(host_names = string_list(&s->hosts)) || !(spans = PyList_New(0))) goto done;
    for (size_t i = 0; i < s->host_spans.len; i++) {
        HostSpan span = AT(s->host_spans, HostSpan, i);
        if (!span.seen) continue;
        PyObject *item = RECORD_OF(R_HOST_SPAN, LL(i), LL(span.first.wall), offset_object(span.first.offset),
                                   LL(span.first.fold), LL(span.last.wall), offset_object(span.last.offset),
                                   LL(span.last.fold), LL(span.at_last));
        if (!item || PyList_Append(spans, item) < 0) { Py_XDECREF(item); goto done; }
        Py_DECREF(item);
    }
    if (!(logins = PyList_New(s->logins.len))) goto done;
    for (size_t i = 0; i < s->logins.len; i++) {
        Login l = AT(s->logins, Login, i);
        PyObject *item = RECORD_OF(R_LOGIN, LL(l.time.wall), offset_object(l.time.offset), LL(l.time.fold),
                                   LL(l.source), LL(l.user), LL(l.before));
        if (!item) goto done;
        PyList_SET_ITEM(logins, i, item);
    }
    result = RECORD_OF(R_COUNTS, LL(s->lines), LL(s->overlong), LL(s->sshd_lines), LL(s->two_ways),
                       LL(s->first_year), LL(s->backwards), LL(s->backwards_line), LL(s->backwards_step),
                       Py_NewRef(kinds), Py_NewRef(sources), Py_NewRef(hosts), Py_NewRef(users), Py_NewRef(slices),
                       Py_NewRef(logins), Py_NewRef(host_names), Py_NewRef(spans), Py_NewRef(uncounted));
done:
    Py_XDECREF(kinds); Py_XDECREF(sources); Py_XDECREF(hosts); Py_XDECREF(users); Py_XDECREF(slices);
    Py_XDECREF(logins); Py_XDECREF(host_names); Py_XDECREF(spans); Py_XDECREF(uncounted);
    return result;
}

/* The failures and first names of the sources with ids from start on that have either, one tuple each; the
 * scanner then lets go of those sources' records. Called from the last part back to the first, a log of millions
 * of addresses never holds them all twice: as records here and as Python values. */
static PyObject *Scanner_failures(Scanner *self, PyObject *args) {
    ScanState *s = &self->s;
    Py_ssize_t start;
    if (!PyArg_ParseTuple(args, "n", &start)) return NULL;
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "failures") < 0) return NULL;
    PyObject *failures = PyList_New(0);
    size_t first = start < 0 ? 0 : (size_t)start;
    for (size_t i = first; failures && i < s->source_info.len; i++) {
        const SourceInfo *info = &INFO(s, i);
        if (!info->failed && !info->names) continue;
        PyObject *names = PyTuple_New(info->names);
        if (!names) { Py_CLEAR(failures); break; }
        for (uint8_t k = 0; k < info->names; k++) {
            Named n = info->name[k];
            PyObject *one = RECORD_OF(R_FIRST_NAME, LL(n.user), LL(n.at.wall), offset_object(n.at.offset),
                                      LL(n.at.fold), PyBool_FromLong(n.invalid));
            if (!one) { Py_CLEAR(names); break; }
            PyTuple_SET_ITEM(names, k, one);
        }
        PyObject *item = names ? RECORD_OF(R_FAILURE, LL(i), LL(info->first.wall), offset_object(info->first.offset),
                                           LL(info->first.fold), LL(info->total), LL(info->last.wall),
                                           offset_object(info->last.offset), LL(info->last.fold), names)
                               : NULL;
        if (!item || PyList_Append(failures, item) < 0) { Py_XDECREF(item); Py_CLEAR(failures); }
        else Py_DECREF(item);
    }
    if (failures) {
        array_truncate(&s->source_info, first);
        s->state = TAKEN;  /* result() would now miss the sources let go of */
    }
    s->busy = 0;
    return failures;
}

/* Add ``amount`` to ``counts[key]``. */
static int dict_add(PyObject *counts, PyObject *key, int64_t amount) {
    PyObject *before = PyDict_GetItemWithError(counts, key);
    if (!before && PyErr_Occurred()) return -1;
    long long total = amount + (before ? PyLong_AsLongLong(before) : 0);
    PyObject *value = PyLong_FromLongLong(total);
    if (!value) return -1;
    int failed = PyDict_SetItem(counts, key, value);
    Py_DECREF(value);
    return failed;
}

/* A new, empty dictionary of counts made by calling ``make`` (a dict subclass the caller keeps as it is, rather
 * than copying it), or NULL with an error set. */
static PyObject *new_counts(PyObject *make) {
    PyObject *made = PyObject_CallNoArgs(make);
    if (made && !PyDict_Check(made)) {
        Py_DECREF(made);
        PyErr_SetString(PyExc_TypeError, "slices(): the counts type must make dictionaries");
        return NULL;
    }
    return made;
}

/* Add ``amount`` to ``counts[outer][key]``, making the inner dictionary (``new_counts``) where there is none. */
static int dict_add_in(PyObject *counts, PyObject *outer, PyObject *key, int64_t amount, PyObject *make) {
    PyObject *inner = PyDict_GetItemWithError(counts, outer);
    if (!inner) {
        if (PyErr_Occurred() || !(inner = new_counts(make))) return -1;
        int failed = PyDict_SetItem(counts, outer, inner);
        Py_DECREF(inner);
        if (failed < 0) return -1;
    }
    return dict_add(inner, key, amount);
}

/* The slice of a Cell or a UserCell: both begin with it. */
static uint32_t record_slice(const Array *records, size_t i) {
    return *(const uint32_t *)(records->items + i * records->size);
}

/* Put the records in order of slice, in order of counting within a slice (a stable counting sort; nothing is
 * moved where they are in order already, as they are in a log read in time order), and return where each slice's
 * records begin: first[k] to first[k + 1]. NULL when memory runs out. */
static size_t *group_by_slice(Array *records, size_t slices) {
    size_t *first = calloc(slices + 2, sizeof *first);
    if (!first) return NULL;
    int sorted = 1;
    for (size_t i = 0; i < records->len; i++) {
        first[record_slice(records, i) + 2]++;
        if (i && record_slice(records, i) < record_slice(records, i - 1)) sorted = 0;
    }
    for (size_t k = 0; k < slices; k++) first[k + 2] += first[k + 1];
    /* first[k + 1] is where slice k begins */
    if (sorted) {
        memmove(first, first + 1, (slices + 1) * sizeof *first);
        return first;
    }
    char *grouped = malloc((records->len ? records->len : 1) * records->size);
    if (!grouped) { free(first); return NULL; }
    for (size_t i = 0; i < records->len; i++)  /* first[k + 1] moves on to where slice k ends: where k + 1 begins */
        memcpy(grouped + first[record_slice(records, i) + 1]++ * records->size, records->items + i * records->size,
               records->size);
    free(records->items);
    records->items = grouped;
    records->room = records->len ? records->len : 1;
    return first;
}

/* Per slice: (attempts by host and address, probes by host and address, attempts by user), given the
 * address, user and host strings of result(). */
static PyObject *Scanner_cells(Scanner *self, PyObject *args);

static PyObject *Scanner_slices(Scanner *self, PyObject *args) {
    ScanState *s = &self->s;
    if (enter(self, ALLOWED(FINISHED), "slices") < 0) return NULL;
    size_t cells = s->cells.len;
    PyObject *r = Scanner_cells(self, args);
    s->busy = 0;
    if (r) s->state = SLICED;
    else if (s->cells.len != cells) s->state = BROKEN;  /* counts were let go of: they cannot be asked for again */
    return r;
}

/* Keep the first len records; give their memory back once it is half unused (a few times in all). */
static void array_shrink(Array *a, size_t len) {
    if (len <= a->room / 2) array_truncate(a, len);
    else if (len < a->len) a->len = len;
}

/* The slices are made from the last back to the first, the records of each let go of as its dictionaries are made:
 * a year of slices is never held both as records here and as Python values. */
static PyObject *Scanner_cells(Scanner *self, PyObject *args) {
    ScanState *s = &self->s;
    PyObject *sources, *users, *hosts, *make;
    if (!PyArg_ParseTuple(args, "O!O!O!O", &PyList_Type, &sources, &PyList_Type, &users, &PyList_Type, &hosts, &make))
        return NULL;
    if ((size_t)PyList_GET_SIZE(sources) != s->sources.count || (size_t)PyList_GET_SIZE(users) != s->users.count ||
        (size_t)PyList_GET_SIZE(hosts) != s->hosts.count) {
        PyErr_SetString(PyExc_ValueError, "one address, user and host string per interned one");
        return NULL;
    }
    size_t *cell_first = group_by_slice(&s->cells, s->slices.len);
    size_t *user_first = cell_first ? group_by_slice(&s->user_cells, s->slices.len) : NULL;
    PyObject *result = user_first ? PyList_New(s->slices.len) : NULL;
    if (!result) goto fail;
    for (size_t k = s->slices.len; k-- > 0;) {
        PyObject *attempts = PyDict_New(), *probes = PyDict_New(), *by_user = new_counts(make);
        PyObject *item = NULL;
        if (!attempts || !probes || !by_user) goto slice_fail;
        for (size_t i = cell_first[k]; i < cell_first[k + 1]; i++) {
            Cell c = AT(s->cells, Cell, i);
            PyObject *address = PyList_GET_ITEM(sources, c.source), *host = PyList_GET_ITEM(hosts, c.host);
            if (c.attempts && dict_add_in(attempts, host, address, c.attempts, make) < 0) goto slice_fail;
            if (c.probes && dict_add_in(probes, host, address, c.probes, make) < 0) goto slice_fail;
        }
        for (size_t i = user_first[k]; i < user_first[k + 1]; i++) {
            UserCell c = AT(s->user_cells, UserCell, i);
            if (dict_add(by_user, PyList_GET_ITEM(users, c.user), c.attempts) < 0) goto slice_fail;
        }
        item = RECORD_OF(R_SLICE_COUNTS, Py_NewRef(attempts), Py_NewRef(probes), Py_NewRef(by_user));
    slice_fail:
        Py_XDECREF(attempts); Py_XDECREF(probes); Py_XDECREF(by_user);
        if (!item) goto fail;
        PyList_SET_ITEM(result, k, item);
        array_shrink(&s->cells, cell_first[k]);
        array_shrink(&s->user_cells, user_first[k]);
    }
    free(cell_first); free(user_first);
    /* The counts now live in the dictionaries (slices() is called once). */
    free(s->cells.items); free(s->user_cells.items);
    s->cells.items = s->user_cells.items = NULL;
    s->cells.len = s->cells.room = s->user_cells.len = s->user_cells.room = 0;
    return result;
fail:
    free(cell_first); free(user_first);
    Py_XDECREF(result);
    return raised(self);
}

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_O, "Read a block of log bytes (lines may run over into the next block)."},
    {"finish", (PyCFunction)Scanner_finish, METH_VARARGS,
     "End the input: read its last line if it did not end with a newline (unless last_line is false: the input was "
     "cut off inside it), and count what waits for connections to end."},
    {"result", (PyCFunction)Scanner_result, METH_NOARGS, "Return what was counted."},
    {"failures", (PyCFunction)Scanner_failures, METH_VARARGS,
     "failures(start): the failures and first names of the sources with ids from start on, then let go of them "
     "(result() is refused after it)."},
    {"slices", (PyCFunction)Scanner_slices, METH_VARARGS, "slices(sources, users, hosts, counts_type): the counts of each slice, keyed by address and user, in dictionaries counts_type() makes (once: the scanner lets go of them)."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Scanner_members[] = {
    {"lines", T_LONGLONG, offsetof(Scanner, s.lines), READONLY, "Lines read so far."},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "honeycast._scan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Count the sshd events of one input.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scanner_init,
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_traverse = (traverseproc)Scanner_traverse,
    .tp_clear = (inquiry)Scanner_clear,
    .tp_methods = Scanner_methods,
    .tp_members = Scanner_members,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", "honeycast's native line scanner.", -1, NULL};

PyMODINIT_FUNC PyInit__scan(void) {
    if (PyType_Ready(&ScannerType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    PyObject *kinds = PyTuple_New(N_KINDS);
    for (int k = 0; kinds && k < N_KINDS; k++) {
        PyObject *name = PyUnicode_FromString(KIND_NAMES[k]);
        if (!name) Py_CLEAR(kinds);
        else PyTuple_SET_ITEM(kinds, k, name);
    }
    for (int r = 0; r < N_RECORDS; r++) {
        if (!record_types[r] && !(record_types[r] = PyStructSequence_NewType(&RECORDS[r]))) {
            Py_DECREF(m);
            return NULL;
        }
        const char *name = strrchr(RECORDS[r].name, '.') + 1;
        if (PyModule_AddObjectRef(m, name, (PyObject *)record_types[r]) < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    PyObject *actions = PyDict_New();
    for (int a = 0; actions && a < N_ACTIONS; a++) {
        PyObject *bit = PyLong_FromLong(1L << a);
        if (!bit || PyDict_SetItemString(actions, ACTION_NAMES[a], bit) < 0) Py_CLEAR(actions);
        Py_XDECREF(bit);
    }
    int failed = !kinds || !actions || PyModule_AddObjectRef(m, "KINDS", kinds) < 0 ||
                 PyModule_AddObjectRef(m, "ACTIONS", actions) < 0 ||
                 PyModule_AddObjectRef(m, "Scanner", (PyObject *)&ScannerType) < 0 ||
                 PyModule_AddIntConstant(m, "MAX_LINE", MAX_LINE) < 0 ||
                 PyModule_AddIntConstant(m, "INTERFACE", INTERFACE) < 0;
    Py_XDECREF(kinds);
    Py_XDECREF(actions);
    if (failed) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
