#include "desktops/assignment_mounts.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "core/error.hpp"
#include "files/path_rules.hpp"
#include "log/log.hpp"

namespace deskgate {
namespace {

std::string unique_name(const std::string& title, std::set<std::string>& taken) {
  std::string name = title;
  for (int n = 2; taken.contains(name); ++n) name = title + " (" + std::to_string(n) + ")";
  taken.insert(name);
  return name;
}

void refuse(store& db, const user& owner, const assignment& a, const std::string& why) {
  log::warn("assignment folder left out of a desktop",
            {{"assignment", std::to_string(a.id)}, {"user", owner.username}, {"reason", why}});
  audit_entry e;
  e.actor_id = owner.id;
  e.actor_name = owner.username;
  e.action = "assignment.mount_refused";
  e.target = "assignment:" + std::to_string(a.id);
  e.success = false;
  e.detail = nlohmann::json{{"folder", a.folder}, {"reason", why}}.dump(-1, ' ', false,
                                                                        nlohmann::json::error_handler_t::replace);
  db.append_audit(e);
}

}  // namespace

std::vector<desktop_mount> assignment_mounts(store& db, const files::file_service& files, const user& owner,
                                             const desktop_type& type) {
  std::vector<desktop_mount> mounts;
  std::set<std::string> taken{"shared"};
  for (const assignment& a : db.list_assignments_for(owner.id)) {
    if (a.desktop_type_id != type.id || a.folder.empty() || !a.created_by) continue;
    try {
      files.check_home_folder(*a.created_by, a.folder);
      // The local backend opens the names again without following links when it mounts, so a link
      // swapped in between this check and the mount is refused too.
      mounts.push_back(
          {files.home_of(*a.created_by), "Public/" + unique_name(a.title, taken), true, files::split_path(a.folder)});
    } catch (const error& e) {
      refuse(db, owner, a, e.what());
    }
  }
  return mounts;
}

}  // namespace deskgate
