"""The C kernel stays small enough to read in one sitting (STYLE: the whole kernel under
2,000 code lines). Code lines: what is left of wasm/**/*.c and *.h once comments are
removed, not counting blank lines or a lone macro-continuation backslash."""

import re

import pytest

pytestmark = pytest.mark.nonumpy

BUDGET = 2000
TOKENS = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\])*"', re.S)


def code_lines(text):
    def keep(m):  # a comment leaves its newlines (so line numbers stay), a string stays
        return m.group(0) if m.group(0).startswith('"') else "\n" * m.group(0).count("\n")

    stripped = TOKENS.sub(keep, text)
    return sum(1 for line in stripped.splitlines() if line.strip().rstrip("\\").strip())


def test_code_lines_counts_code_only():
    text = '/* a\n * block */\nint x; // tail\n  /* macro doc */ \\\n#define S "/* not a comment */"\n\n'
    assert code_lines(text) == 2


def test_the_kernel_is_under_budget(repo_root):
    files = sorted(p for p in (repo_root / "wasm").rglob("*") if p.suffix in (".c", ".h"))
    counts = {p.relative_to(repo_root).as_posix(): code_lines(p.read_text()) for p in files}
    assert len(counts) >= 10
    total = sum(counts.values())
    assert total < BUDGET, f"the C kernel has {total} code lines (budget {BUDGET}): {counts}"
