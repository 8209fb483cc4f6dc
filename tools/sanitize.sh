#!/usr/bin/env bash
# Build a second copy of the native scanner with AddressSanitizer and UndefinedBehaviorSanitizer, and run the
# scanner's tests and a short differential fuzz against it: any out-of-bounds access, leak of a freed block or
# undefined arithmetic stops the run. Needs the project's virtual environment (.venv) and gcc.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/honeycast"
cp -r honeycast/*.py honeycast/data "$work/honeycast/"
suffix=$(python -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')
include=$(python -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
gcc -shared -fPIC -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -I"$include" honeycast/_scan/module.c -o "$work/honeycast/_scan$suffix"

export PYTHONPATH="$work" PYTHONSAFEPATH=1  # not the sources in the current folder
# The Python reader's worker processes start from a fresh server, not forked from the tests' process: this
# sanitizer's allocator has no fork handler, so a fork just after the scanner's threads were joined (a test
# counting both ways) could copy a lock a dying thread still held, and the child would wait on it forever.
printf 'import multiprocessing\nmultiprocessing.set_start_method("forkserver")\n' > "$work/sitecustomize.py"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
python -c "
import honeycast._scan as scan, honeycast.native as native
assert scan.__file__.startswith('$work'), scan.__file__
assert native.AVAILABLE, 'the sanitized scanner does not match these sources'
print('sanitized scanner:', scan.__file__)
"
# A gigabyte without a line feed takes minutes under the sanitizers; shorter overlong lines take the same paths.
python -m pytest -q -p no:cacheprovider tests/test_native.py tests/test_counting.py tests/test_sums.py -k "not gigabyte"
python benchmarks/fuzz_parse.py --lines 100000 --seed 11
