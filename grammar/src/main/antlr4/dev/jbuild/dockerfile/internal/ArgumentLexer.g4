/*
 * Tokens for the inside of one logical Dockerfile instruction (spec §1.4, §1.5).
 *
 * BuildKit's line parser is a set of small hand-written state machines, each run over the text
 * after the keyword. Each one is a lexer mode here; the Java driver picks the mode:
 *
 *   default  extractBuilderFlags: leading --flag words, quotes and escapes removed. The input
 *            is the UTF-8 bytes of the text seen as Latin-1 (one char per byte), because
 *            BuildKit walks bytes and calls unicode.IsSpace on each one (so 0x85 and 0xA0 bytes
 *            count as spaces there).
 *   WORDS    parseWords (ENV, LABEL, ARG): quote-aware words, quotes and escapes kept.
 *   JSON     the JSON array of the exec form, as Go's encoding/json scanner accepts it.
 *
 * In the first two the escape is written as a backslash: the driver swaps \ and ` in the input
 * (and back in the results) when the escape directive chose the backtick.
 *
 * No rule here can fail: every mode ends in a catch-all, so lexing never reports an error.
 */
lexer grammar ArgumentLexer;

// ---- builder flags -------------------------------------------------------------------------
FLAG_SPACE : [\t\n\u000B\f\r \u0085\u00A0]+ ;
FLAG_START : '--' -> pushMode(FLAG) ;
FLAG_OTHER : . ;

mode FLAG;
F_PLAIN : ~[\t\n\u000B\f\r \u0085\u00A0'"\\]+ ;
F_ESC : '\\' . ;
F_LONE_ESC : '\\' ;   // only at the end of the input: dropped
F_DQ : '"' -> pushMode(FLAG_DQ) ;
F_SQ : '\'' -> pushMode(FLAG_SQ) ;
F_END : [\t\n\u000B\f\r \u0085\u00A0]+ -> type(FLAG_SPACE), popMode ;

mode FLAG_DQ;
FDQ_TEXT : ~["\\]+ ;
FDQ_ESC : '\\' . ;
FDQ_LONE_ESC : '\\' ;
FDQ_CLOSE : '"' -> popMode ;

mode FLAG_SQ;
FSQ_TEXT : ~['\\]+ ;
FSQ_ESC : '\\' . ;    // BuildKit's flag scanner honours the escape inside single quotes too
FSQ_LONE_ESC : '\\' ;
FSQ_CLOSE : '\'' -> popMode ;

// ---- quote-aware words (parseWords) --------------------------------------------------------
// Spaces are Go's unicode.IsSpace set.
mode WORDS;
W_SPACE : [\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+ ;
W_PLAIN : ~[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000'"\\]+ ;
W_ESC : '\\' . ;
W_LONE_ESC : '\\' ;   // only at the end of the input: dropped
W_DQ : '"' -> pushMode(WORD_DQ) ;
W_SQ : '\'' -> pushMode(WORD_SQ) ;

mode WORD_DQ;
WDQ_TEXT : ~["\\]+ ;
WDQ_ESC : '\\' . ;
WDQ_LONE_ESC : '\\' ;
WDQ_CLOSE : '"' -> popMode ;

mode WORD_SQ;
WSQ_TEXT : ~[']+ ;   // nothing escapes inside single quotes
WSQ_CLOSE : '\'' -> popMode ;

// ---- JSON (RFC 8259 as Go's scanner reads it) ----------------------------------------------
mode JSON;
J_WS : [ \t\n\r]+ -> skip ;
J_LBRACK : '[' ;
J_RBRACK : ']' ;
J_LBRACE : '{' ;
J_RBRACE : '}' ;
J_COMMA : ',' ;
J_COLON : ':' ;
J_STRING : '"' (J_ESCAPE | ~["\\\u0000-\u001F])* '"' ;
J_NUMBER : '-'? ('0' | [1-9] [0-9]*) ('.' [0-9]+)? ([eE] [+-]? [0-9]+)? ;
J_TRUE : 'true' ;
J_FALSE : 'false' ;
J_NULL : 'null' ;
J_OTHER : . ;

fragment J_ESCAPE : '\\' (["\\/bfnrt] | 'u' J_HEX J_HEX J_HEX J_HEX) ;
fragment J_HEX : [0-9a-fA-F] ;
