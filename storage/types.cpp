#include "storage/types.hpp"

namespace parley::storage {

std::string_view to_string(event_kind k) {
  switch (k) {
    case event_kind::msg: return "msg";
    case event_kind::edit: return "edit";
    case event_kind::del: return "delete";
    case event_kind::react: return "react";
    case event_kind::member: return "member";
  }
  return "msg";
}

std::optional<event_kind> event_kind_from(std::string_view t) {
  for (auto k : {event_kind::msg, event_kind::edit, event_kind::del, event_kind::react,
                 event_kind::member})
    if (to_string(k) == t)
      return k;
  return std::nullopt;
}

}  // namespace parley::storage
