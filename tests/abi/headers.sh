#!/bin/bash
# The public headers compile cleanly as C99 and as C++17 with every warning an error.
set -euo pipefail
src="$1"; gen="$2"; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include <inception/inception.h>\n#include <inception/backend.h>\nint main(void) { return inception_version_number() == 0; }\n' > "$tmp/h.c"
cp "$tmp/h.c" "$tmp/h.cpp"
printf '#include <inception/inception.hpp>\nint main() { try { inception::Options o; o.set(INCEPTION_OPT_THREADS, int64_t(1)); } catch (const inception::Error &e) { return e.status(); } return 0; }\n' > "$tmp/w.cpp"
cc -std=c99 -Wall -Wextra -Wpedantic -Werror -I"$src" -I"$gen" -c "$tmp/h.c" -o "$tmp/c.o"
c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror -I"$src" -I"$gen" -c "$tmp/h.cpp" -o "$tmp/cpp.o"
# the C++17 wrapper, with the conversion warnings a C++ user is likely to enable
c++ -std=c++17 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Werror -I"$src" -I"$gen" -c "$tmp/w.cpp" -o "$tmp/w.o"
echo "headers compile as C99 and C++17, inception.hpp with -Wconversion -Wshadow"
