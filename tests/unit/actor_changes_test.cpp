#define CAF_SUITE actor_changes
#include "actor_fixture.hpp"

using namespace parley;
using namespace parley::actors;
using namespace parley::test;

namespace {

struct changes_fixture : actor_fixture {
  caf::actor r;
  std::shared_ptr<recording_link> bob_link = std::make_shared<recording_link>();

  void setup() {
    start();
    make_room("r1", {"alice", "bob", "carol"});
    r = room("r1");
    join(r, "bob", 2, bob_link);
  }

  template <class Atom, class Req>
  reply_or_error<ok_send> change(const std::string& user, Req req) {
    if constexpr (std::is_same_v<Req, invite_req> || std::is_same_v<Req, remove_req>)
      return ask<ok_send>(r, Atom::value, user, std::move(req), false);
    else
      return ask<ok_send>(r, Atom::value, user, std::move(req));
  }

  storage::message_state state_of(int64_t seq) {
    storage::history_query q{"r1", std::nullopt, seq - 1, 1};
    auto page = db->history(q);
    return page.value().messages.at(0);
  }

  std::vector<std::string> members() {
    std::vector<std::string> out;
    auto rec = db->load_room("r1");  // kept: the loop must not run over a dead temporary
    for (auto& m : rec.value()->members)
      out.push_back(m.user);
    return out;
  }
};

}  // namespace

CAF_TEST_FIXTURE_SCOPE(changes_tests, changes_fixture)

CAF_TEST(an edit by the author is an event with its own seq and shows in history) {
  setup();
  CAF_REQUIRE(ok(send(r, "alice", "m1", "helo")));
  auto res = change<edit_atom>("alice", edit_req{"r1", 1, "hello"});
  CAF_REQUIRE(ok(res));
  CAF_CHECK_EQUAL(ok(res)->seq, 2);
  CAF_CHECK_EQUAL(bob_link->seqs(), (std::vector<int64_t>{1, 2}));
  auto m = state_of(1);
  CAF_CHECK_EQUAL(m.msg.body, "hello");
  CAF_CHECK_GREATER(m.edited_ts, 0);
}

CAF_TEST(only the author may edit and only author or admin may delete) {
  setup();
  CAF_REQUIRE(ok(send(r, "bob", "m1", "bob's")));
  CAF_CHECK(is_error(change<edit_atom>("carol", edit_req{"r1", 1, "x"}), error_code::forbidden));
  CAF_CHECK(is_error(change<delete_atom>("carol", delete_req{"r1", 1}), error_code::forbidden));
  // alice created the room: she is its admin and may delete bob's message.
  auto del = change<delete_atom>("alice", delete_req{"r1", 1});
  CAF_REQUIRE(ok(del));
  CAF_CHECK(state_of(1).deleted);
  CAF_CHECK_EQUAL(state_of(1).msg.body, "");
  // A deleted message takes no more edits or reactions.
  CAF_CHECK(is_error(change<edit_atom>("bob", edit_req{"r1", 1, "again"}), error_code::not_found));
  CAF_CHECK(is_error(change<react_atom>("carol", react_req{"r1", 1, "x", true}),
                     error_code::not_found));
  CAF_CHECK(is_error(change<delete_atom>("bob", delete_req{"r1", 1}), error_code::not_found));
}

CAF_TEST(targets must be messages in the log) {
  setup();
  CAF_REQUIRE(ok(send(r, "alice", "m1")));
  auto edit = change<edit_atom>("alice", edit_req{"r1", 1, "x"});
  CAF_REQUIRE(ok(edit));
  CAF_CHECK(is_error(change<edit_atom>("alice", edit_req{"r1", 9, "x"}), error_code::not_found));
  // seq 2 is the edit event, not a message.
  CAF_CHECK(is_error(change<react_atom>("alice", react_req{"r1", 2, "x", true}),
                     error_code::not_found));
  CAF_CHECK(is_error(change<edit_atom>("mallory", edit_req{"r1", 1, "x"}), error_code::forbidden));
}

