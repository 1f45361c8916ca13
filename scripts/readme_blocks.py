#!/usr/bin/env python3
"""Extracts the README's code blocks so scripts can run or compile them exactly as written.

  readme_blocks.py bash README.md         -> the bash commands, one per line
  readme_blocks.py csharp README.md OUT   -> OUT: a C# file with every csharp block as a method
"""
import re
import sys


def blocks(text, language):
    return re.findall(r"```" + language + r"\n(.*?)```", text, flags=re.S)


def main():
    kind, path = sys.argv[1], sys.argv[2]
    text = open(path, encoding="utf-8").read()
    if kind == "bash":
        for block in blocks(text, "bash"):
            for line in block.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    print(line.strip())
        return
    usings, methods = set(), []
    for i, block in enumerate(blocks(text, "csharp")):
        body = []
        for line in block.splitlines():
            if re.match(r"^using [A-Za-z0-9_.]+;$", line.strip()):
                usings.add(line.strip())
            else:
                body.append("        " + line)
        methods.append(f"    public static async Task Block{i}()\n    {{\n" + "\n".join(body) + "\n        await Task.CompletedTask;\n    }\n")
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        out.write("// Generated from README.md by scripts/readme_blocks.py: each csharp block must compile as written.\n")
        out.write("#pragma warning disable CS0162, CS0168, CS0219, CS1998, CS8321\n")
        out.write("\n".join(sorted(usings)) + "\n\n")
        out.write("internal static class ReadmeBlocks\n{\n" + "\n".join(methods) + "}\n")


if __name__ == "__main__":
    main()
