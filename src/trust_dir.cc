#include "hotline/trust_dir.h"

#include <ctime>
#include <sstream>

#include "hotline/file_util.h"
#include "hotline/limits.h"
#include <map>

namespace hotline {
namespace fs = std::filesystem;
namespace {

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

v1::CertificateDetails DetailsFor(const IssueOptions& o, const KeyMaterial& keys) {
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
  return d;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Status WriteRootKeyFile(const fs::path& path, const Ed25519KeyPair& key, const std::string& subject) {
  v1::PrivateKeyFile file;
  file.set_version(1);
  file.set_subject(subject);
  file.set_signing_seed(ToString(key.seed()));
  std::string encoded = file.SerializeAsString();
  Status st = WriteFileAtomic(path, AsBytes(encoded), kSecretMode);
  Wipe(encoded);
  Wipe(*file.mutable_signing_seed());
  return st;
}

// The root keys of this folder (a demo folder holds all three; a nation's
// offline folder its own), by nation.
std::map<v1::Nation, Ed25519KeyPair> RootKeysIn(const fs::path& dir) {
  std::map<v1::Nation, Ed25519KeyPair> out;
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    auto key = LoadRootKey(RootKeyPath(dir, n));
    if (key.ok()) out.emplace(n, std::move(key).value());
  }
  return out;
}

Status WriteRevocationList(const fs::path& dir, const v1::RevocationListDetails& details,
                           const std::vector<const Ed25519KeyPair*>& roots) {
  std::string encoded = SignRevocationList(details, roots).SerializeAsString();
  return WriteFileAtomic(RevocationListPath(dir, details.issuer()), AsBytes(encoded),
                         kPublicFileMode);
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
  if (fs::exists(dir / kRootDocumentFile) || !RootKeysIn(dir).empty()) {
    return AlreadyExistsError(dir.string() + " already holds a root; refusing to overwrite it");
  }
  // The demo ceremony: three national roots made on one machine.
  v1::RootDocumentDetails root;
  root.set_version(1);
  root.set_serial(1);
  root.set_threshold(2);
  root.set_issued_unix(options.now_unix);
  root.set_expires_unix(options.now_unix + options.validity_days * kDaySeconds);
  root.set_demo(true);
  std::vector<Ed25519KeyPair> roots;
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    roots.push_back(GenerateEd25519());
    HOTLINE_RETURN_IF_ERROR(WriteRootKeyFile(RootKeyPath(dir, n), roots.back(), RootSubject(n)));
    auto* key = root.add_keys();
    key->set_nation(n);
    key->set_signing_public_key(ToString(roots.back().public_key));
    // The public half too, as `certs init-nation` writes it (for drafting a rotation).
    std::string pub = key->SerializeAsString();
    HOTLINE_RETURN_IF_ERROR(
        WriteFileAtomic(dir / (RootSubject(n) + ".pub"), AsBytes(pub), kPublicFileMode));
  }
  std::string doc = SignRootDocument(root, {&roots[0], &roots[1], &roots[2]}).SerializeAsString();
  HOTLINE_RETURN_IF_ERROR(WriteFileAtomic(dir / kRootDocumentFile, AsBytes(doc), kPublicFileMode));

