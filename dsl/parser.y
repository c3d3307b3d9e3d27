/* parser.y - grammar of the .conv language.
 *
 * Second stage of convc: tokens -> generic AST (ast.h).  Each action is a
 * single constructor call; names are resolved and checked later in
 * compiler/sema.c.  On a syntax error the parser reports it with its
 * location, skips to the end of the current item and keeps going, so one
 * run reports several errors.
 */
%code requires {
#include "ast.h"
#include "front.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
}

%code {
#include <stdio.h>
#include <string.h>
int ck_yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
#define yylex ck_yylex
static void yyerror(YYLTYPE *loc, yyscan_t scanner, ck_front *F,
                    const char *msg);
#define A (F->arena)
#define YYLLOC_DEFAULT(Cur, Rhs, N)                 \
  do {                                              \
    if (N) (Cur) = YYRHSLOC(Rhs, 1);                \
    else { (Cur) = YYRHSLOC(Rhs, 0); (Cur).len = 0; } \
  } while (0)
#define MOD(loc, name, arg) ck_ast_op(A, AST_MOD, loc, name, arg, NULL)
}

%define api.pure full
%define parse.error verbose
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {ck_front *F}
%expect 0

%union {
  ck_node *node;
}

%token <node> IDENT STRING INT FLOAT
%token CONFIG ABSTRACT REGISTRY DEFAULT IMPLICIT REQUIRED CHECK PARAM WHEN
%token SECTION FOR EXTENDS AS IGNORE HF EMIT OPTIONAL CUSTOM RECURSIVE
%token NESTED AT DISPATCH TYPED_DICT SEQUENCE COUNT VALIDATE FORMAT TABLE
%token ALLOWLIST IMPORT VIA ELSE IF THEN TRUE_ FALSE_ NULL_ SELF AND OR NOT
%token IN IS ENUM LIST DICT DISCRIMINATOR WEIGHTS LINEAR REPEAT COALESCE MODULE TIE WITH REQUIRE OVERRIDE ALWAYS LAYOUT BY
%token DUAL LARROW RARROW EQ NE LE GE FLOORDIV ERROR_TOKEN

%type <node> item enum_decl ident_list config_decl base_opt dynname_opt mods
%type <node> class_items class_item type tbase constraint_opt
%type <node> section_decl hftype_opt decls decl body path seg path_list
%type <node> hf_opt at_opt disc_opt branches branch format_decl props prop
%type <node> values value kv_list kv table_decl rows row allow_decl
%type <node> str_list expr or_expr and_expr not_expr cmp_expr add_expr
%type <node> mul_expr unary primary ipath args arg_list literal sliteral list_lit
%type <node> msg_opt else_opt via_opt sentinel_opt when_opt default_opt
%type <node> expr_list hint wdecls wdecl wparams_opt wparam_list wparam wkind_opt wconfig_opt wwhen_opt wbranches wbranch wopt_self coalesce_expr margs_opt wfor_opt
%type <node> cmpop

%%

file
  : %empty
  | file item              { if ($2) F->items = ck_ast_append(F->items, $2); }
  | file error '}'         { yyerrok; }
  ;

item
  : enum_decl | config_decl | section_decl | format_decl | table_decl
  | allow_decl
  ;

/* enum -> 'enum' NAME '{' value, ... '}' */
enum_decl
  : ENUM IDENT '{' ident_list '}'   { $$ = ck_ast_op(A, AST_ENUM, @2, $2->str, $4, NULL); }
  ;

ident_list
  : IDENT                       { $$ = $1; }
  | STRING                      { $$ = $1; }
  | ident_list ',' IDENT        { $$ = ck_ast_append($1, $3); }
  | ident_list ',' STRING       { $$ = ck_ast_append($1, $3); }
  ;

/* config -> 'config' NAME [':' BASE [DYNAMIC-NAME]] modifiers '{' items '}' */
config_decl
  : CONFIG IDENT base_opt dynname_opt mods '{' class_items '}'
      { $$ = ck_ast_op(A, AST_CONFIG, @2, $2->str, $3, $7);
        ck_ast_set($$, $4 ? $4->str : NULL, NULL, $5, 0); }
  ;

base_opt : %empty { $$ = NULL; } | ':' IDENT { $$ = $2; } ;
dynname_opt : %empty { $$ = NULL; } | STRING { $$ = $1; } ;

