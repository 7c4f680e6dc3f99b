#include "coact/dist/root.h"

#include <cstdint>

#include "coact/core/errors.h"

namespace coact::dist {

namespace {

// An error raised on the root and shared with every rank.
class RootFailure : public Error {
 public:
  RootFailure(const std::string& message, int code) : Error(message), code_(code) {}
  int exit_code() const noexcept override { return code_; }
  bool collective() const noexcept override { return true; }

 private:
  int code_;
};

}  // namespace

std::string broadcast_string(Comm& comm, std::string text) {
  text.resize(comm.broadcast_value<std::uint64_t>(text.size(), 0));
  comm.broadcast(text.data(), text.size(), 0);
  return text;
}

void run_on_root(Comm& comm, const std::function<void()>& work) {
  std::string message;
  std::int32_t code = 0;
  if (comm.is_root()) {
    try {
      work();
    } catch (const Error& e) {
      message = e.what();
      code = e.exit_code();
      if (comm.size() == 1) throw;
    } catch (const std::exception& e) {
      message = e.what();
      code = 1;
      if (comm.size() == 1) throw;
    }
  }
  if (comm.size() == 1) return;
  code = comm.broadcast_value(code, 0);
  message = broadcast_string(comm, message);
  if (code != 0) throw RootFailure(message, code);
}

}  // namespace coact::dist
