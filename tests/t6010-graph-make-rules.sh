#!/bin/sh
# checks: 5
# a generated Makefile searches no implicit rule for the sources its depfiles name (make -d: no
# implicit prerequisite tried in a no-change run), builds the same with make -r (no dependence on
# built-in rules), and a larger Makefile that includes it keeps the built-in %.o: %.c
. "$(dirname "$0")/lib.sh"
S=$STRATA
cd "$T" || exit 1
need make cc || { skip graph-make-rules "make or cc missing"; exit 0; }
mkdir -p ctx/dir
for i in 1 2 3 4 5; do echo "$i" >ctx/dir/f$i; done
echo a >ctx/a.txt
printf 'FROM scratch\nCOPY a.txt /a.txt\nCOPY dir/ /dir/\nCMD ["/x"]\n' >ctx/Dockerfile
$S gen --make img.mk ctx >gen.out 2>&1 && make -f img.mk >build.out 2>&1 && ok rules-build ||
	fail rules-build "$(tail -c 300 gen.out build.out)"
n=$(make -d -f img.mk 2>&1 | grep -c 'Trying implicit prerequisite')
[ "$n" = 0 ] && ok rules-no-implicit-search || fail rules-no-implicit-search "$n implicit prerequisites tried"
# the same graph under -r, from nothing
rm -rf .strata
$S gen --make img.mk ctx >/dev/null 2>&1
make -r -f img.mk >build.out 2>&1 && [ -s .strata/img.mk/image ] && ok rules-make-r || fail rules-make-r "$(tail -c 300 build.out)"
# a larger Makefile: its program still compiles through the built-in %.o: %.c and %: %.o... rules
printf 'int main(void){return 0;}\n' >prog.c
printf 'all: prog.o strata-img\ninclude img.mk\n' >Makefile
make >build.out 2>&1 && [ -f prog.o ] && ok rules-include-keeps-suffix-rules || fail rules-include-keeps-suffix-rules "$(tail -c 300 build.out)"
make -q && ok rules-make-q || fail rules-make-q "make -q says there is work"