mods
  : %empty                      { $$ = NULL; }
  | mods ABSTRACT               { $$ = ck_ast_append($1, MOD(@2, "abstract", NULL)); }
  | mods REGISTRY               { $$ = ck_ast_append($1, MOD(@2, "registry", NULL)); }
  | mods DEFAULT IDENT          { $$ = ck_ast_append($1, MOD(@2, "default", $3)); }
  ;

class_items
  : %empty                      { $$ = NULL; }
  | class_items class_item      { $$ = ck_ast_append($1, $2); }
  | class_items ';'             { $$ = $1; }
  ;

/* field -> HINT NAME ':' TYPE [CMP VALUE] [= DEFAULT | = implicit EXPR | required]
 * sequence -> 'sequence' BLOCK-FIELD ['by' PATTERN-FIELD] 'count' FIELD */
class_item
  : hint IDENT ':' type constraint_opt default_opt
      { $$ = ck_ast_op(A, AST_FIELD, @2, $2->str, $4, $6);
        ck_ast_set($$, $1->str, NULL, $5, 0);
        if ($6 && $6->kind == AST_CALL && $6->str == NULL) { $$->b = $6->a; $$->flags |= $6->flags; } }
  | CHECK expr msg_opt          { $$ = ck_ast_op(A, AST_CHECK, @1, $3 ? $3->str : NULL, $2, NULL); }
  | PARAM path '[' expr_list ']' when_opt
      { $$ = ck_ast_op(A, AST_PARAM, @2, "param", $2, $4); $$->c = $6; }
  | MODULE path '=' expr margs_opt when_opt
      { $$ = ck_ast_op(A, AST_PARAM, @2, "module", $2, $4); $$->c = $6; $$->d = $5; }
  | MODULE path '=' expr margs_opt REPEAT expr
      { $$ = ck_ast_op(A, AST_PARAM, @2, "repeat", $2, $4); $$->c = $7; $$->d = $5; }
  | TIE path '=' path WHEN expr
      { $$ = ck_ast_op(A, AST_PARAM, @2, "tie", $2, $4); $$->c = $6; }
  | SEQUENCE IDENT COUNT IDENT  { $$ = ck_ast_op(A, AST_SEQ, @1, NULL, $2, $4); }
  | SEQUENCE IDENT BY IDENT COUNT IDENT
      { $$ = ck_ast_op(A, AST_SEQ, @1, NULL, $2, $6); $$->c = $4; }
  ;

hint
  : IDENT                       { $$ = $1; }
  | OPTIONAL                    { $$ = ck_ast_str(A, AST_IDENT, @1, "optional"); }
  ;

default_opt
  : %empty                      { $$ = NULL; }
  | '=' expr                    { $$ = $2; }
  | '=' IMPLICIT expr           { $$ = ck_ast_op(A, AST_CALL, @2, NULL, $3, NULL); $$->flags = CK_FIELD_IMPLICIT; }
  | REQUIRED                    { $$ = ck_ast_op(A, AST_CALL, @1, NULL, NULL, NULL); $$->flags = CK_FIELD_REQUIRED; }
  | '=' expr ALWAYS             { $$ = ck_ast_op(A, AST_CALL, @2, NULL, $2, NULL); $$->flags = CK_FIELD_ALWAYS; }
  ;

constraint_opt
  : %empty                      { $$ = NULL; }
  | cmpop primary               { $$ = ck_ast_op(A, AST_BINOP, @1, $1->str, NULL, $2); }
  ;

type
  : tbase                       { $$ = $1; }
  | tbase '?'                   { $$ = $1; $$->flags |= CK_TYF_OPTIONAL; }
  ;

tbase
  : IDENT                       { $$ = ck_ast_str(A, AST_TYPE, @1, $1->str); }
  | LIST '[' type ']'           { $$ = ck_ast_op(A, AST_TYPE, @1, "list", $3, NULL); $$->flags = CK_TYF_LIST; }
  | DICT '[' IDENT ',' type ']' { $$ = ck_ast_op(A, AST_TYPE, @1, "dict", $5, $3); $$->flags = CK_TYF_DICT; }
  | ENUM '(' ident_list ')'     { $$ = ck_ast_op(A, AST_TYPE, @1, "enum", $3, NULL); $$->flags = CK_TYF_ENUM; }
  ;

