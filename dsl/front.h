/* front.h - state shared by the lexer and the parser of one spec file. */
#ifndef CK_FRONT_H
#define CK_FRONT_H

#include "ast.h"

typedef struct ck_front {
  ck_arena *arena;
  ck_diag *diag;
  const char *file;
  int line, col;
  ck_node *items; /* parsed top-level items, appended in order */
} ck_front;

#define YYLTYPE ck_loc
#define YYLTYPE_IS_DECLARED 1
#define YYLTYPE_IS_TRIVIAL 0

#endif
