#include <gtest/gtest.h>

#include <numeric>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/dist/nccl.h"
#include "support/mpi_env.h"

namespace coact::dist {
namespace {

using coact::testing::world;

TEST(MpiComm, RankAndSize) {
  auto& w = world();
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  EXPECT_EQ(w.size(), size);
  EXPECT_GE(w.rank(), 0);
  EXPECT_LT(w.rank(), w.size());
  EXPECT_EQ(w.is_root(), w.rank() == 0);
  EXPECT_FALSE(w.device_buffers());
}

TEST(MpiComm, AllreduceSumsEveryType) {
  auto& w = world();
  const int p = w.size(), r = w.rank();
  std::vector<float> f = {1.0f * r, 2.0f};
  w.allreduce_sum(std::span<float>(f));
  EXPECT_FLOAT_EQ(f[0], p * (p - 1) / 2.0f);
  EXPECT_FLOAT_EQ(f[1], 2.0f * p);
  EXPECT_EQ(w.allreduce_sum<std::int64_t>(r + 1), static_cast<std::int64_t>(p) * (p + 1) / 2);
  EXPECT_DOUBLE_EQ(w.allreduce_sum<double>(0.5), 0.5 * p);
  EXPECT_EQ(w.allreduce_sum<std::uint64_t>(1ull << 40), static_cast<std::uint64_t>(p) << 40);
  EXPECT_EQ(w.allreduce_sum<std::int32_t>(-1), -p);
  std::vector<std::uint8_t> bytes = {1, 2};
  w.allreduce_sum(std::span<std::uint8_t>(bytes));
  EXPECT_EQ(bytes[1], 2 * p);
}

TEST(MpiComm, BroadcastAndAllgather) {
  auto& w = world();
  std::vector<double> data(5, w.rank() == 0 ? 3.25 : -1.0);
  w.broadcast(std::span<double>(data), 0);
  for (double x : data) EXPECT_EQ(x, 3.25);
  if (w.size() > 1) {
    const int root = w.size() - 1;
    EXPECT_EQ(w.broadcast_value<int>(w.rank() * 10, root), root * 10);
  }
  const std::int64_t mine = 100 + w.rank();
  std::vector<std::int64_t> all(w.size());
  w.allgather(&mine, all.data(), sizeof mine);
  for (int q = 0; q < w.size(); ++q) EXPECT_EQ(all[q], 100 + q);
  w.barrier();
}

TEST(MpiComm, SplitFormsSeedGroups) {
  auto& w = world();
  // Two groups: even and odd ranks, as seeds would be split.
  const auto group = w.split(w.rank() % 2, w.rank());
  const int expected_size = (w.size() + (w.rank() % 2 == 0 ? 1 : 0)) / 2;
  EXPECT_EQ(group->size(), expected_size);
  EXPECT_EQ(group->rank(), w.rank() / 2);
  // A sum inside the group only sees the group's ranks.
  const int group_sum = group->allreduce_sum<std::int32_t>(w.rank());
  int expected = 0;
  for (int q = w.rank() % 2; q < w.size(); q += 2) expected += q;
  EXPECT_EQ(group_sum, expected);
}

TEST(MpiComm, AlltoallvRoutesEveryByte) {
  auto& w = world();
  const int p = w.size(), r = w.rank();
  // Rank r sends (r + q + 1) values "r*1000 + q" to rank q.
  std::vector<std::size_t> send_counts(p);
  std::vector<std::int32_t> send;
  for (int q = 0; q < p; ++q) {
    send_counts[q] = static_cast<std::size_t>(r + q + 1) * sizeof(std::int32_t);
    for (int i = 0; i < r + q + 1; ++i) send.push_back(r * 1000 + q);
  }
  const auto recv_counts = w.exchange_counts(send_counts);
  std::size_t total = 0;
  for (int q = 0; q < p; ++q) {
    EXPECT_EQ(recv_counts[q], static_cast<std::size_t>(q + r + 1) * sizeof(std::int32_t));
    total += recv_counts[q];
  }
  std::vector<std::int32_t> recv(total / sizeof(std::int32_t));
  w.alltoallv(send.data(), send_counts, recv.data(), recv_counts);
  std::size_t at = 0;
  for (int q = 0; q < p; ++q)
    for (int i = 0; i < q + r + 1; ++i) EXPECT_EQ(recv[at++], q * 1000 + r);
}

TEST(MpiComm, GatherBytesConcatenatesInRankOrder) {
  auto& w = world();
  const std::string mine(static_cast<std::size_t>(w.rank() + 1), static_cast<char>('a' + w.rank()));
  const auto gathered = w.gather_bytes(mine.data(), mine.size(), 0);
  if (w.is_root()) {
    std::string expected;
    for (int q = 0; q < w.size(); ++q) expected += std::string(static_cast<std::size_t>(q + 1), static_cast<char>('a' + q));
    EXPECT_EQ(std::string(gathered.begin(), gathered.end()), expected);
  } else {
    EXPECT_TRUE(gathered.empty());
  }
}

TEST(MpiComm, GradientCommOnCpuIsMpi) {
  auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  auto comm = make_gradient_comm(world(), *cpu);
  EXPECT_EQ(comm->name(), "mpi");
  EXPECT_EQ(comm->size(), world().size());
  std::vector<float> g(3, 1.0f);
  comm->allreduce_sum(std::span<float>(g));
  EXPECT_FLOAT_EQ(g[2], static_cast<float>(world().size()));
}

TEST(NcclComm, AllreduceOnDeviceBuffers) {
  if (backend::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  // One GPU per rank: ranks beyond the device count would share one, which NCCL refuses.
  if (world().size() > backend::cuda_device_count()) GTEST_SKIP() << "fewer GPUs than ranks";
  auto gpu = backend::make_backend(backend::DeviceRequest::Cuda, world().rank());
  auto comm = make_nccl_comm(world(), *gpu);
  EXPECT_TRUE(comm->device_buffers());
  std::vector<float> host(1024, static_cast<float>(world().rank() + 1));
  void* device = gpu->allocate_bytes(host.size() * sizeof(float));
  gpu->copy_bytes(device, host.data(), host.size() * sizeof(float), backend::CopyKind::HostToDevice);
  comm->allreduce_sum(device, host.size(), DType::F32);
  gpu->copy_bytes(host.data(), device, host.size() * sizeof(float), backend::CopyKind::DeviceToHost);
  gpu->free_bytes(device);
  const float p = static_cast<float>(world().size());
  for (float x : host) ASSERT_FLOAT_EQ(x, p * (p + 1) / 2);
}

TEST(NcclComm, UnavailableWithoutAGpuBackend) {
  auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  EXPECT_THROW(make_nccl_comm(world(), *cpu), UsageError);
}

}  // namespace
}  // namespace coact::dist