CAF_TEST(reactions toggle per user) {
  setup();
  CAF_REQUIRE(ok(send(r, "alice", "m1")));
  CAF_REQUIRE(ok(change<react_atom>("bob", react_req{"r1", 1, "👍", true})));
  CAF_REQUIRE(ok(change<react_atom>("carol", react_req{"r1", 1, "👍", true})));
  CAF_REQUIRE(ok(change<react_atom>("bob", react_req{"r1", 1, "👍", false})));
  auto m = state_of(1);
  CAF_REQUIRE_EQUAL(m.reactions.size(), 1u);
  CAF_CHECK_EQUAL(m.reactions[0].first, "👍");
  CAF_CHECK_EQUAL(m.reactions[0].second, (std::vector<std::string>{"carol"}));
  CAF_CHECK_EQUAL(bob_link->seqs(), (std::vector<int64_t>{1, 2, 3, 4}));
}

CAF_TEST(an invite adds a member with a member event) {
  setup();
  auto res = change<invite_atom>("bob", invite_req{"r1", "dave"});
  CAF_REQUIRE(ok(res));
  CAF_CHECK_EQUAL(ok(res)->seq, 1);
  CAF_CHECK_EQUAL(members(), (std::vector<std::string>{"alice", "bob", "carol", "dave"}));
  auto items = bob_link->items();
  auto& ev = std::get<storage::event>(std::get<event_ptr>(items.back())->payload());
  CAF_CHECK(ev.kind == storage::event_kind::member);
  CAF_CHECK_EQUAL(ev.body, "dave");
  CAF_CHECK_EQUAL(ev.subtype, "added");
  CAF_CHECK_EQUAL(ev.sender, "bob");
  // The new member may now send; inviting again is a conflict; strangers may not invite.
  CAF_CHECK(ok(send(r, "dave", "d1")));
  CAF_CHECK(is_error(change<invite_atom>("bob", invite_req{"r1", "dave"}), error_code::conflict));
  CAF_CHECK(is_error(change<invite_atom>("mallory", invite_req{"r1", "eve"}),
                     error_code::forbidden));
}

CAF_TEST(a removal takes effect after its event reached the removed user) {
  setup();
  auto carol_link = std::make_shared<recording_link>();
  join(r, "carol", 3, carol_link);
  // Only admins remove others; anyone may remove themselves.
  CAF_CHECK(is_error(change<remove_atom>("bob", remove_req{"r1", "carol"}),
                     error_code::forbidden));
  auto res = change<remove_atom>("alice", remove_req{"r1", "carol"});
  CAF_REQUIRE(ok(res));
  CAF_CHECK_EQUAL(carol_link->seqs(), (std::vector<int64_t>{ok(res)->seq}));
  CAF_CHECK_EQUAL(members(), (std::vector<std::string>{"alice", "bob"}));
  // carol is unsubscribed and may no longer send or read.
  CAF_REQUIRE(ok(send(r, "alice", "after")));
  CAF_CHECK_EQUAL(carol_link->seqs().size(), 1u);
  CAF_CHECK(is_error(send(r, "carol", "c1"), error_code::forbidden));
  CAF_CHECK(is_error(change<remove_atom>("alice", remove_req{"r1", "carol"}),
                     error_code::not_found));
  CAF_CHECK(ok(change<remove_atom>("bob", remove_req{"r1", "bob"})));
  CAF_CHECK_EQUAL(members(), (std::vector<std::string>{"alice"}));
}

CAF_TEST(membership survives a room restart) {
  setup();
  CAF_REQUIRE(ok(change<invite_atom>("alice", invite_req{"r1", "dave"})));
  self->send_exit(r, caf::exit_reason::kill);
  consume_messages();
  r = room("r1");
  CAF_CHECK(ok(send(r, "dave", "d1")));
}

CAF_TEST_FIXTURE_SCOPE_END()
