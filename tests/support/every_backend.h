// A GoogleTest fixture parameterised over every backend: cuda cases skip themselves when the
// build has no CUDA or no device is visible, so the same op test runs wherever it can.
//
//   class MyOps : public coact::testing::EveryBackend {};
//   TEST_P(MyOps, Works) { backend_->fill(...); }
//   COACT_INSTANTIATE_EVERY_BACKEND(MyOps);
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "coact/backend/backend.h"

namespace coact::testing {

class EveryBackend : public ::testing::TestWithParam<backend::DeviceRequest> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::DeviceRequest::Cuda && backend::cuda_device_count() == 0)
      GTEST_SKIP() << (backend::cuda_compiled() ? "no CUDA device visible" : "built without CUDA");
    backend_ = backend::make_backend(GetParam());
  }
  std::unique_ptr<backend::Backend> backend_;
};

}  // namespace coact::testing

#define COACT_INSTANTIATE_EVERY_BACKEND(fixture)                                                                     \
  INSTANTIATE_TEST_SUITE_P(AllBackends, fixture,                                                                     \
                           ::testing::Values(::coact::backend::DeviceRequest::Cpu,                                   \
                                             ::coact::backend::DeviceRequest::Cuda),                                 \
                           [](const auto& p) { return p.param == ::coact::backend::DeviceRequest::Cpu ? "cpu" : "cuda"; })
