// HDF5 failures read as words for the user (file, object, what failed); the library call and
// coact's source location are only in the debug context.
#include <gtest/gtest.h>

#include "coact/core/errors.h"
#include "coact/io/h5.h"
#include "support/temp_dir.h"

namespace coact::io {
namespace {

TEST(H5Messages, ALibraryFailureNamesFileObjectAndActionButNoSourceLocation) {
  testing::TempDir dir;
  const std::string path = dir.file("read_only.h5");
  {
    File f = File::create(path);
    f.write_dataset<float>("/x", std::vector<float>{1, 2}, {2});
    f.close();
  }
  const File f = File::open(path, File::Mode::Read);
  try {
    const_cast<File&>(f).create_dataset<float>("/y", {3});
    FAIL() << "creating a dataset in a read-only file must fail";
  } catch (const Hdf5Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(path + ":/y: cannot create the dataset: ", 0), 0u) << message;
    EXPECT_EQ(message.find(".cpp"), std::string::npos) << "no source file in the user's line: " << message;
    EXPECT_EQ(message.find("H5Dcreate"), std::string::npos) << "no library call in the user's line: " << message;
    EXPECT_NE(e.debug_context().find("H5Dcreate2"), std::string::npos) << e.debug_context();
    EXPECT_NE(e.debug_context().find("src/io/h5_file.cpp:"), std::string::npos) << e.debug_context();
  }
}

}  // namespace
}  // namespace coact::io
