// The database schema as data: versioned migrations written once in SQL that SQLite and PostgreSQL both
// accept, with a few {{placeholders}} for the spots where the two disagree (auto-increment keys, booleans).
// Every store engine renders the same list for its dialect and applies each migration once, in order.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace deskgate {

enum class dialect { sqlite, postgresql };

struct migration {
  int version = 0;  // positive, strictly ascending within a list; never reused or renumbered
  std::string_view name;
  std::string_view sql;  // one or more statements separated by ';'
};

// The built-in migrations, oldest first. Append new ones; never edit one that has shipped.
std::span<const migration> builtin_migrations();

// The SQL of `m` with every placeholder replaced for `d`:
//   {{id}}    an auto-incrementing 64-bit primary key column type
//   {{bool}}  a boolean column type (compare with TRUE/FALSE, which both engines accept)
// Throws deskgate::error{errc::internal} on an unknown or unterminated placeholder, so a typo in a
// migration fails every test instead of reaching a database.
std::string render(const migration& m, dialect d);

}  // namespace deskgate
