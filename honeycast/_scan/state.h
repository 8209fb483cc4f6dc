/* The records a scanner keeps, the ScanState it counts in, and the Hooks it asks Python through. */

/* ---------------------------------------------------------------- records */

typedef struct { int64_t wall; int32_t offset; uint8_t fold; } Time;  /* wall clock, µs since 0001-01-01 */


/* PAM failures of one line that no Failed line has echoed yet (sshd.py's _Pending). */
typedef struct { Time time; uint32_t user; int64_t times; } Pending;

/* One client connection: an sshd process serving one client address and port (sshd.py's _Connection). */
typedef struct {
    uint64_t host, pid, seq;
    uint32_t source;
    int64_t port;                 /* -1 until a line names it */
    uint8_t tried, closed, waiting, session;
    uint8_t head;                 /* its lines are left to the join: it may go on one an earlier part left open */
    uint8_t session_key;          /* handed on: it is the latest login from its address on its host */
    uint32_t epoch;               /* how often its host's log had gone back in time when it began (Connections) */
    uint8_t ended, ended_kind;    /* it ended without trying, by a line of this kind: a probe once it is over */
    Time ended_at;
    int64_t settled;
    Time last;                    /* its latest line */
    Pending *pending; uint32_t pending_first, pending_len, pending_room;  /* a queue: [first, len) */
} Connection;

typedef struct { uint32_t slice, source, host; int64_t attempts, probes; } Cell;
typedef struct { uint32_t slice, user; int64_t attempts; } UserCell;
/* start: local wall clock in the build's zone; used: how many slices there were when one was last counted in. */
typedef struct { int64_t start; uint32_t used; uint8_t fold; } SliceKey;
typedef struct { Time at; uint32_t user; uint8_t invalid; } Named;  /* timeline.Named */
typedef struct {
    Time first, last; int64_t total; uint8_t failed, is_host, counted;  /* counted: a line of it was */
    uint8_t names;
    uint32_t cell;  /* 1 + the index of the cell it was last counted in, 0: none (a lookup saved: tally) */
    Named name[];  /* earliest first: room for the rule book's attack_names */
} SourceInfo;
typedef struct { Time time; uint32_t source, user; } Login;
/* A source's record: its size is the scanner's, with room for the rule book's attack_names first names. */
#define INFO(s, index) (*(SourceInfo *)((s)->source_info.items + (size_t)(index) * (s)->source_info.size))
/* A span of time a host's lines were already counted in (by an earlier build): its events are read but not
 * counted. Bounds as Python compares them with a stamp (Tally.covers): a local stamp by wall clock, one with
 * an offset by instant. */
typedef struct {
    int64_t first_wall, first_instant, last_wall, last_instant;
    int64_t any;        /* lines at the last instant known by number only (spans.ANY_LINE): each matches one line */
    uint32_t *keys;     /* the lines read at the last instant, by line key */
    uint8_t *used;      /* which of them a line read here was already */
    size_t count;
} Covered;
typedef struct { uint8_t known; uint32_t first, count; } HostCover;  /* a host's spans in Scanner.covered */
typedef struct { Time t; uint8_t seen; uint32_t epoch; } HostClock;  /* epoch: how often it went back in time */
/* A line at a host's last instant, by the fields its key is made of (line_key); its user's bytes in the span. */
typedef struct { uint64_t pid; int64_t port, count; uint32_t source, user_at, user_len; uint8_t kind, has_pid; } LineRef;
/* A host's first and last line, and the lines at that last instant (keyed only when the result is taken). */
typedef struct { Time first, last; uint8_t seen; Array lines; char *names; size_t names_len, names_room; } HostSpan;

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
    int64_t day_key, day_wall;  /* the day of the last classic stamp read (classic_time), and its midnight */
    int32_t zone_offset;  /* the build zone's fixed UTC offset, or LOCAL where it has rules */
    int64_t zone_bucket; int32_t zone_bucket_offset; uint8_t zone_bucket_fold;
    char *carry; size_t carry_len, carry_room;
    int skipping;  /* inside a line longer than max_carry: its bytes are dropped until its end */
    size_t max_line;  /* sources.MAX_LINE: a longer line is not read (the reference reader says so) */
    size_t max_carry;  /* 4 * max_line + 8: a line of more bytes has more than max_line characters however it decodes */
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
    uint32_t host_override;  /* NONE, or the host every line counts under (--host): its connections too */
    /* what was read */
    int64_t lines, sshd_lines, two_ways, overlong, backwards, backwards_line, backwards_step;
    Array host_clocks;  /* per host, the log's clock: the latest time of its lines (HostClock; Connections.clocks) */
    int has_counted; Time counted_latest;  /* the latest time of a line counted here (for steps back) */
    /* one part of several (scan.join): its head is left to the join, its open connections handed on */
    int64_t head_us;  /* how far after its first line the head goes, or -1: not a part */
    int has_first; Time first, head_end;
    const char *line_p; size_t line_n;  /* the line being read, as it came */
    char *journal; size_t journal_len, journal_room;  /* the head's lines, each ending in \n */
    char *defence; size_t defence_len, defence_room;  /* lines fail2ban or sshguard wrote (defences.py), each + \n */
    Array journal_clocks;  /* per line of the head, the log's clock before it (Time; wall LOCAL_NONE: none yet) */
    int had_latest; Time before;  /* the clock before the line being read */
    int head_disorder;  /* a line of the head came more than the skew (head - idle) behind its host's clock */
    Array carried;  /* connections open at the end, handed on (Connection, their pending moved here) */
    Array head_connections;  /* at the end, the connections of the head (Connection, without their pending) */
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
