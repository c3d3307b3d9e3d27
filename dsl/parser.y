/* parser.y - grammar of the .conv language.
 *
 * Second stage of convc: tokens -> typed AST (ast.h).  Each action is a
 * single constructor call (or passes a value on); names are resolved and
 * checked later in compiler/sema.c.  On a syntax error the parser reports
 * it with its location, skips to the end of the current item and keeps
 * going, so one run reports several errors.
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
}

%define api.pure full
%define parse.error verbose
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {ck_front *F}
%expect 0

%union {
  ck_node *node;
  const char *op;   /* a comparison operator */
  ck_default dflt;  /* a field default */
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
%type <node> msg_opt else_opt via_opt sentinel_opt when_opt
%type <dflt> default_opt
%type <node> expr_list hint wdecls wdecl wparams_opt wparam_list wparam wkind_opt wconfig_opt wwhen_opt wbranches wbranch wopt_self coalesce_expr margs_opt wfor_opt
%type <op> cmpop

%%

file
  : %empty
  | file item              { F->items = ck_ast_append(F->items, $2); }
  | file error '}'         { yyerrok; }
  ;

item
  : enum_decl | config_decl | section_decl | format_decl | table_decl
  | allow_decl
  ;

/* enum -> 'enum' NAME '{' value, ... '}' */
enum_decl
  : ENUM IDENT '{' ident_list '}'   { $$ = ck_ast_enum(A, @2, $2, $4); }
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
      { $$ = ck_ast_config(A, @2, $2, $3, $4, $5, $7); }
  ;

base_opt : %empty { $$ = NULL; } | ':' IDENT { $$ = $2; } ;
dynname_opt : %empty { $$ = NULL; } | STRING { $$ = $1; } ;

mods
  : %empty                      { $$ = NULL; }
  | mods ABSTRACT
      { $$ = ck_ast_append($1, ck_ast_mod(A, @2, "abstract", NULL)); }
  | mods REGISTRY
      { $$ = ck_ast_append($1, ck_ast_mod(A, @2, "registry", NULL)); }
  | mods DEFAULT IDENT
      { $$ = ck_ast_append($1, ck_ast_mod(A, @2, "default", $3)); }
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
      { $$ = ck_ast_field(A, @2, $1, $2, $4, $5, $6); }
  | CHECK expr msg_opt          { $$ = ck_ast_check(A, @1, $2, $3); }
  | PARAM path '[' expr_list ']' when_opt
      { $$ = ck_ast_param(A, @2, $2, $4, $6); }
  | MODULE path '=' expr margs_opt when_opt
      { $$ = ck_ast_module(A, @2, $2, $4, $5, $6); }
  | MODULE path '=' expr margs_opt REPEAT expr
      { $$ = ck_ast_repeat(A, @2, $2, $4, $5, $7); }
  | TIE path '=' path WHEN expr
      { $$ = ck_ast_tie(A, @2, $2, $4, $6); }
  | SEQUENCE IDENT COUNT IDENT  { $$ = ck_ast_seq(A, @1, $2, NULL, $4); }
  | SEQUENCE IDENT BY IDENT COUNT IDENT
      { $$ = ck_ast_seq(A, @1, $2, $4, $6); }
  ;

hint
  : IDENT                       { $$ = $1; }
  | OPTIONAL                    { $$ = ck_ast_ident(A, @1, "optional"); }
  ;

default_opt
  : %empty                { $$ = ck_ast_default(CK_DEFAULT_NONE, NULL); }
  | '=' expr              { $$ = ck_ast_default(CK_DEFAULT_VALUE, $2); }
  | '=' IMPLICIT expr     { $$ = ck_ast_default(CK_DEFAULT_IMPLICIT, $3); }
  | REQUIRED              { $$ = ck_ast_default(CK_DEFAULT_REQUIRED, NULL); }
  | '=' expr ALWAYS       { $$ = ck_ast_default(CK_DEFAULT_ALWAYS, $2); }
  ;

