#!/bin/sh
# checks: 6
# issue 10 items 7 and 9, the Make side: quiet recipes print "  STRATA VERB" lines and no command,
# V=1 prints the commands and no "STRATA" line; .DELETE_ON_ERROR is in force in the generated
# Makefile and in make/strata.mk (make -p's database); neither uses a feature GNU Make added
# after 3.81 (only make 4.3 is installable here, so this is a lint of the files, not a 3.81 run).
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need make || { skip graph-make-output "make missing"; exit 0; }
mkdir -p ctx && echo a >ctx/a.txt
printf 'FROM scratch\nCOPY a.txt /a.txt\nCMD ["/x"]\n' >ctx/Dockerfile
$S gen --make img.mk ctx >gen.out 2>&1 || fail gen "$(cat gen.out)"
make -f img.mk >quiet.out 2>&1
grep -q '^  STRATA COPY' quiet.out && ! grep -q 'step run\|step key\| step ' quiet.out && ok make-quiet ||
	fail make-quiet "$(head -c 400 quiet.out)"
rm -rf .strata && $S gen --make img.mk ctx >/dev/null 2>&1
make -f img.mk V=1 >v1.out 2>&1
grep -q ' step ' v1.out && ! grep -q '^  STRATA ' v1.out && ok make-v1-commands || fail make-v1-commands "$(head -c 400 v1.out)"
make -p -q -f img.mk 2>/dev/null | grep -q '^\.DELETE_ON_ERROR:' && ok gen-delete-on-error || fail gen-delete-on-error "not in make -p"
printf 'include %s\n' "$top/make/strata.mk" >inc.mk
make -p -q -f inc.mk 2>/dev/null | grep -q '^\.DELETE_ON_ERROR:' && ok mk-delete-on-error || fail mk-delete-on-error "not in make -p"
# features newer than GNU Make 3.81: $(file), != and ::= assignments, .ONESHELL, undefine,
# .RECIPEPREFIX, grouped targets &:, $(guile), private
new='\$\(file |^[^#	]*[^:!]!= |::= |\.ONESHELL|^undefine |\.RECIPEPREFIX|&:|\$\(guile |^private '
for f in img.mk "$top/make/strata.mk"; do
	if grep -En "$new" "$f" >lint.out; then fail "make381-$(basename "$f")" "$(head -3 lint.out)"; else ok "make381-$(basename "$f")"; fi
done
