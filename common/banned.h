/*
 * banned.h - functions we do not use (after git's banned.h).
 * Included last by every project .c file through the build (-include),
 * so a use of one of these is a compile error naming the replacement.
 */
#ifndef SS_BANNED_H
#define SS_BANNED_H

#define SS_BANNED(func) sorry_##func##_is_banned_use_a_bounded_variant

#undef strcpy
#define strcpy(x, y) SS_BANNED(strcpy)
#undef strcat
#define strcat(x, y) SS_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) SS_BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) SS_BANNED(strncat)
#undef sprintf
#define sprintf(...) SS_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) SS_BANNED(vsprintf)
#undef gets
#define gets(x) SS_BANNED(gets)
#undef atoi
#define atoi(x) SS_BANNED(atoi)
#undef atof
#define atof(x) SS_BANNED(atof)
#undef rand
#define rand() SS_BANNED(rand)
#undef srand
#define srand(x) SS_BANNED(srand)
#undef strtok
#define strtok(x, y) SS_BANNED(strtok)

#endif
