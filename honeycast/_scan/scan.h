/* honeycast's native scanner: what its rooms share. Plain C but for module.c and the two rooms it includes last.
 *
 * honeycast/sshd.py is the reference reader. The scanner reads the common shapes itself (classic and RFC 3339
 * syslog headers; the families that fill a brute-force log) and asks the reference, through hooks, about every
 * line it is not certain of; either way the same C code keeps the connections and the counts, by the rule book
 * (rules.py) it is handed. The fast path accepts a line only where the reference's regular expressions can match
 * in exactly one way: printable ASCII messages, user names without spaces, canonical addresses.
 *
 * The rooms, compiled as one unit by module.c (so the hot path inlines across them):
 *   table.c        hashing, maps, interned strings, growable arrays
 *   state.h        the records and the ScanState a scanner counts in; the Hooks it asks Python through
 *   grammar.c      dates and times, a line's header, sshd's messages
 *   count.c        times in the build zone, slices, first names, cells: the tally, by the rule book
 *   connections.c  connections and PAM settlement: what a line adds, by the actions of its kind
 *   lines.c        a line end to end (the reference reader through the hooks where needed); blocks into lines
 *   module.c       the Python type: arguments, GC, the GIL (with_python); hooks.c answers the hooks from
 *                  Python, records.c hands the counts over as records (module.c includes both: the glue)
 */
#ifndef HONEYCAST_SCAN_H
#define HONEYCAST_SCAN_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EventKind, in the order honeycast/events.py declares it (checked at import). */
enum {
    K_FAILED, K_INVALID_USER, K_ACCEPTED, K_NOT_ALLOWED, K_ROOT_REFUSED, K_PAM_FAILURE, K_PAM_MORE,
    K_MAX_ATTEMPTS, K_TOO_MANY_FAILURES, K_ACCOUNT_LOCKED, K_DISCONNECTED, K_RECEIVED_DISCONNECT,
    K_NO_IDENTIFICATION, K_BAD_PROTOCOL, K_NEGOTIATION_FAILED, K_TIMEOUT, K_REVERSE_MAPPING,
    K_REFUSED_CONNECT, K_CONNECTION, K_LOGOUT, K_DROPPED, K_UNKNOWN, N_KINDS
};
static const char *KIND_NAMES[N_KINDS] = {
    "failed", "invalid_user", "accepted", "not_allowed", "root_refused", "pam_failure", "pam_more",
    "max_attempts", "too_many_failures", "account_locked", "disconnected", "received_disconnect",
    "no_identification", "bad_protocol", "negotiation_failed", "timeout", "reverse_mapping",
    "refused_connect", "connection", "logout", "dropped", "unknown"};

/* What a line does: the bits of rules.Action (checked at import). Which kind does what, and every limit
 * connections are kept in, the scanner is handed at __init__ (rules.RULES): it keeps no rule of its own. */
enum {
    A_TRIES = 1, A_ATTEMPT = 2, A_WAITS = 4, A_KEEPS_OWN = 8, A_SETTLES = 16, A_SESSION = 32, A_ENDS = 64,
    A_NOTES_INVALID = 128, A_LOGIN = 256, N_ACTIONS = 9
};
static const char *ACTION_NAMES[N_ACTIONS] = {"TRIES", "ATTEMPT", "WAITS", "KEEPS_OWN", "SETTLES", "SESSION",
                                              "ENDS", "NOTES_INVALID", "LOGIN"};

#define INTERFACE 17 /* bump when Scanner's arguments or results change: native.py checks it */
#define NONE UINT32_MAX
#define LOCAL INT32_MIN          /* a time in the reader's own zone, not a fixed offset */
#define US 1000000LL
#define DAY_US (86400LL * US)
#define ZONE_BUCKET_US (900LL * US)  /* the build zone's offset is asked once per quarter hour of UTC */
#define RECENT 4  /* a slice counted in since the last this many slices began keeps its cells findable */

#endif
