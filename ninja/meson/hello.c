#include <stdio.h>
int main(void){puts("hi from meson");return 0;}
