// deskgate's entry point; everything else is in the deskgate_core library (and so under test).
#include "cli/cli.hpp"

int main(int argc, char** argv) { return deskgate::cli::run(argc, argv); }