constraint_opt
  : %empty                      { $$ = NULL; }
  | cmpop primary               { $$ = ck_ast_bound(A, @1, $1, $2); }
  ;

type
  : tbase                       { $$ = $1; }
  | tbase '?'                   { $$ = ck_ast_type_optional(A, $1); }
  ;

tbase
  : IDENT                       { $$ = ck_ast_type_named(A, @1, $1); }
  | LIST '[' type ']'           { $$ = ck_ast_type_list(A, @1, $3); }
  | DICT '[' IDENT ',' type ']' { $$ = ck_ast_type_dict(A, @1, $3, $5); }
  | ENUM '(' ident_list ')'     { $$ = ck_ast_type_enum(A, @1, $3); }
  ;

/* section -> 'section' NAME 'for' CLASS ['as' HF-TYPE] '{' decls '}'
 *          | 'section' NAME 'extends' PARENT '{' decls '}' */
section_decl
  : SECTION IDENT FOR IDENT hftype_opt '{' decls '}'
      { $$ = ck_ast_section(A, @2, $2, $4, $5, $7); }
  | SECTION IDENT EXTENDS IDENT '{' decls '}'
      { $$ = ck_ast_section_extends(A, @2, $2, $4, NULL, NULL, $6); }
  | SECTION IDENT EXTENDS IDENT AS STRING '{' decls '}'
      { $$ = ck_ast_section_extends(A, @2, $2, $4, $6, NULL, $8); }
  | SECTION IDENT EXTENDS IDENT FOR IDENT '{' decls '}'
      { $$ = ck_ast_section_extends(A, @2, $2, $4, NULL, $6, $8); }
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
  : body                        { $$ = ck_ast_entry(A, NULL, NULL, $1); }
  | IDENT ':' body              { $$ = ck_ast_entry(A, $1, NULL, $3); }
  | LAYOUT IDENT body           { $$ = ck_ast_entry(A, NULL, $2, $3); }
  | IDENT ':' LAYOUT IDENT body { $$ = ck_ast_entry(A, $1, $4, $5); }
  ;

/* ORDER common/ck_decls.def: each kind word below is a word of that list
 * (sema looks it up there), but "default" (its rename, with `else`) and
 * "weights" (a weights block, see wdecl) */
