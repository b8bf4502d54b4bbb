#include "actors/validation.hpp"

#include <string>

namespace parley::actors {
namespace {

std::optional<error_info> bad(std::string msg) {
  return error_info{error_code::bad_request, std::move(msg)};
}

std::optional<error_info> too_large(std::string msg) {
  return error_info{error_code::too_large, std::move(msg)};
}

/// PostgreSQL text cannot hold U+0000 (SQLite could): refused for every store alike.
bool has_nul(std::string_view s) {
  return s.find('\0') != std::string_view::npos;
}

std::optional<error_info> check_room(std::string_view room) {
  if (!valid_room_id(room))
    return bad("room must be 1-128 bytes of [A-Za-z0-9_.:-]");
  return std::nullopt;
}

std::optional<error_info> check_target(std::string_view room, int64_t target) {
  if (auto e = check_room(room))
    return e;
  if (target < 1)
    return bad("target must be the seq of a message");
  return std::nullopt;
}

std::optional<error_info> check_user(std::string_view room, std::string_view user) {
  if (auto e = check_room(room))
    return e;
  if (!valid_user_id(user))
    return bad("user must be 1-128 bytes without U+0000");
  return std::nullopt;
}

}  // namespace

bool valid_room_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (unsigned char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

bool valid_user_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 && !has_nul(id);
}

std::optional<error_info> validate(const create_req& r, const request_limits& lim) {
  if (r.room)
    if (auto e = check_room(*r.room))
      return e;
  if (static_cast<int64_t>(r.members.size()) > lim.max_members)
    return too_large("at most " + std::to_string(lim.max_members) + " members");
  for (auto* list : {&r.members, &r.admins})
    for (auto& m : *list)
      if (!valid_user_id(m))
        return bad("member ids must be 1-128 bytes without U+0000");
  if (static_cast<int64_t>(r.admins.size()) > lim.max_members)
    return too_large("at most " + std::to_string(lim.max_members) + " admins");
  if (has_nul(r.title))
    return bad("title must not contain U+0000");
  if (static_cast<int64_t>(r.title.size()) > lim.max_title)
    return too_large("title over " + std::to_string(lim.max_title) + " bytes");
  return std::nullopt;
}

std::optional<error_info> validate(const join_req& r, const request_limits&) {
  if (auto e = check_room(r.room))
    return e;
  if (r.since && *r.since < 0)
    return bad("since must not be negative");
  return std::nullopt;
}

std::optional<error_info> validate(const leave_req& r, const request_limits&) {
  return check_room(r.room);
}

std::optional<error_info> validate(const send_req& r, const request_limits& lim) {
  if (auto e = check_room(r.room))
    return e;
  if (r.cid.empty() || r.cid.size() > 64)
    return bad("cid must be 1-64 bytes");
  if (r.kind.empty() || r.kind.size() > 32)
    return bad("kind must be 1-32 bytes");
  if (r.reply_to < 0)
    return bad("reply_to must be a seq");
  if (static_cast<int64_t>(r.body.size()) > lim.max_body)
    return too_large("body over " + std::to_string(lim.max_body) + " bytes");
  if (static_cast<int64_t>(r.meta.size()) > lim.max_meta)
    return too_large("meta over " + std::to_string(lim.max_meta) + " bytes");
  if (has_nul(r.cid) || has_nul(r.body) || has_nul(r.kind) || has_nul(r.meta))
    return bad("text must not contain U+0000");
  return std::nullopt;
}

std::optional<error_info> validate(const typing_req& r, const request_limits&) {
  return check_room(r.room);
}

std::optional<error_info> validate(const read_req& r, const request_limits&) {
  if (auto e = check_room(r.room))
    return e;
  if (r.seq < 0)
    return bad("seq must not be negative");
  return std::nullopt;
}

std::optional<error_info> validate(const history_req& r, const request_limits&) {
  if (auto e = check_room(r.room))
    return e;
  if (r.before && r.after)
    return bad("give before or after, not both");
  if ((r.before && *r.before < 0) || (r.after && *r.after < 0))
    return bad("cursors must not be negative");
  if (r.limit < 1 || r.limit > 100)
    return bad("limit must be 1-100");
  return std::nullopt;
}

std::optional<error_info> validate(const edit_req& r, const request_limits& lim) {
  if (auto e = check_target(r.room, r.target))
    return e;
  if (static_cast<int64_t>(r.body.size()) > lim.max_body)
    return too_large("body over " + std::to_string(lim.max_body) + " bytes");
  if (has_nul(r.body))
    return bad("text must not contain U+0000");
  return std::nullopt;
}

std::optional<error_info> validate(const delete_req& r, const request_limits&) {
  return check_target(r.room, r.target);
}

std::optional<error_info> validate(const react_req& r, const request_limits&) {
  if (auto e = check_target(r.room, r.target))
    return e;
  if (r.emoji.empty() || r.emoji.size() > 32 || has_nul(r.emoji))
    return bad("emoji must be 1-32 bytes");
  return std::nullopt;
}

std::optional<error_info> validate(const invite_req& r, const request_limits&) {
  return check_user(r.room, r.user);
}

std::optional<error_info> validate(const remove_req& r, const request_limits&) {
  return check_user(r.room, r.user);
}

std::optional<error_info> validate(const rooms_req& r, const request_limits&) {
  if (r.limit < 1 || r.limit > 1000)
    return bad("limit must be 1-1000");
  return std::nullopt;
}

std::optional<error_info> validate(const presence_req& r, const request_limits&) {
  if (r.users.empty() || r.users.size() > 500)
    return bad("users must list 1-500 user ids");
  for (auto& u : r.users)
    if (!valid_user_id(u))
      return bad("user ids must be 1-128 bytes without U+0000");
  return std::nullopt;
}

}  // namespace parley::actors
