/* A line, end to end: its header and message read here or by the reference reader (through the hooks), its
 * event counted; and the bytes of blocks cut into lines, overlong ones skipped. */

/* sshd._FIRST and _LAST: stamps outside are not read, so a day's slice and the next fit in any zone. */
#define FIRST_WALL (3 * DAY_US)                       /* 0001-01-04 */
#define LAST_WALL (3652056LL * DAY_US - 1)            /* 9999-12-28 23:59:59.999999 */

/* One sshd event: connection state, then the tally (Tally.add). source: an interned address or NONE. */
static uint32_t add_source(ScanState *s, const char *p, size_t n, int is_host);

/* A line of a part's head: it moves its connection along (its time, its end, its login) and is kept, as it came,
 * for the join (Connections.follow); it counts in nothing here. */
static int left_to_join(ScanState *s, Time t, int kind, Connection *c) {
    int64_t behind;
    if (s->had_latest) {
        if (time_diff(s, &s->before, &t, &behind) < 0) return -1;
        if (behind > s->head_us - s->idle_us) s->head_disorder = 1;
    }
    if (c) {
        unsigned actions = s->actions[kind];
        c->head = 1;
        c->last = t;
        if (actions & A_SESSION) {
            c->session = 1;
            uint32_t index = (uint32_t)(c - (Connection *)s->connections.items);
            if (map_put(&s->session_index, c->host, c->source, index) < 0) return nomem(s);
        }
        if (actions & A_ENDS) c->closed = 1;
    }
    if (s->journal_len + s->line_n + 1 > s->journal_room) {
        size_t room = (s->journal_len + s->line_n + 1) * 2;
        char *grown = realloc(s->journal, room);
        if (!grown) return nomem(s);
        s->journal = grown; s->journal_room = room;
    }
    if (s->line_n) memcpy(s->journal + s->journal_len, s->line_p, s->line_n);
    s->journal_len += s->line_n;
    s->journal[s->journal_len++] = '\n';
    s->journal_clocks.size = sizeof(Time);
    Time *clock = array_push(&s->journal_clocks);
    if (!clock) return nomem(s);
    *clock = s->had_latest ? s->before : (Time){INT64_MIN, LOCAL, 0};
    return 0;
}

/* A line's own fields, for its key (asked only of a line at the very instant a covered span ends). */
typedef struct {
    ScanState *s; int has_pid; uint64_t pid; int kind; uint32_t source; int64_t port;
    const char *user; size_t user_n; int64_t count;
} LineFields;
static uint32_t key_of_fields(void *line) {
    LineFields *f = line;
    const char *source;
    size_t source_n;
    source_bytes(f->s, f->source, &source, &source_n);
    return line_key(f->has_pid, f->pid, f->kind, source, source_n, f->port, f->user, f->user_n, f->count);
}

