/* Connections and PAM settlement (connections.py): which connection a line belongs to, and what it adds by the
 * actions the rule book gives its kind. */

/* A host's clock: the latest time of its lines (its lines have been read, so it has one). */
static Time *clock_of(ScanState *s, uint64_t host) { return &AT(s->host_clocks, HostClock, host).t; }
/* Whether a connection's host's log has gone back in time since it began: it is over, and nothing joins it. */
static int gone(const ScanState *s, const Connection *c) {
    return c->epoch != AT(s->host_clocks, HostClock, c->host).epoch;
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

/* A connection no later line joins (Connections._over): its pending PAM failures count, and its probe if it ended
 * without ever trying to authenticate. */
static int over(ScanState *s, Connection *c) {
    if (settle(s, c) < 0) return -1;
    Name none = NO_NAME;
    if (c->ended && !c->tried && tally(s, c->ended_at, (uint32_t)c->host, c->source, &none, 0, 1) < 0) return -1;
    c->ended = 0;
    return 0;
}

static Connection *by_seq(ScanState *s, uint64_t seq) {
    if (!s->connections.len) return NULL;
    uint64_t first = AT(s->connections, Connection, 0).seq;
    return seq >= first && seq - first < s->connections.len ? &AT(s->connections, Connection, seq - first) : NULL;
}

/* Every connection of a host is over (Connections._restart): where its log steps back further than BACKWARDS, none
 * goes on. They stay where they are, gone: a line that finds one takes it for over. Only those waiting have anything
 * left to count. */
static int restart(ScanState *s, uint64_t host) {
    AT(s->host_clocks, HostClock, host).epoch++;
    for (size_t i = 0; i < s->waiting.len; i++) {
        Connection *c = by_seq(s, AT(s->waiting, uint64_t, i));
        if (c && c->host == host && over(s, c) < 0) return -1;
    }
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

/* Forget the older half of the connections (those that never logged their end), settling them. Only those waiting
 * have anything to settle, or storage to let go of (the sweep frees the others'): the rest are not read again. */
static int forget_older_half(ScanState *s) {
    size_t total = s->connections.len, half = s->max_connections / 2;
    uint64_t first = AT(s->connections, Connection, half).seq;  /* the first one kept */
    size_t keep = 0;
    for (size_t i = 0; i < s->waiting.len; i++) {
        uint64_t seq = AT(s->waiting, uint64_t, i);
        if (seq >= first) { AT(s->waiting, uint64_t, keep++) = seq; continue; }
        Connection *c = by_seq(s, seq);
        if (c && over(s, c) < 0) return -1;
        if (c) { free(c->pending); c->pending = NULL; }
    }
    s->waiting.len = keep;
    memmove(s->connections.items, &AT(s->connections, Connection, half), (total - half) * sizeof(Connection));
    s->connections.len = total - half;
    if (map_shift(&s->connection_index, (uint32_t)half) < 0 || map_shift(&s->endpoint_index, (uint32_t)half) < 0 ||
        map_shift(&s->session_index, (uint32_t)half) < 0)
        return nomem(s);
    return 0;
}

/* Whether a line at t doing `actions` may belong to c (Connections._takes): no new authentication after it ended or
 * logged in, and no line at all once it has been quiet for IDLE (unless logged in). 1, 0, or -1 on error. */
static int takes(ScanState *s, const Connection *c, Time t, unsigned actions) {
    if (gone(s, c)) return 0;
    if ((actions & (A_ATTEMPT | A_WAITS | A_LOGIN)) && (c->closed || c->session)) return 0;
    if (c->session && !c->closed) return 1;
    int64_t quiet;  /* by its host's clock: a log that goes back in time joins no old connection */
    if (time_diff(s, clock_of(s, c->host), &c->last, &quiet) < 0) return -1;
    return quiet <= s->idle_us;
}

/* Whether some line may still join the connection of a slot (takes, for a line that does nothing). */
static int joinable(void *context, const Slot *slot) {
    ScanState *s = context;
    Connection *c = &AT(s->connections, Connection, slot->v);
    return takes(s, c, c->last, 0);
}

/* Put a connection's index in a map that finds it by pid or by address and port. Where the map is full, connections
 * no line may join any more are let go first (the sweep settles what they left waiting): the map stays the size of
 * the connections open at once, however many a day had. */
static int index_put(ScanState *s, Map *m, uint64_t a, uint64_t b, uint32_t index) {
    if ((m->len + 1) * 2 > m->cap && map_refit(m, joinable, s) < 0) return -1;
    return map_put(m, a, b, index);
}

/* Whether a host name spells out an IPv4 address (four numbers to 255 joined by dots or dashes, either way round)
 * that is not `address`: then it names another client (hostnames.names_another). */
static int names_another(const char *name, size_t n, const char *address, size_t an) {
    if (memchr(address, ':', an)) return 0;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(name[i]) || (i > 0 && is_digit(name[i - 1]))) continue;
        int parts[4], count = 0;
        size_t j = i;
        while (count < 4) {
            size_t start = j;
            int v = 0;
            while (j < n && is_digit(name[j]) && j - start < 4) v = v * 10 + (name[j++] - '0');
            if (j == start || j - start > 3) break;
            parts[count++] = v;
            if (count < 4) {
                if (j >= n || (name[j] != '.' && name[j] != '-')) break;
                j++;
            }
        }
        if (count < 4 || (j < n && is_digit(name[j]))) continue;
        if (parts[0] > 255 || parts[1] > 255 || parts[2] > 255 || parts[3] > 255) continue;
        found = 1;
        char forward[16], backward[16];
        int fl = snprintf(forward, sizeof forward, "%d.%d.%d.%d", parts[0], parts[1], parts[2], parts[3]);
        int bl = snprintf(backward, sizeof backward, "%d.%d.%d.%d", parts[3], parts[2], parts[1], parts[0]);
        if (((size_t)fl == an && memcmp(forward, address, an) == 0) || ((size_t)bl == an && memcmp(backward, address, an) == 0))
            return 0;
    }
    return found;
}

