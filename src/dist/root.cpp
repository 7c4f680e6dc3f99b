#include "coact/dist/root.h"

#include <cstdint>
#include <vector>

#include "coact/core/errors.h"

namespace coact::dist {

namespace {

// An error raised on one rank and shared with every rank.
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

namespace {

// What `work` threw on this rank (code 0: nothing), rethrown where there is no one to tell.
struct Outcome {
  std::string message;
  std::int32_t code = 0;
};

Outcome attempt(Comm& comm, const std::function<void()>& work) {
  Outcome out;
  try {
    work();
  } catch (const Error& e) {
    if (comm.size() == 1) throw;
    out = {e.what(), e.exit_code()};
  } catch (const std::exception& e) {
    if (comm.size() == 1) throw;
    out = {e.what(), 1};
  }
  return out;
}

}  // namespace

void run_on_every_rank(Comm& comm, const std::function<void()>& work) {
  Outcome mine = attempt(comm, work);
  if (comm.size() == 1) return;
  std::vector<std::int32_t> codes(static_cast<std::size_t>(comm.size()));
  comm.allgather(&mine.code, codes.data(), sizeof(std::int32_t));
  for (int r = 0; r < comm.size(); ++r) {
    const std::int32_t code = codes[static_cast<std::size_t>(r)];
    if (code == 0) continue;
    std::string message = comm.rank() == r ? mine.message : std::string();
    message.resize(comm.broadcast_value<std::uint64_t>(message.size(), r));
    comm.broadcast(message.data(), message.size(), r);
    throw RootFailure(message, code);
  }
}

void run_on_root(Comm& comm, const std::function<void()>& work) {
  Outcome mine;
  if (comm.is_root()) mine = attempt(comm, work);
  if (comm.size() == 1) return;
  const std::int32_t code = comm.broadcast_value(mine.code, 0);
  const std::string message = broadcast_string(comm, mine.message);
  if (code != 0) throw RootFailure(message, code);
}

}  // namespace coact::dist
