// A deliberately small blocking HTTP/1.1 client on raw sockets, for integration tests: it can send
// exactly the bytes a test wants (malformed requests, huge headers, half a request) and parse answers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace deskgate::testing {

struct http_answer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (case-insensitive), or "".
  std::string header(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
};

class raw_connection {
 public:
  explicit raw_connection(std::uint16_t port, const std::string& host = "127.0.0.1");
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  void send(const std::string& bytes);
  // Reads one answer (Content-Length or chunked body); nullopt when the server closed (or timed out) before
  // a complete answer.
  std::optional<http_answer> read_answer(int timeout_ms = 5000, bool head_request = false);
  // True when the server closed the connection (reads EOF) within timeout_ms.
  bool closed_by_peer(int timeout_ms = 5000);

 private:
  int fd_ = -1;
  std::string pending_;
};

struct request_spec {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Opens a connection, sends one request (Host, Content-Length and Connection: close added), reads the
// answer.
http_answer http_request(std::uint16_t port, const request_spec& spec);

}  // namespace deskgate::testing