/* A connection a line names by another key than its pid (its address and port, or its address's open login), if it
 * is open and takes the line (Connections._adopted): the line's pid joins it. NULL if not, or on an error (*failed). */
static Connection *adopted(ScanState *s, uint32_t index, uint64_t host, uint64_t pid, Time t, unsigned actions,
                           int *failed) {
    if (index == NONE || AT(s->connections, Connection, index).closed) return NULL;
    int taken = takes(s, &AT(s->connections, Connection, index), t, actions);
    if (taken < 0) { *failed = 1; return NULL; }
    if (!taken) return NULL;
    if (index_put(s, &s->connection_index, host, pid, index) < 0) { *failed = 1; nomem(s); return NULL; }
    return &AT(s->connections, Connection, index);
}

/* The connection a line belongs to, made if new (Connections.find); NULL for none. */
static Connection *connection(ScanState *s, Time t, int kind, uint64_t host, uint64_t pid, uint32_t source, int64_t port,
                              int *failed) {
    unsigned actions = s->actions[kind];
    if (source != NONE && port >= 0) {
        Connection *c = adopted(s, map_get(&s->endpoint_index, host, endpoint_key(source, port)), host, pid, t, actions,
                                failed);
        if (c || *failed) return c;
    }
    uint32_t index = map_get(&s->connection_index, host, pid);
    Connection *known = index == NONE ? NULL : &AT(s->connections, Connection, index);
    if (known) {
        int taken = takes(s, known, t, actions);
        if (taken < 0) { *failed = 1; return NULL; }
        if (!taken) {  /* over: whatever comes now is another client of a reused pid */
            if (over(s, known) < 0) { *failed = 1; return NULL; }
            known = NULL;
            index = NONE;
        }
    }
    if (source == NONE) return known;
    if (!known && port < 0) {
        /* A session's end written without the port by its own process ends the open login from there. */
        Connection *c = adopted(s, map_get(&s->session_index, host, source), host, pid, t, actions, failed);
        if (c || *failed) return c;
    }
    if (known && INFO(s, known->source).is_host != INFO(s, source).is_host) {
        /* A host name and an address for one process are one client (PAM's rhost with UseDNS): the
         * address names it from then on; a name that spells out another address is another client. */
        uint32_t name = INFO(s, source).is_host ? source : known->source, address = name == source ? known->source : source;
        if (!names_another(s->sources.bytes + s->sources.start[name], s->sources.length[name],
                           s->sources.bytes + s->sources.start[address], s->sources.length[address])) {
            if (!INFO(s, source).is_host) known->source = source;
            source = known->source;
        }
    }
    if (known && known->source == source && (known->port < 0 || port < 0 || known->port == port)) {
        if (port >= 0 && known->port < 0) {
            known->port = port;
            if (index_put(s, &s->endpoint_index, host, endpoint_key(source, port), index) < 0) {
                *failed = 1; nomem(s); return NULL;
            }
        }
        return known;
    }
    if (known && over(s, known) < 0) { *failed = 1; return NULL; }  /* the pid serves another client now */
    if (s->connections.len >= s->max_connections && forget_older_half(s) < 0) { *failed = 1; return NULL; }
    Connection *fresh = array_push(&s->connections);
    if (!fresh) { *failed = 1; nomem(s); return NULL; }
    fresh->seq = s->next_seq++;
    fresh->host = host; fresh->pid = pid; fresh->source = source; fresh->port = port; fresh->last = t;
    fresh->epoch = AT(s->host_clocks, HostClock, host).epoch;
    index = (uint32_t)(s->connections.len - 1);
    if (index_put(s, &s->connection_index, host, pid, index) < 0 ||
        (port >= 0 && index_put(s, &s->endpoint_index, host, endpoint_key(source, port), index) < 0)) {
        *failed = 1; nomem(s); return NULL;
    }
    return fresh;
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
            if (time_diff(s, clock_of(s, c->host), &c->pending[c->pending_len - 1].time, &idle) < 0) return -1;
            if (idle > s->idle_us && settle(s, c) < 0) return -1;
        }
        if (c->ended) {
            int64_t quiet;
            if (time_diff(s, clock_of(s, c->host), &c->last, &quiet) < 0) return -1;
            if (quiet > s->idle_us && over(s, c) < 0) return -1;
        }
        if (c->pending_first < c->pending_len || c->ended) { AT(s->waiting, uint64_t, keep++) = seq; continue; }
        c->waiting = 0;
        free(c->pending);  /* storage for pending failures is held only while waiting (forget_older_half) */
        c->pending = NULL; c->pending_room = 0;
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
    c->last = t;
    if (c->pending_first < c->pending_len) {
        int64_t waited;
        if (time_diff(s, clock_of(s, c->host), &c->pending[c->pending_len - 1].time, &waited) < 0) return -1;
        if (waited > s->idle_us && settle(s, c) < 0) return -1;  /* waited longer than sshd waits: counted */
    }
    /* The actions in rules.Action's order, as Connections.count does them. */
    if (actions & A_TRIES) { c->tried = 1; c->ended = 0; }  /* it tried after all: no probe */
    if (actions & A_ATTEMPT) {
        int64_t echoed = count;
        while (echoed && c->pending_first < c->pending_len) {  /* the PAM failures this line echoes */
            Pending *first = &c->pending[c->pending_first];
            int64_t taken = echoed < first->times ? echoed : first->times;
            echoed -= taken;
            first->times -= taken;
            if (!first->times) {
                c->pending_first++;
                /* The same PAM line again, waiting right behind the one echoed, is a copy of it (a log forwarded
                 * twice): sshd writes its Failed line before the next attempt's PAM line. */
                while (c->pending_first < c->pending_len && c->pending[c->pending_first].user == first->user) {
                    int64_t apart;
                    if (time_diff(s, &c->pending[c->pending_first].time, &first->time, &apart) < 0) return -1;
                    if (apart) break;
                    c->pending_first++;
                }
            }
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
        c->session = 1;
        uint32_t index = (uint32_t)(c - (Connection *)s->connections.items);
        if (map_put(&s->session_index, c->host, c->source, index) < 0) return nomem(s);
    }
    if (actions & A_ENDS) {
        if (!c->tried && !c->closed && !covered) {  /* a probe, once it is over and has still not tried */
            c->ended = 1; c->ended_at = t; c->ended_kind = (uint8_t)kind;
            if (!c->waiting) {
                uint64_t *seq = array_push(&s->waiting);
                if (!seq) return nomem(s);
                *seq = c->seq;
                c->waiting = 1;
            }
        }
        c->closed = 1;
    }
    return 0;
}

/* The end of a part of several: connections a later part may go on (not left to the join, and open after a login,
 * or quiet for less than the head's reach) are handed on as they are, their waiting PAM failures with them. */
static int hand_on(ScanState *s) {
    s->head_connections.size = sizeof(Connection);
    for (size_t i = 0; i < s->connections.len; i++) {
        Connection *c = &AT(s->connections, Connection, i);
        if (c->head) {
            Connection *kept = array_push(&s->head_connections);
            if (!kept) return nomem(s);
            *kept = *c;
            kept->pending = NULL;
            continue;
        }
        if (gone(s, c)) continue;
        int open = c->session && !c->closed;
        if (!open) {
            int64_t quiet;
            if (time_diff(s, clock_of(s, c->host), &c->last, &quiet) < 0) return -1;
            if (quiet > s->head_us) continue;
        }
        Connection *kept = array_push(&s->carried);
        if (!kept) return nomem(s);
        *kept = *c;
        kept->session_key = map_get(&s->session_index, c->host, c->source) == (uint32_t)i;
        c->pending = NULL;  /* moved: nothing is left to settle, nor a probe to decide */
        c->pending_first = c->pending_len = c->pending_room = 0;
        c->ended = 0;
    }
    return 0;
}