  auto issue = [&](std::string subject, v1::Role role, v1::Nation nation) -> Status {
    IssueOptions o{std::move(subject), role, nation, options.now_unix, root.expires_unix()};
    return IssueCertificate(dir, o).status();
  };
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    HOTLINE_RETURN_IF_ERROR(issue(NodeSubject(n), v1::ROLE_NODE, n));
  }
  // Relays are run by the nations in turn: relay-1 US, relay-2 JP, relay-3 KR, ...
  for (int i = 1; i <= options.relays; ++i) {
    auto nation = static_cast<v1::Nation>(1 + (i - 1) % 3);
    HOTLINE_RETURN_IF_ERROR(issue(RelaySubject(i), v1::ROLE_RELAY, nation));
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
  HOTLINE_RETURN_IF_ERROR(ValidateSubject(options.subject));
  // Its own nation's root and the next nation's: the demo folder holds all three.
  auto roots = RootKeysIn(dir);
  auto own = roots.find(options.nation);
  if (own == roots.end() || roots.size() < 2) {
    return FailedPreconditionError(
        dir.string() + " does not hold " + NationCode(options.nation) +
        "'s root key and another nation's: outside a demo, certify with `hotline certs request`, "
        "`certs sign` by two national roots and `certs assemble` (docs/TRUST.md)");
  }
  const Ed25519KeyPair* other = nullptr;
  for (const auto& [nation, key] : roots) {
    if (nation != options.nation && !other) other = &key;
  }
  HOTLINE_ASSIGN_OR_RETURN(SubjectKeys made, MakeSubjectKeys(dir, options));
  const v1::CertificateDetails& d = made.details;
  v1::Certificate cert;
  cert.set_details(d.SerializeAsString());
  AddRootSignature(cert, own->second);
  AddRootSignature(cert, *other);
  std::string encoded = cert.SerializeAsString();
  HOTLINE_RETURN_IF_ERROR(
      WriteFileAtomic(CertPath(dir, options.subject), AsBytes(encoded), kPublicFileMode));
  return d.serial();
}

StatusOr<SubjectKeys> MakeSubjectKeys(const fs::path& dir, const IssueOptions& options) {
  HOTLINE_RETURN_IF_ERROR(ValidateSubject(options.subject));
  if (options.nation == v1::NATION_UNSPECIFIED) {
    return InvalidArgumentError("a certificate needs the nation that runs it (--nation)");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  HOTLINE_RETURN_IF_ERROR(SupersedeCertificate(dir, options.subject));
  KeyMaterial keys = NewKeys(options.role == v1::ROLE_NODE);
  HOTLINE_RETURN_IF_ERROR(WriteKeyFile(dir, options.subject, keys));
  return SubjectKeys{DetailsFor(options, keys), keys.signing};
}

StatusOr<v1::RevocationListDetails> LoadRevocationListDetails(const fs::path& dir, v1::Nation issuer) {
  v1::RevocationListDetails details;
  details.set_version(2);
  details.set_issuer(issuer);
  auto encoded = ReadFileBytes(RevocationListPath(dir, issuer), limits::kMaxRevocationListBytes);
  if (!encoded.ok()) {
    if (encoded.status().code() == StatusCode::kNotFound) return details;
    return encoded.status();
  }
  v1::RevocationList list;
  if (!list.ParseFromArray(encoded->data(), static_cast<int>(encoded->size())) ||
      !details.ParseFromString(list.details())) {
    return DataLossError(RevocationListPath(dir, issuer).string() + " is corrupt");
  }
  return details;
}

Status RevokeCertificate(const fs::path& dir, const RevokeOptions& options) {
  auto roots = RootKeysIn(dir);
  std::optional<TrustStore> trust;
  if (!options.root_key_files.empty()) {
    HOTLINE_ASSIGN_OR_RETURN(TrustStore loaded, LoadTrustStore(dir, options.now_unix));
    trust.emplace(std::move(loaded));
  }
  for (const auto& extra : options.root_key_files) {
    HOTLINE_ASSIGN_OR_RETURN(Ed25519KeyPair key, LoadRootKey(extra));
    auto nation = trust->root().NationOf(KeyIdOf(key.public_key));
    if (!nation) return PermissionDeniedError(extra.string() + " is not a key of the root document");
    roots.insert_or_assign(*nation, std::move(key));
  }
  v1::Nation issuer = options.joint ? v1::NATION_UNSPECIFIED : options.nation;
  std::vector<const Ed25519KeyPair*> signers;
  if (options.joint) {
    for (const auto& [nation, key] : roots) signers.push_back(&key);
    if (signers.size() < 2) {
      return PermissionDeniedError("revoking another nation's certificate needs two national "
                                   "root keys (--root-key twice)");
    }
  } else {
    auto own = roots.find(options.nation);
    if (own == roots.end()) {
      return PermissionDeniedError("revoking a " + NationCode(options.nation) +
                                   " certificate alone needs " + NationCode(options.nation) +
                                   "'s root key; another nation's needs --joint and two keys");
    }
    signers.push_back(&own->second);
  }
  HOTLINE_ASSIGN_OR_RETURN(v1::RevocationListDetails details, LoadRevocationListDetails(dir, issuer));
  auto* r = details.add_revoked();
  r->set_serial(options.serial);
  r->set_nation(options.nation);
  details.set_number(details.number() + 1);
  details.set_issued_at_unix(options.now_unix);
  return WriteRevocationList(dir, details, signers);
}

StatusOr<ParsedCertificate> LoadCertificateFile(const fs::path& path) {
  HOTLINE_ASSIGN_OR_RETURN(Bytes encoded, ReadFileBytes(path, limits::kMaxCertificateBytes));
  auto parsed = ParseCertificate(encoded);
  if (!parsed.ok()) return InvalidArgumentError(path.string() + ": " + parsed.status().message());
  return parsed;
}

StatusOr<TrustStore> LoadTrustStore(const fs::path& dir, int64_t now_unix) {
  HOTLINE_ASSIGN_OR_RETURN(Bytes root, ReadFileBytes(dir / kRootDocumentFile, limits::kMaxCertificateBytes));
  auto store = TrustStore::Create(root, now_unix);
  if (!store.ok()) return Status(store.status().code(), (dir / kRootDocumentFile).string() + ": " + store.status().message());
  for (v1::Nation issuer : {v1::NATION_UNSPECIFIED, v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    auto crl = ReadFileBytes(RevocationListPath(dir, issuer), limits::kMaxRevocationListBytes);
    if (crl.ok()) {
      if (Status st = store->AddRevocationList(*crl); !st.ok()) {
        return Status(st.code(), RevocationListPath(dir, issuer).string() + ": " + st.message());
      }
    } else if (crl.status().code() != StatusCode::kNotFound) {
      return crl.status();
    }
  }
  return store;
}

StatusOr<TrustStore> LoadTrustStore(const fs::path& dir) {
  return LoadTrustStore(dir, static_cast<int64_t>(std::time(nullptr)));
}

fs::path RootKeyPath(const fs::path& dir, v1::Nation nation) {
  return dir / (RootSubject(nation) + ".key");
}

std::string RootSubject(v1::Nation nation) { return "root-" + Lower(NationCode(nation)); }

fs::path RevocationListPath(const fs::path& dir, v1::Nation issuer) {
  return dir / (issuer == v1::NATION_UNSPECIFIED ? std::string("revocations-joint.crl")
                                                 : "revocations-" + Lower(NationCode(issuer)) + ".crl");
}

StatusOr<Ed25519KeyPair> LoadRootKey(const fs::path& path) {
  HOTLINE_ASSIGN_OR_RETURN(mode_t mode, FileMode(path));
  if ((mode & 077) != 0) {
    return PermissionDeniedError(path.string() + " is readable by group or others; chmod 600 it");
  }
  HOTLINE_ASSIGN_OR_RETURN(Bytes encoded, ReadFileBytes(path, 4096));
  v1::PrivateKeyFile file;
  bool ok = file.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())) &&
            file.version() == 1 && file.signing_seed().size() == kEd25519SeedLen &&
            file.subject().rfind("root-", 0) == 0;
  Wipe(encoded);
  if (!ok) return DataLossError(path.string() + " is not a national root key file");
  Ed25519KeyPair key = Ed25519FromSeed(AsBytes(file.signing_seed()));
  Wipe(*file.mutable_signing_seed());
  return key;
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

StatusOr<std::optional<Bytes>> ResignedCertificate(const fs::path& dir, const Identity& identity) {
  HOTLINE_ASSIGN_OR_RETURN(Bytes encoded, ReadFileBytes(CertPath(dir, identity.details.subject()),
                                                        limits::kMaxCertificateBytes));
  if (encoded == identity.certificate) return std::optional<Bytes>();
  HOTLINE_ASSIGN_OR_RETURN(ParsedCertificate fresh, ParseCertificate(encoded));
  HOTLINE_ASSIGN_OR_RETURN(ParsedCertificate current, ParseCertificate(identity.certificate));
  // The very details (same keys, same serial): only who signed differs.
  if (fresh.certificate.details() != current.certificate.details()) return std::optional<Bytes>();
  return std::optional<Bytes>(std::move(encoded));
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
      << "noise key:      " << ToHex(AsBytes(d.noise_public_key())) << "\n"
      << "signing key:    " << ToHex(AsBytes(d.signing_public_key())) << "\n";
  if (!d.e2e_public_key().empty()) {
    out << "e2e key:        " << ToHex(AsBytes(d.e2e_public_key())) << "\n";
  }
  out << "signed by keys: ";
  for (int i = 0; i < cert.certificate.signatures_size(); ++i) {
    out << (i ? ", " : "") << ToHex(AsBytes(cert.certificate.signatures(i).key_id()));
  }
  out << "\n";
  return out.str();
}

}  // namespace hotline
