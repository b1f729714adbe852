#include "cli/certs_commands.h"

#include <ctime>
#include <iostream>
#include <memory>

#include "cli/ceremony_commands.h"
#include "cli/exit_codes.h"
#include "cli/format.h"
#include "hotline/trust_dir.h"

namespace hotline::cli {
namespace {

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

int Report(const Status& st) { return Fail(st); }

struct CertsOptions {
  std::string dir = "certs";
  int relays = 2;
  int64_t days = 365;
  std::string subject, role = "node", nation;
  int64_t not_before = 0, not_after = 0;
  std::string file;
  uint64_t serial = 0;
  int64_t now = 0;
  bool as_json = false;
  bool demo = false, joint = false;
  std::vector<std::string> root_keys;
};

}  // namespace

void AddCertsCommands(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CertsOptions>();
  CLI::App* certs = app.add_subcommand("certs", "Create and inspect trust material (certs/)");
  certs->require_subcommand(1);
  AddCeremonyCommands(*certs, exit_code);

  CLI::App* init = certs->add_subcommand(
      "init", "Demo ceremony: three national roots, the root document and every certificate in one "
              "folder (--demo); for three nations see docs/TRUST.md");
  init->add_flag("--demo", opts->demo, "Yes, put all three national root keys in one folder")
      ->required();
  init->add_option("--dir", opts->dir)->group("");  // the name before 0.3
  init->add_option("--certs", opts->dir, "Trust folder")->capture_default_str();
  init->add_option("--relays", opts->relays, "Number of relay certificates")
      ->capture_default_str()->check(CLI::Range(1, 16));
  init->add_option("--days", opts->days, "Validity in days")->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{36500}));
  init->callback([opts, &exit_code] {
    Status st = InitTrustDirectory(opts->dir, {opts->relays, NowUnix(), opts->days});
    exit_code = Report(st);
    if (st.ok()) {
      std::cout << "created a DEMO trilateral root (root-us, root-jp and root-kr keys in one folder: "
                   "never for real use), node-us, node-jp, node-kr and "
                << opts->relays << " relay certificate(s) in " << opts->dir
                << " (private keys *.key are mode 0600)\n";
    }
  });

  CLI::App* show = certs->add_subcommand("show", "Print a certificate readably");
  show->add_option("file", opts->file, "A .cert file, or a subject name in the trust folder")->required();
  show->add_option("--dir", opts->dir)->group("");  // the name before 0.3
  show->add_option("--certs", opts->dir, "Trust folder for verification")->capture_default_str();
  show->add_flag("--json", opts->as_json,
                 "Print the certificate's details as proto3 JSON (exit 1 if it does not verify)");
  show->callback([opts, &exit_code] {
    std::filesystem::path path = opts->file;
    if (!std::filesystem::exists(path)) path = std::filesystem::path(opts->dir) / (opts->file + ".cert");
    auto cert = LoadCertificateFile(path);
    if (!cert.ok()) {
      exit_code = Report(cert.status());
      return;
    }
    if (opts->as_json) {
      PrintJson(cert->details);
    } else {
      std::cout << DescribeCertificate(*cert);
    }
    auto trust = LoadTrustStore(opts->dir);
    auto bytes = cert->certificate.SerializeAsString();
    if (opts->as_json) {
      if (!trust.ok()) return;
      CertExpectations expect;
      expect.now_unix = NowUnix();
      exit_code = trust->Verify(AsBytes(bytes), expect).ok() ? 0 : 1;
      return;
    }
    if (!trust.ok()) {
      std::cout << "verification:   not checked (" << trust.status().message() << ")\n";
      return;
    }
    std::cout << "signed by:      "
              << NationList(NationsThatSigned(trust->root(), kCertificateTag,
                                              cert->certificate.details(),
                                              cert->certificate.signatures()))
              << " (root document " << trust->root().details.serial()
              << (trust->root().details.demo() ? ", DEMO" : "") << ")\n";
    CertExpectations expect;
    expect.now_unix = NowUnix();
    CertCheck check = trust->Verify(AsBytes(bytes), expect);
    std::cout << "verification:   " << (check.ok() ? "valid" : check.message) << "\n";
    exit_code = check.ok() ? 0 : 1;
  });

  CLI::App* issue = certs->add_subcommand("issue", "Issue one certificate with fresh keys");
  issue->add_option("--dir", opts->dir)->group("");  // the name before 0.3
  issue->add_option("--certs", opts->dir, "Trust folder")->capture_default_str();
  issue->add_option("--subject", opts->subject, "Subject, e.g. node-us")->required();
  issue->add_option("--role", opts->role, "node or relay")->check(CLI::IsMember({"node", "relay"}));
  issue->add_option("--nation", opts->nation, "The nation that runs it")
      ->required()
      ->check(CLI::IsMember({"US", "JP", "KR"}, CLI::ignore_case));
  issue->add_option("--not-before", opts->not_before, "Unix seconds (default: now)");
  issue->add_option("--not-after", opts->not_after, "Unix seconds (default: now + --days)");
  issue->add_option("--days", opts->days, "Validity in days")->capture_default_str();
  issue->callback([opts, &exit_code] {
    IssueOptions o;
    o.subject = opts->subject;
    o.role = opts->role == "relay" ? v1::ROLE_RELAY : v1::ROLE_NODE;
    if (!opts->nation.empty()) {
      auto n = ParseNation(opts->nation);
      if (!n.ok()) {
        exit_code = Report(n.status());
        return;
      }
      o.nation = *n;
    }
    o.not_before_unix = opts->not_before ? opts->not_before : NowUnix();
    o.not_after_unix = opts->not_after ? opts->not_after : o.not_before_unix + opts->days * 86400;
    auto serial = IssueCertificate(opts->dir, o);
    exit_code = Report(serial.status());
    if (serial.ok()) std::cout << "issued " << o.subject << " serial " << *serial << "\n";
  });

  CLI::App* revoke = certs->add_subcommand(
      "revoke", "Revoke a certificate: a nation its own alone, another's only with two roots");
  revoke->add_option("--dir", opts->dir)->group("");  // the name before 0.3
  revoke->add_option("--certs", opts->dir, "Trust folder")->capture_default_str();
  revoke->add_option("serial", opts->serial, "Certificate serial")->required();
  revoke->add_option("--nation", opts->nation, "The revoked certificate's nation")
      ->required()
      ->check(CLI::IsMember({"US", "JP", "KR"}, CLI::ignore_case));
  revoke->add_flag("--joint", opts->joint,
                   "The joint list, signed by two national roots (another nation's certificate)");
  revoke->add_option("--root-key", opts->root_keys, "A national root key file (repeatable)");
  revoke->callback([opts, &exit_code] {
    RevokeOptions r;
    r.serial = opts->serial;
    r.nation = *ParseNation(opts->nation);
    r.joint = opts->joint;
    for (const auto& k : opts->root_keys) r.root_key_files.emplace_back(k);
    r.now_unix = NowUnix();
    exit_code = Report(RevokeCertificate(opts->dir, r));
    if (exit_code == 0) {
      std::cout << "revoked " << opts->nation << " serial " << opts->serial << " ("
                << RevocationListPath(opts->dir, r.joint ? v1::NATION_UNSPECIFIED : r.nation).string()
                << ")\n";
    }
  });
}

}  // namespace hotline::cli
