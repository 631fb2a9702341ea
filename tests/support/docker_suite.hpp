// A test suite on a private Docker Engine (tests/support/dockerd.hpp) with the test desktop image built
// into it: one engine per suite, shared by its tests, and the configuration that points deskgate at it.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "support/dockerd.hpp"

namespace deskgate::testing {

class docker_suite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = new private_engine();
    build_desktop_image(*engine_);
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  // The [[docker_hosts]] entry "test" on the suite's engine and a desktop type `slug` running the test
  // image (VNC on 5901), with `type_keys` added to the type; desktops publish on the 100 ports from
  // `port_first` (each suite its own range, so two test processes do not collide).
  static std::string docker_config(const std::string& slug, int port_first, const std::string& type_keys = "") {
    return "[desktops]\nport_range_start = " + std::to_string(port_first) +
           "\nport_range_end = " + std::to_string(port_first + 99) + "\n[[docker_hosts]]\nname = \"test\"\nurl = \"" +
           engine_->url() + "\"\n[[desktop_types]]\nslug = \"" + slug + "\"\nname = \"" + slug +
           "\"\nbackend = \"docker\"\nimage = \"" + test_desktop_image + "\"\nport = 5901\n" + type_keys;
  }

  static inline private_engine* engine_ = nullptr;
};

}  // namespace deskgate::testing
