/* The Python type Scanner and the module honeycast._scan: the only room that speaks Python. It includes the
 * others (one translation unit: the hot path inlines across rooms). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>  /* first, as Python asks */
#include <structmember.h>

#include "scan.h"
#include "table.c"
#include "state.h"
#include "grammar.c"
#include "count.c"

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
