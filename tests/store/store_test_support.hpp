// What the store tests share: a temporary folder for database files, a way to read (or write) such a
// file behind the store's back, and catching the deskgate::error an action throws.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace deskgate {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = "/tmp/deskgate-store-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() { std::filesystem::remove_all(path_); }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The first column of every row of `sql` (one statement), as text, run straight on the file behind the
// store's back with foreign keys on. NULL reads as "NULL".
inline std::vector<std::string> query_file(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> values;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_exec(db, "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    values.emplace_back(text != nullptr ? text : "NULL");
  }
  EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return values;
}

// The deskgate::error that `action` throws; fails the test when it throws none.
template <class Action>
error error_from(Action action) {
  try {
    action();
  } catch (const error& e) {
    return e;
  }
  ADD_FAILURE() << "no deskgate::error thrown";
  return error{errc::internal, "none thrown"};
}

}  // namespace deskgate
