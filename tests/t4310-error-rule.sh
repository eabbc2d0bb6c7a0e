#!/bin/sh
# checks: 10
# t4310: error.h's rule and util.h's containers, read off the sources and seen at work: below the
# front end nothing calls fatal or exit and no function hands back a char **err; no buf is
# primed with ""; no array grows by a loop of its own; a libcrypto that cannot hash (no sha256 in
# its providers) and a base image that is missing reach main as one line, leaving no temporary
# file behind.
. "$(dirname "$0")/lib.sh"
S=$STRATA
top=${STRATA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$T" || exit 1

# the code of C files without their comments, as FILE:LINE: TEXT
code() {
	awk '{
		line = $0; out = ""
		while (length(line)) {
			if (inc) {
				i = index(line, "*/")
				if (!i) { line = ""; break }
				line = substr(line, i + 2); inc = 0
			} else {
				i = index(line, "/*")
				if (!i) { out = out line; break }
				out = out substr(line, 1, i - 1); line = substr(line, i + 2); inc = 1
			}
		}
		print FILENAME ":" FNR ": " out
	}' "$@"
}
lint() { # NAME WHY ERE FILE...
	name=$1 why=$2 re=$3; shift 3
	hits=$(code "$@" | grep -E -- "^[^:]*:[0-9]*: .*($re)" | sed "s|$top/||")
	[ -z "$hits" ] && ok "$name" || fail "$name" "$why: $(echo "$hits" | head -5 | tr '\n' ' ')"
}
below=$(ls "$top"/tool/build/*.[ch] "$top"/tool/oci/*.[ch] "$top"/tool/store/*.[ch] "$top"/tool/transport/*.[ch] \
	"$top"/tool/graph/*.[ch])
all=$(ls "$top"/tool/*.[ch] "$top"/tool/*/*.[ch])
# shellcheck disable=SC2086
lint no-fatal-below-front "only main exits (error.h)" '\b(fatal|fatal_at|exit|err|errx|abort)[[:space:]]*\(' $below
# shellcheck disable=SC2086
lint no-char-err-out "errors go out in a struct error" \
	'char[[:space:]]*\*[[:space:]]*\*[[:space:]]*(err|errp|errmsg|error|why|msg|reason)\b' $all
# shellcheck disable=SC2086
lint no-empty-buf-priming "a buf's text is never NULL: no buf_putn(b, \"\", 0)" \
	'buf_put(n[[:space:]]*\([^,]*,[[:space:]]*""[[:space:]]*,[[:space:]]*0|s[[:space:]]*\([^,]*,[[:space:]]*""[[:space:]]*\))' \
	$all "$top"/tests/*.c
# shellcheck disable=SC2086
lint one-growth-helper "arrays grow through array_grow (util.h)" \
	'\bx?realloc[[:space:]]*\(|cap[a-z_]*[[:space:]]*\*=[[:space:]]*2|\?[[:space:]]*2[[:space:]]*\*[[:space:]]*[a-z_>.-]*cap|cap[a-z_]*[[:space:]]*\*[[:space:]]*2[[:space:]]*:' \
	$(echo "$all" | grep -v '/tool/util\.[ch]$')

mkdir -p ctx
echo hello >ctx/a
printf 'FROM scratch\nCOPY a /a\n' >ctx/Dockerfile
tmp_left() { find "$1/tmp" -mindepth 1 2>/dev/null | head -3; }

# OpenSSL 3 loads only the providers a configuration names: with only "null", nothing hashes
major=$(pkg-config --modversion libcrypto 2>/dev/null | cut -d. -f1)
if [ "${major:-0}" -ge 3 ]; then
	printf 'openssl_conf = init\n[init]\nproviders = prov\n[prov]\nnull = nullp\n[nullp]\nactivate = 1\n' >null.cnf
	lib='sha256: libcrypto failed: error:0308010C:digital envelope routines::unsupported'
	check_err sha256-failure-build "strata: ctx/Dockerfile:2:1: $lib" \
		env STRATA_STORE="$T/s1" OPENSSL_CONF="$T/null.cnf" $S build -q ctx
	left=$(tmp_left "$T/s1")
	[ -z "$left" ] && [ -d "$T/s1/tmp" ] && ok sha256-failure-build-no-tmp || fail sha256-failure-build-no-tmp "left: $left"
	STRATA_STORE=$T/s2 $S build -q -t img ctx >/dev/null 2>&1 && STRATA_STORE=$T/s2 $S export img oci:"$T/oci" 2>/dev/null
	# the manifest is the first blob import reads
	man=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$T/oci/index.json" 2>/dev/null)
	check_err sha256-failure-import "strata: blob ${man:-?}: $lib" \
		env STRATA_STORE="$T/s3" OPENSSL_CONF="$T/null.cnf" $S import oci:"$T/oci" img
	left=$(tmp_left "$T/s3")
	[ -z "$left" ] && ok sha256-failure-import-no-tmp || fail sha256-failure-import-no-tmp "left: $left"
else
	for c in sha256-failure-build sha256-failure-build-no-tmp sha256-failure-import sha256-failure-import-no-tmp; do
		skip $c "libcrypto ${major:-?}: no providers to take sha256 away with"
	done
fi

# a Dockerfile error found below the front end is placed as the front end places its own
printf 'FROM scratch\nCOPY a /a\nFROM nosuch:1\nCOPY a /b\n' >ctx/Dockerfile
check_err base-missing-at-line 'strata: ctx/Dockerfile:3:1: image nosuch:1: not in the store (strata import it first)' \
	env STRATA_STORE="$T/s4" $S build -q ctx
printf 'FROM scratch\nADD https://example.org/a /a\n' >ctx/Dockerfile
check_err add-url-at-line \
	'strata: ctx/Dockerfile:2:1: ADD https://example.org/a: adding from a URL or a git repository is not supported yet' \
	env STRATA_STORE="$T/s4" $S build -q ctx
