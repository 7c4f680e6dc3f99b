// Normalisation steps (see normalizer.h). Each step maps well-formed UTF-8 to well-formed UTF-8,
// character by character except NFC/NFD, which follow UAX #15 (unicode.h).
#include "normalizer.h"

#include "coact/data/unicode.h"

namespace coact::data {

namespace {

using Kind = TokenizerPipeline::Normalization::Kind;

// Calls visit(code_point) for each character of well-formed UTF-8.
template <class Visit>
void for_each_char(std::string_view text, Visit visit) {
  for (std::size_t i = 0; i < text.size();) {
    const unicode::DecodedChar c = unicode::decode_utf8(text, i);
    if (c.length == 0) {  // callers validate; skip rather than loop
      ++i;
      continue;
    }
    visit(c.code_point);
    i += c.length;
  }
}

std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_char(text, [&](char32_t c) { unicode::append_lowercase(out, c); });
  return out;
}

std::string strip_nonspacing_marks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_char(text, [&](char32_t c) {
    if (!unicode::is_nonspacing_mark(c)) unicode::append_utf8(out, c);
  });
  return out;
}

std::string replace_all(std::string_view text, const std::string& from, const std::string& to) {
  if (from.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0;;) {
    const std::size_t found = text.find(from, at);
    if (found == std::string_view::npos) {
      out.append(text.substr(at));
      return out;
    }
    out.append(text.substr(at, found - at)).append(to);
    at = found + from.size();
  }
}

}  // namespace

bool is_cjk_ideograph(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::string bert_normalize(std::string_view text, const TokenizerPipeline::Normalization& flags) {
  std::string out;
  out.reserve(text.size());
  for_each_char(text, [&](char32_t c) {
    if (flags.clean_text) {
      // Tab, newline and carriage return are controls BERT keeps (as spaces).
      const bool kept_control = c == '\t' || c == '\n' || c == '\r';
      if (c == 0 || c == 0xFFFD || (!kept_control && unicode::is_control_format_private(c))) return;
      if (kept_control || unicode::is_whitespace(c)) c = ' ';
    }
    if (flags.handle_chinese_chars && is_cjk_ideograph(c)) {
      out += ' ';
      unicode::append_utf8(out, c);
      out += ' ';
      return;
    }
    unicode::append_utf8(out, c);
  });
  if (flags.strip_accents) out = strip_nonspacing_marks(unicode::to_nfd(out));
  if (flags.lowercase) out = lowercase(out);
  return out;
}

std::string normalize(std::string_view text, std::span<const TokenizerPipeline::Normalization> steps) {
  // The common single NFC step (GPT-NeoX-style tokenizers) without a copy of the text first.
  if (steps.size() == 1 && steps[0].kind == Kind::Nfc) return unicode::to_nfc(text);
  std::string current(text);
  for (const TokenizerPipeline::Normalization& step : steps) {
    switch (step.kind) {
      case Kind::Nfc: current = unicode::to_nfc(current); break;
      case Kind::Nfd: current = unicode::to_nfd(current); break;
      case Kind::Lowercase: current = lowercase(current); break;
      case Kind::StripAccents: current = strip_nonspacing_marks(current); break;
      case Kind::Bert: current = bert_normalize(current, step); break;
      case Kind::Prepend:
        if (!current.empty()) current.insert(0, step.text);
        break;
      case Kind::Replace: current = replace_all(current, step.text, step.replacement); break;
    }
  }
  return current;
}

}  // namespace coact::data
