#pragma once

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "actors/protocol.hpp"
#include "net/codec.hpp"

/// The protocol's schema in terms of JSON values: what keys each message has and their
/// types. The MessagePack codec converts to and from the same values, so both encodings
/// share this one definition.
namespace parley::net::schema {

decode_result request_from_json(const boost::json::value& v);

/// The values are allocated from `sp` (the default: the heap).
boost::json::value reply_to_json(const actors::reply& r, const boost::json::storage_ptr& sp = {});
boost::json::value event_to_json(const actors::event_payload& ev,
                                 const boost::json::storage_ptr& sp = {});

/// The frames of the hot path, a message event and the `ok` of a send (or of a request
/// answered with nothing), as JSON text written straight (json_text.hpp): the same text as
/// serializing the values above. Empty for every other frame.
std::optional<std::string> event_text(const actors::event_payload& ev);
std::optional<std::string> reply_text(const actors::reply& r);

}  // namespace parley::net::schema