body
  : path DUAL path else_opt via_opt
      { $$ = ck_ast_rename(A, @2, $1, $3, $4, $5); }
  | path DUAL path WHEN IDENT
      { $$ = ck_ast_rename_present(A, @2, $1, $3, $5); }
  | path DUAL path OPTIONAL sentinel_opt
      { $$ = ck_ast_optional(A, @4, $1, $3, $5); }
  | path '=' expr               { $$ = ck_ast_const_import(A, @2, $1, $3); }
  | EMIT path '=' expr when_opt { $$ = ck_ast_const_export(A, @1, $2, $4, $5); }
  | IGNORE path_list hf_opt     { $$ = ck_ast_ignore(A, @1, $2, $3); }
  | IGNORE HF path_list         { $$ = ck_ast_ignore(A, @1, NULL, $3); }
  | path LARROW expr hf_opt
      { $$ = ck_ast_import_only(A, @2, $1, $3, false, $4); }
  | path LARROW expr RECURSIVE hf_opt
      { $$ = ck_ast_import_only(A, @2, $1, $3, true, $5); }
  | path_list CUSTOM IDENT hf_opt
      { $$ = ck_ast_custom(A, @2, $1, $3, false, $4); }
  | path_list CUSTOM IDENT RECURSIVE hf_opt
      { $$ = ck_ast_custom(A, @2, $1, $3, true, $5); }
  | path NESTED IDENT at_opt
      { $$ = ck_ast_nested(A, @2, $1, $3, $4, false, NULL); }
  | path NESTED IDENT at_opt RECURSIVE
      { $$ = ck_ast_nested(A, @2, $1, $3, $4, true, NULL); }
  | path NESTED IDENT at_opt WHEN IDENT
      { $$ = ck_ast_nested(A, @2, $1, $3, $4, false, $6); }
  | path NESTED IDENT at_opt RECURSIVE WHEN IDENT
      { $$ = ck_ast_nested(A, @2, $1, $3, $4, true, $7); }
  | path DISPATCH at_opt disc_opt '{' branches '}'
      { $$ = ck_ast_dispatch(A, @2, "dispatch", $1, $3, $4, $6); }
  | path TYPED_DICT at_opt disc_opt '{' branches '}'
      { $$ = ck_ast_dispatch(A, @2, "typed_dict", $1, $3, $4, $6); }
  | path SEQUENCE IDENT COUNT path
      { $$ = ck_ast_sequence(A, @2, $1, $3, $5); }
  | path LAYOUT path COUNT path BY path '{' branches '}'
      { $$ = ck_ast_layout(A, @2, $1, $3, $5, $7, $9); }
  | path LAYOUT '=' expr COUNT path '{' branches '}'
      { $$ = ck_ast_layout_expr(A, @2, $1, $4, $6, $8); }
  | VALIDATE expr msg_opt       { $$ = ck_ast_validate(A, @1, $2, $3); }
  | WEIGHTS '{' wdecls '}'      { $$ = ck_ast_weights(A, @1, false, $3); }
  | OVERRIDE WEIGHTS '{' wdecls '}'
      { $$ = ck_ast_weights(A, @1, true, $4); }
  | REQUIRE expr hf_opt msg_opt { $$ = ck_ast_require(A, @1, $2, $3, $4); }
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
      { $$ = ck_ast_wleaf(A, @2, false, $1, $3, $4, $5, $6, $7); }
  | path RARROW path_list wfor_opt LINEAR wkind_opt wparams_opt wwhen_opt
      { $$ = ck_ast_wleaf(A, @5, true, $1, $3, $4, $6, $7, $8); }
  | path RARROW path NESTED IDENT wconfig_opt wwhen_opt
      { $$ = ck_ast_wnested(A, @4, $1, $3, $5, $6, false, $7); }
  | path RARROW path NESTED IDENT wconfig_opt OPTIONAL wwhen_opt
      { $$ = ck_ast_wnested(A, @4, $1, $3, $5, $6, true, $8); }
  | path RARROW path SEQUENCE IDENT wopt_self wconfig_opt
      { $$ = ck_ast_wsequence(A, @4, $1, $3, $5, $6, $7); }
  | path RARROW path SEQUENCE wopt_self wconfig_opt '{' wbranches '}'
      { $$ = ck_ast_wsequence_dispatch(A, @4, $1, $3, $5, $6, NULL, $8); }
  | path RARROW path SEQUENCE wopt_self wconfig_opt BY path '{' wbranches '}'
      { $$ = ck_ast_wsequence_dispatch(A, @4, $1, $3, $5, $6, $8, $10); }
  | path RARROW path REPEAT IDENT COUNT expr CONFIG expr
      { $$ = ck_ast_wrepeat(A, @4, $1, $3, $5, $7, $9); }
  | path RARROW path DISPATCH wconfig_opt '{' wbranches '}'
      { $$ = ck_ast_wdispatch(A, @4, "dispatch", $1, $3, $5, $7); }
  | path RARROW path TYPED_DICT wconfig_opt '{' wbranches '}'
      { $$ = ck_ast_wdispatch(A, @4, "typed_dict", $1, $3, $5, $7); }
  | IDENT ':' wdecl             { $$ = ck_ast_label(A, $1, $3); }
  ;

/* for i in COUNT: the HF names repeat with {i} = 0 .. COUNT-1 */
wfor_opt : %empty { $$ = NULL; } | FOR IDENT IN ipath { $$ = $4; } | FOR IDENT IN INT { $$ = $4; } ;
wopt_self : %empty { $$ = NULL; } | SELF { $$ = ck_ast_self(A, @1); } ;
wkind_opt : %empty { $$ = NULL; } | AS IDENT { $$ = $2; } ;
wparams_opt : %empty { $$ = NULL; } | '(' wparam_list ')' { $$ = $2; } ;
wparam_list
  : wparam                      { $$ = $1; }
  | wparam_list ',' wparam      { $$ = ck_ast_append($1, $3); }
  ;
