#include "coact/core/ini.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact {

namespace {

// True when `text` is valid UTF-8 without NUL bytes: a binary file given as a configuration
// is refused instead of being echoed back in error messages.
bool is_text(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return false;
    const int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= text.size()) return false;
    for (int k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) >> 6) != 0x2) return false;
    i += static_cast<std::size_t>(extra) + 1;
  }
  return true;
}

}  // namespace

const std::map<std::string, std::string>& IniFile::section(const std::string& name) const {
  static const std::map<std::string, std::string> empty;
  const auto it = sections.find(name);
  return it == sections.end() ? empty : it->second;
}

std::string IniFile::where(const std::string& section_name, const std::string& key) const {
  const auto s = lines.find(section_name);
  if (s == lines.end()) return path;
  const auto k = s->second.find(key);
  return k == s->second.end() ? path : str(path, ":", k->second);
}

IniFile parse_ini(const std::string& text, const std::string& path) {
  if (!is_text(text)) throw ConfigError(str(path, ": not a text file (an INI configuration is UTF-8 text)"));
  IniFile ini;
  ini.path = path;
  ini.sections[""];
  std::string section;
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  while (std::getline(in, raw)) {
    ++line;
    const std::string t = trim(raw);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t[0] == '[') {
      if (t.back() != ']') throw ConfigError(str(path, ":", line, ": section header without ']'"));
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      if (section.empty()) throw ConfigError(str(path, ":", line, ": empty section name"));
      ini.sections[section];
      continue;
    }
    const auto eq = t.find('=');
    if (eq == std::string::npos)
      throw ConfigError(str(path, ":", line, ": expected 'key = value' or '[section]'"));
    const std::string key = trim(std::string_view(t).substr(0, eq));
    const std::string value = trim(std::string_view(t).substr(eq + 1));
    if (key.empty()) throw ConfigError(str(path, ":", line, ": a value without a key"));
    auto& keys = ini.sections[section];
    if (keys.count(key))
      throw ConfigError(str(path, ":", line, ": ", section.empty() ? key : section + "." + key, " is set twice (first on line ",
                            ini.lines[section][key], ")"));
    keys[key] = value;
    ini.lines[section][key] = line;
  }
  return ini;
}

IniFile read_ini(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ConfigError(str(path, ": is a directory, not a configuration file"));
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(str(path, ": cannot read configuration file"));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) throw ConfigError(str(path, ": cannot read configuration file"));
  const std::string content = text.str();
  if (content.size() > (std::size_t{16} << 20)) throw ConfigError(str(path, ": larger than 16 MiB; not a configuration file"));
  return parse_ini(content, path);
}

}  // namespace coact
