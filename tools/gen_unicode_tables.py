#!/usr/bin/python3
"""Generates src/data/unicode_tables.cpp: the Unicode data coact's byte-level BPE tokenizer needs.

  - the classes of GPT-2's pre-tokenizer pattern: \\p{L} (Lu Ll Lt Lm Lo), \\p{N} (Nd Nl No) and
    \\s (the White_Space property, which is what the Python `regex` module, Oniguruma and
    Rust's char::is_whitespace use);
  - canonical combining classes, canonical decompositions and the primary composites, for
    NFC and NFD normalisation (Hugging Face tokenizer.json "normalizer": {"type": "NFC"});
  - the general-category groups BERT's normaliser and pre-tokenizer test: Cc/Cf/Co (removed by
    clean_text), Mn (removed by strip_accents) and P* (split off as punctuation);
  - full lowercase mappings of single code points (what Rust's char::to_lowercase and Python's
    str.lower() give for one character: U+0130 becomes two code points).

Run with Debian's /usr/bin/python3, whose unicodedata fixes the Unicode version (Python 3.11:
Unicode 14.0.0); the version is written into the output. The output is committed, so builds
need no Python:

  /usr/bin/python3 tools/gen_unicode_tables.py > src/data/unicode_tables.cpp
"""
import sys
import unicodedata

MAX_CODE_POINT = 0x10FFFF
OTHER, LETTER, NUMBER, WHITESPACE = 0, 1, 2, 3
CLASS_NAMES = {LETTER: "kLetter", NUMBER: "kNumber", WHITESPACE: "kWhitespace"}
CONTROL_FORMAT_PRIVATE, NONSPACING_MARK, PUNCTUATION = 1, 2, 3
CATEGORY_NAMES = {CONTROL_FORMAT_PRIVATE: "kControlFormatPrivate", NONSPACING_MARK: "kNonspacingMark",
                  PUNCTUATION: "kPunctuation"}

# White_Space in PropList.txt (unchanged since Unicode 6.3). unicodedata has no property API,
# so the set is derived from str.isspace() and checked against this list.
WHITE_SPACE = {0x9, 0xA, 0xB, 0xC, 0xD, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
               0x2028, 0x2029, 0x202F, 0x205F, 0x3000}


def char_class(cp):
    if cp in WHITE_SPACE:
        return WHITESPACE
    category = unicodedata.category(chr(cp))
    if category[0] == "L":
        return LETTER
    if category[0] == "N":
        return NUMBER
    return OTHER


def category_group(cp):
    category = unicodedata.category(chr(cp))
    if category in ("Cc", "Cf", "Co"):
        return CONTROL_FORMAT_PRIVATE
    if category == "Mn":
        return NONSPACING_MARK
    if category[0] == "P":
        return PUNCTUATION
    return 0


def lowercase(cp):
    """[lower...] when the code point's full lowercase differs from it, else None."""
    if 0xD800 <= cp <= 0xDFFF:
        return None
    lower = chr(cp).lower()
    return [ord(c) for c in lower] if lower != chr(cp) else None


def ranges(values):
    """[(first, last, value)] runs of equal non-zero values over all code points."""
    runs = []
    for cp in range(MAX_CODE_POINT + 1):
        value = values(cp)
        if value == 0:
            continue
        if runs and runs[-1][1] == cp - 1 and runs[-1][2] == value:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp, value])
    return runs


def canonical_decomposition(cp):
    text = unicodedata.decomposition(chr(cp))
    if not text or text.startswith("<"):  # none, or a compatibility decomposition
        return None
    return [int(part, 16) for part in text.split()]


def emit_table(out, type_name, name, rows, per_line):
    out.append(f"const {type_name} {name}[] = {{")
    for start in range(0, len(rows), per_line):
        out.append("    " + " ".join(rows[start:start + per_line]))
    out.append("};")
    out.append(f"const std::size_t {name}Count = std::size({name});")


