#include "console/operator_accounts.h"

#include <sodium.h>

#include <algorithm>

#include "hotline/file_util.h"

namespace hotline::console {

namespace {
std::filesystem::path FileIn(const std::filesystem::path& data_dir) {
  return data_dir / kOperatorsFile;
}

Status Save(const std::filesystem::path& data_dir, const v1::OperatorList& list) {
  std::string bytes = list.SerializeAsString();
  return WriteFileAtomic(FileIn(data_dir), AsBytes(bytes), 0600);
}
}  // namespace

Status ValidateOperatorName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 32 &&
            std::all_of(name.begin(), name.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
            });
  if (!ok) return InvalidArgumentError("operator name must be 1-32 of A-Z a-z 0-9 . _ -");
  return Status::Ok();
}

StatusOr<v1::OperatorList> LoadOperators(const std::filesystem::path& data_dir) {
  v1::OperatorList list;
  std::error_code ec;
  if (!std::filesystem::exists(FileIn(data_dir), ec)) return list;
  HOTLINE_ASSIGN_OR_RETURN(Bytes bytes, ReadFileBytes(FileIn(data_dir), 1 << 20));
  if (!list.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || list.version() != 1) {
    return DataLossError(FileIn(data_dir).string() + " is not a valid operator list");
  }
  return list;
}

Status AddOperator(const std::filesystem::path& data_dir, const std::string& name,
                   const std::string& password, int64_t now_ms) {
  HOTLINE_RETURN_IF_ERROR(ValidateOperatorName(name));
  if (password.size() < 8) return InvalidArgumentError("password must be at least 8 characters");
  if (password.size() > 1024) return InvalidArgumentError("password longer than 1024 characters");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return ResourceExhaustedError("out of memory hashing the password");
  }
  HOTLINE_ASSIGN_OR_RETURN(v1::OperatorList list, LoadOperators(data_dir));
  list.set_version(1);
  v1::OperatorAccount* account = nullptr;
  for (auto& a : *list.mutable_operators()) {
    if (a.name() == name) account = &a;
  }
  if (!account) account = list.add_operators();
  account->set_name(name);
  account->set_password_hash(hash);
  account->set_added_at_ms(now_ms);
  return Save(data_dir, list);
}

Status RemoveOperator(const std::filesystem::path& data_dir, const std::string& name) {
  HOTLINE_ASSIGN_OR_RETURN(v1::OperatorList list, LoadOperators(data_dir));
  auto* accounts = list.mutable_operators();
  auto it = std::find_if(accounts->begin(), accounts->end(),
                         [&](const v1::OperatorAccount& a) { return a.name() == name; });
  if (it == accounts->end()) return NotFoundError("no operator named " + name);
  accounts->erase(it);
  return Save(data_dir, list);
}

StatusOr<bool> VerifyOperator(const std::filesystem::path& data_dir, const std::string& name,
                              const std::string& password) {
  HOTLINE_ASSIGN_OR_RETURN(v1::OperatorList list, LoadOperators(data_dir));
  for (const auto& a : list.operators()) {
    if (a.name() != name) continue;
    return crypto_pwhash_str_verify(a.password_hash().c_str(), password.data(), password.size()) == 0;
  }
  // Unknown names cost the same as a wrong password: names are not probed by timing.
  char dummy[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(dummy, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return ResourceExhaustedError("out of memory checking the password");
  }
  return false;
}

}  // namespace hotline::console
