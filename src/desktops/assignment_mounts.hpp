// The assignment folders a desktop shows its owner: for each assignment of the desktop's type that targets
// the owner and has a folder, that folder of the creating teacher's home, read-only at ~/Public/<title>.
// The folder is checked again here, at every start (it was checked when the assignment was saved, but a
// link may have been swapped in since): a folder that fails is left out, logged and audited, and the
// desktop starts without it.
#pragma once

#include <vector>

#include "backends/backend.hpp"
#include "files/file_service.hpp"
#include "store/store.hpp"

namespace deskgate {

// Titles that collide (with each other or with "shared") get " (2)", " (3)", ... in assignment order.
std::vector<desktop_mount> assignment_mounts(store& db, const files::file_service& files, const user& owner,
                                             const desktop_type& type);

}  // namespace deskgate
