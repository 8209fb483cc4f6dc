/* The Python type Scanner and the module honeycast._scan: the only room that speaks Python. It includes the
 * others (one translation unit: the hot path inlines across rooms). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>  /* first, as Python asks */
#include <structmember.h>
#include <datetime.h>

#include "scan.h"
#include "table.c"
#include "state.h"
#include "grammar.c"
#include "count.c"
#include "connections.c"
#include "lines.c"

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
                                   "after tally_failures() took sources",
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

#include "hooks.c"

static int Scanner_start(Scanner *self, PyObject *args, PyObject *kwds) {
    ScanState *s = &self->s;
    static char *names[] = {"slice_seconds", "year", "reference", "header", "fields", "local_offset", "to_local",
                            "zone_offset", "covered", "rules", "max_line", "head", "host", NULL};
    int slice, year, ref_year, ref_month, ref_day, attack_names;
    long long idle, sweep, backwards, head = -1;
    Py_ssize_t max_pending, max_connections, max_line;
    PyObject *header, *fields, *local_offset, *to_local, *zone_offset, *covers, *actions, *host = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ii(iii)OOOOOO(O!LLnniL)n|LO", names, &slice, &year, &ref_year,
                                     &ref_month, &ref_day, &header, &fields, &local_offset, &to_local, &zone_offset,
                                     &covers, &PyTuple_Type, &actions, &idle, &sweep, &max_pending,
                                     &max_connections, &attack_names, &backwards, &max_line, &head, &host))
        return -1;
    if (host != Py_None && !PyUnicode_Check(host)) {
        PyErr_SetString(PyExc_TypeError, "host must be None or a str");
        return -1;
    }
    s->head_us = head < 0 ? -1 : head;  /* a part of several: how far its head goes (scan.join) */
    if (max_line < 1 || max_line > (PY_SSIZE_T_MAX - 8) / 4) {
        PyErr_SetString(PyExc_ValueError, "max_line out of range");
        return -1;
    }
    s->max_line = (size_t)max_line;
    s->max_carry = 4 * (size_t)max_line + 8;
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
    if (state_init(s) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    if (host != Py_None) {  /* every line counts under this host: intern it first (--host) */
        Py_ssize_t length;
        const char *text = PyUnicode_AsUTF8AndSize(host, &length);
        if (!text) return -1;
        s->host_override = intern(&s->hosts, text, (size_t)length);
        if (s->host_override == NONE) { PyErr_NoMemory(); return -1; }
    }
    /* covered(host name) -> ((first wall, first instant, last wall, last instant, lines known by number only, keys
     * of the lines at the last instant), ...), times in µs (Tally.covers); asked once per host (ask_cover). */
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
    for (size_t i = 0; i < s->covered.len; i++) {
        free(AT(s->covered, Covered, i).keys); free(AT(s->covered, Covered, i).used);
    }
    for (size_t i = 0; i < s->host_spans.len; i++) {
        free(AT(s->host_spans, HostSpan, i).lines.items); free(AT(s->host_spans, HostSpan, i).names);
    }
    for (size_t i = 0; i < s->carried.len; i++) free(AT(s->carried, Connection, i).pending);
    free(s->carried.items); free(s->head_connections.items); free(s->journal); free(s->defence); free(s->journal_clocks.items); free(s->host_clocks.items);
    free(s->covered.items); free(s->host_cover.items); free(s->host_spans.items);
    map_free(&s->connection_index); map_free(&s->endpoint_index); map_free(&s->session_index); map_free(&s->slice_index);
    map_free(&s->cell_index); map_free(&s->user_cell_index);
    Py_TYPE(self)->tp_free((PyObject *)self);
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
        if ((size_t)(nl - p) > s->max_carry) {  /* a whole overlong line inside this block */
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
    /* The end of the input ends every connection: pending PAM failures count (SshdParser.finish), but in a part
     * of several those a later part may go on are handed on as they are. */
    if (s->head_us >= 0 && hand_on(s) < 0) return raised(self);
    for (size_t i = 0; i < s->waiting.len; i++) {
        Connection *c = by_seq(s, AT(s->waiting, uint64_t, i));
        if (c && over(s, c) < 0) return raised(self);
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

#include "records.c"
#include "parts.c"

static PyMethodDef Scanner_methods[] = {
    {"feed", (PyCFunction)Scanner_feed, METH_O, "Read a block of log bytes (lines may run over into the next block)."},
    {"finish", (PyCFunction)Scanner_finish, METH_VARARGS,
     "End the input: read its last line if it did not end with a newline (unless last_line is false: the input was "
     "cut off inside it), and count what waits for connections to end."},
    {"result", (PyCFunction)Scanner_result, METH_NOARGS, "Return what was counted."},
    {"tally_failures", (PyCFunction)Scanner_tally_failures, METH_VARARGS,
     "tally_failures(start, sources, users, zone, named, failures, names): put the failures and first names of the "
     "sources with ids from start on into the two dictionaries, times as datetimes in zone (or their own offset), "
     "names as named(time, user, invalid); then let go of those sources (result() is refused after it)."},
    {"accepted", (PyCFunction)Scanner_accepted, METH_VARARGS,
     "accepted(sources, users, zone): every successful login as (time, address, user, 0), times as datetimes."},
    {"head", (PyCFunction)Scanner_head, METH_NOARGS,
     "(lines, clocks): a part's head as it came, each line ending in \\n, and the log's clock before each (or None)."},
    {"carried", (PyCFunction)Scanner_carried, METH_VARARGS,
     "carried(zone, carried, kinds, program): the connections open at a part's end (once), as carried(...)."},
    {"defences", (PyCFunction)Scanner_defences, METH_NOARGS,
     "The lines fail2ban or sshguard may have written, as they came, each ending in \\n."},
    {"head_keys", (PyCFunction)Scanner_head_keys, METH_NOARGS,
     "(host, pid, source, port, last) of each connection of a part's head, before finish()."},
    {"edges", (PyCFunction)Scanner_edges, METH_NOARGS,
     "(first, clocks, disorder): the time of the first line (or None), per host id its clock at the end, and whether a "
     "line of the head came further behind its host's clock than the skew."},
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

#include "sums.c"

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_scan", "honeycast's native line scanner.", -1, SUMS};

PyMODINIT_FUNC PyInit__scan(void) {
    crc_init();
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return NULL;
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
                 PyModule_AddIntConstant(m, "INTERFACE", INTERFACE) < 0;
    Py_XDECREF(kinds);
    Py_XDECREF(actions);
    if (failed) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
