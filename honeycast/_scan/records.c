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
static PyStructSequence_Field SLICE_COUNTS_FIELDS[] = {
    {"attempts", "per host, attempts by address"}, {"probes", "per host, probes by address"},
    {"users", "attempts by user name"}, {NULL, NULL}};
#define RECORD(name, fields, doc) {name, doc, fields, sizeof(fields) / sizeof(fields[0]) - 1}
static PyStructSequence_Desc RECORDS[] = {
    RECORD("honeycast._scan.Counts", COUNTS_FIELDS, "What a scanner read and counted (result())."),
    RECORD("honeycast._scan.SliceStart", SLICE_START_FIELDS, "Where a slice starts."),
    RECORD("honeycast._scan.HostSpan", HOST_SPAN_FIELDS, "A host's first and last line."),
    RECORD("honeycast._scan.Login", LOGIN_FIELDS, "A successful login."),
    RECORD("honeycast._scan.SliceCounts", SLICE_COUNTS_FIELDS, "A slice's counts (slices())."),
};
enum { R_COUNTS, R_SLICE_START, R_HOST_SPAN, R_LOGIN, R_SLICE_COUNTS, N_RECORDS };
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

/* ---------------------------------------------------------------- times and records made here, shared */

/* How many recent times, failure records and one-name tuples are kept to be shared (a direct-mapped cache each):
 * where millions of addresses fail once each, many in one second, each second's objects are made once, as
 * native.py's bounded caches made them. Sharing saves memory only: a miss makes an equal object. */
#define SHARED 4096

/* The time of a stamp, its fields and zone: µs since 0001-01-01 on the clock of the build's zone (offset LOCAL) or
 * of a fixed UTC offset, as native._moment makes it. */
typedef struct {
    PyObject *zone;     /* the build's zone */
    PyObject *offsets;  /* offset (int) -> datetime.timezone, made once each */
    struct { Time at; PyObject *made; } times[SHARED];
} Moments;