wparam : IDENT ':' expr         { $$ = ck_ast_arg(A, @1, $1, $3); } ;
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
      { $$ = ck_ast_branch(A, @1, $1, $3, $4, false); }
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
      { $$ = ck_ast_branch(A, @1, $1, $3, $4, false); }
  | DEFAULT IDENT RARROW IDENT at_opt
      { $$ = ck_ast_branch(A, @2, $2, $4, $5, true); }
  ;

path
  : seg                         { $$ = ck_ast_path(A, @1, $1); }
  | path '.' seg                { $$ = ck_ast_path_dot(A, $1, $3, @3); }
  ;

seg : IDENT { $$ = $1; } | STRING { $$ = $1; } ;

path_list
  : path                        { $$ = $1; }
  | path_list ',' path          { $$ = ck_ast_append($1, $3); }
  ;

/* format -> 'format' NAME '{' property values ... '}' */
format_decl
  : FORMAT IDENT '{' props '}'  { $$ = ck_ast_format(A, @2, $2, $4); }
  ;

props
  : %empty                      { $$ = NULL; }
  | props prop                  { $$ = ck_ast_append($1, $2); }
  | props ';'                   { $$ = $1; }
  ;

prop
  : IDENT values                { $$ = ck_ast_prop(A, @1, $1, $2); }
  ;

values
  : value                       { $$ = $1; }
  | values ',' value            { $$ = ck_ast_append($1, $3); }
  ;

value
  : STRING                      { $$ = $1; }
  | IDENT                       { $$ = $1; }
  | '{' kv_list '}'             { $$ = ck_ast_map(A, @1, $2); }
  ;

kv_list
  : kv                          { $$ = $1; }
  | kv_list ',' kv              { $$ = ck_ast_append($1, $3); }
  ;

kv
  : STRING ':' STRING           { $$ = ck_ast_kv(A, @1, $1, $3); }
  ;

/* table -> 'table' NAME '{' FL-VALUE ('<->'|'<-'|'->') HF-VALUE ... '}' */
table_decl
  : TABLE IDENT '{' rows '}'    { $$ = ck_ast_table(A, @2, $2, $4); }
  ;

rows
  : row                         { $$ = $1; }
  | rows row                    { $$ = ck_ast_append($1, $2); }
  | rows ';'                    { $$ = $1; }
  ;

row
  : sliteral DUAL sliteral   { $$ = ck_ast_row(A, @2, $1, $3, CK_ROW_BOTH); }
  | sliteral LARROW sliteral { $$ = ck_ast_row(A, @2, $1, $3, CK_ROW_IMPORT_ONLY); }
  | sliteral RARROW sliteral { $$ = ck_ast_row(A, @2, $1, $3, CK_ROW_EXPORT_ONLY); }
  ;

/* allowlist -> 'allowlist' LAYOUT '{' "key", ... '}' */
allow_decl
  : ALLOWLIST IDENT '{' str_list '}'
      { $$ = ck_ast_allow(A, @2, $2, $4); }
  ;

str_list
  : STRING                      { $$ = $1; }
  | str_list ',' STRING         { $$ = ck_ast_append($1, $3); }
  | str_list ','                { $$ = $1; }
  ;

/* ------------------------------------------------------- expressions */

expr
  : IF expr THEN expr ELSE expr { $$ = ck_ast_if(A, @1, $2, $4, $6); }
  | coalesce_expr               { $$ = $1; }
  ;

coalesce_expr
  : coalesce_expr COALESCE or_expr { $$ = ck_ast_binop(A, @2, "??", $1, $3); }
  | or_expr                     { $$ = $1; }
  ;

or_expr
  : or_expr OR and_expr         { $$ = ck_ast_binop(A, @2, "or", $1, $3); }
  | and_expr                    { $$ = $1; }
  ;

