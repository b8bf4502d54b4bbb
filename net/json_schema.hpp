#pragma once

#include <boost/json/value.hpp>

#include "actors/protocol.hpp"
#include "net/codec.hpp"

/// The protocol's schema in terms of JSON values: what keys each message has and their
/// types. The MessagePack codec converts to and from the same values, so both encodings
/// share this one definition.
namespace parley::net::schema {

decode_result request_from_json(const boost::json::value& v);

boost::json::value reply_to_json(const actors::reply& r);
boost::json::value event_to_json(const actors::event_payload& ev);

}  // namespace parley::net::schema
