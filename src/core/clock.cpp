#include "core/clock.hpp"

#include <chrono>

namespace deskgate {

std::int64_t system_clock::now() const {
  using namespace std::chrono;
  return duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace deskgate
