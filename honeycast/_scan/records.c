/* What a scanner counted, handed to Python as records with named fields (struct sequences, typed in
 * honeycast/_scan.pyi), a part at a time where it is large. Part of module.c, the Python glue. */

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
    {"at_last", "the keys of the lines read at the last instant"}, {NULL, NULL}};
static PyStructSequence_Field LOGIN_FIELDS[] = {
    {"wall", NULL}, {"offset", NULL}, {"fold", NULL}, {"source", "source id"}, {"user", "user id"}, {NULL, NULL}};
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
        PyObject *keys = PyTuple_New((Py_ssize_t)span.lines.len);
        for (size_t k = 0; keys && k < span.lines.len; k++) {
            LineRef ref = AT(span.lines, LineRef, k);
            const char *source;
            size_t source_n;
            source_bytes(s, ref.source, &source, &source_n);
            PyObject *key = PyLong_FromUnsignedLong(line_key(ref.has_pid, ref.pid, ref.kind, source, source_n, ref.port,
                                                             ref.user_len ? span.names + ref.user_at : "", ref.user_len, ref.count));
            if (!key) Py_CLEAR(keys);
            else PyTuple_SET_ITEM(keys, (Py_ssize_t)k, key);
        }
        PyObject *item = RECORD_OF(R_HOST_SPAN, LL(i), LL(span.first.wall), offset_object(span.first.offset),
                                   LL(span.first.fold), LL(span.last.wall), offset_object(span.last.offset),
                                   LL(span.last.fold), keys);
        if (!item || PyList_Append(spans, item) < 0) { Py_XDECREF(item); goto done; }
        Py_DECREF(item);
    }
    if (!(logins = PyList_New(s->logins.len))) goto done;
    for (size_t i = 0; i < s->logins.len; i++) {
        Login l = AT(s->logins, Login, i);
        PyObject *item = RECORD_OF(R_LOGIN, LL(l.time.wall), offset_object(l.time.offset), LL(l.time.fold),
                                   LL(l.source), LL(l.user));
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

/* Add ``amount`` to ``counts[key]``: one lookup where the key is new (each address once in a slice, nearly always). */
static int dict_add(PyObject *counts, PyObject *key, int64_t amount) {
    PyObject *value = PyLong_FromLongLong(amount);
    if (!value) return -1;
    Py_ssize_t size = PyDict_GET_SIZE(counts);
    PyObject *before = PyDict_SetDefault(counts, key, value);  /* borrowed */
    if (!before || PyDict_GET_SIZE(counts) > size) {  /* an error, or put in: a new key */
        Py_DECREF(value);
        return before ? 0 : -1;
    }
    Py_DECREF(value);
    long long total = amount + PyLong_AsLongLong(before);
    if (!(value = PyLong_FromLongLong(total))) return -1;
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

/* ``counts[outer]``, made (``new_counts``) where there is none; borrowed, or NULL with an error set. */
static PyObject *counts_in(PyObject *counts, PyObject *outer, PyObject *make) {
    PyObject *inner = PyDict_GetItemWithError(counts, outer);
    if (inner || PyErr_Occurred()) return inner;
    if (!(inner = new_counts(make))) return NULL;
    int failed = PyDict_SetItem(counts, outer, inner);
    Py_DECREF(inner);
    return failed < 0 ? NULL : inner;
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
        uint32_t last_host = NONE;
        PyObject *host = NULL, *host_attempts = NULL, *host_probes = NULL;  /* borrowed: the last host's (one, mostly) */
        for (size_t i = cell_first[k]; i < cell_first[k + 1]; i++) {
            Cell c = AT(s->cells, Cell, i);
            PyObject *address = PyList_GET_ITEM(sources, c.source);
            if (c.host != last_host) {
                host = PyList_GET_ITEM(hosts, c.host);
                host_attempts = host_probes = NULL;  /* found or made when first needed: a host only with counts */
                last_host = c.host;
            }
            if (c.attempts && ((!host_attempts && !(host_attempts = counts_in(attempts, host, make))) ||
                               dict_add(host_attempts, address, c.attempts) < 0))
                goto slice_fail;
            if (c.probes && ((!host_probes && !(host_probes = counts_in(probes, host, make))) ||
                             dict_add(host_probes, address, c.probes) < 0))
                goto slice_fail;
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