static void civil(int64_t days, int *year, int *month, int *day) {  /* days since 0001-01-01 (H. Hinnant's) */
    int64_t z = days - 719162 + 719468;  /* since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

static size_t time_slot(Time t) {
    uint64_t h = (uint64_t)t.wall * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)t.offset * 0xC2B2AE3D27D4EB4Full;
    return (size_t)((h ^ (h >> 29) ^ t.fold) % SHARED);
}

static int same_time(Time a, Time b) { return a.wall == b.wall && a.offset == b.offset && a.fold == b.fold; }

/* The datetime of a stamp (a new reference), or NULL with an error set. */
static PyObject *moment(Moments *m, Time t) {
    size_t slot = time_slot(t);
    if (m->times[slot].made && same_time(m->times[slot].at, t)) return Py_NewRef(m->times[slot].made);
    PyObject *zone = m->zone;
    if (t.offset != LOCAL) {
        PyObject *key = PyLong_FromLong(t.offset);
        if (!key) return NULL;
        zone = PyDict_GetItemWithError(m->offsets, key);  /* borrowed */
        if (!zone && !PyErr_Occurred()) {
            PyObject *delta = PyDelta_FromDSU(0, t.offset, 0);
            zone = delta ? PyTimeZone_FromOffset(delta) : NULL;
            Py_XDECREF(delta);
            if (zone && PyDict_SetItem(m->offsets, key, zone) < 0) Py_CLEAR(zone);
            Py_XDECREF(zone);  /* the dictionary keeps it */
        }
        Py_DECREF(key);
        if (!zone) return NULL;
    }
    if (t.wall < 0) {
        PyErr_SetString(PyExc_OverflowError, "a time before 0001-01-01");
        return NULL;
    }
    int64_t days = t.wall / DAY_US, rest = t.wall % DAY_US;
    int year, month, day;
    civil(days, &year, &month, &day);
    int64_t seconds = rest / US;
    PyObject *made = PyDateTimeAPI->DateTime_FromDateAndTimeAndFold(
        year, month, day, (int)(seconds / 3600), (int)(seconds / 60 % 60), (int)(seconds % 60), (int)(rest % US),
        zone, t.fold, PyDateTimeAPI->DateTimeType);
    if (!made) return NULL;
    Py_XSETREF(m->times[slot].made, Py_NewRef(made));
    m->times[slot].at = t;
    return made;
}

static void moments_free(Moments *m) {
    for (size_t i = 0; i < SHARED; i++) Py_XDECREF(m->times[i].made);
    Py_XDECREF(m->offsets);
    free(m);
}

/* A tuple of ``type`` (a subclass of tuple: a NamedTuple) holding ``items`` (references stolen), as tuple's own
 * __new__ makes one; NULL among them, or no memory: NULL with the error set. */
static PyObject *typed_tuple(PyTypeObject *type, int n, PyObject **items) {
    PyObject *made = NULL;
    for (int i = 0; i < n; i++)
        if (!items[i]) goto fail;
    if (!(made = type == &PyTuple_Type ? PyTuple_New(n) : type->tp_alloc(type, n))) goto fail;
    for (int i = 0; i < n; i++) PyTuple_SET_ITEM(made, i, items[i]);
    return made;
fail:
    for (int i = 0; i < n; i++) Py_XDECREF(items[i]);
    return NULL;
}

/* tally_failures(start, sources, users, zone, named, failures, names): put the failures and first names of the
 * sources with ids from start on into the dictionaries ``failures`` (address -> (first, total, last)) and ``names``
 * (address -> a tuple of ``named``(time, user, invalid), earliest first), times as datetimes; then let go of those
 * sources (result() is refused after it). Called from the last part back to the first, a log of millions of
 * addresses never holds them all twice: as records here and as Python values. A record of one failure and a
 * one-name tuple are shared by every address of the same second (and name). */
static PyObject *Scanner_tally_failures(Scanner *self, PyObject *args) {
    ScanState *s = &self->s;
    Py_ssize_t start;
    PyObject *sources, *users, *zone, *failures, *names;
    PyTypeObject *named;
    if (!PyArg_ParseTuple(args, "nO!O!OO!O!O!:tally_failures", &start, &PyList_Type, &sources, &PyList_Type, &users,
                          &zone, &PyType_Type, &named, &PyDict_Type, &failures, &PyDict_Type, &names))
        return NULL;
    if (!PyType_IsSubtype(named, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "tally_failures(): named must be a tuple type");
        return NULL;
    }
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "tally_failures") < 0) return NULL;
    size_t first = start < 0 ? 0 : (size_t)start;
    Moments *m = calloc(1, sizeof *m);
    struct { Time at; PyObject *made; } *once = calloc(SHARED, sizeof *once);
    struct { Time at; uint32_t user; uint8_t invalid; PyObject *made; } *named_once = calloc(SHARED, sizeof *named_once);
    int failed = 0;
    if (!m || !once || !named_once) {
        PyErr_NoMemory();
        failed = 1;
    } else {
        m->zone = zone;
        if (!(m->offsets = PyDict_New())) failed = 1;
    }
    for (size_t i = first; !failed && i < s->source_info.len; i++) {
        const SourceInfo *info = &INFO(s, i);
        if (!info->failed && !info->names) continue;
        if (i >= (size_t)PyList_GET_SIZE(sources)) {
            PyErr_SetString(PyExc_ValueError, "tally_failures(): fewer sources than the scanner counted");
            failed = 1;
            break;
        }
        PyObject *address = PyList_GET_ITEM(sources, (Py_ssize_t)i);
        if (info->total) {
            PyObject *record;
            if (info->total == 1 && same_time(info->first, info->last)) {
                size_t slot = time_slot(info->first);
                if (once[slot].made && same_time(once[slot].at, info->first)) {
                    record = Py_NewRef(once[slot].made);
                } else {
                    PyObject *at = moment(m, info->first), *one = PyLong_FromLong(1);
                    record = at && one ? PyTuple_Pack(3, at, one, at) : NULL;
                    Py_XDECREF(at);
                    Py_XDECREF(one);
                    if (record) {
                        Py_XSETREF(once[slot].made, Py_NewRef(record));
                        once[slot].at = info->first;
                    }
                }
            } else {
                PyObject *items[3] = {moment(m, info->first), PyLong_FromLongLong(info->total), moment(m, info->last)};
                record = typed_tuple(&PyTuple_Type, 3, items);
            }
            if (!record || PyDict_SetItem(failures, address, record) < 0) failed = 1;
            Py_XDECREF(record);
        }
        for (uint8_t k = 0; !failed && k < info->names; k++)
            if (info->name[k].user >= (uint32_t)PyList_GET_SIZE(users)) {
                PyErr_SetString(PyExc_ValueError, "tally_failures(): fewer users than the scanner counted");
                failed = 1;
            }
        if (failed || !info->names) continue;
        PyObject *kept = NULL;
        if (info->names == 1) {
            Named n = info->name[0];
            size_t slot = (time_slot(n.at) ^ ((size_t)n.user * 2654435761u) ^ n.invalid) % SHARED;
            if (named_once[slot].made && same_time(named_once[slot].at, n.at) && named_once[slot].user == n.user &&
                named_once[slot].invalid == n.invalid) {
                kept = Py_NewRef(named_once[slot].made);
            } else {
                PyObject *items[3] = {moment(m, n.at), Py_NewRef(PyList_GET_ITEM(users, n.user)),
                                      PyBool_FromLong(n.invalid)};
                PyObject *one = typed_tuple(named, 3, items);
                kept = one ? PyTuple_Pack(1, one) : NULL;
                Py_XDECREF(one);
                if (kept) {
                    Py_XSETREF(named_once[slot].made, Py_NewRef(kept));
                    named_once[slot].at = n.at;
                    named_once[slot].user = n.user;
                    named_once[slot].invalid = n.invalid;
                }
            }
        } else if ((kept = PyTuple_New(info->names))) {
            for (uint8_t k = 0; k < info->names; k++) {
                Named n = info->name[k];
                PyObject *items[3] = {moment(m, n.at), Py_NewRef(PyList_GET_ITEM(users, n.user)),
                                      PyBool_FromLong(n.invalid)};
                PyObject *one = typed_tuple(named, 3, items);
                if (!one) { Py_CLEAR(kept); break; }
                PyTuple_SET_ITEM(kept, k, one);
            }
        }
        if (!kept || PyDict_SetItem(names, address, kept) < 0) failed = 1;
        Py_XDECREF(kept);
    }
    if (once)
        for (size_t i = 0; i < SHARED; i++) Py_XDECREF(once[i].made);
    if (named_once)
        for (size_t i = 0; i < SHARED; i++) Py_XDECREF(named_once[i].made);
    free(once);
    free(named_once);
    if (m) moments_free(m);
    if (!failed) {
        array_truncate(&s->source_info, first);
        s->state = TAKEN;  /* result() would now miss the sources let go of */
    }
    s->busy = 0;
    if (failed) return NULL;
    Py_RETURN_NONE;
}

