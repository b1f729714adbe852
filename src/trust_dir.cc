#include "hotline/trust_dir.h"

#include <ctime>
#include <sstream>

#include "hotline/file_util.h"
#include "hotline/limits.h"

namespace hotline {
namespace fs = std::filesystem;
namespace {

constexpr mode_t kPublicMode = 0644;
constexpr mode_t kSecretMode = 0600;
constexpr int64_t kDaySeconds = 86400;

fs::path CertPath(const fs::path& dir, std::string_view subject) {
  return dir / (std::string(subject) + ".cert");
}
fs::path KeyPath(const fs::path& dir, std::string_view subject) {
  return dir / (std::string(subject) + ".key");
}

uint64_t RandomSerial() {
  uint64_t serial = 0;
  RandomFill(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&serial), sizeof serial));
  return serial >> 1;  // keep it positive in every language's signed integers
}

Status WriteKeyFile(const fs::path& dir, std::string_view subject, const KeyMaterial& keys) {
  v1::PrivateKeyFile file;
  file.set_version(1);
  file.set_subject(std::string(subject));
  file.set_noise_secret_key(ToString(keys.noise.secret.view()));
  file.set_signing_seed(ToString(keys.signing.seed()));
  if (keys.e2e) file.set_e2e_secret_key(ToString(keys.e2e->secret.view()));
  std::string encoded = file.SerializeAsString();
  Status st = WriteFileAtomic(KeyPath(dir, subject), AsBytes(encoded), kSecretMode);
  Wipe(encoded);
  Wipe(*file.mutable_noise_secret_key());
  Wipe(*file.mutable_signing_seed());
  Wipe(*file.mutable_e2e_secret_key());
  return st;
}

StatusOr<KeyMaterial> ReadKeyFile(const fs::path& dir, std::string_view subject) {
  fs::path path = KeyPath(dir, subject);
  HOTLINE_ASSIGN_OR_RETURN(mode_t mode, FileMode(path));
  if ((mode & 077) != 0) {
    return PermissionDeniedError(path.string() + " is readable by group or others (mode " +
                                 std::to_string(mode & 0777) + " decimal); chmod 600 it");
  }
  HOTLINE_ASSIGN_OR_RETURN(Bytes encoded, ReadFileBytes(path, 4096));
  v1::PrivateKeyFile file;
  bool parsed = file.ParseFromArray(encoded.data(), static_cast<int>(encoded.size()));
  Wipe(encoded);
  KeyMaterial keys;
  bool ok = parsed && file.version() == 1 && file.noise_secret_key().size() == kX25519Len &&
            file.signing_seed().size() == kEd25519SeedLen &&
            (file.e2e_secret_key().empty() || file.e2e_secret_key().size() == kX25519Len);
  if (ok) {
    keys.noise = X25519FromSecret(AsBytes(file.noise_secret_key()));
    keys.signing = Ed25519FromSeed(AsBytes(file.signing_seed()));
    if (!file.e2e_secret_key().empty()) keys.e2e = X25519FromSecret(AsBytes(file.e2e_secret_key()));
  }
  Wipe(*file.mutable_noise_secret_key());
  Wipe(*file.mutable_signing_seed());
  Wipe(*file.mutable_e2e_secret_key());
  if (!ok) return DataLossError(path.string() + " is not a valid hotline.v1.PrivateKeyFile");
  return keys;
}

KeyMaterial NewKeys(bool with_e2e) {
  KeyMaterial keys;
  keys.noise = GenerateX25519();
  keys.signing = GenerateEd25519();
  if (with_e2e) keys.e2e = GenerateX25519();
  return keys;
}

v1::CertificateDetails DetailsFor(const IssueOptions& o, const KeyMaterial& keys,
                                  ByteView issuer_key_id) {
  v1::CertificateDetails d;
  d.set_version(kCertificateVersion);
  d.set_subject(o.subject);
  d.set_nation(o.nation);
  d.set_role(o.role);
  d.set_noise_public_key(ToString(keys.noise.public_key));
  d.set_signing_public_key(ToString(keys.signing.public_key));
  if (keys.e2e) d.set_e2e_public_key(ToString(keys.e2e->public_key));
  d.set_not_before_unix(o.not_before_unix);
  d.set_not_after_unix(o.not_after_unix);
  d.set_serial(RandomSerial());
  d.set_issuer_key_id(ToString(issuer_key_id));
  return d;
}

Status WriteCrl(const fs::path& dir, const v1::RevocationListDetails& details,
                const Ed25519Secret& root_secret) {
  std::string encoded = SignRevocationList(details, root_secret).SerializeAsString();
  return WriteFileAtomic(dir / "revocations.crl", AsBytes(encoded), kPublicMode);
}


}  // namespace

std::string NodeSubject(v1::Nation nation) {
  std::string code = NationCode(nation);
  for (char& c : code) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "node-" + code;
}

std::string RelaySubject(int index) { return "relay-" + std::to_string(index); }

