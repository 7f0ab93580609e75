/*
 * Structure of the argument shapes that need more than a token stream (spec §1.5):
 * BuildKit's parseWords words and the exec-form JSON array.
 */
parser grammar ArgumentParser;

options { tokenVocab = ArgumentLexer; }

// parseWords: words split on unquoted whitespace; every char is kept except a lone escape at the
// very end of the input.
words : W_SPACE? (word W_SPACE?)* EOF ;
word : wordPart+ ;
wordPart : W_PLAIN | W_ESC | W_LONE_ESC | doubleQuoted | singleQuoted ;
doubleQuoted : W_DQ (WDQ_TEXT | WDQ_ESC | WDQ_LONE_ESC)* WDQ_CLOSE? ;
singleQuoted : W_SQ WSQ_TEXT? WSQ_CLOSE? ;

// json.Unmarshal: the whole text is one array (whitespace around it is skipped by the lexer).
jsonDocument : jsonArray EOF ;
jsonArray : J_LBRACK (jsonValue (J_COMMA jsonValue)*)? J_RBRACK ;
jsonValue : J_STRING | J_NUMBER | J_TRUE | J_FALSE | J_NULL | jsonArray | jsonObject ;
jsonObject : J_LBRACE (J_STRING J_COLON jsonValue (J_COMMA J_STRING J_COLON jsonValue)*)? J_RBRACE ;
