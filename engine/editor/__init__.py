"""Editor support for the rule language: a Pygments lexer and a language server (LSP)."""
