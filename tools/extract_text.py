#!/usr/bin/python3
"""Plain English text from Debian's documentation packages, for studies on real models.

  extract_text.py python-docs OUTDIR   /usr/share/doc/python3.11/html (python3.11-doc) -> one
                                       OUTDIR/<section>.txt per top-level section (tutorial,
                                       library, reference, howto, faq, ...), documents separated
                                       by blank lines; OUTDIR/SOURCES.md names the package,
                                       version and licence
  extract_text.py kjv OUTDIR           /usr/share/bible-kjv-text? (bible-kjv-text) -> OUTDIR/kjv.txt

Only the body of each page is kept (navigation, sidebars, scripts and the index pages are
dropped). Standard library only.
"""
import html.parser
import os
import re
import subprocess
import sys


class BodyText(html.parser.HTMLParser):
    """Text inside <div role="main"> (Sphinx's page body), without scripts and styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # nesting of divs inside the body (0: outside)
        self.skip = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div":
            if self.depth:
                self.depth += 1
            elif attrs.get("role") == "main" or "body" in (attrs.get("class") or "").split():
                self.depth = 1
        if tag in ("script", "style"):
            self.skip += 1
        if self.depth and tag in ("p", "li", "h1", "h2", "h3", "h4", "pre", "dt", "dd", "tr", "br"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "div" and self.depth:
            self.depth -= 1
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)

    def text(self):
        text = "".join(self.parts).replace("\u00b6", "")  # Sphinx's pilcrow permalinks
        lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def package_version(name):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    return r.stdout.strip() or "not installed"


def python_docs(outdir):
    root = "/usr/share/doc/python3.11/html"
    if not os.path.isdir(root):
        sys.exit(f"extract_text.py: {root} is missing: apt-get install python3.11-doc")
    sections = {}
    for dirpath, dirnames, files in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("_"))
        for name in sorted(files):
            if not name.endswith(".html") or name.startswith("genindex") or name in ("search.html", "py-modindex.html"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            section = rel.split(os.sep)[0] if os.sep in rel else "about"
            parser = BodyText()
            with open(os.path.join(dirpath, name), encoding="utf-8", errors="replace") as fh:
                parser.feed(fh.read())
            text = parser.text()
            if len(text) > 200:
                sections.setdefault(section, []).append(text)
    os.makedirs(outdir, exist_ok=True)
    total = 0
    for section, documents in sorted(sections.items()):
        with open(os.path.join(outdir, f"{section}.txt"), "w", encoding="utf-8") as fh:
            fh.write("\n\n".join(documents) + "\n")
        total += sum(len(d) for d in documents)
    with open(os.path.join(outdir, "SOURCES.md"), "w", encoding="utf-8") as fh:
        fh.write(f"""# Text sources

- Debian package `python3.11-doc` {package_version("python3.11-doc")}: the Python 3.11 documentation
  (HTML pages under {root}, bodies only), one file per top-level section.
  Licence: the Python Software Foundation License Version 2 (documentation, with examples
  under the Zero-Clause BSD licence); see /usr/share/doc/python3.11-doc/copyright and
  {root}/license.html.
- Characters: {total:,}.
""")
    print(f"extract_text.py: {len(sections)} sections, {total:,} characters -> {outdir}")


def kjv(outdir):
    r = subprocess.run(["dpkg", "-L", "bible-kjv-text"], capture_output=True, text=True)
    files = [p for p in r.stdout.split() if os.path.isfile(p) and "/bible" in p and not p.endswith((".gz", "copyright"))]
    if not files:
        sys.exit("extract_text.py: bible-kjv-text is missing: apt-get install bible-kjv-text")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "kjv.txt"), "w", encoding="utf-8") as out:
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as fh:
                out.write(fh.read())
    with open(os.path.join(outdir, "SOURCES.md"), "a", encoding="utf-8") as fh:
        fh.write(f"- Debian package `bible-kjv-text` {package_version('bible-kjv-text')}: the King James Version, public "
                 "domain (see /usr/share/doc/bible-kjv-text/copyright).\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("python-docs", "kjv"):
        sys.exit(__doc__)
    {"python-docs": python_docs, "kjv": kjv}[sys.argv[1]](sys.argv[2])
