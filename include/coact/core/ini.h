// INI configuration files as coact reads them (`--config FILE`, study files of `coact run`):
// `key = value` lines, `[section]` headers, `#` or `;` comment lines, blank lines. Keys before
// the first section belong to the section "". Values keep inner spaces; surrounding spaces
// are trimmed. A key given twice in one section, a line that is neither, a section header
// without its `]`, or a file that is not text (a NUL byte, invalid UTF-8) is refused with the
// file and line — never guessed at.
#pragma once

#include <map>
#include <string>

namespace coact {

struct IniFile {
  std::string path;
  // section -> key -> value text; the line of each key for messages.
  std::map<std::string, std::map<std::string, std::string>> sections;
  std::map<std::string, std::map<std::string, int>> lines;

  bool has(const std::string& section) const { return sections.count(section) > 0; }
  // The section's keys (empty when absent).
  const std::map<std::string, std::string>& section(const std::string& name) const;
  // "FILE:LINE" of a key, for messages ("FILE" when the key has no line).
  std::string where(const std::string& section, const std::string& key) const;
};

// Reads and parses `path`. Throws ConfigError naming the file (and line) on any problem.
IniFile read_ini(const std::string& path);
// Parses text (named `path` in messages).
IniFile parse_ini(const std::string& text, const std::string& path);

}  // namespace coact