/* accepted(sources, users, zone): every successful login as the tally keeps it, (time, address, user, 0), times as
 * datetimes in zone (or their own offset); the 0 is for the failures before it (Tally.count_logins). */
static PyObject *Scanner_accepted(Scanner *self, PyObject *args) {
    ScanState *s = &self->s;
    PyObject *sources, *users, *zone;
    if (!PyArg_ParseTuple(args, "O!O!O:accepted", &PyList_Type, &sources, &PyList_Type, &users, &zone)) return NULL;
    if (enter(self, ALLOWED(FINISHED) | ALLOWED(SLICED) | ALLOWED(TAKEN), "accepted") < 0) return NULL;
    Moments *m = calloc(1, sizeof *m);
    PyObject *list = m ? PyList_New((Py_ssize_t)s->logins.len) : PyErr_NoMemory();
    if (m) {
        m->zone = zone;
        if (!(m->offsets = PyDict_New())) Py_CLEAR(list);
    }
    for (size_t i = 0; list && i < s->logins.len; i++) {
        Login l = AT(s->logins, Login, i);
        if (l.source >= (uint32_t)PyList_GET_SIZE(sources) || l.user >= (uint32_t)PyList_GET_SIZE(users)) {
            PyErr_SetString(PyExc_ValueError, "accepted(): fewer sources or users than the scanner counted");
            Py_CLEAR(list);
            break;
        }
        PyObject *items[4] = {moment(m, l.time), Py_NewRef(PyList_GET_ITEM(sources, l.source)),
                              Py_NewRef(PyList_GET_ITEM(users, l.user)), PyLong_FromLong(0)};
        PyObject *item = typed_tuple(&PyTuple_Type, 4, items);
        if (!item) Py_CLEAR(list);
        else PyList_SET_ITEM(list, (Py_ssize_t)i, item);
    }
    if (m) moments_free(m);
    s->busy = 0;
    return list;
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
