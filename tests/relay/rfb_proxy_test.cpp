// The relay's pure RFB state machines: framing of the browser's messages (whole, byte by byte, view-only
// filtering, what cannot be framed) and both sides of the security handshake.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "relay/rfb_proxy.hpp"
#include "rfb/vnc_auth.hpp"

namespace deskgate::rfb {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string be16(unsigned v) { return {char(v >> 8), char(v)}; }
std::string be32(std::uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

// One message of every known type, in order.
std::vector<std::string> sample_messages() {
  return {
      std::string(1, '\0') + std::string(19, 'p'),                     // SetPixelFormat
      std::string("\x02\x00", 2) + be16(3) + std::string(12, 'e'),     // SetEncodings, 3
      std::string("\x03\x01", 2) + std::string(8, 'r'),                // FramebufferUpdateRequest
      std::string("\x04\x01\x00\x00", 4) + be32(0x61),                 // KeyEvent
      std::string("\x05\x01", 2) + be16(10) + be16(20),                // PointerEvent
      std::string("\x06\x00\x00\x00", 4) + be32(5) + "hello",          // ClientCutText
      std::string("\x06\x00\x00\x00", 4) + be32(0xfffffffc) + "abcd",  // extended clipboard, -4
      std::string("\x96\x01", 2) + std::string(8, 'c'),                // EnableContinuousUpdates
      std::string("\xf8\x00\x00\x00", 4) + be32(0) + "\x03" + "xyz",   // Fence, 3 bytes
      std::string("\xfa\x00\x01\x02", 4),                              // xvp
      std::string("\xfb\x00", 2) + be16(800) + be16(600) + std::string("\x02\x00", 2) +
          std::string(32, 's'),                           // SetDesktopSize, 2 screens
      std::string("\xff\x00", 2) + std::string(10, 'q'),  // QEMU extended key event
  };
}

struct framed {
  std::vector<std::pair<int, std::size_t>> messages;  // type, total length
  std::string forwarded;
};

framed frame(const std::string& input, std::size_t chunk, bool view_only) {
  client_message_parser p(view_only);
  framed out;
  std::vector<client_segment> runs;
  std::size_t current = 0;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    std::string piece = input.substr(at, chunk);
    runs.clear();
    EXPECT_TRUE(p.feed(bytes(piece), runs)) << p.error();
    std::size_t sum = 0;
    for (auto& r : runs) {
      sum += r.length;
      current += r.length;
      if (r.message_end) {
        out.messages.emplace_back(r.type, current);
        current = 0;
      }
    }
    EXPECT_EQ(sum, piece.size());
    std::span<std::uint8_t> data(reinterpret_cast<std::uint8_t*>(piece.data()), piece.size());
    out.forwarded += piece.substr(0, client_message_parser::compact(data, runs));
  }
  return out;
}

TEST(RfbFraming, FramesEveryKnownTypeWholeAndByteByByte) {
  std::string all;
  std::vector<std::pair<int, std::size_t>> expected;
  for (auto& m : sample_messages()) {
    all += m;
    expected.emplace_back(static_cast<std::uint8_t>(m[0]), m.size());
  }
  for (std::size_t chunk : {all.size(), std::size_t{1}, std::size_t{3}, std::size_t{7}}) {
    auto f = frame(all, chunk, false);
    EXPECT_EQ(f.messages, expected) << "chunk " << chunk;
    EXPECT_EQ(f.forwarded, all);
  }
}

TEST(RfbFraming, ViewOnlyDropsKeyPointerAndClipboard) {
  std::string all;
  std::string kept;
  for (auto& m : sample_messages()) {
    all += m;
    auto t = static_cast<std::uint8_t>(m[0]);
    if (t != 4 && t != 5 && t != 6) kept += m;
  }
  for (std::size_t chunk : {all.size(), std::size_t{1}, std::size_t{5}}) {
    EXPECT_EQ(frame(all, chunk, true).forwarded, kept) << "chunk " << chunk;
  }
}

TEST(RfbFraming, RefusesWhatItCannotFrame) {
  std::vector<client_segment> runs;
  client_message_parser unknown;
  EXPECT_FALSE(unknown.feed(bytes(std::string("\x07\x00", 2)), runs));
  EXPECT_NE(unknown.error().find("type 7"), std::string::npos);
  EXPECT_FALSE(unknown.feed(bytes(std::string(1, '\0')), runs));  // stays failed

  client_message_parser fence;
  EXPECT_FALSE(fence.feed(bytes(std::string("\xf8\x00\x00\x00", 4) + be32(0) + "\x41"), runs));
  client_message_parser qemu;
  EXPECT_FALSE(qemu.feed(bytes(std::string("\xff\x01", 2)), runs));
  client_message_parser after_good;  // a good message then garbage: the good one is framed first
  runs.clear();
  EXPECT_FALSE(after_good.feed(bytes(std::string("\x05\x00\x00\x01\x00\x02\x09", 7)), runs));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].length, 6u);
}