/* section -> 'section' NAME 'for' CLASS ['as' HF-TYPE] '{' decls '}'
 *          | 'section' NAME 'extends' PARENT '{' decls '}' */
section_decl
  : SECTION IDENT FOR IDENT hftype_opt '{' decls '}'
      { $$ = ck_ast_op(A, AST_SECTION, @2, $2->str, $7, $5); $$->s2 = $4->str; }
  | SECTION IDENT EXTENDS IDENT '{' decls '}'
      { $$ = ck_ast_op(A, AST_SECTION, @2, $2->str, $6, NULL); $$->s2 = $4->str;
        $$->flags = CK_SECTION_EXTENDS; }
  | SECTION IDENT EXTENDS IDENT AS STRING '{' decls '}'
      { $$ = ck_ast_op(A, AST_SECTION, @2, $2->str, $8, $6); $$->s2 = $4->str;
        $$->flags = CK_SECTION_EXTENDS; }
  | SECTION IDENT EXTENDS IDENT FOR IDENT '{' decls '}'
      { $$ = ck_ast_op(A, AST_SECTION, @2, $2->str, $8, NULL); $$->s2 = $4->str;
        $$->flags = CK_SECTION_EXTENDS; $$->d = $6; }
  ;

hftype_opt : %empty { $$ = NULL; } | AS STRING { $$ = $2; } ;

decls
  : %empty                      { $$ = NULL; }
  | decls decl                  { $$ = ck_ast_append($1, $2); }
  | decls ';'                   { $$ = $1; }
  | decls error ';'             { $$ = $1; yyerrok; }
  ;

/* decl -> [KEY ':'] ['layout' LAYOUT] body */
decl
  : body                        { $$ = $1; }
  | IDENT ':' body              { $$ = $3; $$->s2 = $1->str; }
  | LAYOUT IDENT body           { $$ = ck_ast_op(A, AST_GUARD, @2, $2->str, $3, NULL); }
  | IDENT ':' LAYOUT IDENT body
      { $$ = ck_ast_op(A, AST_GUARD, @4, $4->str, $5, NULL); $5->s2 = $1->str; }
  ;

/* ORDER common/ck_decls.def: each kind word below is a word of that list
 * (sema looks it up there), but "default" (its rename, with `else`) and
 * "weights" (a weights block, see wdecl) */
body
  : path DUAL path else_opt via_opt
      { $$ = ck_ast_decl(A, @2, $4 ? "default" : "rename", $1, $3, $4); $$->d = $5; }
  | path DUAL path WHEN IDENT
      { $$ = ck_ast_decl(A, @2, "rename", $1, $3, NULL); $$->d = $5; $$->flags = CK_DECL_IF_PRESENT; }
  | path DUAL path OPTIONAL sentinel_opt
      { $$ = ck_ast_decl(A, @4, "optional", $1, $3, $5); }
  | path '=' expr               { $$ = ck_ast_decl(A, @2, "const_import", $1, NULL, $3); }
  | EMIT path '=' expr when_opt { $$ = ck_ast_decl(A, @1, "const_export", NULL, $2, $4); $$->d = $5; }
  | IGNORE path_list hf_opt     { $$ = ck_ast_decl(A, @1, "ignore", $2, $3, NULL); }
  | IGNORE HF path_list         { $$ = ck_ast_decl(A, @1, "ignore", NULL, $3, NULL); }
  | path LARROW expr hf_opt     { $$ = ck_ast_decl(A, @2, "import_only", $1, $4, $3); }
  | path LARROW expr RECURSIVE hf_opt
      { $$ = ck_ast_decl(A, @2, "import_only", $1, $5, $3); $$->flags = CK_DECL_RECURSIVE; }
  | path_list CUSTOM IDENT hf_opt
      { $$ = ck_ast_decl(A, @2, "custom", $1, $4, $3); }
  | path_list CUSTOM IDENT RECURSIVE hf_opt
      { $$ = ck_ast_decl(A, @2, "custom", $1, $5, $3); $$->flags = CK_DECL_RECURSIVE; }
  | path NESTED IDENT at_opt    { $$ = ck_ast_decl(A, @2, "nested", $1, $4, $3); }
  | path NESTED IDENT at_opt RECURSIVE
      { $$ = ck_ast_decl(A, @2, "nested", $1, $4, $3); $$->flags = CK_DECL_RECURSIVE; }
  | path NESTED IDENT at_opt WHEN IDENT
      { $$ = ck_ast_decl(A, @2, "nested", $1, $4, $3); $$->flags = CK_DECL_IF_PRESENT; $$->d = $6; }
  | path NESTED IDENT at_opt RECURSIVE WHEN IDENT
      { $$ = ck_ast_decl(A, @2, "nested", $1, $4, $3);
        $$->flags = CK_DECL_RECURSIVE | CK_DECL_IF_PRESENT; $$->d = $7; }
  | path DISPATCH at_opt disc_opt '{' branches '}'
      { $$ = ck_ast_decl(A, @2, "dispatch", $1, $3, $6); $$->d = $4; }
  | path TYPED_DICT at_opt disc_opt '{' branches '}'
      { $$ = ck_ast_decl(A, @2, "typed_dict", $1, $3, $6); $$->d = $4; }
  | path SEQUENCE IDENT COUNT path
      { $$ = ck_ast_decl(A, @2, "sequence", $1, $5, $3); }
  | path LAYOUT path COUNT path BY path '{' branches '}'
      { $$ = ck_ast_decl(A, @2, "layout", $1, ck_ast_append($3, $5), $9); $$->d = $7; }
  | VALIDATE expr msg_opt       { $$ = ck_ast_decl(A, @1, "validate", NULL, $3, $2); }
  | WEIGHTS '{' wdecls '}'      { $$ = ck_ast_decl(A, @1, "weights", $3, NULL, NULL); }
  | OVERRIDE WEIGHTS '{' wdecls '}'
      { $$ = ck_ast_decl(A, @1, "weights", $4, NULL, NULL); $$->flags = CK_DECL_RECURSIVE; }
  | REQUIRE expr hf_opt msg_opt { $$ = ck_ast_decl(A, @1, "require", NULL, $3, $2); $$->d = $4; }
  ;