and_expr
  : and_expr AND not_expr       { $$ = ck_ast_binop(A, @2, "and", $1, $3); }
  | not_expr                    { $$ = $1; }
  ;

not_expr
  : NOT not_expr                { $$ = ck_ast_unop(A, @1, "not", $2); }
  | cmp_expr                    { $$ = $1; }
  ;

cmp_expr
  : add_expr                    { $$ = $1; }
  | add_expr cmpop add_expr     { $$ = ck_ast_binop(A, @2, $2, $1, $3); }
  | add_expr IN list_lit        { $$ = ck_ast_in(A, @2, $1, $3, false); }
  | add_expr NOT IN list_lit    { $$ = ck_ast_in(A, @2, $1, $4, true); }
  | add_expr IS IDENT           { $$ = ck_ast_is(A, @2, $1, $3, false); }
  | add_expr IS NOT IDENT       { $$ = ck_ast_is(A, @2, $1, $4, true); }
  ;

cmpop
  : EQ  { $$ = "=="; }
  | NE  { $$ = "!="; }
  | '<' { $$ = "<"; }
  | LE  { $$ = "<="; }
  | '>' { $$ = ">"; }
  | GE  { $$ = ">="; }
  ;

add_expr
  : add_expr '+' mul_expr       { $$ = ck_ast_binop(A, @2, "+", $1, $3); }
  | add_expr '-' mul_expr       { $$ = ck_ast_binop(A, @2, "-", $1, $3); }
  | mul_expr                    { $$ = $1; }
  ;

mul_expr
  : mul_expr '*' unary          { $$ = ck_ast_binop(A, @2, "*", $1, $3); }
  | mul_expr '/' unary          { $$ = ck_ast_binop(A, @2, "/", $1, $3); }
  | mul_expr FLOORDIV unary     { $$ = ck_ast_binop(A, @2, "//", $1, $3); }
  | mul_expr '%' unary          { $$ = ck_ast_binop(A, @2, "%", $1, $3); }
  | unary                       { $$ = $1; }
  ;

unary
  : '-' unary                   { $$ = ck_ast_unop(A, @1, "-", $2); }
  | primary                     { $$ = $1; }
  ;

primary
  : literal                     { $$ = $1; }
  | ipath                       { $$ = $1; }
  | SELF                        { $$ = ck_ast_self(A, @1); }
  | IDENT '(' args ')'          { $$ = ck_ast_call(A, @1, $1, $3, NULL); }
  | IDENT '(' args ')' '.' ipath
      { $$ = ck_ast_call(A, @1, $1, $3, $6); }
  | '(' expr ')'                { $$ = $2; }
  | list_lit                    { $$ = $1; }
  ;

ipath
  : IDENT                       { $$ = ck_ast_path(A, @1, $1); }
  | ipath '.' IDENT             { $$ = ck_ast_path_dot(A, $1, $3, @3); }
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
  : '[' ']'                     { $$ = ck_ast_list(A, @1, NULL); }
  | '[' arg_list ']'            { $$ = ck_ast_list(A, @1, $2); }
  ;

literal
  : INT                         { $$ = $1; }
  | FLOAT                       { $$ = $1; }
  | STRING                      { $$ = $1; }
  | TRUE_                       { $$ = ck_ast_bool(A, @1, true); }
  | FALSE_                      { $$ = ck_ast_bool(A, @1, false); }
  | NULL_                       { $$ = ck_ast_null(A, @1); }
  ;

sliteral
  : literal                     { $$ = $1; }
  | '-' INT                     { $$ = ck_ast_neg_literal(A, @1, $2); }
  | '-' FLOAT                   { $$ = ck_ast_neg_literal(A, @1, $2); }
  ;

%%

static void yyerror(YYLTYPE *loc, yyscan_t scanner, ck_front *F,
                    const char *msg) {
  (void)scanner;
  ck_diag_error(F->diag, *loc, "%s", msg);
}
