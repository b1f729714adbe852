// A node's console operators: DATA/operators.pb (hotline.v1.OperatorList,
// mode 0600), written by `hotline operators`, read by the node at each
// login so that an account added or removed takes effect at once.
// Passwords are kept only as libsodium crypto_pwhash_str (Argon2id) hashes.
//
// Thread safety: functions only; Verify is slow on purpose (~0.1 s, 64 MiB)
// and belongs off the event loop. Error contract: Status / StatusOr.
#ifndef HOTLINE_CLIENT_CONSOLE_OPERATOR_ACCOUNTS_H_
#define HOTLINE_CLIENT_CONSOLE_OPERATOR_ACCOUNTS_H_

#include <filesystem>
#include <string>

#include "hotline/status.h"
#include "hotline/v1/operators.pb.h"

namespace hotline::console {

inline constexpr std::string_view kOperatorsFile = "operators.pb";

// 1-32 characters of [A-Za-z0-9._-].
Status ValidateOperatorName(const std::string& name);

// The accounts in `data_dir` (none if the file does not exist yet).
StatusOr<v1::OperatorList> LoadOperators(const std::filesystem::path& data_dir);
// Adds `name` (replacing its password if it exists) and writes the file atomically.
Status AddOperator(const std::filesystem::path& data_dir, const std::string& name,
                   const std::string& password, int64_t now_ms);
Status RemoveOperator(const std::filesystem::path& data_dir, const std::string& name);
// True if `name` exists in `data_dir` and `password` matches its hash.
StatusOr<bool> VerifyOperator(const std::filesystem::path& data_dir, const std::string& name,
                              const std::string& password);

}  // namespace hotline::console

#endif  // HOTLINE_CLIENT_CONSOLE_OPERATOR_ACCOUNTS_H_