static int event(ScanState *s, Time t, uint32_t host, int has_pid, uint64_t pid, int kind, int64_t count,
                 Name source, int source_is_host, int64_t port, Name user) {
    s->host_clocks.size = sizeof(HostClock);
    HostClock *clock = array_reach(&s->host_clocks, host);  /* the host's clock (Connections.sweep) */
    if (!clock) return nomem(s);
    s->had_latest = clock->seen;
    s->before = clock->t;
    if (clock->seen) {
        int64_t step;
        if (time_diff(s, &clock->t, &t, &step) < 0) return -1;
        if (step > s->backwards_us) {  /* the host's log went back in time: its connections are over */
            if (restart(s, host) < 0) return -1;
            clock->t = t;
        } else if (step < 0) {
            clock->t = t;
        }
    } else {
        clock->t = t;
        clock->seen = 1;
    }
    if (!s->has_first) {
        s->first = s->head_end = t;
        s->head_end.wall += s->head_us;
        s->has_first = 1;
    }

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
    if (sweep(s, t) < 0) return -1;
    Connection *c = NULL;
    if (has_pid) {
        int failed = 0;
        c = connection(s, t, kind, host, pid, origin, port, &failed);
        if (failed) return -1;
    }
    if (s->head_us >= 0) {
        int64_t beyond;
        if (time_diff(s, &t, &s->head_end, &beyond) < 0) return -1;
        if (beyond <= 0 || (c && c->head)) return left_to_join(s, t, kind, c);
    }
    if (c && origin == NONE) origin = c->source;
    if (s->has_counted) {  /* a step back between the lines counted here (events_of) */
        int64_t step;
        if (time_diff(s, &s->counted_latest, &t, &step) < 0) return -1;
        if (step > s->backwards_us) {
            s->backwards++;
            if (step > s->backwards_step) { s->backwards_step = step; s->backwards_line = s->lines; }
        }
        if (step < 0) s->counted_latest = t;
    } else {
        s->counted_latest = t;
        s->has_counted = 1;
    }
    const char *user_p;
    size_t user_n;
    name_bytes(&s->users, &user, &user_p, &user_n);

    HostSpan *span = array_reach(&s->host_spans, host);
    if (!span) return nomem(s);
    int at_last = 1;
    if (!span->seen) {
        span->first = span->last = t;
        span->seen = 1;
    } else {
        int64_t before, after;
        if (time_diff(s, &t, &span->first, &before) < 0 || time_diff(s, &t, &span->last, &after) < 0) return -1;
        if (before < 0) span->first = t;
        if (after > 0) { span->last = t; span->lines.len = 0; span->names_len = 0; }
        at_last = after >= 0;
    }
    if (at_last && note_at_last(span, has_pid, pid, kind, source.id, port, user_p, user_n, count) < 0) return nomem(s);
    /* A line an earlier build counted is read for its connection, and counted in nothing. */
    int covered = 0;
    if (s->has_covers) {
        LineFields fields = {s, has_pid, pid, kind, source.id, port, user_p, user_n, count};  /* as the line gives them */
        covered = is_covered(s, host, t, key_of_fields, &fields);
        if (covered < 0) return -1;
    }
    int counted = !covered;
    if (counted) {
        s->sshd_lines++;
        s->kinds[kind] += count;
        s->kind_seen[kind] = 1;
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
    h.host = s->host_override != NONE ? s->host_override : intern(&s->hosts, r.host, r.host_length);
    if (h.host == NONE) return nomem(s);
    h.has_pid = r.has_pid;
    h.pid = r.pid;
    h.message = r.message; h.message_len = r.message_length;
    return handle_message(s, &h, 0, r.message_ascii);
}

/* Whether a line that is not sshd's may be fail2ban's or sshguard's (defences.py reads it): a syslog header whose
 * program is theirs, or any line naming them whose header is not read here (a journal record, RFC 5424, fail2ban's
 * own log, a host or stamp this reader does not take: "Mar 5 ...", a host of other than printable ASCII). What it
 * keeps, defence_event reads as the Python reader does every line; it must keep every line that reader takes. A
 * test of a few bytes for every other line of a readable header, so logs without them cost nothing. */
static int defence_line(const Header *h, const char *p, ptrdiff_t n) {
    const char *end = p + n;
    if (h->program) return starts(h->program, end, "fail2ban") || starts(h->program, end, "sshguard[");
    return memmem(p, (size_t)n, "fail2ban", 8) != NULL || memmem(p, (size_t)n, "sshguard", 8) != NULL;
}

static int keep_defence(ScanState *s, const char *p, size_t n) {
    if (s->defence_len + n + 1 > s->defence_room) {
        size_t room = (s->defence_len + n + 1) * 2;
        char *grown = realloc(s->defence, room);
        if (!grown) return -1;
        s->defence = grown; s->defence_room = room;
    }
    memcpy(s->defence + s->defence_len, p, n);
    s->defence_len += n;
    s->defence[s->defence_len++] = '\n';
    return 0;
}

static int line(ScanState *s, const char *p, ptrdiff_t n) {
    while (n > 0 && p[n - 1] == '\r') n--;
    s->line_p = p; s->line_n = (size_t)n;
    s->lines++;
    if ((size_t)n > s->max_line) return reference_line(s, p, (size_t)n);
    Header h;
    int read = fast_header(s, p, n, &h);  /* a header it reads names sshd */
    if (read == -2) return nomem(s);
    if (read < 0) return 0;
    if (read == 0) {
        if (defence_line(&h, p, n) && keep_defence(s, p, (size_t)n) < 0) return nomem(s);
        return n >= 4 && memmem(p, n, "sshd", 4) ? reference_line(s, p, (size_t)n) : 0;
    }
    return handle_message(s, &h, 1, 1);
}

/* The end of a line too long to keep (over max_carry bytes): one line read, one skipped. */
static void overlong_ended(ScanState *s) {
    s->skipping = 0;
    s->lines++;
    s->overlong++;
}

static int keep_carry(ScanState *s, const char *p, size_t n) {
    if (s->carry_len + n > s->max_carry) {  /* overlong however it decodes: drop it, keep memory bounded */
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

/* A new scanner's empty state, its limits and hooks already set: -1 if memory runs out. */
static int state_init(ScanState *s) {
    s->last_slice = NONE;
    s->last_host = NONE;
    s->host_override = NONE;
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
    s->carried.size = sizeof(Connection);
    if (strings_init(&s->hosts) < 0 || strings_init(&s->sources) < 0 || strings_init(&s->users) < 0) return -1;
    if (map_init(&s->connection_index, 1 << 12) < 0 || map_init(&s->endpoint_index, 1 << 12) < 0 ||
        map_init(&s->session_index, 1 << 8) < 0 || map_init(&s->slice_index, 1 << 8) < 0 ||
        map_init(&s->cell_index, 1 << 12) < 0 || map_init(&s->user_cell_index, 1 << 12) < 0)
        return -1;
    return 0;
}
