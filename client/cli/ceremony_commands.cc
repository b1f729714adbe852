#include "cli/ceremony_commands.h"

#include <unistd.h>

#include <ctime>
#include <iostream>
#include <memory>

#include "cli/exit_codes.h"
#include "hotline/file_util.h"
#include "hotline/trust_ceremony.h"

namespace hotline::cli {
namespace {

struct CeremonyOptions {
  std::string certs = "certs", nation, subject, role = "node", file, root_key, out;
  std::vector<std::string> public_keys;
  uint32_t threshold = 2;
  uint64_t serial = 1;
  int64_t days = 365;
  bool yes = false;
};

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

v1::Nation NationOf(const std::string& code) { return *ParseNation(code); }  // checked by CLI11

std::string Describe(const v1::CertificateDetails& d) {
  return d.subject() + " (" + RoleName(d.role()) + ", " + NationCode(d.nation()) + ", serial " +
         std::to_string(d.serial()) + ", valid " + FormatUnixUtc(d.not_before_unix()) + " .. " +
         FormatUnixUtc(d.not_after_unix()) + ")";
}

CLI::Option* NationOption(CLI::App* command, std::string& target, const std::string& help) {
  return command->add_option("--nation", target, help)
      ->required()
      ->check(CLI::IsMember({"US", "JP", "KR"}, CLI::ignore_case));
}

}  // namespace

void AddCeremonyCommands(CLI::App& certs, int& exit_code) {
  auto o = std::make_shared<CeremonyOptions>();

  CLI::App* nation = certs.add_subcommand(
      "init-nation", "Make this nation's root key (on its own offline machine): root-<nation>.key "
                     "stays, root-<nation>.pub goes to the other nations");
  NationOption(nation, o->nation, "This nation");
  nation->add_option("--certs", o->certs, "Folder to write the key to")->capture_default_str();
  nation->callback([o, &exit_code] {
    exit_code = Fail(InitNationalRoot(o->certs, NationOf(o->nation)));
    if (exit_code == 0) {
      std::cout << "made " << RootKeyPath(o->certs, NationOf(o->nation)).string()
                << " (keep it offline) and " << RootSubject(NationOf(o->nation))
                << ".pub (send it to the other nations)\n";
    }
  });

  CLI::App* root = certs.add_subcommand("root", "Draft, sign and install the trilateral root document");
  root->require_subcommand(1);
  CLI::App* draft = root->add_subcommand("draft", "An unsigned root document from the nations' .pub files");
  draft->add_option("--key", o->public_keys, "A root-<nation>.pub file (one per nation)")->required();
  draft->add_option("--threshold", o->threshold, "Nations that must sign")->capture_default_str()
      ->check(CLI::Range(2, 3));
  draft->add_option("--serial", o->serial, "Document version N (one more than the one it replaces)")
      ->capture_default_str();
  draft->add_option("--days", o->days, "Validity in days")->capture_default_str();
  draft->add_option("--out", o->out, "File to write")->required();
  draft->callback([o, &exit_code] {
    RootDraft d;
    for (const auto& path : o->public_keys) {
      auto key = LoadNationalRootPublic(path);
      if (!key.ok()) {
        exit_code = Fail(key.status());
        return;
      }
      d.keys.push_back(*key);
    }
    d.threshold = o->threshold;
    d.serial = o->serial;
    d.now_unix = Now();
    d.validity_days = o->days;
    auto doc = DraftRootDocument(d);
    if (!doc.ok()) {
      exit_code = Fail(doc.status());
      return;
    }
    std::string bytes = doc->SerializeAsString();
    exit_code = Fail(WriteFileAtomic(o->out, AsBytes(bytes), 0644));
    if (exit_code == 0) std::cout << "drafted root document " << o->serial << " in " << o->out << "\n";
  });
  CLI::App* rsign = root->add_subcommand("sign", "Add a national root's signature to a root document");
  rsign->add_option("file", o->file, "The root document")->required();
  rsign->add_option("--root-key", o->root_key, "This nation's root-<nation>.key")->required();
  rsign->callback([o, &exit_code] {
    exit_code = Fail(SignRootDocumentFile(o->file, o->root_key));
    if (exit_code == 0) std::cout << "signed " << o->file << "\n";
  });
  CLI::App* install = root->add_subcommand(
      "install", "Make a signed root document this folder's root of trust (a successor must be "
                 "signed by a threshold of the current keys too; older ones are refused)");
  install->add_option("file", o->file, "The signed root document")->required();
  install->add_option("--certs", o->certs, "Trust folder")->capture_default_str();
  install->callback([o, &exit_code] {
    exit_code = Fail(InstallRootDocument(o->certs, o->file, Now()));
    if (exit_code == 0) std::cout << "installed " << o->file << " as " << o->certs << "/root.doc\n";
  });

  CLI::App* request = certs.add_subcommand(
      "request", "Make a node's or relay's keys here and a request for its roots to sign");
  request->add_option("--subject", o->subject, "e.g. node-jp, relay-2")->required();
  request->add_option("--role", o->role, "node or relay")->check(CLI::IsMember({"node", "relay"}))
      ->capture_default_str();
  NationOption(request, o->nation, "The nation that runs it");
  request->add_option("--days", o->days, "Validity in days")->capture_default_str();
  request->add_option("--certs", o->certs, "Folder for its key and the request")->capture_default_str();
  request->callback([o, &exit_code] {
    IssueOptions io{o->subject, o->role == "relay" ? v1::ROLE_RELAY : v1::ROLE_NODE,
                    NationOf(o->nation), Now(), Now() + o->days * 86400};
    auto path = CreateCertificateRequest(o->certs, io);
    exit_code = Fail(path.status());
    if (path.ok()) {
      std::cout << "made " << o->subject << "'s keys (they stay here) and " << path->string()
                << ": have it signed by " << o->nation << "'s root and one other\n";
    }
  });

  CLI::App* sign = certs.add_subcommand("sign",
                                        "Show a certificate request, then sign it with a national "
                                        "root key (asks first on a terminal)");
  sign->add_option("file", o->file, "The request (.req)")->required();
  sign->add_option("--root-key", o->root_key, "This nation's root-<nation>.key")->required();
  sign->add_flag("--yes", o->yes, "Sign without asking (scripts; the request is still shown)");
  sign->callback([o, &exit_code] {
    auto review = ReviewCertificateRequest(o->file, o->root_key);
    if (!review.ok()) return void(exit_code = Fail(review.status()));
    const v1::CertificateDetails& d = review->details;
    std::cout << "request:      " << Describe(d) << "\n"
              << "signing key:  " << ToHex(AsBytes(d.signing_public_key())) << "\n"
              << "noise key:    " << ToHex(AsBytes(d.noise_public_key())) << "\n";
    if (!d.e2e_public_key().empty())
      std::cout << "e2e key:      " << ToHex(AsBytes(d.e2e_public_key())) << "\n";
    std::cout << "signed by:    "
              << (review->key_ids_signed.empty() ? std::string("no root yet")
                                                 : JoinIds(review->key_ids_signed))
              << "\n";
    if (review->signed_before_unix) {
      std::cout << "this root signed these very details at "
                << FormatUnixUtc(review->signed_before_unix) << "\n";
    } else {
      std::cout << "serial " << d.serial() << " is new to this root's record\n";
    }
    if (!o->yes && ::isatty(STDIN_FILENO)) {
      std::cout
          << "Check the subject, nation, serial and keys with the requester by a second channel.\n"
          << "Sign it? [y/N] " << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y" && answer != "yes") {
        std::cout << "not signed\n";
        return void(exit_code = kExitFailed);
      }
    }
    auto details = SignCertificateRequest(o->file, o->root_key, Now(), &review->details);
    exit_code = Fail(details.status());
    if (details.ok()) std::cout << "signed " << Describe(*details) << "\n";
  });

  CLI::App* assemble = certs.add_subcommand(
      "assemble", "Check a signed request against the root document and write the certificate");
  assemble->add_option("file", o->file, "The signed request (.req)")->required();
  assemble->add_option("--certs", o->certs, "Trust folder (root.doc; the .cert is written here)")
      ->capture_default_str();
  assemble->callback([o, &exit_code] {
    auto details = AssembleCertificate(o->certs, o->file, Now());
    exit_code = Fail(details.status());
    if (details.ok()) std::cout << "wrote " << details->subject() << ".cert: " << Describe(*details) << "\n";
  });
}

}  // namespace hotline::cli
