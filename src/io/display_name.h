// Names read from foreign files (tensor names, zip entries, pickle globals) as they may appear
// in a one-line error message: a hostile name must not break the line or flood the terminal.
#pragma once

#include <string>
#include <string_view>

namespace coact::io::detail {

// `name` unchanged when it is short and free of control characters; otherwise shortened to
// about 120 bytes (at a UTF-8 boundary) and JSON-quoted with its control characters escaped.
std::string display_name(std::string_view name);

}  // namespace coact::io::detail
