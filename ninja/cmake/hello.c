#include <stdio.h>
int main(void){puts("hi from cmake");return 0;}