def main():
    derived_space = {cp for cp in range(MAX_CODE_POINT + 1) if chr(cp).isspace()} - set(range(0x1C, 0x20))
    if derived_space != WHITE_SPACE:
        sys.exit(f"White_Space differs from str.isspace(): {sorted(derived_space ^ WHITE_SPACE)}")

    class_runs = ranges(char_class)
    combining_runs = ranges(lambda cp: unicodedata.combining(chr(cp)))
    decompositions = []
    compositions = []
    for cp in range(MAX_CODE_POINT + 1):
        parts = canonical_decomposition(cp)
        if parts is None:
            continue
        if len(parts) > 2:
            sys.exit(f"U+{cp:04X}: canonical decomposition of {len(parts)} code points")
        decompositions.append((cp, parts[0], parts[1] if len(parts) == 2 else 0))
        # A primary composite: a pair decomposition that NFC gives back (the composition
        # exclusions, singletons and non-starter decompositions are exactly those it does not).
        if len(parts) == 2 and unicodedata.normalize("NFC", chr(cp)) == chr(cp):
            compositions.append((parts[0], parts[1], cp))
    compositions.sort()
    category_runs = ranges(category_group)
    lowercases = []
    for cp in range(MAX_CODE_POINT + 1):
        lower = lowercase(cp)
        if lower is None:
            continue
        if len(lower) > 2:
            sys.exit(f"U+{cp:04X}: lowercase of {len(lower)} code points")
        lowercases.append((cp, lower[0], lower[1] if len(lower) == 2 else 0))

    out = [
        f"// Generated by tools/gen_unicode_tables.py from Python {sys.version_info.major}."
        f"{sys.version_info.minor}'s unicodedata: Unicode {unicodedata.unidata_version}. Do not edit;",
        "// re-run the script (see its docstring) to regenerate.",
        "#include \"unicode_tables.h\"",
        "",
        "#include <iterator>",
        "",
        "namespace coact::data::unicode::tables {",
        "",
        f"const char kUnicodeVersion[] = \"{unicodedata.unidata_version}\";",
        "",
        "// Code point runs of the pre-tokenizer classes; every code point not listed is kOther.",
    ]
    emit_table(out, "ClassRange", "kClassRanges",
               [f"{{0x{a:X}, 0x{b:X}, {CLASS_NAMES[v]}}}," for a, b, v in class_runs], 3)
    out += ["", "// Runs of non-zero canonical combining class."]
    emit_table(out, "CombiningRange", "kCombiningRanges",
               [f"{{0x{a:X}, 0x{b:X}, {v}}}," for a, b, v in combining_runs], 4)
    out += ["", "// One level of canonical decomposition (second = 0 for a singleton), sorted by code point;",
            "// Hangul syllables are decomposed algorithmically and are not listed."]
    emit_table(out, "Decomposition", "kDecompositions",
               [f"{{0x{a:X}, 0x{b:X}, 0x{c:X}}}," for a, b, c in decompositions], 4)
    out += ["", "// Primary composites: (first, second) -> composite, sorted by (first, second)."]
    emit_table(out, "Composition", "kCompositions",
               [f"{{0x{a:X}, 0x{b:X}, 0x{c:X}}}," for a, b, c in compositions], 4)
    out += ["", "// Runs of the general-category groups BERT tests (Cc/Cf/Co, Mn, P*); other code points: none."]
    emit_table(out, "CategoryRange", "kCategoryRanges",
               [f"{{0x{a:X}, 0x{b:X}, {CATEGORY_NAMES[v]}}}," for a, b, v in category_runs], 3)
    out += ["", "// Full lowercase of single code points that change (second = 0: one code point), sorted."]
    emit_table(out, "Lowercase", "kLowercases", [f"{{0x{a:X}, 0x{b:X}, 0x{c:X}}}," for a, b, c in lowercases], 4)
    out += ["", "}  // namespace coact::data::unicode::tables", ""]
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
