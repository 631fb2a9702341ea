#include "relay/rfb_proxy.hpp"

#include <algorithm>
#include <cstring>

#include "rfb/vnc_auth.hpp"

namespace deskgate::rfb {

namespace {

std::uint32_t be32(const std::string& s, std::size_t at = 0) {
  auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

void put32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// Reason strings from a desktop end up in logs and JSON: printable ASCII only, bounded.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  return out;
}

// Gathers bytes into `pending` until it holds `need`; returns the bytes used from `in` at `pos`.
std::size_t gather(std::string& pending, std::size_t need, std::span<const std::uint8_t> in, std::size_t pos) {
  std::size_t take = std::min(need - pending.size(), in.size() - pos);
  pending.append(reinterpret_cast<const char*>(in.data() + pos), take);
  return take;
}

}  // namespace

int parse_protocol_version(std::string_view v) {
  if (v.size() != 12 || v.substr(0, 4) != "RFB " || v[7] != '.' || v[11] != '\n') return 0;
  int major = 0;
  int minor = 0;
  for (std::size_t i : {4u, 5u, 6u}) {
    if (v[i] < '0' || v[i] > '9') return 0;
    major = major * 10 + (v[i] - '0');
  }
  for (std::size_t i : {8u, 9u, 10u}) {
    if (v[i] < '0' || v[i] > '9') return 0;
    minor = minor * 10 + (v[i] - '0');
  }
  if (major < 3) return 0;
  if (major > 3 || minor >= 8) return 8;
  if (minor == 7) return 7;
  return 3;  // 3.3 and the unofficial 3.4-3.6 (RFC 6143: treat as 3.3)
}

std::size_t client_handshake::feed(std::span<const std::uint8_t> in) {
  std::size_t pos = 0;
  while (pos < in.size() && state_ != state::done && state_ != state::failed) {
    pos += gather(pending_, need_, in, pos);
    if (pending_.size() < need_) break;
    std::string field = std::exchange(pending_, {});
    switch (state_) {
      case state::version: {
        version_ = parse_protocol_version(field);
        if (version_ == 0) return fail("the desktop did not answer with an RFB protocol version"), pos;
        output_ += version_ == 8 ? "RFB 003.008\n" : version_ == 7 ? "RFB 003.007\n" : "RFB 003.003\n";
        state_ = version_ == 3 ? state::security_type_33 : state::security_count;
        need_ = version_ == 3 ? 4 : 1;
        break;
      }
      case state::security_count: {
        auto n = static_cast<unsigned char>(field[0]);
        if (n == 0) {
          reason_prefix_ = "the desktop refused the connection";
          state_ = state::reason_length;
          need_ = 4;
        } else {
          state_ = state::security_list;
          need_ = n;
        }
        break;
      }
      case state::security_list: {
        bool vnc = field.find('\x02') != std::string::npos;
        bool none = field.find('\x01') != std::string::npos;
        if (vnc) {
          output_.push_back('\x02');
          state_ = state::challenge;
          need_ = 16;
        } else if (none) {
          output_.push_back('\x01');
          if (version_ == 8) {
            state_ = state::result;
            need_ = 4;
          } else {
            state_ = state::done;
          }
        } else {
          std::string types;
          for (unsigned char c : field) types += (types.empty() ? "" : ",") + std::to_string(c);
          return fail("the desktop offers no supported security type (offered: " + types + ")"), pos;
        }
        break;
      }
      case state::security_type_33: {
        std::uint32_t t = be32(field);
        if (t == 0) {
          reason_prefix_ = "the desktop refused the connection";
          state_ = state::reason_length;
          need_ = 4;
        } else if (t == 1) {
          state_ = state::done;
        } else if (t == 2) {
          state_ = state::challenge;
          need_ = 16;
        } else {
          return fail("the desktop requires an unsupported security type " + std::to_string(t)), pos;
        }
        break;
      }
      case state::challenge: {
        std::array<std::uint8_t, vnc_challenge_size> challenge{};
        std::memcpy(challenge.data(), field.data(), challenge.size());
        auto response = vnc_auth_response(challenge, secret_);
        output_.append(reinterpret_cast<const char*>(response.data()), response.size());
        state_ = state::result;
        need_ = 4;
        break;
      }
      case state::result: {
        std::uint32_t r = be32(field);
        if (r == 0) {
          state_ = state::done;
        } else {
          auth_rejected_ = true;
          if (version_ == 8) {
            reason_prefix_ = "the desktop refused the password";
            state_ = state::reason_length;
            need_ = 4;
          } else {
            return fail("the desktop refused the password"), pos;
          }
        }
        break;
      }
      case state::reason_length: {
        std::uint32_t len = be32(field);
        if (len == 0) return fail(reason_prefix_), pos;
        state_ = state::reason;
        need_ = std::min<std::uint32_t>(len, 4096);
        break;
      }
      case state::reason:
        return fail(reason_prefix_ + ": " + printable(field)), pos;
      case state::done:
      case state::failed:
        break;
    }
  }
  return pos;
}

std::size_t server_handshake::feed(std::span<const std::uint8_t> in) {
  std::size_t pos = 0;
  while (pos < in.size() && state_ != state::done && state_ != state::failed) {
    std::size_t need = state_ == state::version ? 12 : 1;
    pos += gather(pending_, need, in, pos);
    if (pending_.size() < need) break;
    std::string field = std::exchange(pending_, {});
    switch (state_) {
      case state::version:
        version_ = parse_protocol_version(field);
        if (version_ == 0) return fail("the browser did not send an RFB protocol version"), pos;
        if (version_ == 3) {
          put32(output_, 1);  // 3.3: the server decides, None
          state_ = state::client_init;
        } else {
          output_ += std::string_view("\x01\x01", 2);  // one type: None
          state_ = state::security_choice;
        }
        break;
      case state::security_choice:
        if (field[0] != '\x01') {
          if (version_ == 8) {
            static constexpr std::string_view why = "security type not offered";
            put32(output_, 1);
            put32(output_, why.size());
            output_ += why;
          }
          return fail("the browser chose security type " + std::to_string(static_cast<unsigned char>(field[0])) +
                      ", only None is offered"),
                 pos;
        }
        if (version_ == 8) put32(output_, 0);  // SecurityResult OK (3.7 sends none for None)
        state_ = state::client_init;
        break;
      case state::client_init:
        client_init_ = static_cast<std::uint8_t>(field[0]);
        state_ = state::done;
        break;
      case state::done:
      case state::failed:
        break;
    }
  }
  return pos;
}

std::size_t client_message_parser::header_size(std::uint8_t type) {
  switch (type) {
    case msg::set_pixel_format:
    case msg::framebuffer_update_request:
    case msg::key_event:
    case msg::pointer_event:
    case msg::enable_continuous_updates:
    case msg::xvp:
      return 1;
    case msg::set_encodings:
      return 4;
    case msg::client_cut_text:
      return 8;
    case msg::fence:
      return 9;
    case msg::set_desktop_size:
      return 8;
    case msg::qemu:
      return 2;
    default:
      return 0;
  }
}

std::uint64_t client_message_parser::total_length() {
  const auto& h = header_;
  switch (type_) {
    case msg::set_pixel_format:
      return 20;
    case msg::set_encodings:
      return 4 + 4 * ((std::uint64_t{h[2]} << 8) | h[3]);
    case msg::framebuffer_update_request:
      return 10;
    case msg::key_event:
      return 8;
    case msg::pointer_event:
      return 6;
    case msg::client_cut_text: {
      auto raw = static_cast<std::int32_t>((std::uint32_t{h[4]} << 24) | (std::uint32_t{h[5]} << 16) |
                                           (std::uint32_t{h[6]} << 8) | h[7]);
      // Negative: extended clipboard (the absolute value is the payload length).
      std::uint64_t len = raw < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(static_cast<std::int64_t>(raw))
                                  : static_cast<std::uint64_t>(raw);
      return 8 + len;
    }
    case msg::enable_continuous_updates:
      return 10;
    case msg::fence:
      if (h[8] > 64) {
        error_ = "Fence message with a payload of " + std::to_string(h[8]) + " bytes (at most 64)";
        return 0;
      }
      return 9 + std::uint64_t{h[8]};
    case msg::xvp:
      return 4;
    case msg::set_desktop_size:
      return 8 + 16 * std::uint64_t{h[6]};
    case msg::qemu:
      if (h[1] == 0) return 12;  // extended key event
      error_ = "unknown QEMU client message subtype " + std::to_string(h[1]);
      return 0;
    default:
      error_ = "unknown RFB client message type " + std::to_string(type_);
      return 0;
  }
}

bool client_message_parser::feed(std::span<const std::uint8_t> in, std::vector<client_segment>& out) {
  if (failed()) return false;
  std::size_t pos = 0;
  bool merge = false;  // the last run in `out` belongs to the current message
  auto emit = [&](std::size_t len, bool end) {
    if (merge && !out.empty()) {
      out.back().length += len;
      out.back().message_end = end;
    } else {
      bool forward =
          !(view_only_ && (type_ == msg::key_event || type_ == msg::pointer_event || type_ == msg::client_cut_text));
      out.push_back({type_, len, forward, end});
    }
    merge = !end;
  };
  while (pos < in.size()) {
    if (!in_message_) {
      type_ = in[pos];
      header_need_ = header_size(type_);
      if (header_need_ == 0) {
        error_ = "unknown RFB client message type " + std::to_string(type_) + ": cannot frame the browser's messages";
        return false;
      }
      header_have_ = 0;
      in_message_ = true;
      length_known_ = false;
      merge = false;
    }
    if (!length_known_) {
      std::size_t take = std::min(header_need_ - header_have_, in.size() - pos);
      std::memcpy(header_.data() + header_have_, in.data() + pos, take);
      header_have_ += take;
      pos += take;
      if (header_have_ < header_need_) {
        emit(take, false);
        break;
      }
      std::uint64_t total = total_length();
      if (total == 0) return false;
      length_known_ = true;
      remaining_ = total - header_need_;
      bool end = remaining_ == 0;
      emit(take, end);
      if (end) in_message_ = false;
      continue;
    }
    std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - pos));
    remaining_ -= take;
    pos += take;
    bool end = remaining_ == 0;
    emit(take, end);
    if (end) in_message_ = false;
  }
  return true;
}

std::size_t client_message_parser::compact(std::span<std::uint8_t> data, const std::vector<client_segment>& runs) {
  std::size_t in = 0;
  std::size_t kept = 0;
  for (const auto& r : runs) {
    if (r.forward) {
      if (kept != in) std::memmove(data.data() + kept, data.data() + in, r.length);
      kept += r.length;
    }
    in += r.length;
  }
  return kept;
}

}  // namespace deskgate::rfb
