/* Dates and times, a line's header, and sshd's messages: what a line says, read without Python. */

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
/* Whether datetime() takes these as a time of day. */
static int clock_valid(int h, int mi, int s, int us) {
    return h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59 && us >= 0 && us <= 999999;
}
/* Return 0 and the time, or -1 where datetime() would refuse these fields. */
static int make_time(Time *t, int y, int mo, int d, int h, int mi, int s, int us, int32_t offset, int fold) {
    if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || !clock_valid(h, mi, s, us))
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
    int64_t of_day = ((int64_t)h * 3600 + mi * 60 + sec) * US + us;
    int64_t key = (int64_t)s->year * 512 + month * 32 + day;  /* a day's lines: its date checked and counted once */
    if (key == s->day_key && clock_valid(h, mi, sec, us)) {
        t->wall = s->day_wall + of_day; t->offset = LOCAL; t->fold = 0;
        return 0;
    }
    if (make_time(t, s->year, month, day, h, mi, sec, us, LOCAL, 0) < 0) return -1;
    s->day_key = key; s->day_wall = t->wall - of_day;
    return 0;
}

/* ---------------------------------------------------------------- reading a line */

static inline int is_digit(char c) { return (unsigned char)(c - '0') <= 9; }
static inline __attribute__((always_inline)) int starts_n(const char *p, const char *end, const char *text, size_t n) {
    return (size_t)(end - p) >= n && memcmp(p, text, n) == 0;
}
#define starts(p, end, literal) starts_n((p), (end), "" literal, sizeof(literal) - 1)
static const char *token_end(const char *p, const char *end) {
    const char *space = p < end ? memchr(p, ' ', (size_t)(end - p)) : NULL;
    return space ? space : end;
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
    const char *stop = end - p > 10 ? p + 10 : end;  /* ten digits at most */
    while (q < stop && is_digit(*q)) v = v * 10 + (*q++ - '0');
    if (q == p || q - p > 9 || (q < end && is_digit(*q))) return NULL;
    if (value) *value = v;
    return q;
}
/* A whole token that is an IPv4 address written as ipaddress writes it. */
static int canonical_ipv4(const char *p, const char *end) {
    for (int part = 0; part < 4; part++) {  /* one to three digits, no leading zero, at most 255; dots between */
        if (part && (p == end || *p++ != '.')) return 0;
        if (p == end || !is_digit(*p)) return 0;
        int v = *p++ - '0';
        if (p < end && is_digit(*p)) {
            if (!v) return 0;
            v = v * 10 + (*p++ - '0');
            if (p < end && is_digit(*p)) {
                v = v * 10 + (*p++ - '0');
                if (v > 255 || (p < end && is_digit(*p))) return 0;
            }
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
    const char *program;  /* where a header read as far as its program saw one that is not sshd's, else NULL */
} Header;

/* The headers of classic and RFC 3339 syslog. 1: read, 0: not certain, -1: no valid time (skip). */
static int fast_header(ScanState *s, const char *p, ptrdiff_t n, Header *h) {
    const char *end = p + n, *q;
    h->program = NULL;
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
    else { h->program = q; return 0; }
    int64_t pid = 0;
    const char *pid_start = q;
    const char *pid_stop = end - q > 18 ? q + 18 : end;  /* eighteen digits at most */
    while (q < pid_stop && is_digit(*q)) pid = pid * 10 + (*q++ - '0');
    if (q == pid_start || (q < end && is_digit(*q)) || !starts(q, end, "]: ")) return 0;  /* over 18 digits: no pid */
    h->message = q + 3; h->message_len = end - (q + 3);
    h->has_pid = 1; h->pid = (uint64_t)pid;
    size_t host_len = host_end - host;
    if (s->host_override != NONE) {
        h->host = s->host_override;
    } else if (s->last_host != NONE && host_len == s->last_host_len &&
               memcmp(host, s->last_host_text, host_len) == 0) {
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
        if (!q || !starts(q, end, ": ")) return 0;
        /* With a port and without sshd's "[preauth]", the session's own process wrote it: a logout (sshd.py). */
        const char *tail = end;
        while (tail > q && (tail[-1] == ' ' || tail[-1] == '\t')) tail--;
        f->kind = f->port >= 0 && !(tail - q >= 9 && memcmp(tail - 9, "[preauth]", 9) == 0) ? K_LOGOUT
                                                                                            : K_RECEIVED_DISCONNECT;
        return 1;
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