Status InitTrustDirectory(const fs::path& dir, const TrustInitOptions& options) {
  if (options.relays < 1 || options.relays > 16) {
    return InvalidArgumentError("--relays must be between 1 and 16");
  }
  if (options.validity_days < 1) return InvalidArgumentError("--days must be at least 1");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return UnavailableError("cannot create " + dir.string() + ": " + ec.message());
  if (fs::exists(KeyPath(dir, "root")) || fs::exists(CertPath(dir, "root"))) {
    return AlreadyExistsError(dir.string() + " already holds a root; refusing to overwrite it");
  }
  IssueOptions root_options{"root", v1::ROLE_ROOT, v1::NATION_UNSPECIFIED, options.now_unix,
                            options.now_unix + options.validity_days * kDaySeconds};
  KeyMaterial root_keys = NewKeys(false);
  Bytes root_key_id = KeyIdOf(root_keys.signing.public_key);
  v1::CertificateDetails root_details = DetailsFor(root_options, root_keys, root_key_id);
  std::string root_cert = SignCertificate(root_details, root_keys.signing.secret).SerializeAsString();
  HOTLINE_RETURN_IF_ERROR(WriteKeyFile(dir, "root", root_keys));
  HOTLINE_RETURN_IF_ERROR(WriteFileAtomic(CertPath(dir, "root"), AsBytes(root_cert), kPublicMode));

  v1::RevocationListDetails crl;
  crl.set_version(1);
  crl.set_number(1);
  crl.set_issued_at_unix(options.now_unix);
  crl.set_issuer_key_id(ToString(root_key_id));
  HOTLINE_RETURN_IF_ERROR(WriteCrl(dir, crl, root_keys.signing.secret));

  auto issue = [&](std::string subject, v1::Role role, v1::Nation nation) -> Status {
    IssueOptions o{std::move(subject), role, nation, root_options.not_before_unix,
                   root_options.not_after_unix};
    return IssueCertificate(dir, o).status();
  };
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    HOTLINE_RETURN_IF_ERROR(issue(NodeSubject(n), v1::ROLE_NODE, n));
  }
  for (int i = 1; i <= options.relays; ++i) {
    HOTLINE_RETURN_IF_ERROR(issue(RelaySubject(i), v1::ROLE_RELAY, v1::NATION_UNSPECIFIED));
  }
  return Status::Ok();
}

Status SupersedeCertificate(const fs::path& dir, const std::string& subject) {
  fs::path cert = CertPath(dir, subject);
  if (!fs::exists(cert)) return Status::Ok();
  HOTLINE_ASSIGN_OR_RETURN(ParsedCertificate old, LoadCertificateFile(cert));
  fs::path previous = dir / kPreviousFolder;
  std::error_code ec;
  fs::create_directories(previous, ec);
  if (ec) return UnavailableError("cannot create " + previous.string() + ": " + ec.message());
  std::string name = subject + "." + std::to_string(old.details.serial());
  if (fs::exists(KeyPath(dir, subject))) {
    fs::rename(KeyPath(dir, subject), KeyPath(previous, name), ec);
    if (ec)
      return UnavailableError("cannot keep the previous key of " + subject + ": " + ec.message());
  }
  fs::rename(cert, CertPath(previous, name), ec);
  if (ec)
    return UnavailableError("cannot keep the previous certificate of " + subject + ": " +
                            ec.message());
  return Status::Ok();
}

StatusOr<std::vector<PreviousCertificate>> LoadPreviousCertificates(const fs::path& dir,
                                                                    std::string_view subject,
                                                                    bool with_keys) {
  std::vector<PreviousCertificate> out;
  fs::path previous = dir / kPreviousFolder;
  std::error_code ec;
  if (!fs::is_directory(previous, ec)) return out;
  std::string prefix = std::string(subject) + ".";
  for (const auto& entry : fs::directory_iterator(previous, ec)) {
    std::string file = entry.path().filename().string();
    if (file.rfind(prefix, 0) != 0 || entry.path().extension() != ".cert") continue;
    HOTLINE_ASSIGN_OR_RETURN(Bytes encoded,
                             ReadFileBytes(entry.path(), limits::kMaxCertificateBytes));
    PreviousCertificate p;
    p.certificate = std::move(encoded);
    std::string name = entry.path().stem().string();
    if (with_keys && fs::exists(KeyPath(previous, name))) {
      auto keys = ReadKeyFile(previous, name);
      if (!keys.ok()) return keys.status();
      p.keys = std::move(keys).value();
    }
    out.push_back(std::move(p));
  }
  if (ec) return UnavailableError("cannot list " + previous.string() + ": " + ec.message());
  return out;
}