/* weight declarations: FAST-LLM-NAME '->' HF-NAME[, ...] FORM */
wdecls
  : %empty                      { $$ = NULL; }
  | wdecls wdecl                { $$ = ck_ast_append($1, $2); }
  | wdecls ';'                  { $$ = $1; }
  | wdecls error ';'            { $$ = $1; yyerrok; }
  ;

/* ORDER common/ck_wdecls.def: each kind word below is a word of that list */
wdecl
  : path RARROW path_list wfor_opt wkind_opt wparams_opt wwhen_opt
      { $$ = ck_ast_decl(A, @2, "leaf", $1, $3, $5); $$->d = ck_ast_op(A, AST_LIST, @2, NULL, $6, $7);
        $$->d->c = $4; }
  | path RARROW path_list wfor_opt LINEAR wkind_opt wparams_opt wwhen_opt
      { $$ = ck_ast_decl(A, @5, "linear", $1, $3, $6); $$->d = ck_ast_op(A, AST_LIST, @5, NULL, $7, $8);
        $$->d->c = $4; }
  | path RARROW path NESTED IDENT wconfig_opt wwhen_opt
      { $$ = ck_ast_decl(A, @4, "nested", $1, $3, $5); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $6, $7); }
  | path RARROW path NESTED IDENT wconfig_opt OPTIONAL wwhen_opt
      { $$ = ck_ast_decl(A, @4, "nested", $1, $3, $5); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $6, $8);
        $$->flags = CK_DECL_RECURSIVE; }
  | path RARROW path SEQUENCE IDENT wopt_self wconfig_opt
      { $$ = ck_ast_decl(A, @4, "sequence", $1, $3, $5); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $7, NULL);
        if ($6) $$->flags = CK_DECL_RECURSIVE; }
  | path RARROW path SEQUENCE wopt_self wconfig_opt '{' wbranches '}'
      { $$ = ck_ast_decl(A, @4, "sequence_dispatch", $1, $3, $8); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $6, NULL);
        if ($5) $$->flags = CK_DECL_RECURSIVE; }
  | path RARROW path SEQUENCE wopt_self wconfig_opt BY path '{' wbranches '}'
      { $$ = ck_ast_decl(A, @4, "sequence_dispatch", $1, $3, $10); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $6, NULL);
        $$->d->c = $8; if ($5) $$->flags = CK_DECL_RECURSIVE; }
  | path RARROW path REPEAT IDENT COUNT expr CONFIG expr
      { $$ = ck_ast_decl(A, @4, "repeat", $1, $3, $5); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $9, $7); }
  | path RARROW path DISPATCH wconfig_opt '{' wbranches '}'
      { $$ = ck_ast_decl(A, @4, "dispatch", $1, $3, $7); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $5, NULL); }
  | path RARROW path TYPED_DICT wconfig_opt '{' wbranches '}'
      { $$ = ck_ast_decl(A, @4, "typed_dict", $1, $3, $7); $$->d = ck_ast_op(A, AST_LIST, @4, NULL, $5, NULL); }
  | IDENT ':' wdecl             { $$ = $3; $$->s2 = $1->str; }
  ;