TEST(RfbFraming, LargestClipboardLengthDoesNotOverflow) {
  std::vector<client_segment> runs;
  client_message_parser p;
  EXPECT_TRUE(p.feed(bytes(std::string("\x06\x00\x00\x00\x80\x00\x00\x00", 8) + "abc"), runs));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_FALSE(runs[0].message_end);  // 2^31 bytes to come
}

TEST(RfbServerHandshake, Version38OffersOnlyNone) {
  server_handshake hs;
  EXPECT_EQ(hs.take_output(), "RFB 003.008\n");
  std::string in = "RFB 003.008\n";
  EXPECT_EQ(hs.feed(bytes(in)), 12u);
  EXPECT_EQ(hs.take_output(), std::string("\x01\x01", 2));
  EXPECT_EQ(hs.feed(bytes(std::string("\x01", 1))), 1u);
  EXPECT_EQ(hs.take_output(), be32(0));
  // ClientInit with the first message right behind it: only ClientInit is used.
  std::string rest = std::string("\x01", 1) + "\x03";
  EXPECT_EQ(hs.feed(bytes(rest)), 1u);
  EXPECT_TRUE(hs.done());
  EXPECT_EQ(hs.client_init(), 1);
}

TEST(RfbServerHandshake, Version37HasNoSecurityResultForNone) {
  server_handshake hs;
  hs.take_output();
  std::string in = std::string("RFB 003.007\n") + "\x01" + std::string(1, '\0');
  for (char c : in) hs.feed(bytes(std::string(1, c)));  // byte by byte
  EXPECT_TRUE(hs.done());
  EXPECT_EQ(hs.take_output(), std::string("\x01\x01", 2));
}

TEST(RfbServerHandshake, Version33GetsTheTypeDecided) {
  server_handshake hs;
  hs.take_output();
  std::string in = std::string("RFB 003.003\n") + std::string(1, '\0');
  EXPECT_EQ(hs.feed(bytes(in)), 13u);
  EXPECT_TRUE(hs.done());
  EXPECT_EQ(hs.take_output(), be32(1));
}

TEST(RfbServerHandshake, RefusesOtherTypesAndGarbage) {
  server_handshake hs;
  hs.take_output();
  hs.feed(bytes(std::string("RFB 003.008\n") + "\x02"));
  EXPECT_TRUE(hs.failed());
  auto out = hs.take_output();
  EXPECT_EQ(out.substr(2, 4), be32(1));  // after the type list: SecurityResult failed + reason

  server_handshake garbage;
  garbage.feed(bytes("GET / HTTP/1.1\r\n"));
  EXPECT_TRUE(garbage.failed());
}

TEST(RfbClientHandshake, AnswersTheChallengeWithTheSecret) {
  client_handshake hs("s3cret");
  hs.feed(bytes("RFB 003.008\n"));
  EXPECT_EQ(hs.take_output(), "RFB 003.008\n");
  hs.feed(bytes(std::string("\x02\x01\x02", 3)));
  EXPECT_EQ(hs.take_output(), std::string("\x02", 1));
  std::string challenge = "0123456789abcdef";
  hs.feed(bytes(challenge));
  vnc_challenge c{};
  std::copy(challenge.begin(), challenge.end(), c.begin());
  auto expected = vnc_auth_response(c, "s3cret");
  EXPECT_EQ(hs.take_output(), std::string(expected.begin(), expected.end()));
  EXPECT_FALSE(hs.done());
  hs.feed(bytes(be32(0)));
  EXPECT_TRUE(hs.done());
}

TEST(RfbClientHandshake, ReportsTheDesktopsReason) {
  client_handshake hs("wrong");
  hs.feed(bytes(std::string("RFB 003.008\n") + "\x01\x02" + "0123456789abcdef"));
  hs.take_output();
  hs.feed(bytes(be32(1) + be32(21) + "Authentication failed"));
  EXPECT_TRUE(hs.failed());
  EXPECT_TRUE(hs.auth_rejected());
  EXPECT_NE(hs.error().find("Authentication failed"), std::string::npos);
  EXPECT_EQ(hs.error().find("wrong"), std::string::npos);
}

TEST(RfbClientHandshake, NoneOnlyAnd33) {
  client_handshake none("x");
  none.feed(bytes(std::string("RFB 003.008\n") + "\x01\x01"));
  EXPECT_EQ(none.take_output(), std::string("RFB 003.008\n\x01", 13));
  none.feed(bytes(be32(0)));
  EXPECT_TRUE(none.done());

  client_handshake old("x");
  old.feed(bytes("RFB 003.003\n" + be32(1)));
  EXPECT_EQ(old.take_output(), "RFB 003.003\n");
  EXPECT_TRUE(old.done());

  client_handshake unsupported("x");
  unsupported.feed(bytes(std::string("RFB 003.008\n") + "\x01\x13"));
  EXPECT_TRUE(unsupported.failed());
}

}  // namespace
}  // namespace deskgate::rfb
