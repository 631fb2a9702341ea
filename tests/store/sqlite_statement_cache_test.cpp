// Tests of the per-connection prepared-statement cache under the SQLite store (sqlite_db.hpp): a text is
// prepared once per connection, a statement handed back is reset with its bindings cleared (also after a
// failed step or a read left half done), two live statements of one text do not share, and a pool used from
// several threads at once gives every caller its own connection and correct answers.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_db.hpp"
#include "store_test_support.hpp"

namespace deskgate {
namespace {

using sqlite::connection_pool;
using sqlite::statement;

// How many statements SQLite holds prepared on `db` (the cache's, plus any in use).
int prepared_on(sqlite3* db) {
  int count = 0;
  for (sqlite3_stmt* st = sqlite3_next_stmt(db, nullptr); st != nullptr; st = sqlite3_next_stmt(db, st)) ++count;
  return count;
}

// How many of them are mid-step (not reset, not run to the end).
int busy_on(sqlite3* db) {
  int count = 0;
  for (sqlite3_stmt* st = sqlite3_next_stmt(db, nullptr); st != nullptr; st = sqlite3_next_stmt(db, st)) {
    if (sqlite3_stmt_busy(st)) ++count;
  }
  return count;
}

std::int64_t first_int(statement& st) {
  return *sqlite::single_row(st, [](const statement& row) { return row.int64(0); });
}

class statement_cache_test : public testing::Test {
 protected:
  void SetUp() override {
    const auto conn = pool_.borrow();
    sqlite::exec(conn.get(), "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
  }

  connection_pool pool_{":memory:", 1, 5000};
};

TEST_F(statement_cache_test, a_text_is_prepared_once_per_connection) {
  const auto conn = pool_.borrow();
  const int before = prepared_on(conn.get());
  for (int i = 0; i < 50; ++i) {
    statement st(conn.get(), "SELECT ? + 1");
    EXPECT_EQ(first_int(st.bind(i)), i + 1);
  }
  EXPECT_EQ(prepared_on(conn.get()), before + 1);
  statement other(conn.get(), "SELECT ? + 2");
  EXPECT_EQ(prepared_on(conn.get()), before + 2);
}

TEST_F(statement_cache_test, bindings_are_cleared_when_a_statement_is_handed_back) {
  const auto conn = pool_.borrow();
  {
    statement st(conn.get(), "SELECT ?");
    EXPECT_EQ(first_int(st.bind(42)), 42);
  }
  statement again(conn.get(), "SELECT ?");
  ASSERT_TRUE(again.step());
  EXPECT_TRUE(again.is_null(0));
}

TEST_F(statement_cache_test, a_statement_that_failed_works_when_used_again) {
  const auto conn = pool_.borrow();
  constexpr std::string_view insert = "INSERT INTO t (name) VALUES (?)";
  statement(conn.get(), insert).bind("ada").run();
  const error e = error_from([&] { statement(conn.get(), insert).bind("ada").run(); });
  EXPECT_EQ(e.code(), errc::conflict);
  EXPECT_EQ(statement(conn.get(), insert).bind("grace").run(), 1);
  statement count(conn.get(), "SELECT COUNT(*) FROM t");
  EXPECT_EQ(first_int(count), 2);
}

TEST_F(statement_cache_test, a_read_left_half_done_starts_over_and_holds_no_lock) {
  {
    const auto conn = pool_.borrow();
    for (std::string name : {"a", "b", "c"}) statement(conn.get(), "INSERT INTO t (name) VALUES (?)").bind(name).run();
    statement st(conn.get(), "SELECT name FROM t ORDER BY id");
    ASSERT_TRUE(st.step());
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0), "b");
  }  // handed back after two of three rows
  const auto conn = pool_.borrow();
  statement st(conn.get(), "SELECT name FROM t ORDER BY id");
  const auto names = sqlite::all_rows(st, [](const statement& row) { return row.text(0); });
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(busy_on(conn.get()), 0);  // a statement left mid-read would hold its read transaction open
}

TEST_F(statement_cache_test, two_live_statements_of_one_text_do_not_share) {
  const auto conn = pool_.borrow();
  for (std::string name : {"a", "b"}) statement(conn.get(), "INSERT INTO t (name) VALUES (?)").bind(name).run();
  constexpr std::string_view sql = "SELECT name FROM t WHERE id >= ? ORDER BY id";
  statement outer(conn.get(), sql);
  outer.bind(1);
  std::vector<std::string> pairs;
  while (outer.step()) {
    statement inner(conn.get(), sql);
    inner.bind(2);
    while (inner.step()) pairs.push_back(outer.text(0) + inner.text(0));
  }
  EXPECT_EQ(pairs, (std::vector<std::string>{"ab", "bb"}));
}

TEST(statement_cache_pool, threads_sharing_a_pool_each_get_their_own_answers) {
  temp_dir dir;
  connection_pool pool(dir.file("cache.db"), 4, 10000);
  {
    const auto conn = pool.borrow();
    sqlite::exec(conn.get(), "CREATE TABLE n (thread INTEGER NOT NULL, i INTEGER NOT NULL)");
  }
  constexpr int threads = 8;
  constexpr int rounds = 200;
  std::latch start(threads);
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < rounds; ++i) {
        const auto conn = pool.borrow();
        statement(conn.get(), "INSERT INTO n (thread, i) VALUES (?, ?)").bind(t, i).run();
        statement mine(conn.get(), "SELECT COUNT(*), COALESCE(MAX(i), -1) FROM n WHERE thread = ?");
        ASSERT_TRUE(mine.bind(t).step());
        if (mine.int64(0) != i + 1 || mine.int64(1) != i) ++wrong;
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(query_file(dir.file("cache.db"), "SELECT COUNT(*) FROM n"),
            std::vector<std::string>{std::to_string(threads * rounds)});
}

}  // namespace
}  // namespace deskgate