/* for i in COUNT: the HF names repeat with {i} = 0 .. COUNT-1 */
wfor_opt : %empty { $$ = NULL; } | FOR IDENT IN ipath { $$ = $4; } | FOR IDENT IN INT { $$ = $4; } ;
wopt_self : %empty { $$ = NULL; } | SELF { $$ = ck_ast_new(A, AST_SELF, @1); } ;
wkind_opt : %empty { $$ = NULL; } | AS IDENT { $$ = $2; } ;
wparams_opt : %empty { $$ = NULL; } | '(' wparam_list ')' { $$ = $2; } ;
wparam_list
  : wparam                      { $$ = $1; }
  | wparam_list ',' wparam      { $$ = ck_ast_append($1, $3); }
  ;
wparam : IDENT ':' expr         { $$ = ck_ast_op(A, AST_ROW, @1, $1->str, $3, NULL); } ;
margs_opt : %empty { $$ = NULL; } | WITH '(' wparam_list ')' { $$ = $3; } ;
wconfig_opt : %empty { $$ = NULL; } | CONFIG expr { $$ = $2; } ;
wwhen_opt : %empty { $$ = NULL; } | WHEN expr { $$ = $2; } ;

wbranches
  : wbranch                     { $$ = $1; }
  | wbranches wbranch           { $$ = ck_ast_append($1, $2); }
  | wbranches ';'               { $$ = $1; }
  ;

/* branch -> CLASS '->' SECTION ['at' HF-PREFIX] */
wbranch
  : IDENT RARROW IDENT at_opt
      { $$ = ck_ast_op(A, AST_BRANCH, @1, $1->str, $4, NULL); $$->s2 = $3->str; }
  ;

else_opt : %empty { $$ = NULL; } | ELSE expr { $$ = $2; } ;
via_opt : %empty { $$ = NULL; } | VIA IDENT { $$ = $2; } ;
sentinel_opt : %empty { $$ = NULL; } | '(' expr ')' { $$ = $2; } ;
hf_opt : %empty { $$ = NULL; } | HF path_list { $$ = $2; } ;
at_opt : %empty { $$ = NULL; } | AT path { $$ = $2; } ;
disc_opt : %empty { $$ = NULL; } | DISCRIMINATOR STRING { $$ = $2; } ;
msg_opt : %empty { $$ = NULL; } | ':' STRING { $$ = $2; } ;
when_opt : %empty { $$ = NULL; } | WHEN expr { $$ = $2; } ;

branches
  : branch                      { $$ = $1; }
  | branches branch             { $$ = ck_ast_append($1, $2); }
  | branches ';'                { $$ = $1; }
  ;

/* branch -> ['default'] CLASS '->' SECTION ['at' HF-PREFIX] */
branch
  : IDENT RARROW IDENT at_opt
      { $$ = ck_ast_op(A, AST_BRANCH, @1, $1->str, $4, NULL); $$->s2 = $3->str; }
  | DEFAULT IDENT RARROW IDENT at_opt
      { $$ = ck_ast_op(A, AST_BRANCH, @2, $2->str, $5, NULL); $$->s2 = $4->str;
        $$->flags = CK_BRANCH_DEFAULT; }
  ;

path
  : seg                         { $$ = ck_ast_op(A, AST_PATH, @1, NULL, $1, NULL); }
  | path '.' seg                { $$ = $1; ck_ast_append($1->a, $3); $$->loc.len = @3.col + @3.len - $$->loc.col; }
  ;

seg : IDENT { $$ = $1; } | STRING { $$ = $1; } ;

