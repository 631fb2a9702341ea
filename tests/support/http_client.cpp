#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace deskgate::testing {
namespace {

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string http_answer::header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return "";
}

std::vector<std::string> http_answer::all(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) out.push_back(v);
  }
  return out;
}

raw_connection::raw_connection(std::uint16_t port, const std::string& host) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error("cannot connect to test server");
  }
}

raw_connection::~raw_connection() {
  if (fd_ >= 0) ::close(fd_);
}

void raw_connection::send(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (e.g. after a 413); the answer tells the test
    sent += static_cast<std::size_t>(n);
  }
}

std::optional<http_answer> raw_connection::read_answer(int timeout_ms, bool head_request) {
  auto fill = [&]() -> bool {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending_.append(buf, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t header_end;
  while ((header_end = pending_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  http_answer a;
  std::string head = pending_.substr(0, header_end);
  pending_.erase(0, header_end + 4);
  auto line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  a.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto next = head.find("\r\n", pos);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(pos, next - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      a.headers.emplace_back(line.substr(0, colon), value);
    }
    pos = next + 2;
  }
  if (!head_request && iequals(a.header("Transfer-Encoding"), "chunked")) {
    // Chunks: hex size, CRLF, data, CRLF; a 0-size chunk and an empty trailer end the body.
    while (true) {
      std::size_t line_end_at;
      while ((line_end_at = pending_.find("\r\n")) == std::string::npos) {
        if (!fill()) return std::nullopt;
      }
      std::size_t chunk = std::stoul(pending_.substr(0, line_end_at), nullptr, 16);
      while (pending_.size() < line_end_at + 2 + chunk + 2) {
        if (!fill()) return std::nullopt;
      }
      a.body += pending_.substr(line_end_at + 2, chunk);
      pending_.erase(0, line_end_at + 2 + chunk + 2);
      if (chunk == 0) return a;
    }
  }
  std::size_t length = 0;
  if (!head_request && !a.header("Content-Length").empty()) length = std::stoul(a.header("Content-Length"));
  while (pending_.size() < length) {
    if (!fill()) return std::nullopt;
  }
  a.body = pending_.substr(0, length);
  pending_.erase(0, length);
  return a;
}

bool raw_connection::closed_by_peer(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char buf[4096];
  return ::recv(fd_, buf, sizeof buf, 0) <= 0;
}

http_answer http_request(std::uint16_t port, const request_spec& spec) {
  raw_connection c(port);
  std::string text = spec.method + " " + spec.target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                     "\r\nConnection: close\r\n";
  for (const auto& [n, v] : spec.headers) text += n + ": " + v + "\r\n";
  if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH") {
    text += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
  }
  text += "\r\n" + spec.body;
  c.send(text);
  auto answer = c.read_answer(10000, spec.method == "HEAD");
  if (!answer) throw std::runtime_error("no answer from the test server for " + spec.method + " " + spec.target);
  return *answer;
}

}  // namespace deskgate::testing
