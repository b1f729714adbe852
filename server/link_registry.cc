#include "link_registry.h"

namespace hotline::relay {

std::string LinkRegistry::Admit(const std::string& address) {
  if (links_.size() >= max_connections_) {
    return "connection limit (" + std::to_string(max_connections_) + ") reached";
  }
  size_t& handshaking = handshaking_by_address_[address];
  if (handshaking >= max_handshaking_) {
    if (handshaking == 0) handshaking_by_address_.erase(address);
    return "too many unauthenticated connections from " + address;
  }
  ++handshaking;
  return "";
}

void LinkRegistry::HandshakeEnded(const std::string& address) {
  auto it = handshaking_by_address_.find(address);
  if (it == handshaking_by_address_.end()) return;
  if (--it->second == 0) handshaking_by_address_.erase(it);
}

size_t LinkRegistry::handshaking(const std::string& address) const {
  auto it = handshaking_by_address_.find(address);
  return it == handshaking_by_address_.end() ? 0 : it->second;
}

LinkConnection::Ptr LinkRegistry::Bind(v1::Nation nation, const LinkConnection::Ptr& link) {
  LinkConnection::Ptr& current = current_[nation];
  LinkConnection::Ptr replaced = current == link ? nullptr : current;
  current = link;
  return replaced;
}

bool LinkRegistry::Remove(const LinkConnection::Ptr& link, v1::Nation nation) {
  links_.erase(link);
  auto it = current_.find(nation);
  if (it == current_.end() || it->second != link) return false;
  current_.erase(it);
  return true;
}

LinkConnection::Ptr LinkRegistry::Current(v1::Nation nation) const {
  auto it = current_.find(nation);
  return it == current_.end() ? nullptr : it->second;
}

}  // namespace hotline::relay