path_list
  : path                        { $$ = $1; }
  | path_list ',' path          { $$ = ck_ast_append($1, $3); }
  ;

/* format -> 'format' NAME '{' property values ... '}' */
format_decl
  : FORMAT IDENT '{' props '}'  { $$ = ck_ast_op(A, AST_FORMAT, @2, $2->str, $4, NULL); }
  ;

props
  : %empty                      { $$ = NULL; }
  | props prop                  { $$ = ck_ast_append($1, $2); }
  | props ';'                   { $$ = $1; }
  ;

prop
  : IDENT values                { $$ = ck_ast_op(A, AST_PROP, @1, $1->str, $2, NULL); }
  ;

values
  : value                       { $$ = $1; }
  | values ',' value            { $$ = ck_ast_append($1, $3); }
  ;

value
  : STRING                      { $$ = $1; }
  | IDENT                       { $$ = $1; }
  | '{' kv_list '}'             { $$ = ck_ast_op(A, AST_LIST, @1, NULL, $2, NULL); }
  ;

kv_list
  : kv                          { $$ = $1; }
  | kv_list ',' kv              { $$ = ck_ast_append($1, $3); }
  ;

kv
  : STRING ':' STRING           { $$ = ck_ast_op(A, AST_ROW, @1, NULL, $1, $3); }
  ;

/* table -> 'table' NAME '{' FL-VALUE ('<->'|'<-'|'->') HF-VALUE ... '}' */
table_decl
  : TABLE IDENT '{' rows '}'    { $$ = ck_ast_op(A, AST_TABLE, @2, $2->str, $4, NULL); }
  ;

rows
  : row                         { $$ = $1; }
  | rows row                    { $$ = ck_ast_append($1, $2); }
  | rows ';'                    { $$ = $1; }
  ;

row
  : sliteral DUAL sliteral      { $$ = ck_ast_op(A, AST_ROW, @2, NULL, $1, $3); }
  | sliteral LARROW sliteral    { $$ = ck_ast_op(A, AST_ROW, @2, NULL, $1, $3); $$->flags = CK_ROW_IMPORT_ONLY; }
  | sliteral RARROW sliteral    { $$ = ck_ast_op(A, AST_ROW, @2, NULL, $1, $3); $$->flags = CK_ROW_EXPORT_ONLY; }
  ;

/* allowlist -> 'allowlist' LAYOUT '{' "key", ... '}' */
allow_decl
  : ALLOWLIST IDENT '{' str_list '}'
      { $$ = ck_ast_op(A, AST_ALLOW, @2, $2->str, $4, NULL); }
  ;

str_list
  : STRING                      { $$ = $1; }
  | str_list ',' STRING         { $$ = ck_ast_append($1, $3); }
  | str_list ','                { $$ = $1; }
  ;

/* ------------------------------------------------------- expressions */

expr
  : IF expr THEN expr ELSE expr { $$ = ck_ast_op(A, AST_IF, @1, NULL, $2, $4); $$->c = $6; }
  | coalesce_expr               { $$ = $1; }
  ;

coalesce_expr
  : coalesce_expr COALESCE or_expr { $$ = ck_ast_op(A, AST_BINOP, @2, "??", $1, $3); }
  | or_expr                     { $$ = $1; }
  ;

or_expr
  : or_expr OR and_expr         { $$ = ck_ast_op(A, AST_BINOP, @2, "or", $1, $3); }
  | and_expr                    { $$ = $1; }
  ;

and_expr
  : and_expr AND not_expr       { $$ = ck_ast_op(A, AST_BINOP, @2, "and", $1, $3); }
  | not_expr                    { $$ = $1; }
  ;

not_expr
  : NOT not_expr                { $$ = ck_ast_op(A, AST_UNOP, @1, "not", $2, NULL); }
  | cmp_expr                    { $$ = $1; }
  ;

cmp_expr
  : add_expr                    { $$ = $1; }
  | add_expr cmpop add_expr     { $$ = ck_ast_op(A, AST_BINOP, @2, $2->str, $1, $3); }
  | add_expr IN list_lit        { $$ = ck_ast_op(A, AST_IN, @2, "in", $1, $3); }
  | add_expr NOT IN list_lit    { $$ = ck_ast_op(A, AST_IN, @2, "not in", $1, $4); $$->flags = 1; }
  | add_expr IS IDENT           { $$ = ck_ast_op(A, AST_IS, @2, $3->str, $1, NULL); }
  | add_expr IS NOT IDENT       { $$ = ck_ast_op(A, AST_IS, @2, $4->str, $1, NULL); $$->flags = 1; }
  ;