StatusOr<uint64_t> IssueCertificate(const fs::path& dir, const IssueOptions& options) {
  if (options.subject.empty() || options.subject == "root" ||
      options.subject.find_first_of("/\\. ") != std::string::npos) {
    return InvalidArgumentError("invalid subject '" + options.subject + "'");
  }
  if (options.role == v1::ROLE_NODE && options.nation == v1::NATION_UNSPECIFIED) {
    return InvalidArgumentError("a node certificate needs a nation");
  }
  HOTLINE_ASSIGN_OR_RETURN(KeyMaterial root_keys, ReadKeyFile(dir, "root"));
  HOTLINE_RETURN_IF_ERROR(SupersedeCertificate(dir, options.subject));
  KeyMaterial keys = NewKeys(options.role == v1::ROLE_NODE);
  v1::CertificateDetails d = DetailsFor(options, keys, KeyIdOf(root_keys.signing.public_key));
  std::string cert = SignCertificate(d, root_keys.signing.secret).SerializeAsString();
  HOTLINE_RETURN_IF_ERROR(WriteKeyFile(dir, options.subject, keys));
  HOTLINE_RETURN_IF_ERROR(
      WriteFileAtomic(CertPath(dir, options.subject), AsBytes(cert), kPublicMode));
  return d.serial();
}

Status RevokeSerial(const fs::path& dir, uint64_t serial, int64_t now_unix) {
  HOTLINE_ASSIGN_OR_RETURN(KeyMaterial root_keys, ReadKeyFile(dir, "root"));
  HOTLINE_ASSIGN_OR_RETURN(Bytes encoded,
                           ReadFileBytes(dir / "revocations.crl", limits::kMaxRevocationListBytes));
  v1::RevocationList list;
  v1::RevocationListDetails details;
  if (!list.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())) ||
      !details.ParseFromString(list.details())) {
    return DataLossError("revocations.crl is corrupt");
  }
  details.add_revoked_serials(serial);
  details.set_number(details.number() + 1);
  details.set_issued_at_unix(now_unix);
  return WriteCrl(dir, details, root_keys.signing.secret);
}

StatusOr<ParsedCertificate> LoadCertificateFile(const fs::path& path) {
  HOTLINE_ASSIGN_OR_RETURN(Bytes encoded, ReadFileBytes(path, limits::kMaxCertificateBytes));
  auto parsed = ParseCertificate(encoded);
  if (!parsed.ok()) return InvalidArgumentError(path.string() + ": " + parsed.status().message());
  return parsed;
}

StatusOr<TrustStore> LoadTrustStore(const fs::path& dir) {
  HOTLINE_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(CertPath(dir, "root"), limits::kMaxCertificateBytes));
  HOTLINE_ASSIGN_OR_RETURN(TrustStore store, TrustStore::Create(root));
  auto crl = ReadFileBytes(dir / "revocations.crl", limits::kMaxRevocationListBytes);
  if (crl.ok()) {
    HOTLINE_RETURN_IF_ERROR(store.SetRevocationList(*crl));
  } else if (crl.status().code() != StatusCode::kNotFound) {
    return crl.status();
  }
  return store;
}

StatusOr<Identity> LoadIdentity(const fs::path& dir, std::string_view subject) {
  Identity id;
  HOTLINE_ASSIGN_OR_RETURN(id.certificate,
                           ReadFileBytes(CertPath(dir, subject), limits::kMaxCertificateBytes));
  HOTLINE_ASSIGN_OR_RETURN(ParsedCertificate parsed, ParseCertificate(id.certificate));
  id.details = parsed.details;
  HOTLINE_ASSIGN_OR_RETURN(id.keys, ReadKeyFile(dir, subject));
  bool match = ConstantTimeEqual(id.keys.noise.public_key, AsBytes(id.details.noise_public_key())) &&
               ConstantTimeEqual(id.keys.signing.public_key,
                                 AsBytes(id.details.signing_public_key())) &&
               (!id.keys.e2e || ConstantTimeEqual(id.keys.e2e->public_key,
                                                  AsBytes(id.details.e2e_public_key())));
  if (!match) {
    return DataLossError(std::string(subject) + ".key does not hold the keys of " +
                         std::string(subject) + ".cert");
  }
  return id;
}

std::string DescribeCertificate(const ParsedCertificate& cert) {
  const auto& d = cert.details;
  std::ostringstream out;
  out << "subject:        " << d.subject() << "\n"
      << "role:           " << RoleName(d.role()) << "\n"
      << "nation:         " << NationCode(d.nation()) << "\n"
      << "serial:         " << d.serial() << "\n"
      << "valid from:     " << FormatUnixUtc(d.not_before_unix()) << "\n"
      << "valid until:    " << FormatUnixUtc(d.not_after_unix()) << "\n"
      << "issuer key id:  " << ToHex(AsBytes(d.issuer_key_id())) << "\n"
      << "noise key:      " << ToHex(AsBytes(d.noise_public_key())) << "\n"
      << "signing key:    " << ToHex(AsBytes(d.signing_public_key())) << "\n";
  if (!d.e2e_public_key().empty()) {
    out << "e2e key:        " << ToHex(AsBytes(d.e2e_public_key())) << "\n";
  }
  out << "signature:      " << ToHex(AsBytes(cert.certificate.signature())) << "\n";
  return out.str();
}

}  // namespace hotline
