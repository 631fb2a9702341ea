// The gateway's front door on a real server with a real desktop (local backend, Xvnc): who may open a
// desktop's WebSocket, and that everyone else gets a plain HTTP refusal before any upgrade.
#include <gtest/gtest.h>

#include <thread>

#include "desktops/desktop_manager.hpp"
#include "support/test_app.hpp"
#include "support/viewer.hpp"
#include "support/ws_client.hpp"

namespace deskgate::testing {
namespace {

using namespace std::chrono_literals;

// Reads until the server closes; returns its close code (0: no close within `timeout`).
int wait_for_close(ws_client& c, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!c.read(left)) return c.closed() ? c.close_code() : 0;
  }
  return 0;
}

class gateway : public ::testing::Test {
 protected:
  void SetUp() override {
    owner_ = t_.add_user("max", "student");
    other_ = t_.add_user("lena", "student");
    id_ = t_.start_desktop(owner_, "light");
    ASSERT_EQ(t_.wait_for_state(owner_, id_, "running")["state"], "running");
  }
  test_app t_{light_desktop_toml};
  signed_in owner_;
  signed_in other_;
  std::string id_;
};

TEST_F(gateway, TheOwnerReachesTheDesktopAndSeesOnlySecurityTypeNone) {
  auto ws = open_viewer(t_, "/desktop/" + id_ + "/websockify",
                        {{"Cookie", owner_.cookie}, {"Origin", "http://127.0.0.1:8080"}}, "binary");
  ASSERT_EQ(ws->status(), 101) << ws->body();
  EXPECT_EQ(ws->accepted_protocol(), "binary");
  EXPECT_EQ(ws->read_bytes(12).value_or(""), "RFB 003.008\n");
  ws->write("RFB 003.008\n");
  auto types = ws->read_bytes(2).value_or("");
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0], 1) << "one security type offered";
  EXPECT_EQ(types[1], 1) << "None: the browser never sees the desktop's password challenge";
  ws->write(std::string(1, '\x01'));
  EXPECT_EQ(ws->read_bytes(4).value_or(""), std::string(4, '\0')) << "SecurityResult OK";
  ws->write(std::string(1, '\x01'));  // ClientInit, shared
  auto server_init = ws->read_bytes(24).value_or("");
  ASSERT_EQ(server_init.size(), 24u);
  auto width = (static_cast<unsigned char>(server_init[0]) << 8) | static_cast<unsigned char>(server_init[1]);
  EXPECT_EQ(width, 1280) << "ServerInit of the real desktop";
}

TEST_F(gateway, TheDefaultNoVncPathFindsTheDesktopByQueryOrReferer) {
  auto by_query = open_viewer(t_, "/websockify?desktop=" + id_, {{"Cookie", owner_.cookie}});
  ASSERT_EQ(by_query->status(), 101) << by_query->body();
  EXPECT_EQ(by_query->read_bytes(12).value_or(""), "RFB 003.008\n");
  auto by_referer =
      open_viewer(t_, "/websockify", {{"Cookie", owner_.cookie}, {"Referer", "http://127.0.0.1:8080/desktops/" + id_}});
  ASSERT_EQ(by_referer->status(), 101) << by_referer->body();
  EXPECT_EQ(by_referer->read_bytes(12).value_or(""), "RFB 003.008\n");
  // The Referer is only a name: someone else's desktop named that way is still refused.
  auto refused = upgrade_request(t_, "/websockify", &other_, {{"Referer", "http://127.0.0.1:8080/desktops/" + id_}});
  EXPECT_EQ(refused.status, 404);
}

