/* the program the app image ships: built by the same Makefile or build.ninja as the images */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from %s, built beside its image\n", argc > 1 ? argv[1] : "the monorepo");
	return 0;
}
