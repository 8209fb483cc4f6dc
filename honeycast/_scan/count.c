/* The counting: connections, PAM settlement, slices and cells, by the rule book the scanner was handed. */

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
