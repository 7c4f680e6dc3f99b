// What every fuzz target shares: the libFuzzer entry point around a body that may throw
// coact's typed errors (the documented way to refuse input) but nothing else. Any other
// exception, a crash, a sanitizer report, a hang or an allocation beyond -rss_limit_mb is a
// finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "coact/core/errors.h"

namespace coact::fuzz {

// Runs body(bytes): coact::Error is the parser refusing the input, a normal outcome.
template <class Body>
int run_one(const std::uint8_t* data, std::size_t size, Body&& body) {
  try {
    body(std::span<const std::uint8_t>(data, size));
  } catch (const coact::Error&) {
  }
  return 0;
}

}  // namespace coact::fuzz
