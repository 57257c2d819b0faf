"""Parses Kotlin sources and Gradle Kotlin DSL scripts with tree-sitter-kotlin and lists syntax errors.

A syntax check only (no types, no Android SDK): what can be checked where the app cannot be built.

    pip install tree-sitter tree-sitter-kotlin    # in a venv of its own
    python check_kotlin_syntax.py $(find . -name '*.kt' -o -name '*.kts')
"""

import sys

import tree_sitter_kotlin
from tree_sitter import Language, Parser


def syntax_errors(parser: Parser, path: str) -> list[str]:
    with open(path, "rb") as file:
        tree = parser.parse(file.read())
    errors = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            line, column = node.start_point
            errors.append(f"{path}:{line + 1}:{column + 1}: {node.type} {node.text[:60]!r}")
        stack.extend(node.children)
    return sorted(errors)


def main(paths: list[str]) -> int:
    parser = Parser(Language(tree_sitter_kotlin.language()))
    failed = 0
    for path in paths:
        errors = syntax_errors(parser, path)
        print(f"{path}: {'syntax errors' if errors else 'OK'}")
        for error in errors:
            print(f"  {error}")
        failed += bool(errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
