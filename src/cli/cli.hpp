// The deskgate command line (DESIGN.md §7): serve, user add|passwd|list, migrate, check-config.
#pragma once

namespace deskgate::cli {

// Returns the process exit code: 0 success, 1 runtime failure, 2 bad usage or bad configuration.
int run(int argc, char** argv);

}  // namespace deskgate::cli