cmpop
  : EQ  { $$ = ck_ast_str(A, AST_IDENT, @1, "=="); }
  | NE  { $$ = ck_ast_str(A, AST_IDENT, @1, "!="); }
  | '<' { $$ = ck_ast_str(A, AST_IDENT, @1, "<"); }
  | LE  { $$ = ck_ast_str(A, AST_IDENT, @1, "<="); }
  | '>' { $$ = ck_ast_str(A, AST_IDENT, @1, ">"); }
  | GE  { $$ = ck_ast_str(A, AST_IDENT, @1, ">="); }
  ;

add_expr
  : add_expr '+' mul_expr       { $$ = ck_ast_op(A, AST_BINOP, @2, "+", $1, $3); }
  | add_expr '-' mul_expr       { $$ = ck_ast_op(A, AST_BINOP, @2, "-", $1, $3); }
  | mul_expr                    { $$ = $1; }
  ;

mul_expr
  : mul_expr '*' unary          { $$ = ck_ast_op(A, AST_BINOP, @2, "*", $1, $3); }
  | mul_expr '/' unary          { $$ = ck_ast_op(A, AST_BINOP, @2, "/", $1, $3); }
  | mul_expr FLOORDIV unary     { $$ = ck_ast_op(A, AST_BINOP, @2, "//", $1, $3); }
  | mul_expr '%' unary          { $$ = ck_ast_op(A, AST_BINOP, @2, "%", $1, $3); }
  | unary                       { $$ = $1; }
  ;

unary
  : '-' unary                   { $$ = ck_ast_op(A, AST_UNOP, @1, "-", $2, NULL); }
  | primary                     { $$ = $1; }
  ;

primary
  : literal                     { $$ = $1; }
  | ipath                       { $$ = $1; }
  | SELF                        { $$ = ck_ast_new(A, AST_SELF, @1); }
  | IDENT '(' args ')'          { $$ = ck_ast_op(A, AST_CALL, @1, $1->str, $3, NULL); }
  | IDENT '(' args ')' '.' ipath
      { $$ = ck_ast_op(A, AST_CALL, @1, $1->str, $3, NULL); $$->d = $6; }
  | '(' expr ')'                { $$ = $2; }
  | list_lit                    { $$ = $1; }
  ;

ipath
  : IDENT                       { $$ = ck_ast_op(A, AST_PATH, @1, NULL, $1, NULL); }
  | ipath '.' IDENT             { $$ = $1; ck_ast_append($1->a, $3); $$->loc.len = @3.col + @3.len - $$->loc.col; }
  ;

args : %empty { $$ = NULL; } | arg_list { $$ = $1; } ;

arg_list
  : expr                        { $$ = $1; }
  | arg_list ',' expr           { $$ = ck_ast_append($1, $3); }
  ;

expr_list
  : expr                        { $$ = $1; }
  | expr_list ',' expr          { $$ = ck_ast_append($1, $3); }
  ;

list_lit
  : '[' ']'                     { $$ = ck_ast_new(A, AST_LIST, @1); }
  | '[' arg_list ']'            { $$ = ck_ast_op(A, AST_LIST, @1, NULL, $2, NULL); }
  ;

literal
  : INT                         { $$ = $1; }
  | FLOAT                       { $$ = $1; }
  | STRING                      { $$ = $1; }
  | TRUE_                       { $$ = ck_ast_new(A, AST_BOOL, @1); $$->ival = 1; }
  | FALSE_                      { $$ = ck_ast_new(A, AST_BOOL, @1); }
  | NULL_                       { $$ = ck_ast_new(A, AST_NULL, @1); }
  ;

sliteral
  : literal                     { $$ = $1; }
  | '-' INT                     { $$ = $2; $$->ival = -$$->ival; $$->loc = @1; }
  | '-' FLOAT                   { $$ = $2; $$->fval = -$$->fval; $$->loc = @1; }
  ;

%%

static void yyerror(YYLTYPE *loc, yyscan_t scanner, ck_front *F,
                    const char *msg) {
  (void)scanner;
  ck_diag_error(F->diag, *loc, "%s", msg);
}
