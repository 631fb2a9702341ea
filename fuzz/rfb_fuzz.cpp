// Fuzzes what a browser controls in an RFB relay without sockets: the server side of the security
// handshake (deskgate toward the browser) and the framing of client-to-server messages after it, with
// and without view-only filtering. The first input byte picks how the rest is split into reads, so split
// fields and messages are exercised too. Checks: runs cover the input exactly; compaction keeps only
// forwarded bytes; view-only never forwards key, pointer or clipboard bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "relay/rfb_proxy.hpp"

namespace {

using namespace deskgate::rfb;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t chunk = (data[0] % 17) + 1;
  std::span<const std::uint8_t> input(data + 1, size - 1);

  // Handshake, then messages, as the relay does.
  server_handshake hs;
  hs.take_output();
  client_message_parser plain(false);
  client_message_parser view_only(true);
  std::vector<client_segment> runs;
  std::vector<std::uint8_t> buf;
  bool parsing_ok = true;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    auto piece = input.subspan(at, std::min(chunk, input.size() - at));
    std::size_t used = 0;
    if (!hs.done()) {
      if (hs.failed()) break;
      used = hs.feed(piece);
      check(used <= piece.size());
      hs.take_output();
      if (!hs.done()) continue;
    }
    auto rest = piece.subspan(used);
    for (auto* p : {&plain, &view_only}) {
      runs.clear();
      bool ok = p->feed(rest, runs);
      if (p == &plain) parsing_ok = parsing_ok && ok;
      std::size_t total = 0;
      std::size_t forwarded = 0;
      for (const auto& r : runs) {
        total += r.length;
        if (r.forward) forwarded += r.length;
        if (p == &view_only &&
            (r.type == msg::key_event || r.type == msg::pointer_event || r.type == msg::client_cut_text))
          check(!r.forward);
      }
      if (ok) check(total == rest.size());
      check(total <= rest.size());
      buf.assign(rest.begin(), rest.end());
      check(client_message_parser::compact(buf, runs) == forwarded);
    }
  }

  // The client side toward a (hostile) desktop: never reads past its input, never loops.
  client_handshake client("secret");
  for (std::size_t at = 0; at < input.size() && !client.done() && !client.failed(); at += chunk) {
    auto piece = input.subspan(at, std::min(chunk, input.size() - at));
    check(client.feed(piece) <= piece.size());
    client.take_output();
  }
  (void)parsing_ok;
  return 0;
}
