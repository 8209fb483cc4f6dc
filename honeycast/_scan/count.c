/* The counting: times in the build zone, slices, spans counted before, first names, cells and the tally, by the rule
 * book the scanner was handed. */

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

/* ---------------------------------------------------------------- which line at an instant */

static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}
/* CRC-32 as zlib.crc32 computes it: crc_bytes(crc_bytes(0, a), b) is the CRC of a then b. */
static uint32_t crc_bytes(uint32_t crc, const char *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ (uint8_t)p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
static uint32_t crc_number(uint32_t crc, uint64_t value) {
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)value);
    return crc_bytes(crc, digits, (size_t)n);
}

/* A line's key among its host's lines at one instant (spans.line_key): CRC-32 of its pid, kind, address or host
 * name and port as the line gives them, user and repeat count, joined by 0x1f. */
static uint32_t line_key(int has_pid, uint64_t pid, int kind, const char *source, size_t source_n, int64_t port,
                         const char *user, size_t user_n, int64_t count) {
    uint32_t crc = 0;
    if (has_pid) crc = crc_number(crc, pid);
    crc = crc_bytes(crc, "\x1f", 1);
    crc = crc_number(crc, (uint64_t)kind);
    crc = crc_bytes(crc, "\x1f", 1);
    crc = crc_bytes(crc, source, source_n);
    crc = crc_bytes(crc, "\x1f", 1);
    if (port >= 0) crc = crc_number(crc, (uint64_t)port);
    crc = crc_bytes(crc, "\x1f", 1);
    crc = crc_bytes(crc, user, user_n);
    crc = crc_bytes(crc, "\x1f", 1);
    return crc_number(crc, (uint64_t)count);
}

/* A name's bytes: interned, or still in the line. */
static void name_bytes(const Strings *strings, const Name *name, const char **p, size_t *n) {
    if (name->id != NONE) { *p = strings->bytes + strings->start[name->id]; *n = strings->length[name->id]; }
    else if (name->p) { *p = name->p; *n = name->n; }
    else { *p = ""; *n = 0; }
}
static void source_bytes(const ScanState *s, uint32_t source, const char **p, size_t *n) {
    if (source == NONE) { *p = ""; *n = 0; return; }
    *p = s->sources.bytes + s->sources.start[source]; *n = s->sources.length[source];
}

/* Keep a line at its host's last instant, by its fields: its key is made only if the result is taken. */
static int note_at_last(HostSpan *span, int has_pid, uint64_t pid, int kind, uint32_t source, int64_t port,
                        const char *user, size_t user_n, int64_t count) {
    if (span->names_len + user_n > span->names_room) {
        size_t room = (span->names_len + user_n) * 2 + 64;
        char *grown = realloc(span->names, room);
        if (!grown) return -1;
        span->names = grown; span->names_room = room;
    }
    if (user_n) memcpy(span->names + span->names_len, user, user_n);
    span->lines.size = sizeof(LineRef);
    LineRef *ref = array_push(&span->lines);
    if (!ref) return -1;
    *ref = (LineRef){pid, port, count, source, (uint32_t)span->names_len, (uint32_t)user_n, (uint8_t)kind, (uint8_t)has_pid};
    span->names_len += user_n;
    return 0;
}

/* Whether a host's line at t lies in a span an earlier build counted (Tally.covers): 1, 0, or -1 on error.
 * At the very instant a span ends, the lines read there then are covered, each once, known by key: the log may
 * have gone on within that second after it was read, and another input may hold other lines of it. */
static int is_covered(ScanState *s, uint32_t host, Time t, uint32_t (*key)(void *), void *line) {
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
        uint32_t found = key(line);
        for (size_t k = 0; k < c->count; k++)
            if (!c->used[k] && c->keys[k] == found) { c->used[k] = 1; return 1; }
        if (c->any > 0) { c->any--; return 1; }
        return 0;
    }
    return 0;
}

/* The order of two user names' text, as Python orders strings (UTF-8 bytes keep the order of code points). */
static int user_order(const ScanState *s, uint32_t a, uint32_t b) {
    size_t an = s->users.length[a], bn = s->users.length[b];
    int order = memcmp(s->users.bytes + s->users.start[a], s->users.bytes + s->users.start[b], an < bn ? an : bn);
    return order ? order : (an > bn) - (an < bn);
}

/* Note a user name a source tried, or that sshd called invalid, among its first (timeline.noted). */
static int note_name(ScanState *s, SourceInfo *info, Named name) {
    int64_t step;
    uint8_t at = info->names;
    for (uint8_t i = 0; i < info->names; i++) {
        Named *known = &info->name[i];
        if (known->user != name.user) continue;
        if (time_diff(s, &name.at, &known->at, &step) < 0) return -1;
        if (step > 0 || (step == 0 && (known->invalid || !name.invalid))) return 0;
        /* noted earlier than kept (its time and flag replace the kept ones), or called invalid at that very time */
        memmove(known, known + 1, (size_t)(info->names - i - 1) * sizeof *known);
        at = --info->names;
        break;
    }
    if (at == s->attack_names) {
        if (time_diff(s, &name.at, &info->name[s->attack_names - 1].at, &step) < 0) return -1;
        if (step > 0 || (step == 0 && user_order(s, name.user, info->name[s->attack_names - 1].user) >= 0)) return 0;
        info->names--;  /* the latest of the kept names gives way */
    }
    uint8_t place = info->names;
    while (place > 0) {  /* earliest first; names of one instant in the order of their text (tally.noted) */
        if (time_diff(s, &name.at, &info->name[place - 1].at, &step) < 0) return -1;
        if (step > 0 || (step == 0 && user_order(s, name.user, info->name[place - 1].user) >= 0)) break;
        info->name[place] = info->name[place - 1];
        place--;
    }
    info->name[place] = name;
    info->names++;
    return 0;
}

/* Whether a cell of this slot's slice was counted in since the last RECENT slices began. */
static int recent_cell(void *context, const Slot *slot) {
    ScanState *s = context;
    return AT(s->slices, SliceKey, slot->a).used + RECENT >= (uint32_t)s->slices.len;
}

/* Put a cell's index in a map keyed by (slice, …). The map only finds the cells of recent slices: where it is
 * full, those of slices counted in no longer are forgotten before it grows, so it stays the size of what a log
 * counts at once, not of all it counted. A forgotten cell that is counted again gets a second record, which
 * Scanner_cells adds to the first. */
static int cell_put(ScanState *s, Map *m, uint64_t slice, uint64_t key, uint32_t index) {
    if ((m->len + 1) * 2 > m->cap && map_refit(m, recent_cell, s) < 0) return -1;
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
        /* A source counted again in the cell it was last counted in (most are, a slice being longer than a
         * connection) needs no lookup: records stay where they are until they are handed over. */
        uint32_t last = INFO(s, origin).cell, index = NONE;
        if (last && AT(s->cells, Cell, last - 1).slice == slice && AT(s->cells, Cell, last - 1).host == host)
            index = last - 1;
        uint64_t key = (uint64_t)host << 32 | origin;
        if (index == NONE) index = map_get(&s->cell_index, slice, key);
        if (index == NONE) {
            Cell *cell = array_push(&s->cells);
            if (!cell) return nomem(s);
            cell->slice = slice; cell->source = origin; cell->host = host;
            index = (uint32_t)(s->cells.len - 1);
            if (cell_put(s, &s->cell_index, slice, key, index) < 0) return nomem(s);
        }
        INFO(s, origin).cell = index + 1;
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
