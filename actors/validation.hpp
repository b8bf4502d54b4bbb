#pragma once

#include <optional>
#include <string_view>

#include "actors/protocol.hpp"

namespace parley::actors {

/// The limits a session enforces before anything reaches a room (PROTOCOL §1, §3, §4).
struct request_limits {
  int64_t max_body = 16'384;
  int64_t max_meta = 4'096;
  int64_t max_title = 256;
  int64_t max_members = 1'000;
};

/// 1-128 bytes of [A-Za-z0-9_.:-].
bool valid_room_id(std::string_view id);
/// 1-128 bytes (the JWT `sub` rule), without U+0000.
bool valid_user_id(std::string_view id);

/// nullopt when the request may go on; otherwise the error to answer with.
std::optional<error_info> validate(const create_req& r, const request_limits& lim);
std::optional<error_info> validate(const join_req& r, const request_limits& lim);
std::optional<error_info> validate(const leave_req& r, const request_limits& lim);
std::optional<error_info> validate(const send_req& r, const request_limits& lim);
std::optional<error_info> validate(const typing_req& r, const request_limits& lim);
std::optional<error_info> validate(const read_req& r, const request_limits& lim);
std::optional<error_info> validate(const history_req& r, const request_limits& lim);
std::optional<error_info> validate(const edit_req& r, const request_limits& lim);
std::optional<error_info> validate(const delete_req& r, const request_limits& lim);
std::optional<error_info> validate(const react_req& r, const request_limits& lim);
std::optional<error_info> validate(const invite_req& r, const request_limits& lim);
std::optional<error_info> validate(const remove_req& r, const request_limits& lim);
std::optional<error_info> validate(const rooms_req& r, const request_limits& lim);
std::optional<error_info> validate(const presence_req& r, const request_limits& lim);

}  // namespace parley::actors