TEST_F(gateway, EveryoneElseIsRefusedBeforeAnyUpgrade) {
  auto path = "/desktop/" + id_ + "/websockify";
  auto no_session = upgrade_request(t_, path, nullptr);
  EXPECT_EQ(no_session.status, 401);
  EXPECT_EQ(json_of(no_session)["error"]["code"], "unauthenticated");
  signed_in forged{"deskgate_session=" + std::string(43, 'A'), ""};
  EXPECT_EQ(upgrade_request(t_, path, &forged).status, 401);
  auto other = upgrade_request(t_, path, &other_);
  EXPECT_EQ(other.status, 404) << "another user's desktop does not exist for them";
  EXPECT_EQ(upgrade_request(t_, "/desktop/no-such-desktop/websockify", &owner_).status, 404);
  auto hijack = upgrade_request(t_, path, &owner_, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(hijack.status, 403) << "cross-site WebSocket hijacking";
  EXPECT_EQ(json_of(hijack)["error"]["code"], "bad_origin");
  auto plain_get = http_request(t_.port(), {"GET", path, {{"Cookie", owner_.cookie}}, ""});
  EXPECT_EQ(plain_get.status, 400) << "not an upgrade";
  auto no_id = upgrade_request(t_, "/websockify", &owner_);
  EXPECT_EQ(no_id.status, 400);
  for (const auto& a : {no_session, other, hijack, plain_get}) {
    EXPECT_NE(a.status, 101);
    EXPECT_FALSE(a.header("Content-Type").empty());
  }
}

TEST_F(gateway, StrippedUpgradeHeadersGetAnExplanation) {
  auto a = upgrade_request(t_, "/desktop/" + id_ + "/websockify", &owner_, {}, /*strip=*/true);
  EXPECT_EQ(a.status, 400);
  auto message = json_of(a)["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("upgrade=websocket"), std::string::npos) << message;
  EXPECT_NE(message.find("proxy_set_header Upgrade"), std::string::npos) << message;
}

TEST_F(gateway, AStoppedDesktopIsRefusedWithItsState) {
  ASSERT_EQ(t_.request("POST", "/api/desktops/" + id_ + "/stop", &owner_).status, 202);
  t_.wait_for_state(owner_, id_, "stopped");
  auto a = upgrade_request(t_, "/desktop/" + id_ + "/websockify", &owner_);
  EXPECT_EQ(a.status, 409);
  EXPECT_NE(json_of(a)["error"]["message"].get<std::string>().find("stopped"), std::string::npos);
}

TEST_F(gateway, AnAdminMayOpenAnyDesktop) {
  auto admin = t_.login_admin();
  auto ws = open_viewer(t_, "/desktop/" + id_ + "/websockify", {{"Cookie", admin.cookie}});
  ASSERT_EQ(ws->status(), 101) << ws->body();
  EXPECT_EQ(ws->read_bytes(12).value_or(""), "RFB 003.008\n");
}

TEST_F(gateway, StoppingTheDesktopOrSigningOutClosesOpenViewers) {
  auto viewer = open_viewer(t_, "/desktop/" + id_ + "/websockify", {{"Cookie", owner_.cookie}});
  ASSERT_EQ(viewer->status(), 101);
  ASSERT_EQ(rfb_handshake(*viewer).size(), 24u);
  auto second_login = t_.login("max", "correct horse 1");
  auto other_tab = open_viewer(t_, "/desktop/" + id_ + "/websockify", {{"Cookie", second_login.cookie}});
  ASSERT_EQ(other_tab->status(), 101);
  ASSERT_EQ(rfb_handshake(*other_tab).size(), 24u);

  ASSERT_EQ(t_.request("POST", "/api/auth/logout", &second_login).status, 204);
  EXPECT_EQ(wait_for_close(*other_tab, 5s), 4002) << "signed out: that session's viewer closes";

  auto admin = t_.login_admin();
  ASSERT_EQ(t_.request("POST", "/api/admin/desktops/" + id_ + "/stop", &admin).status, 202);
  EXPECT_EQ(wait_for_close(*viewer, 5s), 4001) << "the desktop stopped";
}

TEST_F(gateway, InputThroughTheRelayCountsAsActivity) {
  auto before = t_.app().db().find_desktop_by_public_id(id_)->last_active_at.value_or(0);
  std::this_thread::sleep_for(1100ms);  // activity is stored with one-second resolution
  auto ws = open_viewer(t_, "/desktop/" + id_ + "/websockify", {{"Cookie", owner_.cookie}});
  ASSERT_EQ(ws->status(), 101);
  ASSERT_EQ(rfb_handshake(*ws).size(), 24u);
  ws->write(std::string("\x05\x00\x00\x10\x00\x10", 6));  // PointerEvent
  for (int i = 0; i < 50; ++i) {
    if (t_.app().db().find_desktop_by_public_id(id_)->last_active_at.value_or(0) > before) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(t_.app().db().find_desktop_by_public_id(id_)->last_active_at.value_or(0), before);
}

}  // namespace
}  // namespace deskgate::testing
