#include "support/viewer.hpp"

namespace deskgate::testing {
namespace {

std::string u16(std::uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

std::string u32(std::uint32_t v) { return u16(static_cast<std::uint16_t>(v >> 16)) + u16(v & 0xffff); }

std::uint32_t read_u32(const std::string& bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

}  // namespace

http_answer upgrade_request(test_app& t, const std::string& target, const signed_in* who, header_list extra,
                            bool strip) {
  header_list headers = {{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"Sec-WebSocket-Version", "13"}};
  if (!strip) {
    headers.emplace_back("Upgrade", "websocket");
    headers.emplace_back("Connection", "Upgrade");
  }
  if (who) headers.emplace_back("Cookie", who->cookie);
  for (auto& h : extra) headers.push_back(std::move(h));
  return http_request(t.port(), {"GET", target, headers, ""});
}

std::unique_ptr<ws_client> open_viewer(test_app& t, const std::string& path, header_list headers,
                                       const std::string& protocol) {
  auto c = std::make_unique<ws_client>();
  c->connect(t.port(), {path, std::move(headers), protocol});
  return c;
}

std::string rfb_handshake(ws_client& c) {
  if (c.read_bytes(12).value_or("") != "RFB 003.008\n") return "";
  c.write("RFB 003.008\n");
  c.read_bytes(2);
  c.write(std::string(1, '\x01'));
  c.read_bytes(4);
  c.write(std::string(1, '\x01'));
  auto init = c.read_bytes(24).value_or("");
  if (init.size() != 24 || !c.read_bytes(read_u32(init, 20))) return "";
  return init;
}

void rfb_type(ws_client& c, const std::string& text) {
  for (char ch : text) {
    std::uint32_t keysym = ch == '\n' ? 0xff0d : static_cast<unsigned char>(ch);
    for (char down : {'\x01', '\x00'}) c.write(std::string{'\x04', down} + u16(0) + u32(keysym));
  }
}

void rfb_pointer(ws_client& c, std::uint16_t x, std::uint16_t y) {
  c.write(std::string{'\x05', '\x00'} + u16(x) + u16(y));
}

bool rfb_round_trip(ws_client& c) {
  c.write(std::string{'\x03', '\x00'} + u16(0) + u16(0) + u16(1) + u16(1));
  auto head = c.read_bytes(4);
  if (!head || (*head)[0] != 0) return false;
  int rects = (static_cast<unsigned char>((*head)[2]) << 8) | static_cast<unsigned char>((*head)[3]);
  for (int i = 0; i < rects; ++i) {
    auto rect = c.read_bytes(12);
    if (!rect) return false;
    auto w = (static_cast<unsigned char>((*rect)[4]) << 8) | static_cast<unsigned char>((*rect)[5]);
    auto h = (static_cast<unsigned char>((*rect)[6]) << 8) | static_cast<unsigned char>((*rect)[7]);
    if (read_u32(*rect, 8) != 0 || !c.read_bytes(static_cast<std::size_t>(w) * h * 4)) return false;  // raw only
  }
  return true;
}

}  // namespace deskgate::testing
