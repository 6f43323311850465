"""A small token-based highlighter for code blocks in replies: keywords, strings, comments and
numbers, as HTML spans. Good enough to read code by, never a parser; unknown languages get the
union of the common keyword sets. No Qt, no network.
"""

from __future__ import annotations

import functools
import html
import re

_COMMON = {
    "if", "else", "for", "while", "return", "break", "continue", "true", "false", "null",
    "class", "import", "from", "new", "try", "catch", "finally", "throw", "switch", "case",
    "default", "do", "in", "const", "let", "var", "function", "def", "async", "await", "yield",
    "struct", "enum", "fn", "pub", "use", "mod", "impl", "trait", "match", "type", "interface",
    "package", "func", "go", "public", "private", "protected", "static", "void", "int", "float",
    "double", "char", "bool", "string", "None", "True", "False", "and", "or", "not", "is",
    "lambda", "with", "as", "pass", "raise", "except", "elif", "global", "nonlocal", "del",
    "assert", "self", "this", "extends", "implements", "export", "typeof", "instanceof",
    "select", "where", "insert", "update", "delete", "create", "table", "echo", "then", "fi",
    "done", "esac", "mut", "loop", "unsafe", "nil", "end", "elseif", "local",
}
_KEYWORDS: dict[str, set[str]] = {
    "python": {"False", "None", "True", "and", "as", "assert", "async", "await", "break",
               "class", "continue", "def", "del", "elif", "else", "except", "finally", "for",
               "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
               "pass", "raise", "return", "try", "while", "with", "yield", "match", "case",
               "self"},
    "json": {"true", "false", "null"},
}
_ALIASES = {"py": "python", "python3": "python", "jsonc": "json"}
_HASH_COMMENTS = {"python", "py", "sh", "bash", "shell", "zsh", "ruby", "rb", "yaml", "yml",
                  "toml", "perl", "r", "make", "makefile", "dockerfile", "ini", "conf"}
_SLASH_COMMENTS = {"c", "cpp", "c++", "java", "javascript", "js", "ts", "typescript", "go",
                   "rust", "rs", "swift", "kotlin", "kt", "cs", "csharp", "php", "scala", "dart",
                   "jsx", "tsx", "css", "scss", "json5", "zig"}

_STRING = r'"""[\s\S]*?(?:"""|$)|\'\'\'[\s\S]*?(?:\'\'\'|$)|"(?:\\.|[^"\\\n])*"?' \
          r"|'(?:\\.|[^'\\\n])*'?|`(?:\\.|[^`\\])*`?"
_NUMBER = r"\b(?:0[xX][0-9a-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)\b"
_WORD = r"[A-Za-z_][A-Za-z0-9_]*"

# CSS classes the results pane styles; readable on light and dark backgrounds.
STYLES = {
    "kw": "color:#a626a4;font-weight:600;",
    "str": "color:#50a14f;",
    "com": "color:#8a8f98;font-style:italic;",
    "num": "color:#c18401;",
}


def code_style(kind: str) -> str:
    """STYLES[kind] with the colour the current scheme reads well (WCAG AA, views/theme.py)."""
    from composer.views import theme

    name = {"kw": "code-keyword", "str": "code-string", "com": "code-comment",
            "num": "code-number"}[kind]
    return re.sub(r"color:#[0-9a-f]{6}", f"color:{theme.colour(name)}", STYLES[kind])


@functools.cache
def _styles(_dark: bool) -> dict[str, str]:
    """The span styles for the scheme (light or dark) now in use."""
    return {kind: code_style(kind) for kind in STYLES}


def _pattern(lang: str) -> re.Pattern[str]:
    comments = []
    if lang in _HASH_COMMENTS or not lang:
        comments.append(r"#[^\n]*")
    if lang in _SLASH_COMMENTS or not lang or lang not in _HASH_COMMENTS:
        comments += [r"//[^\n]*", r"/\*[\s\S]*?(?:\*/|$)"]
    if lang in ("sql", "lua", "haskell", "hs"):
        comments.append(r"--[^\n]*")
    alts = [f"(?P<com>{'|'.join(comments)})"] if comments else []
    alts += [f"(?P<str>{_STRING})", f"(?P<num>{_NUMBER})", f"(?P<word>{_WORD})"]
    return re.compile("|".join(alts))


_CACHE: dict[str, re.Pattern[str]] = {}


def tokens(code: str, lang: str = "") -> list[tuple[str, str]]:
    """(kind, text) pieces covering ``code`` exactly; kind is kw/str/com/num or '' (plain)."""
    lang = _ALIASES.get(lang.lower().strip(), lang.lower().strip())
    pattern = _CACHE.get(lang)
    if pattern is None:
        pattern = _CACHE[lang] = _pattern(lang)
    keywords = _KEYWORDS.get(lang, _COMMON)
    out: list[tuple[str, str]] = []
    pos = 0
    for m in pattern.finditer(code):
        if m.start() > pos:
            out.append(("", code[pos:m.start()]))
        kind = m.lastgroup or ""
        if kind == "word":
            kind = "kw" if m.group() in keywords else ""
        out.append((kind, m.group()))
        pos = m.end()
    if pos < len(code):
        out.append(("", code[pos:]))
    return out


def highlight_html(code: str, lang: str = "") -> str:
    """``code`` as escaped HTML with inline-styled spans (Qt's rich text ignores most CSS
    classes, so the style goes on each span)."""
    from composer.views import theme

    styles = _styles(theme.is_dark())
    pieces = []
    for kind, text in tokens(code, lang):
        escaped = html.escape(text, quote=False)
        pieces.append(f'<span style="{styles[kind]}">{escaped}</span>' if kind else escaped)
    return "".join(pieces)
