// The relay's connections: every open link, how many handshakes each
// address has in progress, and which authenticated link is each nation's
// current one (a node's newer connection replaces its older one). State
// only: it decides, the server closes.
//
// Thread safety: one thread.
#ifndef HOTLINE_SERVER_LINK_REGISTRY_H_
#define HOTLINE_SERVER_LINK_REGISTRY_H_

#include <map>
#include <set>
#include <string>

#include "hotline/link_connection.h"

namespace hotline::relay {

class LinkRegistry {
 public:
  LinkRegistry(size_t max_connections, size_t max_handshaking_per_address)
      : max_connections_(max_connections), max_handshaking_(max_handshaking_per_address) {}

  // Why a new connection from `address` is refused, or "" if it is
  // admitted (it then counts as handshaking until HandshakeEnded).
  std::string Admit(const std::string& address);
  void HandshakeEnded(const std::string& address);

  void Add(const LinkConnection::Ptr& link) { links_.insert(link); }
  // `link` authenticated as `nation` and becomes its current link; returns
  // the link it replaces, for the caller to close (null if none).
  LinkConnection::Ptr Bind(v1::Nation nation, const LinkConnection::Ptr& link);
  // `link` closed. True if it was `nation`'s current link.
  bool Remove(const LinkConnection::Ptr& link, v1::Nation nation);

  // The nation's current link, if it is up.
  LinkConnection::Ptr Current(v1::Nation nation) const;
  std::set<LinkConnection::Ptr> All() const { return links_; }
  size_t handshaking(const std::string& address) const;

 private:
  size_t max_connections_;
  size_t max_handshaking_;
  std::set<LinkConnection::Ptr> links_;
  std::map<std::string, size_t> handshaking_by_address_;
  std::map<v1::Nation, LinkConnection::Ptr> current_;
};

}  // namespace hotline::relay

#endif  // HOTLINE_SERVER_LINK_REGISTRY_H_
