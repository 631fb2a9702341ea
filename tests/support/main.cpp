// Test entry point: libsodium must be initialised before any crypto call, as in the server; request
// logs are kept quiet unless a test fails loudly on its own.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "core/crypto.hpp"

int main(int argc, char** argv) {
  deskgate::crypto::init();
  spdlog::set_level(spdlog::level::warn);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
