"""The language: program text in, syntax tree out (lexer, Pratt parser, syntax tree, unparsing,
hints for pasted Python) and the built-in examples' programs. Imports gates/, errors, text."""
