/* The answers to the hooks counting asks (Hooks in state.h), from the callables native.py hands over: each run
 * by with_python, which holds the GIL for it. Part of module.c, the Python glue. */

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
        long long first_wall, first_instant, last_wall, last_instant, any;
        PyObject *keys;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(spans, i), "LLLLLO!", &first_wall, &first_instant, &last_wall,
                              &last_instant, &any, &PyTuple_Type, &keys)) {
            Py_DECREF(spans);
            return -1;
        }
        Py_ssize_t count = PyTuple_GET_SIZE(keys);
        Covered *c = array_push(a->spans);
        if (!c) { Py_DECREF(spans); PyErr_NoMemory(); return -1; }
        *c = (Covered){first_wall, first_instant, last_wall, last_instant, any, NULL, NULL, 0};
        c->keys = malloc((size_t)(count ? count : 1) * sizeof *c->keys);
        c->used = calloc((size_t)(count ? count : 1), 1);
        if (!c->keys || !c->used) { Py_DECREF(spans); PyErr_NoMemory(); return -1; }
        c->count = (size_t)count;
        for (Py_ssize_t k = 0; k < count; k++) {
            unsigned long key = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(keys, k));
            if (key == (unsigned long)-1 && PyErr_Occurred()) { Py_DECREF(spans); return -1; }
            c->keys[k] = (uint32_t)key;
        }
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
