#include "node/consultations.h"

#include <algorithm>

#include "hotline/certs.h"

namespace hotline::node {

void ConsultationBook::Open(ByteView id, v1::Nation requester, const v1::ConsultRequest& request,
                            const std::vector<v1::Nation>& participants, int64_t created_at_ms) {
  Bytes key(id.begin(), id.end());
  if (book_.count(key)) return;
  Entry& e = book_[key];
  auto& s = e.status;
  s.set_consultation_id(ToString(id));
  s.set_requester(requester);
  s.set_topic(request.topic());
  s.set_question(request.question());
  s.set_respond_by_ms(request.respond_by_ms());
  s.set_created_at_ms(created_at_ms);
  for (v1::Nation n : participants) {
    if (n == requester) continue;
    s.add_answers()->set_nation(n);
  }
}

Status ConsultationBook::Answer(ByteView id, v1::Nation nation, const v1::ConsultResponse& response,
                                int64_t at_ms) {
  auto it = book_.find(Bytes(id.begin(), id.end()));
  if (it == book_.end()) return NotFoundError("no consultation " + ToHex(id));
  for (auto& a : *it->second.status.mutable_answers()) {
    if (a.nation() != nation) continue;
    a.set_position(response.position());
    a.set_text(response.text());
    a.set_answered_at_ms(at_ms);
    a.set_overdue(false);
    return Status::Ok();
  }
  return PermissionDeniedError(NationCode(nation) + " was not asked in consultation " + ToHex(id));
}

std::vector<ConsultationBook::Overdue> ConsultationBook::NewlyOverdue(int64_t now_ms,
                                                                      v1::Nation self) {
  std::vector<Overdue> out;
  for (auto& [id, e] : book_) {
    if (e.status.respond_by_ms() <= 0 || now_ms < e.status.respond_by_ms()) continue;
    for (const auto& a : e.status.answers()) {
      if (a.position() != v1::ConsultResponse::POSITION_UNSPECIFIED) continue;
      if (e.status.requester() != self && a.nation() != self) continue;
      if (e.reported_overdue[a.nation()]) continue;
      e.reported_overdue[a.nation()] = true;
      out.push_back({id, a.nation(), e.status.topic()});
    }
  }
  return out;
}

std::vector<v1::ConsultationStatus> ConsultationBook::List(ByteView id, int64_t now_ms) const {
  std::vector<v1::ConsultationStatus> out;
  for (const auto& [key, e] : book_) {
    if (!id.empty() && !std::equal(id.begin(), id.end(), key.begin(), key.end())) continue;
    v1::ConsultationStatus s = e.status;
    for (auto& a : *s.mutable_answers()) {
      a.set_overdue(a.position() == v1::ConsultResponse::POSITION_UNSPECIFIED &&
                    s.respond_by_ms() > 0 && now_ms >= s.respond_by_ms());
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_at_ms() > b.created_at_ms();
  });
  return out;
}

const v1::ConsultationStatus* ConsultationBook::Get(ByteView id) const {
  auto it = book_.find(Bytes(id.begin(), id.end()));
  return it == book_.end() ? nullptr : &it->second.status;
}

void ConsultationBook::Restore(const v1::ConsultationStatus& status) {
  book_[ToBytes(status.consultation_id())].status = status;
}

}  // namespace hotline::node
